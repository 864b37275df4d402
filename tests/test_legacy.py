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


def test_isinstance_is_not_supported():
    # lamina's legacy constructors are functions, so isinstance(x, lamina.FloatTensor) raises
    with pytest.raises(TypeError):
        isinstance(lamina.zeros(1), lamina.FloatTensor)
