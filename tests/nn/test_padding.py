"""Zero/Constant/Reflection/Replication/CircularPad{1,2,3}d against torch."""

import numpy as np
import pytest
import torch
import torchinfo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, compare_with_torch

import lamina
import lamina.nn as nn
from lamina.autograd import gradcheck

F = nn.functional

KINDS = ["Zero", "Constant", "Reflection", "Replication", "Circular"]


def _layers(kind, dims, padding, value=1.5):
    name = f"{kind}Pad{dims}d"
    args = (padding, value) if kind == "Constant" else (padding,)
    return getattr(nn, name)(*args), getattr(torch.nn, name)(*args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=6, deadline=None)
@given(dims=st.integers(1, 3), batched=st.booleans(), data=st.data())
def test_padding_matches_torch(dtype, kind, dims, batched, data):
    sizes = data.draw(st.lists(st.integers(2, 4), min_size=dims, max_size=dims))
    # reflection needs amounts below the size, circular at most the size
    limit = min(sizes) - 1
    amounts = data.draw(st.one_of(
        st.integers(0, limit),
        st.lists(st.integers(0, limit), min_size=2 * dims, max_size=2 * dims).map(tuple)))
    ours, theirs = _layers(kind, dims, amounts)
    shape = ((2,) if batched else ()) + (3,) + tuple(sizes)
    array = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    compare_with_torch(ours, theirs, array)


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck(kind):
    rng = np.random.default_rng(0)
    for dims in (1, 2, 3):
        ours, _ = _layers(kind, dims, tuple(range(1, 2 * dims + 1)) if kind in (
            "Zero", "Constant") else 1)
        x = lamina.tensor(rng.standard_normal((1, 2) + (3,) * dims), requires_grad=True)
        assert gradcheck(ours, (x,))


def test_constant_pad_crops_with_negative_amounts_and_keeps_integers():
    ours, theirs = _layers("Constant", 2, (-1, 2, 0, -1), value=3)
    compare_with_torch(ours, theirs, np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    ints = np.arange(12).reshape(3, 4)
    assert_close(nn.ZeroPad2d(1)(lamina.tensor(ints)), torch.nn.ZeroPad2d(1)(torch.tensor(ints)))
    assert_close(nn.ReflectionPad1d(2)(lamina.tensor(ints)),
                 torch.nn.ReflectionPad1d(2)(torch.tensor(ints)))


def test_short_padding_tuple_pads_fewer_dims_like_torch():
    # torch stores a tuple as given: ZeroPad2d((1, 2)) pads only the last dim
    for kind in ("Zero", "Reflection", "Replication"):
        ours, theirs = _layers(kind, 2, (1, 2))
        compare_with_torch(ours, theirs, np.ones((2, 3, 4), np.float32))


def test_repr_and_state_dict_match_torch():
    for kind in KINDS:
        for dims in (1, 2, 3):
            for padding in (1, tuple(range(2 * dims)), list(range(2 * dims))):
                ours, theirs = _layers(kind, dims, padding, value=2)
                assert repr(ours) == repr(theirs)
                assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    assert nn.ZeroPad2d(1).value == torch.nn.ZeroPad2d(1).value
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)


@pytest.mark.parametrize("kind, dims, shape, padding, error", [
    ("Reflection", 1, (2, 3, 4), 4, RuntimeError),      # amount >= size
    ("Reflection", 2, (3, 4), 1, NotImplementedError),  # too few dims for the mode
    ("Replication", 2, (5,), 1, RuntimeError),          # more padding than dims
    ("Circular", 1, (2, 3, 4), 5, RuntimeError),        # wraps around more than once
    ("Circular", 1, (4,), 1, ValueError),               # the module's own rank check
    ("Circular", 2, (1, 2, 3, 4, 5), 1, ValueError),
    ("Constant", 3, (4, 5), 1, RuntimeError),
    ("Reflection", 2, (3, 4), (1, 2, 1), RuntimeError),  # odd length
])
def test_bad_input_raises_torch_type_naming_the_layer(kind, dims, shape, padding, error):
    ours, theirs = _layers(kind, dims, padding)
    with pytest.raises(error):
        theirs(torch.zeros(shape))
    with pytest.raises(error, match=f"{kind}Pad{dims}d"):
        ours(lamina.zeros(shape))


@pytest.mark.parametrize("mode", ["replicate", "reflect", "circular"])
@pytest.mark.parametrize("pad, shape", [((-1, 2), (2, 3, 8)), ((2, -3), (2, 3, 8)),
                                        ((-2, -1), (1, 8)), ((-1, 2, 1, -1), (1, 2, 3, 4)),
                                        ((1, -1, -1, 1), (2, 5, 4))])
def test_negative_non_constant_padding_crops_like_torch(mode, pad, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare_with_torch(lambda t: F.pad(t, pad, mode=mode),
                       lambda t: torch.nn.functional.pad(t, pad, mode=mode), x)


def test_negative_padding_layer_and_cropping_everything():
    ours, theirs = _layers("Replication", 1, (-1, 2))
    compare_with_torch(ours, theirs, np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    with pytest.raises(RuntimeError, match="crops input of shape"):
        F.pad(lamina.ones(1, 3), (-2, -1), mode="replicate")


def _summary_model(nn_module):
    return nn_module.Sequential(
        nn_module.ReflectionPad2d(1), nn_module.Conv2d(2, 3, 3), nn_module.ZeroPad2d((1, 0, 2, 1)),
        nn_module.ReplicationPad2d(1), nn_module.CircularPad2d(1),
        nn_module.ConstantPad2d(1, 0.5), nn_module.ConstantPad1d(1, 0.0),
        nn_module.ReflectionPad3d(1))


def test_summary_matches_torchinfo():
    theirs = torchinfo.summary(_summary_model(torch.nn), input_size=(2, 2, 5, 5), verbose=0)
    ours = lamina.summary(_summary_model(nn), input_size=(2, 2, 5, 5), verbose=0)
    assert str(ours) == str(theirs)
