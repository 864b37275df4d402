"""Fold, Unfold and ChannelShuffle (and F.fold/F.unfold/F.channel_shuffle) against torch."""

import numpy as np
import pytest
import torch
import torchinfo
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, compare_with_torch

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

_blocks = st.fixed_dictionaries({
    "kernel_size": st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    "dilation": st.one_of(st.just(1), st.tuples(st.integers(1, 2), st.integers(1, 2))),
    "padding": st.one_of(st.integers(0, 1), st.tuples(st.integers(0, 2), st.integers(0, 1))),
    "stride": st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 3), st.integers(1, 2))),
})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=15, deadline=None)
@given(options=_blocks, batched=st.booleans(), height=st.integers(4, 6), width=st.integers(4, 6))
def test_unfold_then_fold_match_torch(dtype, options, batched, height, width):
    pairs = {k: v if isinstance(v, tuple) else (v, v) for k, v in options.items()}
    for axis, size in enumerate((height, width)):  # at least one block along each axis
        assume(pairs["dilation"][axis] * (pairs["kernel_size"][axis] - 1) + 1
               <= size + 2 * pairs["padding"][axis])
    shape = ((2,) if batched else ()) + (3, height, width)
    array = np.random.default_rng(height * width).standard_normal(shape).astype(dtype)
    blocks, _ = compare_with_torch(nn.Unfold(**options), torch.nn.Unfold(**options), array)
    folded = np.random.default_rng(1).standard_normal(tuple(blocks.shape)).astype(dtype)
    compare_with_torch(nn.Fold((height, width), **options),
                       torch.nn.Fold((height, width), **options), folded)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups, shape", [(2, (2, 4, 3)), (3, (1, 6, 2, 2)), (1, (2, 3, 2)),
                                           (4, (2, 8, 1, 2, 2)), (2, (3, 2, 5))])
def test_channel_shuffle_matches_torch(dtype, groups, shape):
    array = np.random.default_rng(groups).standard_normal(shape).astype(dtype)
    compare_with_torch(nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups), array)
    ints = np.arange(np.prod(shape)).reshape(shape)
    assert_close(F.channel_shuffle(lamina.tensor(ints), groups),
                 torch.nn.functional.channel_shuffle(torch.tensor(ints), groups))


def test_gradcheck():
    rng = np.random.default_rng(2)
    x = lamina.tensor(rng.standard_normal((2, 2, 4, 5)), requires_grad=True)
    options = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    assert gradcheck(lambda x: F.unfold(x, **options), (x,))
    columns = lamina.tensor(rng.standard_normal((2, 12, 6)), requires_grad=True)
    assert gradcheck(lambda c: F.fold(c, (3, 4), 2, padding=(0, 1), stride=(1, 2)), (columns,))
    assert gradcheck(lambda x: F.channel_shuffle(x, 2), (x,))


def test_fold_of_unfold_counts_each_pixel_once_per_block():
    # the classic identity: fold(unfold(ones)) gives how many blocks cover each pixel
    ones = lamina.ones(1, 1, 4, 4)
    ours = F.fold(F.unfold(ones, 3, padding=1), (4, 4), 3, padding=1)
    theirs = torch.nn.functional.fold(torch.nn.functional.unfold(torch.ones(1, 1, 4, 4), 3,
                                                                 padding=1), (4, 4), 3, padding=1)
    assert_close(ours, theirs)
    assert ours.dtype == lamina.float32


def test_repr_and_state_dict_match_torch():
    pairs = [((2,), {}), ((2,), dict(dilation=2, padding=1, stride=(1, 2))), (((2, 3),), {})]
    for args, options in pairs:
        assert repr(nn.Unfold(*args, **options)) == repr(torch.nn.Unfold(*args, **options))
        assert repr(nn.Fold((4, 5), *args, **options)) == repr(
            torch.nn.Fold((4, 5), *args, **options))
    assert repr(nn.Fold(4, 2)) == repr(torch.nn.Fold(4, 2))
    assert repr(nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3))
    for layer in (nn.Unfold(2), nn.Fold(4, 2), nn.ChannelShuffle(2)):
        assert list(layer.state_dict()) == []


@pytest.mark.parametrize("make, shape, error", [
    (lambda m: m.Unfold(2), (1, 2, 3, 4, 5), RuntimeError),
    (lambda m: m.Unfold(5), (1, 2, 3, 4), RuntimeError),
    (lambda m: m.Fold(4, 2), (2, 7, 9), RuntimeError),
    (lambda m: m.Fold(4, 2), (2, 8, 8), RuntimeError),
    (lambda m: m.Fold(4, 2), (2, 8), RuntimeError),
    (lambda m: m.ChannelShuffle(2), (2, 3, 4), RuntimeError),
    (lambda m: m.ChannelShuffle(2), (2, 4), RuntimeError),
])
def test_bad_input_raises_torch_type_naming_the_layer(make, shape, error):
    with pytest.raises(error):
        make(torch.nn)(torch.zeros(shape))
    layer = make(nn)
    with pytest.raises(error, match=type(layer).__name__):
        layer(lamina.zeros(*shape))
    with pytest.raises(NotImplementedError):
        nn.Unfold(2)(lamina.zeros(1, 1, 3, 3, dtype=lamina.int64))


def _summary_model(nn_module):
    return nn_module.Sequential(
        nn_module.Conv2d(2, 4, 1), nn_module.ChannelShuffle(2), nn_module.Unfold(2, stride=2),
        nn_module.Fold((4, 6), 2, stride=2), nn_module.Unfold(3, padding=1))


def test_summary_matches_torchinfo():
    theirs = torchinfo.summary(_summary_model(torch.nn), input_size=(2, 2, 4, 6), verbose=0)
    ours = lamina.summary(_summary_model(nn), input_size=(2, 2, 4, 6), verbose=0)
    assert str(ours) == str(theirs)
