"""Rprop against torch: etas, step-size bounds, sign flips, resume, bad arguments."""

import numpy as np
import pytest
import torch
from tests.optim.oracle import check_resume, load_torch_state, run_against_torch

import lamina
from lamina.optim import Rprop

OPTIONS = [
    dict(),
    dict(lr=0.1, etas=(0.3, 1.5)),
    dict(lr=0.01, step_sizes=(5e-3, 2e-2)),  # both clamps are hit within 20 steps
    dict(lr=0.01, maximize=True),
    dict(lr=0.05, etas=(0.7, 1.1), step_sizes=(1e-3, 1.0), maximize=True),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_matches_torch(kwargs):
    run_against_torch(Rprop, torch.optim.Rprop, kwargs)


def test_float64_matches_torch():
    run_against_torch(Rprop, torch.optim.Rprop, OPTIONS[1], dtype=np.float64)


def test_resume_continues_exactly():
    check_resume(Rprop, torch.optim.Rprop, OPTIONS[1])
    load_torch_state(Rprop, torch.optim.Rprop, OPTIONS[2])


def test_per_group_options():
    groups = [([0], dict(lr=0.1, etas=(0.2, 1.3))), ([1, 2], dict(step_sizes=(1e-4, 0.05)))]
    run_against_torch(Rprop, torch.optim.Rprop, dict(), groups=groups)


def test_zero_gradient_keeps_the_step_size():
    ours = lamina.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([1.0, 2.0], requires_grad=True)
    opt_ours, opt_theirs = Rprop([ours]), torch.optim.Rprop([theirs])
    for grad in ([1.0, 0.0], [0.0, -1.0], [-1.0, -1.0]):
        ours.grad, theirs.grad = lamina.tensor(grad), torch.tensor(grad)
        opt_ours.step()
        opt_theirs.step()
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        np.testing.assert_array_equal(opt_ours.state[ours]["step_size"].numpy(),
                                      opt_theirs.state[theirs]["step_size"].numpy())


def test_repr_matches_torch():
    ours = Rprop([lamina.zeros(2, requires_grad=True)], etas=(0.4, 1.3))
    theirs = torch.optim.Rprop([torch.zeros(2, requires_grad=True)], etas=(0.4, 1.3))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), "learning rate"), (dict(etas=(1.0, 1.2)), "eta"),
    (dict(etas=(0.5, 1.0)), "eta"), (dict(etas=(0.0, 1.2)), "eta"),
])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        torch.optim.Rprop([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        Rprop([lamina.zeros(1, requires_grad=True)], **kwargs)
