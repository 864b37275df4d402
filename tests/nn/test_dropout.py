"""Dropout, Dropout1d, Dropout2d and AlphaDropout: eval identity, kept fraction, scaling."""

import math
import warnings

import numpy as np
import pytest
import torch
from tests.helpers import assert_close

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

ALPHA = 1.7580993408473766  # SELU's saturation value, -scale * alpha


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"])
def test_eval_mode_is_identity(name):
    layer = getattr(nn, name)(0.5).eval()
    x = lamina.randn(2, 3, 4, 5) if name != "Dropout1d" else lamina.randn(2, 3, 4)
    assert layer(x) is x


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"])
def test_repr_and_bad_p_match_torch(name):
    for args in [(), (0.2, True)]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
            getattr(nn, name)(p)
        with pytest.raises(ValueError):
            getattr(torch.nn, name)(p)


@pytest.mark.parametrize("dtype", [lamina.float32, lamina.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_about_1_minus_p_and_scales_by_its_inverse(p, dtype):
    lamina.manual_seed(0)
    x = lamina.ones(400, 500, dtype=dtype, requires_grad=True)
    out = nn.Dropout(p)(x)
    values = out.detach().numpy()
    assert out.dtype == dtype
    kept = values != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    out.sum().backward()
    # the gradient flows through the same mask, with the same scale
    np.testing.assert_array_equal(x.grad.numpy(), values)


def test_dropout_is_unbiased_like_torch():
    lamina.manual_seed(1)
    array = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)
    ours = F.dropout(lamina.tensor(array), 0.3).detach().numpy()
    theirs = torch.nn.functional.dropout(torch.from_numpy(array), 0.3).numpy()
    # both keep E[out] = x: the mean agrees within sampling noise
    assert abs(ours.mean() - array.mean()) < 0.02
    assert abs(theirs.mean() - array.mean()) < 0.02
    # and each kept element equals x / (1 - p), as in torch
    kept = ours != 0
    np.testing.assert_allclose(ours[kept], array[kept] / 0.7, rtol=1e-6)


def test_dropout_p_zero_and_one_match_torch():
    x = lamina.randn(3, 4)
    assert F.dropout(x, 0.0) is x
    out = F.dropout(x, 1.0)
    assert_close(out, torch.nn.functional.dropout(torch.from_numpy(x.numpy()), 1.0))


def test_dropout_inplace_writes_into_the_input():
    lamina.manual_seed(2)
    x = lamina.ones(50, 50)
    out = nn.Dropout(0.5, inplace=True)(x)
    assert out is x
    values = x.numpy()
    assert set(np.unique(values)) == {0.0, 2.0}


def test_dropout_inplace_on_non_leaf_keeps_gradients():
    lamina.manual_seed(3)
    leaf = lamina.ones(20, 20, requires_grad=True)
    hidden = leaf * 3
    out = F.dropout(hidden, 0.5, inplace=True)
    assert out is hidden
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), out.detach().numpy())


def test_dropout_repeats_under_manual_seed():
    lamina.manual_seed(7)
    first = F.dropout(lamina.ones(10, 10)).numpy()
    lamina.manual_seed(7)
    assert (F.dropout(lamina.ones(10, 10)).numpy() == first).all()


@pytest.mark.parametrize("shape", [(8, 16, 30), (16, 30)])
def test_dropout1d_drops_whole_channels(shape):
    lamina.manual_seed(4)
    out = nn.Dropout1d(0.5)(lamina.ones(*shape)).numpy()
    channels = out.reshape(-1, shape[-1])
    # every channel is either all zero or all 2
    assert ((channels == 0).all(1) | (channels == 2).all(1)).all()
    assert 0.25 < (channels == 0).all(1).mean() < 0.75


def test_dropout2d_drops_whole_feature_maps_and_warns_on_3d_like_torch():
    lamina.manual_seed(5)
    out = nn.Dropout2d(0.5)(lamina.ones(8, 16, 5, 5)).numpy()
    maps = out.reshape(8 * 16, 25)
    assert ((maps == 0).all(1) | (maps == 2).all(1)).all()
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout"):
        out = F.dropout2d(lamina.ones(4, 6, 7)).numpy()
    assert ((out == 0).all(-1) | (out == 2).all(-1)).all()
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(lamina.ones(4, 6))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Feature dropout requires "
                                                                      "at least 2 dimensions"):
        F.dropout2d(lamina.ones(5))


def test_dropout1d_rejects_other_ranks_like_torch():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a "
                                           "4D input of shape"):
        F.dropout1d(lamina.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError):
        torch.nn.functional.dropout1d(torch.ones(2, 3, 4, 5))


def test_alpha_dropout_values_follow_torch_affine_map():
    p = 0.3
    a = 1 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
    array = np.random.default_rng(0).standard_normal((200, 200)).astype(np.float32)
    lamina.manual_seed(6)
    ours = nn.AlphaDropout(p).train()(lamina.tensor(array)).numpy()
    theirs = torch.nn.AlphaDropout(p).train()(torch.from_numpy(array)).numpy()
    for out in (ours, theirs):
        dropped_value = -ALPHA * a * (1 - p)
        dropped = np.isclose(out, dropped_value, rtol=0, atol=1e-6) & ~np.isclose(
            array * a + ALPHA * a * p, dropped_value, rtol=0, atol=1e-6)
        assert abs(dropped.mean() - p) < 0.02
        np.testing.assert_allclose(out[~dropped], array[~dropped] * a + ALPHA * a * p,
                                   rtol=1e-5, atol=1e-6)
    assert ours.dtype == np.float32


def test_alpha_dropout_keeps_standard_normal_statistics():
    lamina.manual_seed(8)
    x = lamina.randn(500, 500)
    out = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02


def test_alpha_dropout_gradient_is_the_scaled_mask():
    lamina.manual_seed(9)
    x = lamina.randn(30, 30, dtype=lamina.float64, requires_grad=True)
    out = F.alpha_dropout(x, 0.4, training=True)
    out.sum().backward()
    a = 1 / math.sqrt((ALPHA * ALPHA * 0.4 + 1) * 0.6)
    grads = np.unique(np.round(x.grad.numpy(), 12))
    np.testing.assert_allclose(grads, [0.0, a])


def test_integer_input_is_refused():
    with pytest.raises(NotImplementedError, match="floating point"):
        F.dropout(lamina.arange(4), 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert F.dropout(lamina.arange(4), 0.5, training=False).dtype == lamina.int64


@pytest.mark.parametrize("function,shape", [(F.dropout, (3, 4)), (F.alpha_dropout, (3, 4)),
                                            (F.dropout1d, (2, 3, 4)), (F.dropout2d, (2, 3, 2, 2))])
def test_dropout_gradcheck_with_a_fixed_mask(function, shape):
    def fixed_mask_dropout(x):
        lamina.manual_seed(11)  # the same mask on every call, so finite differences apply
        return function(x, 0.4, training=True)

    x = lamina.randn(*shape, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(fixed_mask_dropout, (x,))


@pytest.mark.parametrize("function", [F.dropout, F.alpha_dropout, F.dropout2d])
def test_dropout_on_meta_tensors_draws_no_mask(function):
    x = lamina.empty(64, 512, 32, 32, device="meta")
    out = function(x, 0.5, training=True)
    assert out.is_meta and out.shape == x.shape


@pytest.mark.parametrize("shape", [(4, 6, 3, 4, 5), (6, 3, 4, 5)])
def test_dropout3d_drops_whole_volumes(shape):
    lamina.manual_seed(12)
    layer = nn.Dropout3d(0.5)
    assert repr(layer) == repr(torch.nn.Dropout3d(0.5))
    out = layer(lamina.ones(*shape)).numpy()
    volumes = out.reshape(-1, 60)
    assert ((volumes == 0).all(1) | (volumes == 2).all(1)).all()
    assert layer.eval()(x := lamina.ones(*shape)) is x
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(lamina.ones(2, 3, 4))
