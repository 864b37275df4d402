"""Adamax against torch: betas, weight decay, maximize; resume."""

import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import Adamax

OPTIONS = [
    dict(),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, betas=(0.3, 0.8), eps=1e-3),
    dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05, maximize=True),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(Adamax, torch.optim.Adamax, kwargs)


def test_resume_continues_exactly():
    check_resume(Adamax, torch.optim.Adamax, OPTIONS[4])
    load_torch_state(Adamax, torch.optim.Adamax, OPTIONS[4])


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "learning rate"), (dict(eps=-1.0), "epsilon"),
    (dict(betas=(1.5, 0.9)), "index 0"), (dict(weight_decay=-1.0), "weight_decay"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.Adamax([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        Adamax([lamina.zeros(1, requires_grad=True)], **kwargs)
