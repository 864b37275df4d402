"""NAdam against torch: momentum decay, (decoupled) weight decay, maximize; resume."""

import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import NAdam

OPTIONS = [
    dict(),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, momentum_decay=0.05, betas=(0.6, 0.7)),
    dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.05, maximize=True, momentum_decay=0.01),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(NAdam, torch.optim.NAdam, kwargs)


def test_resume_continues_exactly():
    check_resume(NAdam, torch.optim.NAdam, OPTIONS[5])
    load_torch_state(NAdam, torch.optim.NAdam, OPTIONS[5])


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "learning rate"), (dict(eps=-1.0), "epsilon"),
    (dict(betas=(0.9, 1.0)), "index 1"), (dict(weight_decay=-1.0), "weight_decay"),
    (dict(momentum_decay=-1.0), "momentum_decay"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.NAdam([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        NAdam([lamina.zeros(1, requires_grad=True)], **kwargs)
