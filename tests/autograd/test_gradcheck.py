"""gradcheck itself: passes on right gradients, fails on a deliberately wrong backward."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from lamina.autograd.gradcheck import GradcheckError


def inputs(*shapes):
    rng = np.random.default_rng(0)
    return [lamina.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


class WrongSquare(lamina.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2 * x


def test_gradcheck_passes_on_a_composite_of_ops():
    a, b = inputs((3, 4), (4,))
    assert lamina.autograd.gradcheck(lambda x, y: ((x * y).tanh() @ y.exp()).sum(0), (a, b))


def test_gradcheck_fails_on_a_wrong_backward():
    (a,) = inputs((2, 3))
    with pytest.raises(GradcheckError, match=r"input 0 of shape \(2, 3\)"):
        lamina.autograd.gradcheck(WrongSquare.apply, (a,))
    assert lamina.autograd.gradcheck(WrongSquare.apply, (a,), raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_works_on_non_contiguous_inputs():
    (a,) = inputs((4, 3))
    transposed = a.detach().t().requires_grad_()
    assert lamina.autograd.gradcheck(lambda x: (x * x).sum(1), (transposed,))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="require gradient"):
        lamina.autograd.gradcheck(lambda x: x * 2, (lamina.ones(2, dtype=lamina.float64),))


def test_gradcheck_warns_on_float32_inputs():
    x = lamina.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        lamina.autograd.gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2)
