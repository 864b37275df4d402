"""lamina.linalg (the public torch.linalg twin) against torch: values, gradients, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tests._ops.optable import run_both

import lamina


def _x(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _well_conditioned(shape, dtype=np.float32, seed=0):
    """Random square matrices plus a multiple of the identity, so inverses are tame."""
    return (_x(shape, dtype, seed) + 3 * np.eye(shape[-1], dtype=dtype)).astype(dtype)


def _both(name, *args, **kwargs):
    return (lambda *t: getattr(lamina.linalg, name)(*t, *args, **kwargs),
            lambda *t: getattr(torch.linalg, name)(*t, *args, **kwargs))


CASES = [
    ("norm", _both("norm"), [_x((3, 4))]),
    ("norm-dim", _both("norm", dim=1), [_x((3, 4))]),
    ("norm-ord1-dim", _both("norm", 1, -1, True), [_x((2, 3, 4))]),
    ("norm-vector-inf", _both("norm", math.inf), [_x((5,))]),
    ("norm-matrix-ord1", _both("norm", 1), [_x((3, 4))]),
    ("norm-matrix-dims", _both("norm", "fro", (0, 2)), [_x((3, 2, 4))]),
    ("vector_norm", _both("vector_norm"), [_x((3, 4))]),
    ("vector_norm-ord3", _both("vector_norm", 3, dim=(0, 1), keepdim=True), [_x((3, 4, 2))]),
    ("vector_norm-ord0.5", _both("vector_norm", 0.5, 0), [_x((3, 4)) + 5]),
    ("matrix_norm", _both("matrix_norm"), [_x((2, 3, 4))]),
    ("matrix_norm-nuc", _both("matrix_norm", "nuc"), [_x((3, 4))]),
    ("matrix_norm-2", _both("matrix_norm", 2, keepdim=True), [_x((2, 3, 4))]),
    ("matrix_norm--2", _both("matrix_norm", -2), [_x((4, 3))]),
    ("matrix_norm-inf", _both("matrix_norm", math.inf, dim=(0, 1)), [_x((3, 4, 2))]),
    ("matrix_norm--1-keepdim", _both("matrix_norm", -1, keepdim=True), [_x((2, 3, 4))]),
    ("inv", _both("inv"), [_well_conditioned((3, 3))]),
    ("inv-batch", _both("inv"), [_well_conditioned((2, 4, 4))]),
    ("det", _both("det"), [_well_conditioned((3, 3))]),
    ("det-batch", _both("det"), [_well_conditioned((2, 3, 3))]),
    ("solve", _both("solve"), [_well_conditioned((3, 3)), _x((3, 2))]),
    ("solve-vector", _both("solve"), [_well_conditioned((3, 3)), _x((3,))]),
    ("solve-batch-broadcast", _both("solve"), [_well_conditioned((2, 3, 3)), _x((3, 4))]),
    ("solve-right", _both("solve", left=False), [_well_conditioned((3, 3)), _x((2, 3))]),
    ("svdvals", _both("svdvals"), [_x((3, 5))]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fns, arrays", [pytest.param(f, a, id=n) for n, f, a in CASES])
def test_matches_torch(fns, arrays, dtype):
    ours = run_both(*fns, [a.astype(dtype) for a in arrays], rtol=1e-4)
    assert ours[0].dtype == (lamina.float32 if dtype == np.float32 else lamina.float64)


@pytest.mark.parametrize("fns, arrays", [pytest.param(f, a, id=n) for n, f, a in CASES])
def test_gradcheck(fns, arrays):
    inputs = [lamina.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert lamina.autograd.gradcheck(fns[0], inputs)


def test_public_module_is_not_the_private_one():
    assert lamina.linalg.__name__ == "lamina.linalg"
    assert lamina.linalg.matmul is lamina.matmul
    import lamina.linalg as public

    assert public is lamina.linalg


def test_svd_reconstructs_and_refuses_gradients():
    a = _x((4, 3), np.float64)
    u, s, vh = lamina.linalg.svd(lamina.tensor(a), full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(s.numpy(), torch.linalg.svdvals(torch.tensor(a)).numpy())
    assert tuple(lamina.linalg.svd(lamina.tensor(a)).U.shape) == (4, 4)
    t = lamina.tensor(a, requires_grad=True)
    with pytest.raises(NotImplementedError, match="svdvals"):
        lamina.linalg.svd(t).S.sum().backward()


def test_errors_have_torch_types():
    singular = np.ones((2, 2), np.float32)
    for name, args in [("inv", [singular]), ("solve", [singular, np.ones(2, np.float32)])]:
        with pytest.raises(RuntimeError):
            getattr(torch.linalg, name)(*[torch.tensor(a) for a in args])
        with pytest.raises(RuntimeError):
            getattr(lamina.linalg, name)(*[lamina.tensor(a) for a in args])
    assert issubclass(lamina.linalg.LinAlgError, RuntimeError)
    for name in ("inv", "det"):
        for bad in (np.ones((2, 3), np.float32), np.ones(3, np.float32)):
            with pytest.raises(RuntimeError):
                getattr(torch.linalg, name)(torch.tensor(bad))
            with pytest.raises(RuntimeError):
                getattr(lamina.linalg, name)(lamina.tensor(bad))
    with pytest.raises(RuntimeError):
        torch.linalg.norm(torch.ones(2, 2, 2), 2)
    with pytest.raises(RuntimeError):
        lamina.linalg.norm(lamina.ones(2, 2, 2), 2)


def test_det_of_singular_matrix_is_zero():
    run_both(*_both("det"), [np.ones((3, 3), np.float64)], grad=False)
