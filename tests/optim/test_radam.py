"""RAdam against torch: both rectification branches, weight decay of both kinds, resume."""

import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import RAdam

OPTIONS = [
    dict(),  # rho_t stays below 5 for the first steps: the un-rectified branch, then the other
    dict(lr=0.01, betas=(0.9, 0.9)),  # rho_inf = 19: rectified from step 6 on
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, maximize=True, betas=(0.3, 0.8)),  # lerp weight >= 0.5 branch
    dict(lr=0.01, eps=1e-3, weight_decay=0.05, maximize=True, betas=(0.8, 0.95)),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(RAdam, torch.optim.RAdam, kwargs)


def test_resume_continues_exactly():
    check_resume(RAdam, torch.optim.RAdam, OPTIONS[1])
    load_torch_state(RAdam, torch.optim.RAdam, OPTIONS[3])


def test_per_group_options():
    groups = [([0], dict(lr=0.05, betas=(0.9, 0.9))), ([1, 2], dict(weight_decay=0.1))]
    run_against_torch(RAdam, torch.optim.RAdam, dict(lr=0.01), groups=groups)


def test_repr_matches_torch():
    ours = RAdam([lamina.zeros(2, requires_grad=True)], decoupled_weight_decay=True)
    theirs = torch.optim.RAdam([torch.zeros(2, requires_grad=True)], decoupled_weight_decay=True)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "learning rate"), (dict(eps=-1.0), "epsilon"),
    (dict(betas=(1.0, 0.9)), "index 0"), (dict(betas=(0.9, -0.1)), "index 1"),
    (dict(weight_decay=-0.1), "weight_decay"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.RAdam([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        RAdam([lamina.zeros(1, requires_grad=True)], **kwargs)
