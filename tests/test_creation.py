"""Tensor factories against torch: dtype inference, shapes, values, sharing, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_close

import lamina

DATA = [1.5, 2, [1, 2, 3], [1.0, 2], [[True, False]], True, [], [[1, 2], [3, 4]], 7,
        np.float64(2.0), np.array([1, 2], np.int32), [np.float32(1.5)]]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_like_torch(data):
    assert_close(lamina.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                   "bool"])
def test_tensor_with_explicit_dtype(dtype):
    data = [[0, 1.7], [2.2, -0.0]] if dtype != "uint8" else [[0, 1], [2, 3]]
    ours = lamina.tensor(data, dtype=getattr(lamina, dtype))
    assert_close(ours, torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_copies_and_from_numpy_shares():
    array = np.zeros(3, np.float32)
    copied, shared = lamina.tensor(array), lamina.from_numpy(array)
    array[0] = 1.0
    assert copied[0].item() == 0.0 and shared[0].item() == 1.0
    assert lamina.as_tensor(array).numpy() is array
    assert lamina.as_tensor(array, dtype=lamina.float64).dtype == lamina.float64
    x = lamina.ones(2)
    assert lamina.as_tensor(x) is x


def test_bad_data_raises_like_torch():
    with pytest.raises(ValueError, match="rectangular"):
        lamina.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        lamina.tensor("abc")
    with pytest.raises(TypeError, match="expected np.ndarray"):
        lamina.from_numpy([1, 2])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type complex128"):
        lamina.from_numpy(np.zeros(2, complex))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([4],), (0,), ((),)], ids=repr)
def test_filled_factories_match_torch(name, size):
    ours, theirs = getattr(lamina, name)(*size), getattr(torch, name)(*size)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == lamina.float32
    if name != "empty":
        assert_close(ours, theirs)
    assert getattr(lamina, name)(2, dtype=lamina.int64).dtype == lamina.int64


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        lamina.zeros(2, -1)


@pytest.mark.parametrize("fill", [1.5, 3, True])
def test_full_infers_dtype_like_torch(fill):
    assert_close(lamina.full((2, 2), fill), torch.full((2, 2), fill))


def test_like_factories_keep_shape_and_dtype():
    x = lamina.ones(2, 3, dtype=lamina.float64, requires_grad=True)
    for name in ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]:
        out = getattr(lamina, name)(x)
        assert out.shape == (2, 3) and out.dtype == lamina.float64 and not out.requires_grad
    assert_close(lamina.full_like(x, 7), torch.full_like(torch.ones(2, 3).double(), 7))
    assert lamina.randint_like(x, 5).dtype == lamina.float64


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 1, 0.1), (0.5, 3), (10, 0, -3),
                                  (-1.0, 1.0, 0.25), (3, 3)], ids=repr)
def test_arange_matches_torch(args):
    assert_close(lamina.arange(*args), torch.arange(*args))
    assert_close(lamina.arange(*args, dtype=lamina.float64),
                 torch.arange(*args, dtype=torch.float64))


def test_arange_errors_match_torch():
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        lamina.arange(5, 0)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        lamina.arange(0, 5, 0)


@pytest.mark.parametrize("args", [(0, 1, 5), (-3, 3, 7), (2, 2, 1), (0, 10, 0)], ids=repr)
def test_linspace_and_logspace_match_torch(args):
    assert_close(lamina.linspace(*args), torch.linspace(*args))
    assert_close(lamina.logspace(*args), torch.logspace(*args), rtol=1e-5, atol=1e-5)


def test_eye_matches_torch():
    assert_close(lamina.eye(3), torch.eye(3))
    assert_close(lamina.eye(2, 4, dtype=lamina.int64), torch.eye(2, 4, dtype=torch.int64))


def test_random_factories_have_torch_shapes_dtypes_and_ranges():
    assert lamina.randn(2, 3).dtype == lamina.float32
    assert lamina.randn(2, dtype=lamina.float64).dtype == lamina.float64
    r = lamina.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1
    i = lamina.randint(3, 7, (500,))
    assert i.dtype == lamina.int64 and set(i.tolist()) == {3, 4, 5, 6}
    assert lamina.randint(5, (2, 2)).shape == (2, 2)
    p = lamina.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == lamina.int64
    n = lamina.normal(2.0, 0.5, (4000,))
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    assert lamina.normal(lamina.zeros(3), 1.0).shape == (3,)
    assert lamina.randn(2, 2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="low=5 >= high=5"):
        lamina.randint(5, 5, (2,))


def test_in_place_fills_keep_dtype():
    x = lamina.empty(1000)
    assert x.uniform_(-2, 3) is x
    assert -2 <= x.min().item() and x.max().item() < 3 and x.dtype == lamina.float32
    x.normal_(1.0, 0.1)
    assert abs(x.mean().item() - 1.0) < 0.05
    assert x.fill_(2).tolist() == [2.0] * 1000
    assert x.zero_().sum().item() == 0.0
    w = lamina.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.uniform_()
    with lamina.no_grad():
        w.normal_()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword_like_torch(name):
    ours, theirs = getattr(lamina, name)(size=(2, 3)), getattr(torch, name)(size=(2, 3))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == lamina.float32
    with pytest.raises(TypeError, match="both positionally and as size="):
        getattr(lamina, name)(2, size=(2, 3))


LISTS_WITH_ARRAYS_AND_TENSORS = {
    "float64 arrays": lambda T: [np.ones(2), np.zeros(2)],
    "1-element tensors": lambda T: [T.tensor([1.0]), T.tensor([2.0])],
    "0-d int tensors": lambda T: [T.tensor(1), T.tensor(2)],
    "(1, 1) tensors nested": lambda T: [[T.tensor([[1.0]]), T.tensor([[2.0]])]],
    "float64 tensor and a Python float": lambda T: [T.tensor(1.0, dtype=T.float64), 2.5],
    "float16 scalar and a Python float": lambda T: [np.float16(1), 2.0],
    "float16 scalar and a Python int": lambda T: [np.float16(1), 2],
    "int32 array and Python floats": lambda T: [np.ones(2, np.int32), [1.5, 2.0]],
    "uint8 and int8 arrays": lambda T: [np.ones(2, np.uint8), np.ones(2, np.int8)],
    "1-element float64 arrays": lambda T: [np.ones(1), np.zeros(1)],
}


@pytest.mark.parametrize("make", LISTS_WITH_ARRAYS_AND_TENSORS.values(),
                         ids=LISTS_WITH_ARRAYS_AND_TENSORS.keys())
def test_tensor_of_lists_of_arrays_and_tensors_like_torch(make):
    assert_close(lamina.tensor(make(lamina)), torch.tensor(make(torch)))


@pytest.mark.parametrize("library", [torch, lamina], ids=["torch", "lamina"])
def test_tensor_refuses_multi_element_tensors_in_a_list_like_torch(library):
    with pytest.raises(ValueError):  # a tensor in a list is read as one number
        library.tensor([library.ones(2), library.ones(2)])
    with pytest.raises(TypeError):  # torch's type for integer tensors
        library.tensor([library.tensor([1, 2]), library.tensor([3, 4])])
