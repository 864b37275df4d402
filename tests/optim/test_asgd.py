"""ASGD against torch: decaying eta, averaging after t0 (the `ax` state), resume."""

import numpy as np
import pytest
import torch
from tests.helpers import assert_close
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import ASGD

OPTIONS = [
    dict(),
    dict(lr=0.1, lambd=1e-2, alpha=0.5),
    dict(lr=0.05, t0=5),  # averaging starts within the run
    dict(lr=0.05, weight_decay=0.1, maximize=True, t0=3),
    dict(lr=0.2, lambd=0.1, alpha=1.0, t0=0),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(ASGD, torch.optim.ASGD, kwargs)


@pytest.mark.parametrize("kwargs", [OPTIONS[0], OPTIONS[2]], ids=str)
def test_averaged_parameters_match_torch(kwargs):
    opt_ours, opt_theirs, ours, theirs = run_against_torch(ASGD, torch.optim.ASGD, kwargs)
    for a, b in zip(ours, theirs):
        for key in ("ax", "eta", "mu", "step"):
            assert_close(opt_ours.state[a][key], opt_theirs.state[b][key])


def test_float64_matches_torch():
    run_against_torch(ASGD, torch.optim.ASGD, OPTIONS[2], dtype=np.float64)


def test_resume_continues_exactly():
    check_resume(ASGD, torch.optim.ASGD, OPTIONS[2])
    load_torch_state(ASGD, torch.optim.ASGD, OPTIONS[3])


def test_per_group_options():
    groups = [([0], dict(lr=0.1, t0=2)), ([1, 2], dict(lambd=0.01, alpha=0.6))]
    run_against_torch(ASGD, torch.optim.ASGD, dict(), groups=groups)


def test_repr_matches_torch():
    ours = ASGD([lamina.zeros(2, requires_grad=True)], t0=10)
    theirs = torch.optim.ASGD([torch.zeros(2, requires_grad=True)], t0=10)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "learning rate"), (dict(weight_decay=-0.1), "weight_decay"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.ASGD([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        ASGD([lamina.zeros(1, requires_grad=True)], **kwargs)
