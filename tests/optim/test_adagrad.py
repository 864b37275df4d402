"""Adagrad against torch: lr_decay, weight decay, initial accumulator, maximize; resume."""

import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import Adagrad

OPTIONS = [
    dict(),
    dict(lr=0.1, lr_decay=0.1),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.5),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-6,
         maximize=True),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(Adagrad, torch.optim.Adagrad, kwargs)


def test_resume_continues_exactly():
    check_resume(Adagrad, torch.optim.Adagrad, OPTIONS[5])
    load_torch_state(Adagrad, torch.optim.Adagrad, OPTIONS[5])


def test_state_exists_from_construction_like_torch():
    p, q = lamina.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    ours = Adagrad([p], initial_accumulator_value=0.25).state_dict()["state"]
    theirs = torch.optim.Adagrad([q], initial_accumulator_value=0.25).state_dict()["state"]
    assert list(ours) == list(theirs) == [0]
    assert list(ours[0]) == list(theirs[0])
    assert ours[0]["sum"].tolist() == theirs[0]["sum"].tolist()


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "learning rate"), (dict(lr_decay=-1.0), "lr_decay"),
    (dict(weight_decay=-1.0), "weight_decay"),
    (dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (dict(eps=-1.0), "epsilon"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        Adagrad([lamina.zeros(1, requires_grad=True)], **kwargs)
