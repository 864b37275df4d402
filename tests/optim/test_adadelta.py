"""Adadelta against torch: rho, eps, weight decay, maximize, resume, bad arguments."""

import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import Adadelta

OPTIONS = [
    dict(),
    dict(lr=0.5, rho=0.5, eps=1e-3),
    dict(weight_decay=0.1),
    dict(maximize=True),
    dict(lr=0.1, rho=0.95, eps=1e-4, weight_decay=0.05, maximize=True),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(Adadelta, torch.optim.Adadelta, kwargs)


def test_resume_continues_exactly():
    check_resume(Adadelta, torch.optim.Adadelta, OPTIONS[1])
    load_torch_state(Adadelta, torch.optim.Adadelta, OPTIONS[4])


def test_per_group_options():
    groups = [([0], dict(lr=0.1, rho=0.5)), ([1, 2], dict(weight_decay=0.1))]
    run_against_torch(Adadelta, torch.optim.Adadelta, dict(), groups=groups)


def test_default_lr_is_one_and_repr_matches_torch():
    ours = Adadelta([lamina.zeros(2, requires_grad=True)])
    theirs = torch.optim.Adadelta([torch.zeros(2, requires_grad=True)])
    assert ours.defaults["lr"] == theirs.defaults["lr"]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "learning rate"), (dict(rho=1.5), "rho"), (dict(rho=-0.1), "rho"),
    (dict(eps=-1.0), "epsilon"), (dict(weight_decay=-0.1), "weight_decay"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.Adadelta([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        Adadelta([lamina.zeros(1, requires_grad=True)], **kwargs)
