"""lamina._ops.more_products against torch: values, dtypes, gradients, gradcheck, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from tests._ops.optable import run_both

import lamina


def _x(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)


def _both(name, *args, **kwargs):
    return (lambda *t: getattr(lamina, name)(*t, *args, **kwargs),
            lambda *t: getattr(torch, name)(*t, *args, **kwargs))


def _methods(name, *args, **kwargs):
    method = lambda first, *rest: getattr(first, name)(*rest, *args, **kwargs)  # noqa: E731
    return method, method


CASES = [
    ("cross", _both("cross", dim=1), [(4, 3), (4, 3)]),
    ("cross-broadcast", _both("cross", dim=-1), [(2, 1, 3), (1, 4, 3)]),
    ("cross-method-dim0", _methods("cross", dim=0), [(3, 2), (3, 2)]),
    ("kron", _both("kron"), [(2, 3), (3, 2)]),
    ("kron-ranks", _methods("kron"), [(2,), (2, 1, 3)]),
    ("kron-0d", _both("kron"), [(), (2, 2)]),
    ("block_diag", _both("block_diag"), [(), (3,), (2, 2)]),
    ("block_diag-one", _both("block_diag"), [(2, 3)]),
    ("cartesian_prod", _both("cartesian_prod"), [(2,), (3,), (2,)]),
    ("cartesian_prod-one", _both("cartesian_prod"), [(3,)]),
    ("combinations", _both("combinations"), [(4,)]),
    ("combinations-r3", _both("combinations", 3), [(5,)]),
    ("combinations-replace", _both("combinations", 2, True), [(3,)]),
    ("combinations-too-few", _both("combinations", 3), [(2,)]),
    ("trapezoid", _both("trapezoid"), [(3, 5)]),
    ("trapezoid-dx", _both("trapezoid", dx=0.5, dim=0), [(4, 3)]),
    ("trapezoid-x", _both("trapezoid"), [(3, 5), (5,)]),
    ("trapezoid-x-full", _both("trapezoid", dim=0), [(4, 3), (4, 3)]),
    ("trapz", _both("trapz", dim=0), [(4, 3), (4,)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fns, input_shapes", [
    pytest.param(fns, shapes, id=name) for name, fns, shapes in CASES])
def test_matches_torch(fns, input_shapes, dtype):
    arrays = [_x(s, dtype, i) for i, s in enumerate(input_shapes)]
    ours = run_both(*fns, arrays)
    assert ours[0].dtype == (lamina.float32 if dtype == np.float32 else lamina.float64)


@pytest.mark.parametrize("fns, input_shapes", [
    pytest.param(fns, shapes, id=name) for name, fns, shapes in CASES
    if "too-few" not in name])  # an empty result has nothing to check
def test_gradcheck(fns, input_shapes):
    inputs = [lamina.tensor(_x(s, np.float64, i), requires_grad=True)
              for i, s in enumerate(input_shapes)]
    assert lamina.autograd.gradcheck(fns[0], inputs)


def test_integer_inputs_and_empty_cases():
    ints = np.array([1, 2, 3])
    run_both(*_both("combinations"), [ints], grad=False)
    run_both(*_both("combinations", 0), [ints], grad=False)
    run_both(*_both("cartesian_prod"), [ints, np.array([4, 5])], grad=False)
    run_both(*_both("kron"), [np.array([[1, 2]]), np.array([[3], [4]])], grad=False)
    run_both(*_both("block_diag"), [np.array(2), np.array([1, 2]), np.ones((2, 2))],
             grad=False)  # mixed dtypes promote
    run_both(lambda: lamina.block_diag(), lambda: torch.block_diag(), [], grad=False)
    run_both(*_both("trapezoid"), [np.zeros((2, 0), np.float32)], grad=False)
    run_both(*_both("cross", dim=0), [np.array([1, 0, 0]), np.array([0, 1, 0])], grad=False)


def test_cross_without_dim_warns_like_torch():
    a, b = _x((2, 3, 3)), _x((2, 3, 3), seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_both(*_both("cross"), [a, b])
    assert sum(issubclass(w.category, UserWarning) for w in caught) == 2  # torch's and ours


def test_errors_match_torch():
    for call, error in ((lambda m: m.cross(m.ones(4, 2), m.ones(4, 2), dim=1), RuntimeError),
                        (lambda m: m.cross(m.ones(2, 3), m.ones(4, 3), dim=1), RuntimeError),
                        (lambda m: m.cross(m.ones(2, 3), m.ones(3), dim=-1), RuntimeError),
                        (lambda m: m.block_diag(m.ones(1, 1, 1)), RuntimeError),
                        (lambda m: m.cartesian_prod(m.ones(2, 2)), RuntimeError),
                        (lambda m: m.combinations(m.ones(2, 2)), RuntimeError),
                        (lambda m: m.trapezoid(m.ones(3), m.ones(4)), RuntimeError),
                        (lambda m: m.poisson(m.tensor([-1.0])), RuntimeError)):
        with pytest.raises(error):
            call(torch)
        with pytest.raises(error):
            call(lamina)


@pytest.mark.parametrize("dtype", [lamina.float32, lamina.float64])
def test_poisson_draws(dtype):
    rates = lamina.tensor([[0.0, 0.5, 3.0, 20.0]], dtype=dtype).expand(20000, 4)
    draws = lamina.poisson(rates, generator=lamina.Generator().manual_seed(3))
    assert draws.dtype == dtype and draws.shape == rates.shape
    values = draws.numpy()
    assert (values == np.round(values)).all() and (values[:, 0] == 0).all()
    # mean and variance of Poisson(lambda) are lambda: 20000 draws put both within 5%
    np.testing.assert_allclose(values.mean(0)[1:], [0.5, 3.0, 20.0], rtol=0.05)
    np.testing.assert_allclose(values.var(0)[1:], [0.5, 3.0, 20.0], rtol=0.05)
    again = lamina.poisson(rates, generator=lamina.Generator().manual_seed(3))
    assert np.array_equal(again.numpy(), values)
