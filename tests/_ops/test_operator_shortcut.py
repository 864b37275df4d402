"""The operators' shortcut (`_ops.elementwise._direct`): `+ - * /`, relu and sigmoid on float
tensors skip promotion and dispatch, computing at once or recording at once. It must give what
the general path gives, bit for bit, record the same graph, and step aside for everything it
does not handle (promotion, tracing, errors)."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests._ops.optable import broadcastable_pairs, seeds

import lamina
from lamina._ops import elementwise

OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv]


def _pair(dtype, seed, shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("op", OPERATORS)
@settings(max_examples=15)
@given(shapes=broadcastable_pairs(), dtype=st.sampled_from([np.float32, np.float64, np.float16]),
       seed=seeds)
def test_shortcut_equals_recorded_path_and_torch(op, shapes, dtype, seed):
    a, b = _pair(dtype, seed, shapes)
    x, y = lamina.tensor(a), lamina.tensor(b)
    fast = op(x, y)
    recorded = op(lamina.tensor(a, requires_grad=True), y)
    assert fast.dtype == recorded.dtype == x.dtype
    np.testing.assert_array_equal(fast.numpy(), recorded.detach().numpy())
    expected = op(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(fast.numpy(), expected, rtol=1e-3 if dtype == np.float16 else 1e-6)
    for scalar in (2, 0.3, -1.5):
        np.testing.assert_array_equal(op(x, scalar).numpy(),
                                      op(lamina.tensor(a, requires_grad=True), scalar)
                                      .detach().numpy())
        assert op(x, scalar).dtype == x.dtype  # a Python number never widens a float tensor


def test_nothing_recorded_under_no_grad_and_recorded_otherwise():
    w = lamina.randn(3, requires_grad=True)
    with lamina.no_grad():
        y = w * 2 + w
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    z = w * 2 + w
    assert type(z.grad_fn).__name__ == "AddBackward0"
    z.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 3, np.float32))


def test_steps_aside_for_promotion():
    ints = lamina.tensor([1, 2, 3])
    assert (ints + ints).dtype == lamina.int64
    assert (ints * 0.5).dtype == lamina.float32  # float32 like torch, not NumPy's float64
    assert (ints / ints).dtype == lamina.float32
    mixed = lamina.ones(2, dtype=lamina.float64) + lamina.ones(2)
    assert mixed.dtype == lamina.float64
    flags = lamina.tensor([True, False])
    assert (flags + flags).dtype == lamina.bool
    with pytest.raises(RuntimeError, match="sub"):
        flags - flags


def test_zero_dim_results_are_tensors():
    out = lamina.tensor(2.0) * lamina.tensor(3.0)
    assert isinstance(out, lamina.Tensor) and out.shape == () and out.item() == 6.0
    assert isinstance(lamina.tensor(-1.0).relu(), lamina.Tensor)


@pytest.mark.parametrize("op", OPERATORS)
def test_shape_error_is_torchs_runtime_error_and_names_the_op(op):
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(4,\)"):
        op(lamina.ones(2, 3), lamina.ones(4))


def test_overflow_is_silent_like_torch():
    big = lamina.tensor([3e38], dtype=lamina.float32)
    with np.errstate(all="raise"):  # the caller's NumPy settings do not leak into lamina's ops
        assert np.isinf((big * 10).item())
        assert np.isinf((big + big).item())
        assert np.isinf((big / 1e-30).item())


@pytest.mark.parametrize("size", [7, 200, elementwise._LARGE + 5])  # maximum, clip ufunc
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_matches_torch_on_special_values(size, dtype):
    a = np.random.default_rng(0).standard_normal(size).astype(dtype)
    a[:5] = [np.nan, -0.0, np.inf, -np.inf, 0.0]
    ours = lamina.tensor(a).relu().numpy()
    theirs = torch.tensor(a).relu().numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))
    assert ours.dtype == dtype


def test_relu_keeps_refusing_bools_and_integers_stay_integers():
    with pytest.raises(RuntimeError, match="bool"):
        lamina.tensor([True]).relu()
    out = lamina.tensor([-2, 3]).relu()
    assert out.dtype == lamina.int64 and out.tolist() == [0, 3]


def test_meta_tensors_still_go_through_the_dispatch_hook():
    x = lamina.empty(2, 3, device="meta")
    y = x * x + 1
    assert y.device.type == "meta" and y.shape == (2, 3)
    assert (x.relu()).device.type == "meta"


def test_shared_zero_is_read_only():
    zero = elementwise.zero_of(np.dtype(np.float32))
    assert zero.shape == () and zero == 0 and not zero.flags.writeable
    assert elementwise.zero_of(np.dtype(">f4")).dtype == np.dtype(">f4")


@pytest.mark.parametrize("bounds", [dict(min=0.0), dict(max=0.0), dict(min=-0.5, max=0.0),
                                    dict(min=0.0, max=0.5)])
def test_clamp_keeps_signed_zeros_and_nan_like_torch(bounds):
    a = np.array([np.nan, -0.0, np.inf, -np.inf, 0.0, 1.0, -1.0], np.float32)
    ours = lamina.tensor(a).clamp(**bounds).numpy()
    theirs = torch.tensor(a).clamp(**bounds).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_shortcut_equals_recorded_path_and_torch(dtype):
    a = np.concatenate([np.random.default_rng(1).standard_normal(20) * 10,
                        [-1e4, -100.0, -88.5, 0.0, -0.0, 88.5, 1e4, np.inf, -np.inf]])
    a = a.astype(dtype)
    fast = lamina.tensor(a).sigmoid()
    recorded = lamina.tensor(a, requires_grad=True).sigmoid()
    assert fast.dtype == recorded.dtype == lamina.tensor(a).dtype
    np.testing.assert_array_equal(fast.numpy(), recorded.detach().numpy())
    np.testing.assert_allclose(fast.numpy(), torch.tensor(a).sigmoid().numpy(),
                               rtol=1e-3 if dtype == np.float16 else 1e-6, atol=1e-7)
    assert lamina.tensor(np.array(0.5, dtype)).sigmoid().shape == ()


@pytest.mark.parametrize("op", OPERATORS)
def test_recorded_shortcut_gives_torchs_gradients(op):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.uniform(1, 2, 4).astype(np.float32)
    x, y = lamina.tensor(a, requires_grad=True), lamina.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, expected = op(x, y).relu().sigmoid() * 2.5, op(tx, ty).relu().sigmoid() * 2.5
    assert type(out.grad_fn).__name__ == type(expected.grad_fn).__name__
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_recorded_shortcut_still_detects_in_place_changes():
    w = lamina.randn(3, requires_grad=True)
    h = w * 2
    out = h * h  # saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_relu_raises_no_floating_point_flags_without_the_warning_switch():
    # relu's shortcut runs without lamina._quiet: np.maximum/np.clip must stay silent on nan
    for size in (5, 200, elementwise._LARGE + 5):
        a = np.full(size, np.nan, np.float32)
        a[:2] = [np.inf, -np.inf]
        with np.errstate(all="raise"):
            out = lamina.tensor(a).relu().numpy()
        assert np.isnan(out[2:]).all() and out[0] == np.inf and out[1] == 0
