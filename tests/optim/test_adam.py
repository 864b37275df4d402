"""Adam and AdamW against torch: every option combination, resume, bad arguments."""

import numpy as np
import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import Adam, AdamW

ADAM = [
    dict(),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, betas=(0.4, 0.6), eps=1e-3),  # lerp weight >= 0.5 takes torch's other branch
    dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
]
ADAMW = [
    dict(),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, weight_decay=0.3),
    dict(lr=0.01, maximize=True, amsgrad=True, weight_decay=0.1),
]


@pytest.mark.parametrize("kwargs", ADAM, ids=str)
def test_adam_matches_torch(kwargs):
    run_against_torch(Adam, torch.optim.Adam, kwargs)


@pytest.mark.parametrize("kwargs", ADAMW, ids=str)
def test_adamw_matches_torch(kwargs):
    run_against_torch(AdamW, torch.optim.AdamW, kwargs)


@pytest.mark.parametrize("ours, theirs, kwargs", [
    (Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
])
def test_resume_continues_exactly(ours, theirs, kwargs):
    check_resume(ours, theirs, kwargs)
    load_torch_state(ours, theirs, kwargs)


def test_per_group_options():
    groups = [([0], dict(lr=0.05, amsgrad=True)), ([1, 2], dict(betas=(0.8, 0.99)))]
    run_against_torch(Adam, torch.optim.Adam, dict(lr=0.01), groups=groups)


def test_state_keeps_parameter_dtype():
    opt, _, ours, _ = run_against_torch(Adam, torch.optim.Adam, dict(amsgrad=True), steps=2)
    for p in ours:
        state = opt.state[p]
        assert p.dtype == lamina.float32
        assert state["step"].dtype == lamina.float32 and state["step"].item() == 2.0
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert state[key].numpy().dtype == np.float32


def test_float64_matches_torch():
    run_against_torch(Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True), dtype=np.float64)


@pytest.mark.parametrize("cls, torch_cls", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)])
@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "learning rate"),
    (dict(eps=-1.0), "epsilon"),
    (dict(betas=(1.0, 0.9)), "index 0"),
    (dict(betas=(0.9, -0.1)), "index 1"),
    (dict(weight_decay=-0.1), "weight_decay"),
])
def test_bad_arguments_raise_like_torch(cls, torch_cls, kwargs, match):
    with pytest.raises(ValueError):
        torch_cls([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        cls([lamina.zeros(1, requires_grad=True)], **kwargs)
