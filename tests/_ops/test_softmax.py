"""Softmax and LogSoftmax primitives against torch, gradcheck and stability checks."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.helpers import assert_close, to_torch

import lamina
from lamina._ops.softmax import log_softmax, softmax
from lamina.autograd import gradcheck

OPS = [(softmax, torch.softmax), (log_softmax, torch.log_softmax)]
IDS = ["softmax", "log_softmax"]


def _check(ours_fn, torch_fn, array, dim):
    x = lamina.tensor(array, requires_grad=True)
    tx = to_torch(x)
    out, expected = ours_fn(x, dim), torch_fn(tx, dim)
    assert_close(out, expected)
    upstream = np.random.default_rng(1).standard_normal(array.shape).astype(array.dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("ops", OPS, ids=IDS)
@settings(max_examples=15)
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_matches_torch(ops, data, dtype):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    array = np.random.default_rng(0).standard_normal(shape).astype(dtype) * 3
    _check(*ops, array, dim)


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_zero_dim_and_empty(ops):
    _check(*ops, np.array(1.5, dtype=np.float32), 0)
    _check(*ops, np.array(1.5, dtype=np.float32), -1)
    _check(*ops, np.zeros((0, 3), dtype=np.float32), 1)


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_gradcheck(ops):
    x = lamina.tensor(np.random.default_rng(2).standard_normal((3, 4, 2)), requires_grad=True)
    for dim in (0, 1, -1):
        assert gradcheck(lambda t, d=dim: ops[0](t, d), (x,))


@pytest.mark.parametrize("ops", OPS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_huge_logits(ops, dtype):
    array = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 5.0]], dtype=dtype)
    x = lamina.tensor(array, requires_grad=True)
    out = ops[0](x, 1)
    out.sum().backward()
    assert np.isfinite(out.detach().numpy()).all()
    assert np.isfinite(x.grad.numpy()).all()
    _check(*ops, array, 1)


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_minus_inf_entries_match_torch(ops):
    # masked attention scores: some -inf in a row, never the whole row
    array = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf]], dtype=np.float32)
    x = lamina.tensor(array)
    assert_close(ops[0](x, 1), ops[1](torch.from_numpy(array), 1))


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_float16_matches_torch(ops):
    array = np.random.default_rng(3).standard_normal((4, 7)).astype(np.float16)
    x = lamina.tensor(array, requires_grad=True)
    tx = to_torch(x)
    out, expected = ops[0](x, 1), ops[1](tx, 1)
    assert_close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    # torch's half backward rounds its intermediates to float16; we keep them in float32
    assert_close(x.grad, tx.grad, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_dtype_argument_casts_first(ops):
    array = np.arange(6, dtype=np.int64).reshape(2, 3)
    out = ops[0](lamina.tensor(array), 1, dtype=lamina.float64)
    assert_close(out, ops[1](torch.from_numpy(array), 1, dtype=torch.float64))


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_integer_input_raises(ops):
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        ops[0](lamina.tensor([[1, 2, 3]]), 1)


@pytest.mark.parametrize("ops", OPS, ids=IDS)
def test_bad_dim_raises_index_error(ops):
    with pytest.raises(IndexError, match="Dimension out of range"):
        ops[0](lamina.randn(2, 3), 2)


def test_softmax_rows_sum_to_one_float32():
    x = lamina.randn(5, 11) * 20
    out = softmax(x, -1)
    assert out.dtype == lamina.float32
    np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-6)


def test_top_level_names_reach_the_same_ops():
    x = lamina.randn(3, 4)
    assert_close(lamina.softmax(x, dim=0), torch.softmax(to_torch(x), dim=0))
    assert_close(lamina.log_softmax(x, -1, dtype=lamina.float64),
                 torch.log_softmax(to_torch(x), -1, dtype=torch.float64))
