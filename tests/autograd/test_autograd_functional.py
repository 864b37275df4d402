"""lamina.autograd.functional against torch.autograd.functional: same values, same nesting."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import lamina
import lamina.autograd.functional as LF

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal(3), RNG.standard_normal((2, 3))
V2, V3 = RNG.standard_normal(2), RNG.standard_normal(3)

CASES = {
    "jacobian": lambda lib, F, T: F.jacobian(lambda x: x.tanh() * x.sum(), T(A)),
    "jacobian of two inputs and outputs": lambda lib, F, T: F.jacobian(
        lambda x, w: (w @ x, x * 2), (T(A), T(B))),
    "jacobian of a scalar": lambda lib, F, T: F.jacobian(lambda x: (x ** 2).sum(), T(A)),
    "jacobian of a 0-d input": lambda lib, F, T: F.jacobian(lambda x: x * x * 3, T(2.0)),
    "jacobian of a constant": lambda lib, F, T: F.jacobian(
        lambda x: lib.ones(2, dtype=lib.float64), T(A)),
    "hessian": lambda lib, F, T: F.hessian(lambda x: (x.sin() * x ** 2).sum(), T(A)),
    "hessian with indexing": lambda lib, F, T: F.hessian(
        lambda x: (x ** 3).sum() * x[1] + x[0] * x[2], T(A)),
    "hessian of two inputs": lambda lib, F, T: F.hessian(
        lambda x, w: (w @ x).tanh().sum(), (T(A), T(B))),
    "vjp": lambda lib, F, T: F.vjp(lambda x, w: w @ x.exp(), (T(A), T(B)), T(V2)),
    "vjp of a scalar": lambda lib, F, T: F.vjp(lambda x: x.pow(3).mean(), T(A)),
    "jvp": lambda lib, F, T: F.jvp(lambda x: (x.sigmoid() * x[0], x.sum()), T(A), T(V3)),
    "hvp": lambda lib, F, T: F.hvp(lambda x: (x ** 3).sum() * x[1], T(A), T(V3)),
    "vhp": lambda lib, F, T: F.vhp(lambda x, w: (w @ x).pow(2).sum(), (T(A), T(B)),
                                   (T(V3), T(B))),
}


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [item for part in value for item in _flat(part)]
    return [value]


def _structure(value):
    if isinstance(value, (tuple, list)):
        return tuple(_structure(v) for v in value)
    return tuple(value.shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    theirs = CASES[name](torch, TF, lambda x: torch.tensor(x, dtype=torch.float64))
    ours = CASES[name](lamina, LF, lambda x: lamina.tensor(x, dtype=lamina.float64))
    assert _structure(ours) == _structure(theirs)
    for a, b in zip(_flat(ours), _flat(theirs)):
        assert not a.requires_grad
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_create_graph_results_can_be_differentiated():
    x = lamina.tensor([0.5, -1.0], dtype=lamina.float64, requires_grad=True)
    jac = LF.jacobian(lambda t: t ** 3, x, create_graph=True)
    assert jac.requires_grad
    (g,) = lamina.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * x.detach().numpy())


def test_strict_mode_and_bad_arguments_raise_like_torch():
    x = lamina.tensor(A)
    for F, T in ((TF, torch.tensor), (LF, lamina.tensor)):
        with pytest.raises(RuntimeError, match="does not require gradients"):
            F.jacobian(lambda t: t.detach() * 2, T(A), strict=True)
        with pytest.raises(RuntimeError, match="single element"):
            F.vjp(lambda t: t * 2, T(A))
        with pytest.raises(TypeError):
            F.jacobian(lambda t: t, [1.0, 2.0])
    np.testing.assert_array_equal(LF.jacobian(lambda t: t.detach() * 2, x).numpy(),
                                  np.zeros((3, 3)))
    assert lamina.autograd.functional is LF
