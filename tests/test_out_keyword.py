"""torch's `out=` keyword (lamina/_out.py): results written into the given tensor, as in torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina._out import NAMES

A = np.arange(1, 13, dtype=np.float32).reshape(3, 4) / 7
B = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
V = np.arange(4, dtype=np.float32) / 3

# name -> (arguments as arrays or values, keyword arguments)
CALLS = {
    "add": ((A, B), {"alpha": 2}),
    "sub": ((A, 1.5), {}),
    "mul": ((A, B), {}),
    "div": ((A, B), {"rounding_mode": "floor"}),
    "pow": ((A, 2), {}),
    "exp": ((B,), {}),
    "sqrt": ((A,), {}),
    "sigmoid": ((B,), {}),
    "clamp": ((B,), {"min": -0.5, "max": 0.5}),
    "where": ((B > 0, A, B), {}),
    "maximum": ((A, B), {}),
    "gt": ((A, B), {}),
    "sum": ((A,), {"dim": 0}),
    "mean": ((A,), {"dim": 1, "keepdim": True}),
    "prod": ((A,), {"dim": 1}),
    "cumsum": ((A,), {"dim": 1}),
    "argmax": ((B,), {"dim": 1}),
    "std": ((A,), {"dim": 0}),
    "matmul": ((A, A.T), {}),
    "mm": ((A, A.T), {}),
    "mv": ((A, V), {}),
    "outer": ((V, V), {}),
    "addmm": ((V, A.T, A), {}),
    "cat": (([A, B],), {"dim": 0}),
    "stack": (([A, B],), {}),
    "tril": ((A,), {}),
    "gather": ((A, 1, np.zeros((3, 2), np.int64)), {}),
    "index_select": ((A, 0, np.array([2, 0])), {}),
    "diff": ((A,), {}),
    "lerp": ((A, B, 0.25), {}),
}
TUPLE_CALLS = {  # (values, indices)
    "max": ((B,), {"dim": 1}),
    "min": ((B,), {"dim": 0}),
    "sort": ((B,), {"dim": 1, "descending": True}),
    "topk": ((B, 2), {}),
    "kthvalue": ((B, 2), {}),
    "median": ((B,), {"dim": 1}),
}


def _args(library, args):
    def convert(value):
        if isinstance(value, np.ndarray):
            return library.tensor(value)
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return [convert(a) for a in args]


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_is_written_in_place_and_returned(name):
    args, kwargs = CALLS[name]
    expected = getattr(torch, name)(*_args(torch, args), **kwargs)
    out = lamina.full(tuple(expected.shape), 7.0, dtype=lamina.float64
                      if expected.dtype == torch.float64 else
                      lamina.bool if expected.dtype == torch.bool else
                      lamina.int64 if expected.dtype == torch.int64 else lamina.float32)
    alias = out.view(-1) if out.ndim else out  # a view of out sees the write
    version = out._version
    result = getattr(lamina, name)(*_args(lamina, args), **kwargs, out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(alias.numpy().reshape(out.shape), out.numpy())
    assert out._version > version


@pytest.mark.parametrize("name", sorted(TUPLE_CALLS))
def test_out_pair_for_values_and_indices(name):
    args, kwargs = TUPLE_CALLS[name]
    expected = getattr(torch, name)(*_args(torch, args), **kwargs)
    values, indices = lamina.empty(0), lamina.empty(0, dtype=lamina.int64)
    result = getattr(lamina, name)(*_args(lamina, args), **kwargs, out=(values, indices))
    assert result[0] is values and result[1] is indices and result.values is values
    np.testing.assert_allclose(values.numpy(), expected[0].numpy())
    np.testing.assert_array_equal(indices.numpy(), expected[1].numpy())


def test_every_name_has_out_in_torch():
    for name in NAMES:
        assert hasattr(torch, name) and hasattr(lamina, name), name


def test_the_tensors_tutorial_verbatim():
    for library in (torch, lamina):
        tensor = library.ones(4, 4)
        tensor[:, 1] = 0
        y3 = library.rand_like(tensor)
        library.matmul(tensor, tensor.T, out=y3)
        z3 = library.rand_like(tensor)
        library.mul(tensor, tensor, out=z3)
        np.testing.assert_array_equal(y3.numpy(), (tensor @ tensor.T).numpy())
        np.testing.assert_array_equal(z3.numpy(), (tensor * tensor).numpy())


def test_resizing_warns_like_torch_unless_out_is_empty():
    out = lamina.empty(3)
    with pytest.warns(UserWarning, match=r"resized since it had shape \[3\].*\[2, 2\]"):
        lamina.add(lamina.ones(2, 2), 1, out=out)
    assert out.shape == (2, 2) and out.tolist() == [[2, 2], [2, 2]]
    empty = lamina.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lamina.add(lamina.ones(2, 2), 1, out=empty)
    assert empty.shape == (2, 2)


def test_dtype_casts_as_torch_allows():
    wide = lamina.empty(2, dtype=lamina.float64)
    lamina.mul(lamina.ones(2), 3.0, out=wide)
    assert wide.dtype == lamina.float64 and wide.tolist() == [3.0, 3.0]
    floats = lamina.empty(2)
    lamina.add(lamina.tensor([1, 2]), lamina.tensor([3, 4]), out=floats)
    assert floats.tolist() == [4.0, 6.0]
    integers = lamina.zeros(2, dtype=lamina.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        lamina.mul(lamina.ones(2), 2.0, out=integers)
    assert integers.tolist() == [0, 0]  # untouched


def test_out_refuses_autograd_and_corrupts_nothing():
    w = lamina.ones(2, requires_grad=True)
    out = lamina.zeros(2)
    for call in (lambda: lamina.mul(w, 2.0, out=out),
                 lambda: lamina.mul(lamina.ones(2), 2.0, out=lamina.ones(2, requires_grad=True)),
                 lambda: lamina.cat([w, w], out=lamina.zeros(4))):
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic "
                                               "differentiation"):
            call()
    assert out.tolist() == [0.0, 0.0]
    with lamina.no_grad():
        lamina.mul(w, 2.0, out=out)
    assert out.tolist() == [2.0, 2.0] and not out.requires_grad


def test_functions_without_out_are_unchanged():
    assert lamina.add(lamina.ones(2), 1).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="out"):
        lamina.reshape(lamina.ones(2), (2, 1), out=lamina.empty(2, 1))
