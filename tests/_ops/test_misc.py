"""lamina._ops.misc against torch: values, dtypes, gradients, gradcheck and error types."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests._ops.optable import DTYPES, run_both, seeds

import lamina


def _x(shape, dtype=np.float32, seed=0, low=None):
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, low + 2.0, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _both(name, *args, **kwargs):
    """(lamina fn, torch fn) calling `name` with extra arguments, as functions."""
    return (lambda *t: getattr(lamina, name)(*t, *args, **kwargs),
            lambda *t: getattr(torch, name)(*t, *args, **kwargs))


def _methods(name, *args, **kwargs):
    method = lambda first, *rest: getattr(first, name)(*rest, *args, **kwargs)  # noqa: E731
    return method, method


# (id, (lamina fn, torch fn), input arrays): each runs as an oracle test and, in float64,
# through gradcheck
CASES = [
    ("tril", _both("tril"), [(3, 4)]),
    ("tril-1", _both("tril", -1), [(2, 4, 3)]),
    ("triu", _both("triu"), [(4, 3)]),
    ("triu-method-2", _methods("triu", 2), [(2, 3, 5)]),
    ("tril-method", _methods("tril", diagonal=1), [(4, 4)]),
    ("roll-flat", _both("roll", 2), [(3, 4)]),
    ("roll-dims", _both("roll", (1, -2), (0, -1)), [(3, 4, 2)]),
    ("roll-method", _methods("roll", -1, 1), [(3, 4)]),
    ("cumprod", _both("cumprod", 1), [(3, 4)]),
    ("cumprod-neg", _methods("cumprod", -1), [(2, 3, 5)]),
    ("diag-vector", _both("diag"), [(4,)]),
    ("diag-vector-offset", _both("diag", -2), [(3,)]),
    ("diag-matrix", _both("diag", 1), [(3, 5)]),
    ("diag-method", _methods("diag", -1), [(4, 3)]),
    ("diagonal", _both("diagonal"), [(3, 4)]),
    ("diagonal-dims", _both("diagonal", 1, -1, 0), [(3, 2, 4)]),
    ("diagonal-method", _methods("diagonal", offset=-1, dim1=1, dim2=2), [(2, 4, 3)]),
    ("trace", _both("trace"), [(3, 4)]),
    ("trace-method", _methods("trace"), [(4, 4)]),
    ("outer", _both("outer"), [(3,), (4,)]),
    ("outer-method", _methods("outer"), [(2,), (5,)]),
    ("repeat_interleave-int", _both("repeat_interleave", 2), [(2, 3)]),
    ("repeat_interleave-dim", _both("repeat_interleave", 3, dim=1), [(2, 3)]),
    ("repeat_interleave-method", _methods("repeat_interleave", 2, 0), [(2, 3)]),
    ("erf", _both("erf"), [(3, 4)]),
    ("erf-method", _methods("erf"), [(5,)]),
    ("atan2", _both("atan2"), [(3, 4), (4,)]),
    ("arctan2-method", _methods("arctan2"), [(3, 1), (1, 4)]),
    ("lerp-scalar", _both("lerp", weight=0.3), [(3, 4), (3, 4)]),
    ("lerp-method", _methods("lerp", 0.75), [(3, 4), (4,)]),
    ("lerp-tensor", _both("lerp"), [(3, 4), (3, 4), (4,)]),
    ("addmm", _both("addmm"), [(3, 5), (3, 4), (4, 5)]),
    ("addmm-scaled", _both("addmm", beta=0.5, alpha=2.0), [(5,), (3, 4), (4, 5)]),
    ("addmm-method", _methods("addmm", alpha=-1), [(3, 1), (3, 4), (4, 5)]),
    ("baddbmm", _both("baddbmm", beta=2.0, alpha=0.5), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    ("baddbmm-method", _methods("baddbmm"), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    ("cdist", _both("cdist"), [(4, 3), (5, 3)]),
    ("cdist-p1", _both("cdist", p=1.0), [(2, 4, 3), (2, 5, 3)]),
    ("cdist-p3", _both("cdist", p=3.0), [(4, 3), (5, 3)]),
]

POSITIVE_CASES = [
    ("log2", _both("log2"), [(3, 4)]),
    ("log10-method", _methods("log10"), [(3, 4)]),
    ("log2-method", _methods("log2"), [(4,)]),
    ("exp2", _both("exp2"), [(3, 4)]),
    ("exp2-method", _methods("exp2"), [(3,)]),
    ("cumprod-positive", _both("cumprod", 0), [(5, 2)]),
]


def _case_params(cases, positive=False):
    return [pytest.param(fns, shapes, positive, id=name) for name, fns, shapes in cases]


ALL_CASES = _case_params(CASES) + _case_params(POSITIVE_CASES, positive=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fns, input_shapes, positive", ALL_CASES)
def test_matches_torch(fns, input_shapes, positive, dtype):
    arrays = [_x(s, dtype, i, low=0.5 if positive else None) for i, s in enumerate(input_shapes)]
    ours = run_both(*fns, arrays)
    assert ours[0].dtype == (lamina.float32 if dtype == np.float32 else lamina.float64)


@pytest.mark.parametrize("fns, input_shapes, positive", ALL_CASES)
def test_gradcheck(fns, input_shapes, positive):
    inputs = [lamina.tensor(_x(s, np.float64, i, low=0.5 if positive else None),
                            requires_grad=True) for i, s in enumerate(input_shapes)]
    assert lamina.autograd.gradcheck(fns[0], inputs)


def test_cumprod_with_zeros_matches_torch():
    x = np.array([[2.0, 0.0, 3.0, 0.0, 1.5], [0.0, 1.0, -2.0, 4.0, 0.5]], dtype=np.float64)
    run_both(*_both("cumprod", 1), [x])
    run_both(*_both("cumprod", 0), [x.T.copy().astype(np.float32)])
    t = lamina.tensor(x, requires_grad=True)
    assert lamina.autograd.gradcheck(lambda a: lamina.cumprod(a, 1), [t])


def test_integer_results_follow_torch_dtypes():
    ints = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    for name, args in [("cumprod", (1,)), ("trace", ()), ("tril", ()), ("roll", (1,)),
                       ("diagonal", ()), ("repeat_interleave", (2,)), ("log2", ()),
                       ("erf", ())]:
        run_both(*_both(name, *args), [ints], grad=False)
    run_both(*_both("cumprod", 0), [np.array([True, True, False])], grad=False)
    run_both(*_both("atan2"), [ints, ints], grad=False)


def test_repeat_interleave_tensor_repeats():
    x = _x((3, 2), np.float64)
    repeats = np.array([2, 0, 3])
    run_both(lambda t: lamina.repeat_interleave(t, lamina.tensor(repeats), dim=0),
             lambda t: torch.repeat_interleave(t, torch.tensor(repeats), dim=0), [x])
    run_both(lambda t: t.repeat_interleave(lamina.tensor([1, 2]), dim=1),
             lambda t: t.repeat_interleave(torch.tensor([1, 2]), dim=1), [x])
    run_both(lambda r: lamina.repeat_interleave(r), lambda r: torch.repeat_interleave(r),
             [repeats], grad=False)


@settings(max_examples=10)
@given(values=st.lists(st.floats(-6, 6, allow_nan=False), min_size=1, max_size=20),
       dtype=DTYPES)
def test_erf_accuracy(values, dtype):
    x = np.array(values + [0.0, 1e-6, -1e-3, 0.999, 1.0, 7.9, 8.5, 30.0], dtype=dtype)
    run_both(lamina.erf, torch.erf, [x])


def test_erf_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], dtype=np.float32)
    run_both(lamina.erf, torch.erf, [x], grad=False)


def test_addmm_beta_zero_ignores_nan_input():
    nan_input = np.full((3, 5), np.nan, dtype=np.float32)
    run_both(*_both("addmm", beta=0), [nan_input, _x((3, 4)), _x((4, 5), seed=1)])


# ---------------------------------------------------------------- einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),          # matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batch matmul
    ("ii->", [(4, 4)]),                       # trace
    ("ii", [(3, 3)]),                         # implicit output: trace
    ("ii->i", [(3, 3)]),                      # diagonal
    ("i,j->ij", [(3,), (4,)]),                # outer
    ("ij->ji", [(3, 4)]),                     # transpose
    ("ij->j", [(3, 4)]),                      # sum over an axis
    ("ij", [(3, 4)]),                         # implicit identity
    ("ji", [(3, 4)]),                         # implicit transpose
    ("ij,jk", [(3, 4), (4, 2)]),              # implicit matmul
    ("ij->", [(3, 4)]),                       # total sum
    ("i,i->", [(5,), (5,)]),                  # dot
    ("bi,bj,bk->bijk", [(2, 3), (2, 2), (2, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),  # ellipsis with broadcasting
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("...i->...", [(2, 3, 4)]),
    ("ij,kj->ik", [(1, 3), (4, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),          # a size-1 dim broadcasts
    ("ij,k->ijk", [(2, 3), (4,)]),
    ("i j , j k -> i k", [(3, 4), (4, 5)]),   # spaces
    ("ik,jk->", [(2, 3), (4, 3)]),            # a letter summed within one operand only
    ("ab,c->", [(2, 3), (4,)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("equation, input_shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_torch(equation, input_shapes, dtype):
    arrays = [_x(s, dtype, i) for i, s in enumerate(input_shapes)]
    ours = run_both(lambda *t: lamina.einsum(equation, *t),
                    lambda *t: torch.einsum(equation, *t), arrays)
    assert ours[0].dtype == lamina.tensor(arrays[0]).dtype


@pytest.mark.parametrize("equation, input_shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_gradcheck(equation, input_shapes):
    inputs = [lamina.tensor(_x(s, np.float64, i), requires_grad=True)
              for i, s in enumerate(input_shapes)]
    assert lamina.autograd.gradcheck(lambda *t: lamina.einsum(equation, *t), inputs)


def test_einsum_list_operands_and_partial_grad():
    a, b = _x((3, 4)), _x((4, 2), seed=1)
    run_both(lambda x, y: lamina.einsum("ij,jk->ik", [x, y]),
             lambda x, y: torch.einsum("ij,jk->ik", [x, y]), [a, b])
    x = lamina.tensor(a, requires_grad=True)
    lamina.einsum("ij,jk->ik", x, lamina.tensor(b)).sum().backward()
    expected = torch.tensor(a, requires_grad=True)
    torch.einsum("ij,jk->ik", expected, torch.tensor(b)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected.grad.numpy(), rtol=1e-5)


def test_einsum_errors_match_torch_types():
    for lib in (torch, lamina):
        a, b = lib.zeros(2, 3), lib.zeros(4, 5)
        with pytest.raises(RuntimeError):
            lib.einsum("ij,jk->ik", a, b)  # 3 != 4
        with pytest.raises(RuntimeError):
            lib.einsum("ij,jk->ik", a)  # too few operands
        with pytest.raises(RuntimeError):
            lib.einsum("ijk->i", a)  # too many subscripts
        with pytest.raises(RuntimeError):
            lib.einsum("ij,jk->ik", a, lib.zeros(3, 2, dtype=lib.float64))


# ---------------------------------------------------------------- errors
def test_bad_arguments_raise_torch_types():
    for lib in (torch, lamina):
        with pytest.raises(RuntimeError):
            lib.tril(lib.zeros(3))
        with pytest.raises(RuntimeError):
            lib.triu(lib.zeros(()))
        with pytest.raises(RuntimeError):
            lib.diag(lib.zeros(2, 2, 2))
        with pytest.raises(RuntimeError):
            lib.diagonal(lib.zeros(2, 2), 0, 1, 1)
        with pytest.raises(IndexError):
            lib.diagonal(lib.zeros(2, 2), 0, 0, 2)
        with pytest.raises(RuntimeError):
            lib.trace(lib.zeros(2, 2, 2))
        with pytest.raises(RuntimeError):
            lib.outer(lib.zeros(2, 2), lib.zeros(2))
        with pytest.raises(IndexError):
            lib.cumprod(lib.zeros(2, 2), 2)
        with pytest.raises(IndexError):
            lib.roll(lib.zeros(2, 2), 1, 2)
        with pytest.raises(RuntimeError):
            lib.roll(lib.zeros(2, 2), (1, 1), 0)
        with pytest.raises(RuntimeError):
            lib.repeat_interleave(lib.zeros(3), lib.tensor([1, 2]))
        with pytest.raises(RuntimeError):
            lib.addmm(lib.zeros(2, 2), lib.zeros(2, 3), lib.zeros(2, 2))
        with pytest.raises(RuntimeError):
            lib.baddbmm(lib.zeros(2, 2, 2), lib.zeros(2, 2, 3), lib.zeros(2, 2, 2))
        with pytest.raises(RuntimeError):
            lib.cdist(lib.zeros(2, 3), lib.zeros(2, 4))


@settings(max_examples=10)
@given(seed=seeds, rows=st.integers(1, 5), cols=st.integers(1, 5),
       diagonal=st.integers(-5, 5), dtype=DTYPES)
def test_triangles_and_diagonals_sweep(seed, rows, cols, diagonal, dtype):
    x = _x((2, rows, cols), dtype, seed % 1000)
    run_both(*_both("tril", diagonal), [x])
    run_both(*_both("triu", diagonal), [x])
    run_both(*_both("diagonal", diagonal, 1, 2), [x])
    run_both(*_both("roll", diagonal, 1), [x])


def test_constants():
    for name in ("inf", "nan", "pi", "e"):
        ours, theirs = getattr(lamina, name), getattr(torch, name)
        assert type(ours) is type(theirs) is float
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs))


def test_in_place_triangles_match_torch():
    x = _x((3, 4))
    ours, theirs = lamina.tensor(x), torch.tensor(x)
    assert ours.tril_(1) is ours and ours.triu_(-1) is ours
    theirs.tril_(1).triu_(-1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_grad_fn_names_match_torch():
    x = lamina.randn(3, 3, requires_grad=True)
    y = torch.randn(3, 3, requires_grad=True)
    for name, args in [("tril", ()), ("triu", (1,)), ("diagonal", ()), ("trace", ()),
                       ("roll", (1, 0)), ("cumprod", (0,)), ("erf", ()), ("log2", ()),
                       ("log10", ()), ("exp2", ()), ("atan2", (None,))]:
        ours = getattr(x, name)(*(x if a is None else a for a in args))
        theirs = getattr(y, name)(*(y if a is None else a for a in args))
        assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__, name
