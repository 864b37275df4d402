"""Shape ops (shape.py, join.py) against torch: values, gradients, views, joins, splits, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests._ops.optable import DTYPES, run_both, seeds, shapes

import lamina


def _x(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# one call per line: (id, function applied to a (2, 3, 4) tensor in both libraries)
SHAPE_CALLS = [
    ("reshape", lambda t: t.reshape(4, 6)),
    ("reshape-tuple", lambda t: t.reshape((6, -1))),
    ("reshape-fn", lambda t, lib=None: t.reshape([-1])),
    ("view", lambda t: t.view(3, 8)),
    ("view-infer", lambda t: t.view(-1, 4)),
    ("view_as", lambda t: t.view_as(t.reshape(6, 4))),
    ("flatten", lambda t: t.flatten()),
    ("flatten-1", lambda t: t.flatten(1)),
    ("flatten-0-1", lambda t: t.flatten(0, -2)),
    ("unflatten", lambda t: t.unflatten(2, (2, 2))),
    ("unflatten-infer", lambda t: t.unflatten(-1, (-1, 2))),
    ("squeeze", lambda t: t.reshape(2, 1, 3, 1, 4).squeeze()),
    ("squeeze-dim", lambda t: t.reshape(2, 1, 3, 1, 4).squeeze(-2)),
    ("squeeze-noop", lambda t: t.squeeze(0)),
    ("squeeze-tuple", lambda t: t.reshape(2, 1, 3, 1, 4).squeeze((1, 3))),
    ("unsqueeze", lambda t: t.unsqueeze(0)),
    ("unsqueeze-neg", lambda t: t.unsqueeze(-1)),
    ("unsqueeze-mid", lambda t: t.unsqueeze(-3)),
    ("permute", lambda t: t.permute(2, 0, 1)),
    ("permute-tuple", lambda t: t.permute((1, -1, 0))),
    ("transpose", lambda t: t.transpose(0, 2)),
    ("transpose-neg", lambda t: t.transpose(-1, -2)),
    ("swapaxes", lambda t: t.swapaxes(0, 1)),
    ("t", lambda t: t[0].t()),
    ("t-1d", lambda t: t[0, 0].t()),
    ("T", lambda t: t.T),
    ("mT", lambda t: t.mT),
    ("movedim", lambda t: t.movedim(0, -1)),
    ("movedim-multi", lambda t: t.movedim((0, 1), (2, 0))),
    ("expand", lambda t: t[:, :1].expand(2, 5, 4)),
    ("expand-new-dims", lambda t: t[0, 0].expand(3, 2, 4)),
    ("expand-minus-one", lambda t: t[:, :1].expand(-1, 3, -1)),
    ("expand_as", lambda t: t[0].expand_as(t)),
    ("repeat", lambda t: t.repeat(2, 1, 3)),
    ("repeat-new-dims", lambda t: t.repeat(2, 1, 1, 2)),
    ("contiguous", lambda t: t.transpose(0, 1).contiguous()),
    ("flip", lambda t: t.flip(0, 2)),
    ("flip-tuple", lambda t: t.flip((-1,))),
    ("flip-fn", lambda t: _lib(t).flip(t, [1])),
    ("narrow", lambda t: t.narrow(1, 1, 2)),
    ("narrow-neg", lambda t: t.narrow(-1, -3, 2)),
    ("unbind", lambda t: t.unbind(1)),
    ("split", lambda t: t.split(3, dim=-1)),
    ("split-uneven", lambda t: t.split(2, 1)),
    ("split-sizes", lambda t: t.split([1, 3], 2)),
    ("chunk", lambda t: t.chunk(2, 2)),
    ("chunk-uneven", lambda t: t.chunk(2, 1)),
    ("chunk-more-than-size", lambda t: t.chunk(5, 0)),
    ("clone", lambda t: t.clone()),
    ("to-double", lambda t: t.to(_dtype(t, "float64"))),
    ("double-float", lambda t: t.double().float() * 2),
    ("reshape-after-permute", lambda t: t.permute(2, 1, 0).reshape(-1)),
]


def _dtype(t, name):
    return getattr(torch if isinstance(t, torch.Tensor) else lamina, name)


@pytest.mark.parametrize("name, fn", SHAPE_CALLS, ids=[c[0] for c in SHAPE_CALLS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_op_matches_torch(name, fn, dtype):
    run_both(fn, fn, [_x((2, 3, 4), dtype)])


_DOUBLE = [c for c in SHAPE_CALLS if c[0] not in ("to-double", "double-float")]


@pytest.mark.parametrize("name, fn", _DOUBLE, ids=[c[0] for c in _DOUBLE])
def test_gradcheck(name, fn):
    x = lamina.tensor(_x((2, 3, 4), np.float64), requires_grad=True)
    assert lamina.autograd.gradcheck(fn, [x])


@pytest.mark.parametrize("fn", [lambda t: t.reshape(4, 6), lambda t: t.view(-1),
                                lambda t: t.transpose(0, 1), lambda t: t.permute(2, 0, 1),
                                lambda t: t.unsqueeze(1), lambda t: t[0].t(), lambda t: t.T,
                                lambda t: t.squeeze(), lambda t: t.expand(2, 2, 3, 4)])
def test_views_share_memory(fn):
    x = lamina.zeros(2, 3, 4)
    view = fn(x)
    x.add_(1)
    assert view.numpy().min() == 1.0


def test_view_of_non_contiguous_is_an_error_and_reshape_copies():
    x = lamina.zeros(2, 3).t()
    with pytest.raises(RuntimeError, match="view.*reshape"):
        x.view(6)
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3).t().view(6)
    assert x.reshape(6).shape == (6,)
    assert not x.is_contiguous() and x.contiguous().is_contiguous()


def test_view_dtype_reinterprets_bits():
    x = np.array([1.0, -2.0], np.float32)
    run_both(lambda t: t.view(_dtype(t, "int32")), lambda t: t.view(torch.int32), [x],
             grad=False)
    with pytest.raises(RuntimeError, match="same size"):
        lamina.tensor(x).view(lamina.float64)


@given(shape=shapes(min_dims=1), dtype=DTYPES, seed=seeds, data=st.data())
@settings(max_examples=15)
def test_permute_and_reshape_random(shape, dtype, seed, data):
    order = data.draw(st.permutations(range(len(shape))))
    negative = data.draw(st.booleans())
    dims = [d - len(shape) if negative else d for d in order]
    x = _x(shape, dtype, seed)
    run_both(lambda t: t.permute(*dims).reshape(-1, shape[order[-1]]),
             lambda t: t.permute(*dims).reshape(-1, shape[order[-1]]), [x], seed=seed)


@given(shape=shapes(min_dims=1, max_dims=3), n=st.integers(1, 3), seed=seeds, data=st.data())
@settings(max_examples=15)
def test_cat_stack_random(shape, n, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    arrays = []
    for _ in range(n):
        s = list(shape)
        s[dim] = int(rng.integers(0, 4))
        arrays.append(rng.standard_normal(s).astype(np.float32))
    run_both(lambda *ts: lamina.cat(ts, dim), lambda *ts: torch.cat(ts, dim), arrays)
    same = [rng.standard_normal(shape).astype(np.float32) for _ in range(n)]
    stack_dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    run_both(lambda *ts: lamina.stack(ts, stack_dim), lambda *ts: torch.stack(ts, stack_dim),
             same)


@given(size=st.integers(0, 7), split=st.integers(1, 4), chunks=st.integers(1, 5))
@settings(max_examples=15)
def test_split_chunk_random(size, split, chunks):
    x = _x((2, size))
    run_both(lambda t: t.split(split, 1), lambda t: t.split(split, 1), [x])
    run_both(lambda t: t.chunk(chunks, -1), lambda t: t.chunk(chunks, -1), [x])


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.int64, np.float32),
                                    (np.bool_, np.int32), (np.int32, np.int64),
                                    (np.float16, np.float32), (np.uint8, np.int8)])
def test_cat_stack_promote_mixed_dtypes(dtypes):
    arrays = [np.ones((2, 2), d) for d in dtypes]
    for lam, tor in ((lamina.cat, torch.cat), (lamina.stack, torch.stack)):
        run_both(lambda *ts, f=lam: f(ts, 1), lambda *ts, f=tor: f(ts, 1), arrays, grad=False)
    run_both(lambda a, b: lamina.cat([a, b]), lambda a, b: torch.cat([a, b]),
             [np.ones((2, 2), np.float32), np.ones((1, 2), np.float64)])


def test_cat_skips_legacy_empty_vectors():
    run_both(lambda a, b: lamina.cat([a, b], 1), lambda a, b: torch.cat([a, b], 1),
             [_x((2, 3)), np.zeros((0,), np.float32)])


def test_hstack_vstack():
    a, b = _x((2, 3)), _x((2, 3), seed=1)
    run_both(lambda x, y: lamina.hstack([x, y]), lambda x, y: torch.hstack([x, y]), [a, b])
    run_both(lambda x, y: lamina.vstack([x, y[0]]), lambda x, y: torch.vstack([x, y[0]]), [a, b])


def test_zero_dim_shape_ops():
    x = np.array(2.5, np.float32)
    for fn in (lambda t: t.reshape(1, 1), lambda t: t.flatten(), lambda t: t.unsqueeze(0),
               lambda t: t.squeeze(), lambda t: t.t(), lambda t: t.transpose(0, -1),
               lambda t: t.expand(3), lambda t: t.repeat(2), lambda t: t.view(-1),
               lambda t: t.squeeze(0), lambda t: t.permute(())):
        run_both(fn, fn, [x])


SHAPE_ERRORS = [
    ("reshape", lambda t: t.reshape(5, 5), RuntimeError, r"reshape.*\[5, 5\].*24"),
    ("reshape-two-minus-one", lambda t: t.reshape(-1, -1), RuntimeError, "one dimension"),
    ("view", lambda t: t.view(7, -1), RuntimeError, "view.*24"),
    ("squeeze", lambda t: t.squeeze(3), IndexError, r"squeeze.*\[-3, 2\].*3"),
    ("unsqueeze", lambda t: t.unsqueeze(5), IndexError, "unsqueeze.*5"),
    ("permute-short", lambda t: t.permute(0, 1), RuntimeError, r"permute.*\(2, 3, 4\)"),
    ("permute-repeat", lambda t: t.permute(0, 0, 1), RuntimeError, "permute.*duplicate"),
    ("transpose", lambda t: t.transpose(0, 3), IndexError, "transpose.*3"),
    ("t", lambda t: t.t(), RuntimeError, "t().*3"),
    ("expand", lambda t: t.expand(2, 5, 4), RuntimeError, r"expand.*\(5\).*\(3\)"),
    ("expand-fewer", lambda t: t.expand(3, 4), RuntimeError, "expand.*sizes"),
    ("repeat", lambda t: t.repeat(2, 2), RuntimeError, "repeat"),
    ("flatten", lambda t: t.flatten(2, 1), RuntimeError, "flatten.*start_dim"),
    ("split", lambda t: t.split([1, 1], 1), RuntimeError, "split.*3"),
    ("chunk", lambda t: t.chunk(0), RuntimeError, "chunk.*0"),
    ("cat", lambda t: _lib(t).cat([t, t[:, :2, :3]], 1), RuntimeError,
     r"cat.*\(2, 3, 4\).*\(2, 2, 3\)"),
    ("cat-0d", lambda t: _lib(t).cat([t[0, 0, 0], t[0, 0, 0]]), RuntimeError, "zero-dim"),
    ("cat-empty-list", lambda t: _lib(t).cat([]), ValueError, "non-empty"),
    ("stack-empty-list", lambda t: _lib(t).stack([]), RuntimeError, "non-empty"),
    ("stack", lambda t: _lib(t).stack([t, t[0]]), RuntimeError, r"stack.*\[2, 3, 4\]"),
    ("unflatten", lambda t: t.unflatten(1, (2, 2)), RuntimeError, "unflatten"),
    ("unflatten-infer", lambda t: t.unflatten(1, (4, -1)), RuntimeError,
     r"unflatten.*\[4, -1\].*\(2, 3, 4\)"),
    ("reshape-negative", lambda t: t.reshape(-2, 12), RuntimeError, "reshape.*-2"),
    ("narrow", lambda t: t.narrow(1, 2, 5), RuntimeError, "narrow.*size 3"),
    ("repeat-negative", lambda t: t.repeat(-1, 1, 1), RuntimeError, "repeat.*non-negative"),
    ("movedim-repeated", lambda t: t.movedim((0, 0), (1, 0)), RuntimeError, "movedim.*distinct"),
    ("stack-dim", lambda t: _lib(t).stack([t, t], 4), IndexError, "stack.*4"),
    ("cat-dim", lambda t: _lib(t).cat([t, t], 3), IndexError, "cat.*3"),
]


def _lib(t):
    return torch if isinstance(t, torch.Tensor) else lamina


@pytest.mark.parametrize("name, fn, error, pattern", SHAPE_ERRORS,
                         ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_errors_match_torch_type(name, fn, error, pattern):
    with pytest.raises(error):
        fn(torch.zeros(2, 3, 4))
    with pytest.raises(error, match=pattern):
        fn(lamina.zeros(2, 3, 4))


def test_cat_rejects_non_tensors():
    with pytest.raises(TypeError, match="item 1 is list"):
        lamina.cat([lamina.zeros(2), [1.0, 2.0]])


@pytest.mark.parametrize("fn", [
    lambda a, b: lamina.cat([a, b, a], 1),
    lambda a, b: lamina.stack([a, b], -1),
    lambda a, b: a.split([1, 2], 1)[1] * b.chunk(3, 1)[0],
    lambda a, b: lamina.cat(a.unbind(0)) + b.flatten(),
    lambda a, b: a.narrow(1, 1, 2).repeat(2, 1) * 2,
], ids=["cat", "stack", "split-chunk", "unbind", "narrow-repeat"])
def test_joins_and_splits_gradcheck(fn):
    a, b = (lamina.tensor(_x((2, 3), np.float64, i), requires_grad=True) for i in range(2))
    assert lamina.autograd.gradcheck(fn, [a, b])
