"""The convolution and pooling fast paths against torch and against the general path.

Conv2d/Conv1d and MaxPool2d run on bare arrays in Sequential's inference path
(`_array_forward`); a single sample's ungrouped convolution with many channels takes the
channels-last route; max pooling without indices takes the max over rows, then columns.
Each must give torch's numbers and exactly the recorded path's numbers, for every argument
combination (those it does not handle hand over to the normal path).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_close, copy_module_weights, layer_pair

import lamina
import lamina.nn as nn

RNG = np.random.default_rng(77)

CONV_LAYERS = [
    # (layer name, args, kwargs, input shape)
    ("Conv2d", (3, 16, 3), dict(padding=1), (1, 3, 32, 32)),
    ("Conv2d", (16, 32, 3), dict(padding=1), (1, 16, 16, 16)),       # channels-last route
    ("Conv2d", (16, 32, 3), dict(padding=1), (16, 16, 16)),          # unbatched
    ("Conv2d", (16, 8, 3), dict(padding=1), (3, 16, 16, 16)),
    ("Conv2d", (12, 8, (3, 2)), dict(stride=(2, 1), padding=(1, 2)), (1, 12, 9, 7)),
    ("Conv2d", (12, 8, 3), dict(dilation=(2, 1), padding="same"), (1, 12, 9, 7)),
    ("Conv2d", (12, 8, (4, 2)), dict(padding="same", dilation=(1, 2)), (1, 12, 9, 7)),
    ("Conv2d", (12, 8, 3), dict(stride=2, dilation=2), (1, 12, 11, 10)),
    ("Conv2d", (12, 8, 3), dict(padding="valid", bias=False), (1, 12, 6, 6)),
    ("Conv2d", (12, 6, 3), dict(groups=3, padding=1), (1, 12, 6, 6)),
    ("Conv2d", (12, 8, 3), dict(padding=1, padding_mode="reflect"), (1, 12, 6, 6)),
    ("Conv2d", (12, 8, 3), dict(padding=1, padding_mode="circular"), (2, 12, 6, 6)),
    ("Conv2d", (12, 8, 5), {}, (1, 12, 5, 5)),                      # kernel the size of x
    ("Conv1d", (12, 8, 3), dict(padding=1), (1, 12, 10)),
    ("Conv1d", (12, 8, 3), dict(stride=2), (12, 10)),
]

POOL_LAYERS = [
    ((2,), {}, (1, 16, 32, 32)),
    ((2, 2), {}, (3, 32, 16, 16)),
    ((3,), dict(stride=2, padding=1), (1, 4, 9, 9)),
    ((3,), dict(stride=2, ceil_mode=True), (1, 4, 8, 8)),
    (((2, 3),), dict(stride=(1, 2), dilation=(2, 1)), (4, 9, 9)),
    ((1,), dict(stride=2), (1, 4, 5, 5)),
    ((3,), dict(stride=1, padding=1), (2, 4, 5, 5)),
    ((3,), {}, (2, 4, 9, 6)),                        # tiles of 3
    ((2,), {}, (1, 4, 7, 6)),                        # an odd height: the last row unused
    ((2,), dict(ceil_mode=True), (1, 4, 7, 7)),
]


def _inference_matches(model, shape, dtype):
    """model under no_grad (the array path) gives exactly the recorded path's numbers."""
    x = lamina.tensor(RNG.standard_normal(shape).astype(dtype))
    recorded = model(x)
    with lamina.no_grad():
        fast = model(x)
    assert fast.dtype == recorded.dtype and fast.shape == recorded.shape
    np.testing.assert_array_equal(fast.numpy(), recorded.detach().numpy())
    return x, fast


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, args, kwargs, shape", CONV_LAYERS, ids=str)
def test_conv_inference_path_matches_the_recorded_path_and_torch(name, args, kwargs, shape,
                                                                 dtype):
    ours, theirs = layer_pair(name, *args, dtype=dtype, **kwargs)
    x, fast = _inference_matches(nn.Sequential(ours, nn.ReLU()), shape, dtype)
    with torch.no_grad():
        expected = torch.relu(theirs(torch.from_numpy(x.numpy())))
    # sums of 100+ products of O(1) terms: float32 rounding is about 1e-6 absolute
    assert_close(fast, expected, atol=1e-5 if dtype == np.float32 else None)


@pytest.mark.parametrize("name, args, kwargs, shape", CONV_LAYERS, ids=str)
def test_conv_gradients_match_torch(name, args, kwargs, shape):
    ours, theirs = layer_pair(name, *args, **kwargs)
    x = lamina.tensor(RNG.standard_normal(shape).astype(np.float32), requires_grad=True)
    tx = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()
    out, expected = ours(x), theirs(tx)
    slack = dict(atol=1e-5)  # sums of 100+ products of O(1) terms, as above
    assert_close(out, expected, **slack)
    upstream = RNG.standard_normal(out.shape).astype(np.float32)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(x.grad, tx.grad, **slack)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad, rtol=1e-5, atol=1e-4)  # sums over every output pixel


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("args, kwargs, shape", POOL_LAYERS, ids=str)
def test_max_pool_inference_path_matches_the_recorded_path_and_torch(args, kwargs, shape,
                                                                     dtype):
    model = nn.Sequential(nn.Conv2d(shape[-3], shape[-3], 1), nn.MaxPool2d(*args, **kwargs))
    reference = torch.nn.Sequential(torch.nn.Conv2d(shape[-3], shape[-3], 1),
                                    torch.nn.MaxPool2d(*args, **kwargs))
    model.to(lamina.float64 if dtype == np.float64 else lamina.float32)
    reference.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_module_weights(reference, model)
    x, fast = _inference_matches(model, shape, dtype)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x.numpy()))
    assert_close(fast, expected)


def test_max_pool_inference_path_keeps_nan_and_infinities_like_torch():
    array = RNG.standard_normal((1, 2, 6, 6)).astype(np.float32)
    array[0, 0, 0, 1] = np.nan
    array[0, 1, 2:4, 2:4] = -np.inf
    array[0, 1, 4, 5] = np.inf
    with lamina.no_grad():
        fast = nn.Sequential(nn.MaxPool2d(2), nn.Identity())(lamina.tensor(array))
    expected = torch.nn.functional.max_pool2d(torch.from_numpy(array), 2)
    np.testing.assert_array_equal(fast.numpy(), expected.numpy())


def test_inference_path_follows_weights_changed_in_place():
    model = nn.Sequential(nn.Conv2d(16, 4, 3, padding=1), nn.MaxPool2d(2))
    x = lamina.randn(1, 16, 8, 8)
    with lamina.no_grad():
        before = model(x)
        model[0].weight.mul_(2.0)
        model[0].bias.mul_(2.0)
        after = model(x)
    np.testing.assert_allclose(after.numpy(), 2 * before.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [
    lambda: nn.Sequential(nn.Conv2d(3, 4, 3))(lamina.randn(1, 5, 8, 8)),    # channels
    lambda: nn.Sequential(nn.Conv2d(3, 4, 5))(lamina.randn(1, 3, 3, 3)),    # kernel too big
    lambda: nn.Sequential(nn.MaxPool2d(2))(lamina.randn(8, 8)),             # rank
    lambda: nn.Sequential(nn.MaxPool2d(4, padding=3))(lamina.randn(1, 1, 8, 8)),
])
def test_inference_path_raises_what_the_normal_path_raises(bad):
    with pytest.raises(RuntimeError) as recorded:
        bad()
    with lamina.no_grad(), pytest.raises(type(recorded.value)) as fast:
        bad()
    assert str(fast.value) == str(recorded.value)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)],
                         ids=str)
def test_max_pool_over_several_chunks_of_the_batch_matches_torch(kwargs):
    # 40 samples of 8x32x32 span several of the pooling's chunks; rounded values make ties,
    # and one NaN sits in a later chunk
    array = np.round(RNG.standard_normal((40, 8, 32, 32)), 1).astype(np.float32)
    array[21, 3, 5, 7] = np.nan
    x = lamina.tensor(array, requires_grad=True)
    tx = torch.from_numpy(array.copy()).requires_grad_()
    out, index = nn.MaxPool2d(return_indices=True, **kwargs)(x)
    expected, expected_index = torch.nn.MaxPool2d(return_indices=True, **kwargs)(tx)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(index.numpy(), expected_index.numpy())
    upstream = RNG.standard_normal(out.shape).astype(np.float32)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(x.grad, tx.grad)
