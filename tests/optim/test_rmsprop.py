"""RMSprop against torch: plain, centered, momentum, weight decay, maximize; resume."""

import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import RMSprop

OPTIONS = [
    dict(),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, centered=True, momentum=0.9),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, alpha=0.3, centered=True),  # 1 - alpha >= 0.5: torch's other lerp branch
    dict(lr=0.01, alpha=0.9, eps=1e-4, centered=True, momentum=0.5, weight_decay=0.05,
         maximize=True),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(RMSprop, torch.optim.RMSprop, kwargs)


def test_resume_continues_exactly():
    check_resume(RMSprop, torch.optim.RMSprop, OPTIONS[3])
    load_torch_state(RMSprop, torch.optim.RMSprop, OPTIONS[3])


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "learning rate"), (dict(eps=-1.0), "epsilon"),
    (dict(momentum=-1.0), "momentum"), (dict(weight_decay=-1.0), "weight_decay"),
    (dict(alpha=-1.0), "alpha"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.RMSprop([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        RMSprop([lamina.zeros(1, requires_grad=True)], **kwargs)
