"""SGD against torch.optim.SGD: every option combination, resume, bad arguments."""

import numpy as np
import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import SGD

OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.5),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, maximize=True),
    dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01, maximize=True),
    dict(lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.2),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(SGD, torch.optim.SGD, kwargs)


@pytest.mark.parametrize("kwargs", [OPTIONS[1], OPTIONS[6]], ids=str)
def test_resume_continues_exactly(kwargs):
    check_resume(SGD, torch.optim.SGD, kwargs)
    load_torch_state(SGD, torch.optim.SGD, kwargs)


def test_float64_and_float32_dtypes_kept():
    for dtype in (np.float32, np.float64):
        opt, _, ours, _ = run_against_torch(SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9),
                                            steps=3, dtype=dtype)
        assert all(p.numpy(force=True).dtype == dtype for p in ours)
        assert all(s["momentum_buffer"].numpy().dtype == dtype for s in opt.state.values())


def test_per_group_options():
    groups = [([0], dict(lr=0.5, momentum=0.9)), ([1, 2], dict(nesterov=True))]
    run_against_torch(SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.5), groups=groups)


def test_no_momentum_keeps_no_state_like_torch():
    opt, theirs, _, _ = run_against_torch(SGD, torch.optim.SGD, dict(lr=0.1), steps=2)
    assert opt.state_dict()["state"] == theirs.state_dict()["state"] == {}


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "learning rate"),
    (dict(lr=0.1, momentum=-0.5), "momentum"),
    (dict(lr=0.1, weight_decay=-1), "weight_decay"),
    (dict(lr=0.1, nesterov=True), "Nesterov"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        SGD([lamina.zeros(1, requires_grad=True)], **kwargs)
