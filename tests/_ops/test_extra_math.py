"""lamina._ops.extra_math against torch: values, dtypes, gradients, gradcheck, error types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from tests._ops.optable import run_both

import lamina


def _x(shape, dtype=np.float32, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def _both(name, *args, **kwargs):
    return (lambda *t: getattr(lamina, name)(*t, *args, **kwargs),
            lambda *t: getattr(torch, name)(*t, *args, **kwargs))


def _methods(name, *args, **kwargs):
    method = lambda first, *rest: getattr(first, name)(*rest, *args, **kwargs)  # noqa: E731
    return method, method


# (id, fns, input shapes, (low, high) of the inputs: inside each function's domain)
CASES = [
    ("sinh", _both("sinh"), [(3, 4)], (-2, 2)),
    ("cosh-method", _methods("cosh"), [(3, 4)], (-2, 2)),
    ("tan", _both("tan"), [(3, 4)], (-1.2, 1.2)),
    ("asin", _both("asin"), [(5,)], (-0.9, 0.9)),
    ("arcsin-method", _methods("arcsin"), [(2, 3)], (-0.9, 0.9)),
    ("acos", _both("acos"), [(5,)], (-0.9, 0.9)),
    ("atan", _both("atan"), [(3, 4)], (-3, 3)),
    ("arctan", _both("arctan"), [(4,)], (-3, 3)),
    ("asinh", _both("asinh"), [(3, 4)], (-3, 3)),
    ("acosh", _both("acosh"), [(3, 4)], (1.2, 4)),
    ("atanh-method", _methods("atanh"), [(3, 4)], (-0.9, 0.9)),
    ("expm1", _both("expm1"), [(3, 4)], (-2, 2)),
    ("addcmul", _both("addcmul", value=0.5), [(3, 4), (3, 4), (4,)], (-2, 2)),
    ("addcdiv", _both("addcdiv", value=-2), [(3, 4), (3, 1), (4,)], (0.5, 2)),
    ("dist", _both("dist"), [(3, 4), (4,)], (-2, 2)),
    ("dist-p1-method", _methods("dist", p=1), [(3, 4), (3, 4)], (-2, 2)),
    ("dist-p3", _both("dist", 3), [(2, 3), (2, 3)], (-2, 2)),
    ("median-all", _both("median"), [(3, 5)], (-2, 2)),
    ("median-dim", _both("median", 1), [(3, 4)], (-2, 2)),
    ("median-keepdim", _methods("median", 0, True), [(4, 3)], (-2, 2)),
    ("mode", _both("mode", 1), [(3, 5)], (-2, 2)),
    ("quantile", _both("quantile", 0.3), [(3, 5)], (-2, 2)),
    ("quantile-dim", _methods("quantile", 0.75, dim=1, keepdim=True), [(3, 5)], (-2, 2)),
    ("tile", _both("tile", (2, 1, 3)), [(2, 3)], (-2, 2)),
    ("tile-method", _methods("tile", 2, 2), [(3,)], (-2, 2)),
    ("diff", _both("diff"), [(3, 5)], (-2, 2)),
    ("diff-n2-dim0", _both("diff", n=2, dim=0), [(4, 3)], (-2, 2)),
    ("diff-method", _methods("diff", dim=-1), [(4,)], (-2, 2)),
    ("unfold", _methods("unfold", 1, 2, 2), [(2, 5)], (-2, 2)),
    ("unfold-overlap", _methods("unfold", -1, 3, 1), [(2, 3, 5)], (-2, 2)),
    ("unfold-dim0", _methods("unfold", 0, 2, 3), [(7, 2)], (-2, 2)),
    ("unfold-0d", _methods("unfold", 0, 1, 1), [()], (-2, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fns, input_shapes, bounds", [
    pytest.param(fns, shapes, bounds, id=name) for name, fns, shapes, bounds in CASES])
def test_matches_torch(fns, input_shapes, bounds, dtype):
    arrays = [_x(s, dtype, i, *bounds) for i, s in enumerate(input_shapes)]
    ours = run_both(*fns, arrays)
    assert ours[0].dtype == (lamina.float32 if dtype == np.float32 else lamina.float64)


@pytest.mark.parametrize("fns, input_shapes, bounds", [
    pytest.param(fns, shapes, bounds, id=name) for name, fns, shapes, bounds in CASES
    if not name.startswith("mode")])  # mode's value jumps where two values meet
def test_gradcheck(fns, input_shapes, bounds):
    inputs = [lamina.tensor(_x(s, np.float64, i, *bounds), requires_grad=True)
              for i, s in enumerate(input_shapes)]
    assert lamina.autograd.gradcheck(lambda *t: _first(fns[0](*t)), inputs)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def test_integer_inputs_give_float32():
    ints = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64)
    for name in ("sinh", "atan", "expm1", "asinh"):
        run_both(*_both(name), [ints], grad=False)


def test_out_of_domain_is_nan_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_both(*_both("asin"), [np.array([2.0, -3.0], np.float32)], grad=False)
        run_both(*_both("atanh"), [np.array([1.0, -1.0, 2.0], np.float32)], grad=False)


def test_median_ties_nan_and_lower_middle():
    rows = np.array([[1.0, 4, 2, 3], [5, 5, 1, 1], [2, np.nan, 1, 0]], np.float32)
    run_both(*_both("median", 1), [rows], grad=False)
    run_both(*_both("median"), [rows[:2]], grad=False)
    run_both(*_both("median"), [rows], grad=False)
    assert repr(lamina.median(lamina.tensor(rows[:2]), 1)).startswith(
        "lamina.return_types.median(")


def test_mode_picks_smallest_value_and_last_index():
    x = np.array([[1.0, 2, 2, 3, 3, 1], [3, 1, 3, 1, 0, 0]], np.float32)
    run_both(*_both("mode", 1), [x], grad=False)
    run_both(*_both("mode", 0, True), [x], grad=False)


def test_quantile_tensor_q_and_interpolations():
    x = _x((3, 5), np.float64, 3, -2, 2)
    q = np.array([0.0, 0.3, 0.5, 1.0])
    run_both(lambda t: lamina.quantile(t, lamina.tensor(q), dim=1),
             lambda t: torch.quantile(t, torch.tensor(q), dim=1), [x])
    run_both(lambda t: lamina.quantile(t, lamina.tensor(q)),
             lambda t: torch.quantile(t, torch.tensor(q)), [x])
    for interpolation in ("lower", "higher", "midpoint", "nearest"):
        run_both(*_both("quantile", 0.4, 0, interpolation=interpolation), [x])
    with pytest.raises(RuntimeError):
        lamina.quantile(lamina.tensor(x), 1.5)
    with pytest.raises(RuntimeError):
        lamina.quantile(lamina.tensor([1, 2]), 0.5)


def test_bincount():
    labels = np.array([0, 2, 2, 1, 2])
    run_both(*_both("bincount"), [labels], grad=False)
    run_both(*_both("bincount", minlength=6), [labels], grad=False)
    run_both(*_methods("bincount"), [np.zeros(0, np.int64)], grad=False)
    for weights in (np.ones(5, np.float32), np.arange(5.0)):
        run_both(lambda t, w: lamina.bincount(t, w), lambda t, w: torch.bincount(t, w),
                 [labels, weights], grad=False)
    for bad, error in ((np.array([-1]), RuntimeError), (np.array([[1]]), RuntimeError),
                       (np.array([1.0]), NotImplementedError)):
        with pytest.raises(error):
            torch.bincount(torch.tensor(bad))
        with pytest.raises(error):
            lamina.bincount(lamina.tensor(bad))


def test_isin():
    labels = np.array([[0, 2], [2, 1]])
    run_both(lambda t: lamina.isin(t, lamina.tensor([2, 5])),
             lambda t: torch.isin(t, torch.tensor([2, 5])), [labels], grad=False)
    run_both(lambda t: lamina.isin(t, 2, invert=True),
             lambda t: torch.isin(t, 2, invert=True), [labels], grad=False)
    assert bool(lamina.isin(2, lamina.tensor([1, 2]))) is True


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    arrays = [_x((2,), np.float64, 0), _x((3,), np.float64, 1), _x((4,), np.float64, 2)]
    run_both(lambda *t: lamina.meshgrid(*t, indexing=indexing),
             lambda *t: torch.meshgrid(*t, indexing=indexing), arrays)
    run_both(lambda *t: lamina.meshgrid(list(t), indexing=indexing),
             lambda *t: torch.meshgrid(list(t), indexing=indexing), arrays[:2])


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="indexing"):
        xs, ys = lamina.meshgrid(lamina.arange(2), lamina.arange(3))
    assert tuple(xs.shape) == (2, 3)


def test_diff_prepend_append_and_bool():
    run_both(lambda t: lamina.diff(t, prepend=lamina.tensor([0.5]), append=lamina.tensor([1.0])),
             lambda t: torch.diff(t, prepend=torch.tensor([0.5]), append=torch.tensor([1.0])),
             [_x((4,), np.float64)])
    run_both(*_both("diff"), [np.array([True, False, False, True])], grad=False)
    run_both(*_both("diff", n=5), [np.arange(3)], grad=False)


def test_byte_char_short_nbytes_itemsize():
    values = np.array([0.2, 200.7, -3.5], np.float32)
    for name in ("byte", "char", "short"):
        ours, theirs = getattr(lamina.tensor(values[:2]), name)(), getattr(
            torch.tensor(values[:2]), name)()
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for dtype in (np.float32, np.float64, np.int64, np.uint8, np.bool_):
        array = np.zeros((2, 3), dtype)
        assert lamina.tensor(array).nbytes == torch.tensor(array).nbytes
        assert lamina.tensor(array).itemsize == torch.tensor(array).itemsize


@pytest.mark.parametrize("shape", [(3, 3), (5, 2), (7, 3), (2, 5), (3, 3, 3)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_(shape, wrap):
    def fill(library):
        def run(t):
            out = t * 2  # a non-leaf, so the in-place write is recorded for autograd
            return out.fill_diagonal_(-1.5, wrap=wrap)
        return run

    run_both(fill(lamina), fill(torch), [_x(shape, np.float64)])
    for bad in ((3,), (2, 3, 3)):
        with pytest.raises(RuntimeError):
            torch.zeros(bad).fill_diagonal_(1)
        with pytest.raises(RuntimeError):
            lamina.zeros(bad).fill_diagonal_(1)


@pytest.mark.parametrize("name", ["log_", "log1p_", "sin_", "cos_", "reciprocal_", "square_",
                                  "floor_", "ceil_", "trunc_", "round_"])
def test_inplace_unary_methods(name):
    def run(t):
        out = t * 1.5  # a non-leaf: in-place on it is recorded for autograd
        returned = getattr(out, name)()
        assert returned is out
        return out

    run_both(run, run, [_x((3, 4), np.float64, 0, 0.2, 3.0)])
    with pytest.raises(RuntimeError):
        getattr(torch.ones(2, dtype=torch.int64), name)() if name in ("log_", "sin_") else (
            torch.ones(2, requires_grad=True).log_())
    with pytest.raises(RuntimeError):
        getattr(lamina.ones(2, dtype=lamina.int64), name)() if name in ("log_", "sin_") else (
            lamina.ones(2, requires_grad=True).log_())


def test_unfold_errors_and_empty_windows():
    for args in ((1, 6, 1), (1, 2, 0)):
        with pytest.raises(RuntimeError):
            torch.ones(2, 5).unfold(*args)
        with pytest.raises(RuntimeError):
            lamina.ones(2, 5).unfold(*args)
    assert tuple(lamina.ones(2, 5).unfold(1, 0, 1).shape) == tuple(
        torch.ones(2, 5).unfold(1, 0, 1).shape)


@pytest.mark.parametrize("call", [lambda t: t.t_(), lambda t: t.unsqueeze_(0),
                                  lambda t: t.unsqueeze_(-1), lambda t: t.transpose_(0, 1),
                                  lambda t: t.unsqueeze_(1).squeeze_(1), lambda t: t.squeeze_()],
                         ids=["t_", "unsqueeze_0", "unsqueeze_-1", "transpose_", "squeeze_dim",
                              "squeeze_"])
def test_shape_changing_inplace_methods(call):
    def run(t):
        out = t * 2  # a non-leaf: the in-place change is recorded for autograd
        returned = call(out)
        assert returned is out
        return out * out  # a later op sees the new shape, and its gradient flows back

    run_both(run, run, [_x((3, 1), np.float64)])
    for library in (torch, lamina):
        plain = library.ones(2, 3)
        plain.unsqueeze_(0)
        assert tuple(plain.shape) == (1, 2, 3)
        with pytest.raises(RuntimeError):
            library.ones(2, requires_grad=True).unsqueeze_(0)
