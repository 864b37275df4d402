"""Legacy typed constructors (lamina.FloatTensor, ...) against torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lamina

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


def _same(ours, theirs, values=True):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if values:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", NAMES)
def test_from_data(name):
    for data in ([1, 0, 3], [[1.0, 2.0], [0.0, 4.0]], [], [[True, False]]):
        _same(getattr(lamina, name)(data), getattr(torch, name)(data))


@pytest.mark.parametrize("name", NAMES)
def test_from_sizes(name):
    for sizes in [(2, 3), (4,), ((2, 5),), (0,), ()]:
        ours, theirs = getattr(lamina, name)(*sizes), getattr(torch, name)(*sizes)
        _same(ours, theirs, values=False)
    _same(getattr(lamina, name)(lamina.Size([3, 2])),
          getattr(torch, name)(torch.Size([3, 2])), values=False)


def test_from_tensor_of_the_same_dtype_shares_memory():
    x = lamina.tensor([1.0, 2.0])
    y = lamina.FloatTensor(x)
    y[0] = 7.0
    assert x.tolist() == [7.0, 2.0]


def test_wrong_dtype_tensor_raises_type_error_like_torch():
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(TypeError):
        lamina.FloatTensor(lamina.tensor([1, 2]))


def test_usable_as_constructors_in_model_code():
    mask = lamina.BoolTensor([[True, False]])
    assert mask.dtype == lamina.bool
    index = lamina.LongTensor([0, 2])
    assert lamina.tensor([5.0, 6.0, 7.0])[index].tolist() == [5.0, 7.0]
    assert lamina.FloatTensor(2, 3).requires_grad is False


@pytest.mark.parametrize("name", NAMES)
def test_isinstance_checks_the_dtype_like_torch(name):
    for dtype_name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8",
                       "uint8", "bool"):
        ours = lamina.zeros(2, dtype=getattr(lamina, dtype_name))
        theirs = torch.zeros(2, dtype=getattr(torch, dtype_name))
        assert isinstance(ours, getattr(lamina, name)) == isinstance(theirs, getattr(torch, name))
    assert not isinstance([1.0], getattr(lamina, name))
    assert repr(getattr(lamina, name)) == repr(getattr(torch, name)).replace("torch", "lamina")


def test_parameters_are_float_tensors_and_meta_tensors_are_not():
    assert isinstance(lamina.nn.Parameter(lamina.zeros(2)), lamina.FloatTensor)
    assert not isinstance(lamina.zeros(2, device="meta"), lamina.FloatTensor)


@pytest.mark.parametrize("target", [lambda lib: lib.LongTensor, lambda lib: "torch.LongTensor",
                                    lambda lib: lib.int64, lambda lib: "torch.HalfTensor"])
def test_type_converts_from_types_names_and_dtypes(target):
    ours = lamina.arange(3.0).type(target(lamina))
    theirs = torch.arange(3.0).type(target(torch))
    assert str(ours.dtype).replace("lamina", "torch") == str(theirs.dtype)
    assert ours.tolist() == theirs.tolist()
    assert lamina.arange(3.0).type() == "lamina.FloatTensor"
    assert lamina.arange(3).type() == torch.arange(3).type().replace("torch", "lamina")


def test_type_refuses_unknown_names():
    with pytest.raises(ValueError, match="invalid type: 'torch.cuda.FloatTensor'"):
        lamina.zeros(1).type("torch.cuda.FloatTensor")

