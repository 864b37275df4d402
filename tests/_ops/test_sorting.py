"""sort, argsort, msort, topk, kthvalue and unique against torch: values, indices, gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests._ops.optable import DTYPES, run_both, seeds, shapes

import lamina


def _distinct(shape, dtype, seed):
    """Values without ties, so every sort order is unique and both libraries must agree."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) * 0.37 - 1.5).astype(dtype)


@settings(max_examples=10)
@given(shape=shapes(min_dims=1, max_dims=3), dtype=DTYPES, seed=seeds, data=st.data(),
       descending=st.booleans(), method=st.booleans())
def test_sort_matches_torch(shape, dtype, seed, data, descending, method):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = _distinct(shape, dtype, seed)

    def fn(t, lib):
        return t.sort(dim=dim, descending=descending) if method else \
            lib.sort(t, dim, descending)

    ours = run_both(lambda t: fn(t, lamina), lambda t: fn(t, torch), [x])
    assert ours[1].dtype == lamina.int64 and not ours[1].requires_grad


def test_sort_returns_named_tuple():
    x = lamina.tensor([[3.0, 1.0, 2.0]])
    out = x.sort(dim=-1, descending=True)
    assert type(out).__name__ == type(torch.tensor([1.0]).sort()).__name__ == "sort"
    values, indices = out
    assert out.values is values and out.indices is indices
    assert values.tolist() == [[3.0, 2.0, 1.0]] and indices.tolist() == [[0, 2, 1]]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_stable_sort_with_ties_matches_torch(descending, dtype):
    x = np.array([[2, 1, 2, 0, 1, 2, 0, 1], [1, 1, 1, 0, 0, 0, 2, 2]]).astype(dtype)
    run_both(lambda t: lamina.sort(t, descending=descending, stable=True),
             lambda t: torch.sort(t, descending=descending, stable=True), [x], grad=False)
    run_both(lambda t: lamina.argsort(t, dim=0, descending=descending, stable=True),
             lambda t: torch.argsort(t, dim=0, descending=descending, stable=True), [x],
             grad=False)


def test_stable_sort_ties_gradient():
    x = np.array([1.0, 3.0, 1.0, 3.0, 2.0], dtype=np.float32)
    run_both(lambda t: lamina.sort(t, descending=True, stable=True),
             lambda t: torch.sort(t, descending=True, stable=True), [x])


def test_sort_nan_goes_last_like_torch():
    x = np.array([1.0, np.nan, -2.0, 0.5], dtype=np.float32)
    for descending in (False, True):
        ours = lamina.sort(lamina.tensor(x), descending=descending)
        theirs = torch.sort(torch.tensor(x), descending=descending)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()


def test_sort_0d_and_msort():
    run_both(lambda t: lamina.sort(t), lambda t: torch.sort(t), [np.array(2.5)])
    x = _distinct((4, 3), np.float32, 0)
    run_both(lamina.msort, torch.msort, [x])
    run_both(lambda t: t.msort(), lambda t: t.msort(), [x])
    run_both(lambda t: t.argsort(), lambda t: t.argsort(), [x], grad=False)


@settings(max_examples=10)
@given(shape=shapes(min_dims=1, max_dims=3), dtype=DTYPES, seed=seeds, data=st.data(),
       largest=st.booleans())
def test_topk_matches_torch(shape, dtype, seed, data, largest):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[dim]))
    x = _distinct(shape, dtype, seed)
    ours = run_both(lambda t: lamina.topk(t, k, dim, largest),
                    lambda t: torch.topk(t, k, dim, largest), [x])
    assert ours[1].dtype == lamina.int64


def test_topk_method_positional_and_named():
    x = _distinct((3, 6), np.float32, 1)
    run_both(lambda t: t.topk(5, 1, True, True), lambda t: t.topk(5, 1, True, True), [x])
    out = lamina.tensor(x).topk(2)
    assert type(out).__name__ == "topk" and out.values.shape == (3, 2)


def test_topk_k_out_of_range_raises_like_torch():
    x = torch.zeros(2, 3)
    with pytest.raises(RuntimeError):
        torch.topk(x, 4)
    with pytest.raises(RuntimeError, match="out of range"):
        lamina.topk(lamina.zeros(2, 3), 4)
    with pytest.raises(IndexError):
        lamina.topk(lamina.zeros(2, 3), 1, dim=2)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, -1])
def test_kthvalue_matches_torch(keepdim, dim):
    x = _distinct((4, 5), np.float64, 2)
    for k in (1, 3, 4):
        run_both(lambda t, k=k: lamina.kthvalue(t, k, dim, keepdim),
                 lambda t, k=k: torch.kthvalue(t, k, dim, keepdim), [x])
    run_both(lambda t: t.kthvalue(2), lambda t: t.kthvalue(2), [x.astype(np.float32)])
    with pytest.raises(IndexError):
        lamina.kthvalue(lamina.tensor(x), 6, dim)


def test_sort_topk_kthvalue_gradcheck():
    x = lamina.tensor(_distinct((3, 4), np.float64, 3), requires_grad=True)
    gradcheck = lamina.autograd.gradcheck
    assert gradcheck(lambda t: t.sort(dim=0, descending=True).values, [x])
    assert gradcheck(lambda t: t.topk(2, dim=1).values, [x])
    assert gradcheck(lambda t: t.kthvalue(2, dim=1).values, [x])
    assert gradcheck(lambda t: lamina.msort(t), [x])


def test_float32_stays_float32():
    x = lamina.tensor(_distinct((3, 4), np.float32, 4), requires_grad=True)
    for out in (x.sort().values, x.topk(2).values, x.kthvalue(1).values, lamina.msort(x)):
        assert out.dtype == lamina.float32
        out.sum().backward()
        assert x.grad.dtype == lamina.float32


UNIQUE_INPUTS = [
    np.array([3, 1, 2, 3, 1, 5, 0, 0]),
    np.array([[2.5, -1.0, 2.5], [0.0, -1.0, 7.0]], dtype=np.float32),
    np.array([True, False, True]),
    np.array(4.0),
    np.array([1.0, np.nan, 2.0, np.nan, 1.0]),  # each NaN is its own value, as in torch
]


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)),
                         ids=lambda f: "sorted={}-inverse={}-counts={}".format(*f))
@pytest.mark.parametrize("index", range(len(UNIQUE_INPUTS)))
def test_unique_matches_torch(flags, index):
    sort_flag, inverse, counts = flags
    x = UNIQUE_INPUTS[index]
    kwargs = dict(sorted=sort_flag, return_inverse=inverse, return_counts=counts)
    run_both(lambda t: lamina.unique(t, **kwargs), lambda t: torch.unique(t, **kwargs), [x],
             grad=False)
    run_both(lambda t: t.unique(**kwargs), lambda t: t.unique(**kwargs), [x], grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_dim_matches_torch(dim):
    x = np.array([[1, 2, 1, 2], [3, 4, 3, 0], [1, 2, 1, 2]], dtype=np.int64)
    for inverse, counts in itertools.product([False, True], repeat=2):
        kwargs = dict(return_inverse=inverse, return_counts=counts, dim=dim)
        run_both(lambda t, k=kwargs: lamina.unique(t, **k),
                 lambda t, k=kwargs: torch.unique(t, **k), [x], grad=False)


def test_unique_dtypes():
    values, inverse, counts = lamina.unique(lamina.tensor([2, 2, 1], dtype=lamina.int32),
                                            return_inverse=True, return_counts=True)
    assert values.dtype == lamina.int32
    assert inverse.dtype == counts.dtype == lamina.int64


def test_bad_arguments_raise_torch_types():
    for lib in (torch, lamina):
        with pytest.raises(IndexError):
            lib.sort(lib.zeros(2, 3), dim=2)
        with pytest.raises(IndexError):
            lib.argsort(lib.zeros(2, 3), dim=-3)
        with pytest.raises(TypeError):
            lib.sort([3, 1, 2])


def test_grad_fn_names_match_torch():
    x = lamina.randn(3, 4, requires_grad=True)
    y = torch.randn(3, 4, requires_grad=True)
    for ours, theirs in [(x.sort().values, y.sort().values),
                         (x.topk(2).values, y.topk(2).values),
                         (x.kthvalue(2).values, y.kthvalue(2).values),
                         (lamina.msort(x), torch.msort(y))]:
        assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
