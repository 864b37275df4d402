"""lamina._ops.more_math and more_shape against torch: values, dtypes, gradients, gradcheck,
error types."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests._ops.optable import run_both

import lamina


def _x(shape, dtype=np.float32, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def _both(name, *args, **kwargs):
    return (lambda *t: getattr(lamina, name)(*t, *args, **kwargs),
            lambda *t: getattr(torch, name)(*t, *args, **kwargs))


def _methods(name, *args, **kwargs):
    method = lambda first, *rest: getattr(first, name)(*rest, *args, **kwargs)  # noqa: E731
    return method, method


def _listed(name, *args, **kwargs):
    """A function taking a list of tensors (dstack, column_stack...)."""
    return (lambda *t: getattr(lamina, name)(list(t), *args, **kwargs),
            lambda *t: getattr(torch, name)(list(t), *args, **kwargs))


# (id, fns, input shapes): differentiable in every floating input
CASES = [
    ("tensor_split-int", _both("tensor_split", 3), [(7, 2)]),
    ("tensor_split-int-dim", _methods("tensor_split", 4, dim=-1), [(2, 6)]),
    ("tensor_split-indices", _both("tensor_split", [1, 4, 9], 1), [(2, 6)]),
    ("tensor_split-backwards", _both("tensor_split", (3, 1)), [(5,)]),
    ("hsplit", _both("hsplit", 2), [(3, 4)]),
    ("hsplit-1d", _methods("hsplit", [1, 3]), [(5,)]),
    ("vsplit", _both("vsplit", [1]), [(3, 4)]),
    ("dsplit", _methods("dsplit", 2), [(2, 1, 4)]),
    ("dstack", _listed("dstack"), [(3,), (1, 3), (1, 3, 2)]),
    ("column_stack", _listed("column_stack"), [(3,), (3, 2)]),
    ("column_stack-0d", _listed("column_stack"), [(), ()]),
    ("column_stack-1d", _listed("column_stack"), [(4,), (4,)]),
    ("atleast_1d", _both("atleast_1d"), [()]),
    ("atleast_2d-many", _both("atleast_2d"), [(), (3,), (2, 2, 1)]),
    ("atleast_3d-many", _both("atleast_3d"), [(), (3,), (2, 3), (1, 2, 3, 1)]),
    ("atleast_3d-list", _listed("atleast_3d"), [(2,), (2, 3)]),
    ("ravel", _both("ravel"), [(2, 3, 2)]),
    ("ravel-method", _methods("ravel"), [(3, 1)]),
    ("rot90", _both("rot90"), [(2, 3)]),
    ("rot90-k2", _both("rot90", 2, [1, 2]), [(2, 3, 4)]),
    ("rot90-k3", _methods("rot90", 3, (-1, 0)), [(2, 3, 4)]),
    ("rot90-k-neg", _both("rot90", -1), [(3, 4)]),
    ("rot90-k0", _both("rot90", 4), [(3, 4)]),
    ("nan_to_num", _both("nan_to_num"), [(3, 4)]),
    ("nansum", _both("nansum"), [(3, 4)]),
    ("nansum-dim", _methods("nansum", 1, True), [(3, 4)]),
    ("nanmean", _both("nanmean"), [(3, 4)]),
    ("nanmean-dim", _methods("nanmean", dim=(0, 1)), [(3, 4, 2)]),
    ("logaddexp", _both("logaddexp"), [(3, 4), (4,)]),
    ("logaddexp-method", _methods("logaddexp"), [(2, 1), (1, 3)]),
    ("hypot", _both("hypot"), [(3, 4), (3, 4)]),
    ("hypot-method", _methods("hypot"), [(3, 1), (4,)]),
    ("cummax", _both("cummax", 1), [(3, 5)]),
    ("cummin-dim0", _methods("cummin", 0), [(4, 3)]),
    ("cummax-0d", _both("cummax", 0), [()]),
    ("logcumsumexp", _both("logcumsumexp", 1), [(3, 5)]),
    ("logcumsumexp-method", _methods("logcumsumexp", -2), [(4, 3, 2)]),
    ("logcumsumexp-0d", _both("logcumsumexp", 0), [()]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fns, input_shapes", [
    pytest.param(fns, shapes, id=name) for name, fns, shapes in CASES])
def test_matches_torch(fns, input_shapes, dtype):
    arrays = [_x(s, dtype, i) for i, s in enumerate(input_shapes)]
    ours = run_both(*fns, arrays)
    assert ours[0].dtype == (lamina.float32 if dtype == np.float32 else lamina.float64)


@pytest.mark.parametrize("fns, input_shapes", [
    pytest.param(fns, shapes, id=name) for name, fns, shapes in CASES])
def test_gradcheck(fns, input_shapes):
    inputs = [lamina.tensor(_x(s, np.float64, i), requires_grad=True)
              for i, s in enumerate(input_shapes)]

    def first(*t):
        out = fns[0](*t)
        return out[0] if isinstance(out, (tuple, list)) else out

    assert lamina.autograd.gradcheck(first, inputs)


def test_tensor_split_tensor_indices_and_errors():
    x = _x((6, 2))
    for cuts in (np.array(4), np.array([2, 3])):
        run_both(lambda t, c: lamina.tensor_split(t, c), lambda t, c: torch.tensor_split(t, c),
                 [x, cuts], grad=False)
    for call, error in ((lambda m: m.tensor_split(m.tensor(1.0), 2), RuntimeError),
                        (lambda m: m.tensor_split(m.ones(4), 0), RuntimeError),
                        (lambda m: m.hsplit(m.ones(2, 5), 2), RuntimeError),
                        (lambda m: m.vsplit(m.ones(5), 1), RuntimeError),
                        (lambda m: m.dsplit(m.ones(2, 2), 1), RuntimeError),
                        (lambda m: m.hsplit(m.tensor(1.0), 1), RuntimeError),
                        (lambda m: m.rot90(m.ones(3), 1), RuntimeError),
                        (lambda m: m.rot90(m.ones(3, 3), 1, [0, 0]), RuntimeError),
                        (lambda m: m.rot90(m.ones(3, 3), 1, [0, 1, 2]), RuntimeError),
                        (lambda m: m.dstack([]), RuntimeError)):
        with pytest.raises(error):
            call(torch)
        with pytest.raises(error):
            call(lamina)


def test_take_along_dim():
    x = _x((3, 4))
    order = np.argsort(x, axis=1)
    run_both(lambda t, i: lamina.take_along_dim(t, i, 1),
             lambda t, i: torch.take_along_dim(t, i, 1), [x, order])
    run_both(lambda t, i: t.take_along_dim(i), lambda t, i: t.take_along_dim(i),
             [x, np.array([[0, 5], [11, 2]])])
    run_both(lambda t, i: lamina.take_along_dim(t, i, dim=0),  # broadcast in the other dims
             lambda t, i: torch.take_along_dim(t, i, dim=0), [x, np.array([[2], [0]])])
    run_both(lambda t, i: lamina.take_along_dim(t, i, -1),
             lambda t, i: torch.take_along_dim(t, i, -1), [_x((1, 4)), np.array([[3], [1]])])
    inputs = [lamina.tensor(_x((3, 4), np.float64), requires_grad=True)]
    assert lamina.autograd.gradcheck(
        lambda t: lamina.take_along_dim(t, lamina.tensor(order), 1), inputs)
    for module in (torch, lamina):
        with pytest.raises(RuntimeError):
            module.take_along_dim(module.ones(3, 4), module.zeros(3, dtype=module.long), 1)
        with pytest.raises(RuntimeError):
            module.take_along_dim(module.ones(3, 4), module.zeros(3, 1), 1)


SPECIAL = np.array([[1.0, np.nan, -np.inf], [np.inf, -2.5, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_functions_at_nan_and_inf(dtype):
    x = SPECIAL.astype(dtype)
    run_both(*_both("nan_to_num"), [x])
    run_both(*_both("nan_to_num", 1.5, 100.0, -7.0), [x])
    run_both(*_methods("nan_to_num", posinf=3.0), [x])
    y = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, -2.0]], dtype)
    run_both(*_both("nansum"), [y])
    run_both(*_both("nansum", 0), [y])
    run_both(*_both("nanmean", 1), [y])
    run_both(*_both("nanmean", 0, keepdim=True), [y])
    run_both(lambda t: lamina.nansum(t, dtype=lamina.float64),
             lambda t: torch.nansum(t, dtype=torch.float64), [y])


def test_nan_functions_on_integers():
    ints = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    run_both(*_both("nan_to_num"), [ints], grad=False)
    run_both(*_both("nansum"), [ints], grad=False)
    run_both(*_both("nansum", 1), [ints], grad=False)
    for module in (torch, lamina):
        with pytest.raises(RuntimeError):
            module.nanmean(module.tensor([1, 2]))
        with pytest.raises(RuntimeError):
            module.nanmean(module.tensor([1, 2]), dtype=module.float32)


def test_logaddexp_hypot_extremes_and_integers():
    a = np.array([1000.0, -1000.0, -np.inf, np.inf, 3.0, 0.0], np.float32)
    b = np.array([1000.0, -1000.0, -np.inf, 1.0, -np.inf, 0.0], np.float32)
    run_both(*_both("logaddexp"), [a, b], grad=False)
    big = np.array([3e38, 1e-30, 0.0], np.float32)
    run_both(*_both("hypot"), [big, big[::-1].copy()], grad=False)
    ints = np.array([3, 5], np.int64)
    run_both(*_both("logaddexp"), [ints, np.array([1.0, 2.0], np.float32)], grad=False)
    for module in (torch, lamina):
        for name in ("logaddexp", "hypot"):
            with pytest.raises(NotImplementedError):
                getattr(module, name)(module.tensor(ints), module.tensor(ints))
    run_both(lambda t: lamina.hypot(t, 4.0), lambda t: torch.hypot(t, torch.tensor(4.0)),
             [np.array([3.0, 0.5], np.float32)])
    for module in (torch, lamina):
        with pytest.raises(RuntimeError):
            module.logaddexp(module.ones(2), module.ones(3))


def test_heaviside_and_signbit():
    x = np.array([-1.5, 0.0, 2.0, -0.0, np.nan], np.float32)
    run_both(lambda t: lamina.heaviside(t, lamina.tensor(np.float32(0.5))),
             lambda t: torch.heaviside(t, torch.tensor(np.float32(0.5))), [x], grad=False)
    values = np.array([9.0, 8, 7, 6, 5], np.float64)
    run_both(*_methods("heaviside"), [x.astype(np.float64), values], grad=False)
    run_both(*_both("heaviside"), [np.array([-2, 0, 3]), np.array([7])], grad=False)
    run_both(*_both("signbit"), [x], grad=False)
    run_both(*_methods("signbit"), [np.array([-1, 0, 2], np.int64)], grad=False)
    for module in (torch, lamina):
        with pytest.raises(RuntimeError):
            module.heaviside(module.ones(2), module.ones(2, dtype=module.float64))
    ours = lamina.heaviside(lamina.ones(2, requires_grad=True), lamina.ones(2))
    with pytest.raises(RuntimeError):
        ours.sum().backward()


def test_cummax_cummin_ties_nan_and_integers():
    x = np.array([[1.0, 3, 3, 2, 5, 5], [2, np.nan, 1, np.nan, 7, 0]], np.float32)
    for name in ("cummax", "cummin"):
        run_both(*_both(name, 1), [x[:1].copy()])
        run_both(*_both(name, 1), [x], grad=False)
        run_both(*_both(name, 0), [np.array([[2, 2], [1, 3], [2, 3]], np.int64)], grad=False)
        run_both(*_both(name, 1), [np.zeros((2, 0), np.float32)])
    ours = lamina.cummax(lamina.tensor([1.0, 2.0]), 0)
    assert ours.indices.dtype == lamina.int64 and type(ours).__name__ == "cummax"
    for module in (torch, lamina):
        with pytest.raises(IndexError):
            module.cummin(module.ones(3), 1)


def test_logcumsumexp_wide_range():
    x = np.array([[-1000.0, 0.0, 1000.0, -np.inf], [5.0, -np.inf, 5.0, 80.0]], np.float64)
    run_both(*_both("logcumsumexp", 1), [x])
    # float32: the values only (torch's float32 gradient here is ~2e-5 off the exact one,
    # which for x[0, 0] is the incoming gradient itself)
    run_both(*_both("logcumsumexp", 1), [x.astype(np.float32)], grad=False)
    for module in (torch, lamina):
        with pytest.raises(RuntimeError):
            module.logcumsumexp(module.tensor([1, 2]), 0)


def test_searchsorted_and_bucketize():
    sequence = np.array([1.0, 3.0, 3.0, 5.0, 9.0], np.float32)
    values = np.array([[0.0, 3.0, 6.0], [9.0, 10.0, 1.0]], np.float32)
    for kwargs in ({}, {"right": True}, {"side": "right"}, {"side": "left"},
                   {"out_int32": True}):
        run_both(*_both("searchsorted", **kwargs), [sequence, values], grad=False)
        plain = {key: value for key, value in kwargs.items() if key != "side"}
        run_both(*_both("bucketize", **plain), [values, sequence], grad=False)
    rows = np.array([[1.0, 2, 3], [0, 5, 6]], np.float64)
    run_both(*_both("searchsorted", right=True), [rows, np.array([[2.0, 2.5], [6, -1]])],
             grad=False)
    unsorted = np.array([5.0, 1.0, 3.0], np.float32)
    run_both(lambda s, v, o: lamina.searchsorted(s, v, sorter=o),
             lambda s, v, o: torch.searchsorted(s, v, sorter=o),
             [unsorted, np.array([2.0, 4.0, 6.0], np.float32), np.array([1, 2, 0])],
             grad=False)
    assert lamina.searchsorted(lamina.tensor(sequence), 4.0).item() == torch.searchsorted(
        torch.tensor(sequence), 4.0).item()
    assert lamina.bucketize(3.0, lamina.tensor(sequence)).item() == torch.bucketize(
        3.0, torch.tensor(sequence)).item()
    for call in (lambda m: m.searchsorted(m.ones(2, 3), m.ones(3, 1)),
                 lambda m: m.searchsorted(m.ones(3), m.ones(2), side="middle"),
                 lambda m: m.searchsorted(m.ones(3), m.ones(2), side="left", right=True),
                 lambda m: m.bucketize(m.ones(2), m.ones(2, 2))):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError):
            call(lamina)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc(dtype):
    x = _x((50,), dtype, 3)
    run_both(*_both("histc"), [x], grad=False)
    run_both(*_both("histc", 7), [x], grad=False)
    run_both(*_both("histc", 4, -1, 1), [x], grad=False)  # outside values are ignored
    run_both(*_methods("histc", bins=5, min=-2, max=2), [x], grad=False)
    run_both(*_both("histc", 3), [np.array([2.0, 2.0], dtype)], grad=False)  # min == max
    run_both(*_both("histc", 4, 0, 4), [np.array([0.0, 1, 2, 3, 4, 4], dtype)], grad=False)
    with pytest.raises(NotImplementedError):
        torch.histc(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError):
        lamina.histc(lamina.tensor([1, 2]))
