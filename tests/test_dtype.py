"""dtypes: names, flags, aliases, finfo/iinfo and the default dtype, against torch."""

from __future__ import annotations

import pickle

import pytest
import torch

import lamina
from lamina import _dtype

NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", NAMES)
def test_dtype_flags_and_repr_match_torch(name):
    ours, theirs = getattr(lamina, name), getattr(torch, name)
    assert repr(ours).replace("lamina", "torch") == repr(theirs)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed
    assert ours.itemsize == theirs.itemsize
    assert pickle.loads(pickle.dumps(ours)) is ours


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_finfo_matches_torch(name):
    ours, theirs = lamina.finfo(getattr(lamina, name)), torch.finfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    for field in ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"]:
        assert getattr(ours, field) == getattr(theirs, field)
        assert type(getattr(ours, field)) is type(getattr(theirs, field))


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo_matches_torch(name):
    ours, theirs = lamina.iinfo(getattr(lamina, name)), torch.iinfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    assert (ours.min, ours.max, ours.bits) == (theirs.min, theirs.max, theirs.bits)


def test_info_rejects_the_wrong_kind():
    with pytest.raises(TypeError, match="floating point"):
        lamina.finfo(lamina.int64)
    with pytest.raises(TypeError, match="integer"):
        lamina.iinfo(lamina.float32)


def test_default_dtype_drives_python_floats():
    assert lamina.get_default_dtype() is lamina.float32
    try:
        lamina.set_default_dtype(lamina.float64)
        assert lamina.tensor([1.5]).dtype == lamina.float64
        assert lamina.zeros(2).dtype == lamina.float64
        assert repr(lamina.tensor([1.5])) == "tensor([1.5000])"
    finally:
        lamina.set_default_dtype(lamina.float32)
    assert repr(lamina.tensor([1.5], dtype=lamina.float64)) == (
        "tensor([1.5000], dtype=lamina.float64)")
    with pytest.raises(TypeError, match="floating-point"):
        lamina.set_default_dtype(lamina.int64)


def test_numpy_dtype_conversion_refuses_none_and_unknown_types():
    with pytest.raises(TypeError, match="None"):
        _dtype.to_numpy_dtype(None)
    with pytest.raises(TypeError, match="complex64"):
        _dtype.from_numpy_dtype("complex64")
    assert _dtype.to_numpy_dtype(float) == _dtype.to_numpy_dtype(lamina.float32)
    assert _dtype.to_numpy_dtype(int) == _dtype.to_numpy_dtype(lamina.int64)
