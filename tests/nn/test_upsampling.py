"""interpolate/Upsample, pixel_shuffle/PixelShuffle and pad, against torch."""

import numpy as np
import pytest
import torch
from tests.helpers import compare_with_torch

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

TF = torch.nn.functional
RNG = np.random.default_rng(7)


def _x(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


INTERPOLATE_CASES = [
    # (shape, keyword arguments)
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((2, 3, 4, 5), dict(scale_factor=(1.5, 0.7))),
    ((2, 3, 4, 5), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=(8, 10), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=1.3, mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(size=(3, 9), mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(3, 9), mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=(0.6, 1.4), mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((2, 3, 6, 8), dict(size=(4, 3), mode="area")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bicubic", align_corners=True)),
    ((2, 3, 5, 7), dict(size=(9, 4), mode="bicubic")),
    ((2, 3, 8, 6), dict(scale_factor=(0.5, 1.7), mode="bicubic")),
    ((1, 2, 1, 5), dict(size=(3, 5), mode="bicubic", align_corners=True)),
    ((1, 1, 4, 4), dict(size=(4, 4), mode="bicubic")),
    ((2, 3, 7), dict(scale_factor=3)),
    ((2, 3, 7), dict(size=11, mode="linear")),
    ((2, 3, 7), dict(scale_factor=0.5, mode="linear", align_corners=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, kwargs", INTERPOLATE_CASES, ids=str)
def test_interpolate_matches_torch(shape, kwargs, dtype):
    # bicubic sums 16 products: torch's own float32 result is ~2e-6 from the exact one
    atol = 1e-5 if kwargs.get("mode") == "bicubic" and dtype == np.float32 else None
    compare_with_torch(lambda x: F.interpolate(x, **kwargs), lambda x: TF.interpolate(x, **kwargs),
                       _x(shape, dtype), atol=atol)


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(size=(5, 3), mode="bilinear"),
                                    dict(scale_factor=1.5, mode="bilinear", align_corners=True),
                                    dict(size=(5, 7), mode="bicubic"),
                                    dict(scale_factor=0.6, mode="bicubic", align_corners=True)],
                         ids=str)
def test_interpolate_gradcheck(kwargs):
    x = lamina.randn(1, 2, 3, 4, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, **kwargs), (x,))


@pytest.mark.parametrize("args, kwargs", [
    ((), dict(scale_factor=2)), ((), dict(size=(5, 7), mode="bilinear")),
    ((), dict(scale_factor=(2, 3), mode="bilinear", align_corners=True)),
])
def test_upsample_layer_matches_torch(args, kwargs):
    layer, reference = nn.Upsample(*args, **kwargs), torch.nn.Upsample(*args, **kwargs)
    assert repr(layer) == repr(reference)
    compare_with_torch(layer, reference, _x((2, 3, 4, 5), np.float32))


def test_fixed_mode_upsampling_layers_match_torch():
    x = _x((1, 2, 3, 4), np.float32)
    compare_with_torch(nn.UpsamplingNearest2d(scale_factor=2),
                       torch.nn.UpsamplingNearest2d(scale_factor=2), x)
    compare_with_torch(nn.UpsamplingBilinear2d(size=(5, 6)),
                       torch.nn.UpsamplingBilinear2d(size=(5, 6)), x)


@pytest.mark.parametrize("call, error", [
    (lambda f, x: f.interpolate(x, size=4, scale_factor=2), ValueError),
    (lambda f, x: f.interpolate(x), ValueError),
    (lambda f, x: f.interpolate(x, scale_factor=2, align_corners=True), ValueError),
    (lambda f, x: f.interpolate(x[0], scale_factor=2, mode="bilinear"), NotImplementedError),
    (lambda f, x: f.interpolate(x, scale_factor=(2, 2, 2)), ValueError),
    (lambda f, x: f.interpolate(x, size=(4, 4), recompute_scale_factor=True), ValueError),
], ids=["both", "neither", "align-nearest", "bilinear-3d", "scale-length", "recompute-size"])
def test_interpolate_errors_match_torch_types(call, error):
    """The same call (F and torch's F share the names) raises the same type in both."""
    x = _x((1, 2, 3, 3), np.float32)
    with pytest.raises(error):
        call(TF, torch.from_numpy(x))
    with pytest.raises(error):
        call(F, lamina.tensor(x))


# ---------------------------------------------------------------- pixel shuffle
@pytest.mark.parametrize("shape, factor", [((2, 8, 3, 4), 2), ((18, 2, 3), 3),
                                           ((2, 1, 4, 3, 2), 2)], ids=str)
def test_pixel_shuffle_matches_torch(shape, factor):
    compare_with_torch(lambda x: F.pixel_shuffle(x, factor),
                       lambda x: TF.pixel_shuffle(x, factor), _x(shape, np.float32))
    shuffled = tuple(TF.pixel_shuffle(torch.zeros(shape), factor).shape)
    compare_with_torch(lambda x: F.pixel_unshuffle(x, factor),
                       lambda x: TF.pixel_unshuffle(x, factor), _x(shuffled, np.float32))


def test_pixel_shuffle_layers_match_torch():
    for ours, theirs in ((nn.PixelShuffle(2), torch.nn.PixelShuffle(2)),
                         (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2))):
        assert repr(ours) == repr(theirs)
        compare_with_torch(ours, theirs, _x((2, 8, 4, 6), np.float32))


def test_pixel_shuffle_rejects_indivisible_channels():
    with pytest.raises(RuntimeError):
        TF.pixel_shuffle(torch.zeros(1, 6, 2, 2), 2)
    with pytest.raises(RuntimeError, match="divisible by 4"):
        F.pixel_shuffle(lamina.zeros(1, 6, 2, 2), 2)


# ---------------------------------------------------------------- pad
PAD_CASES = [
    ((2, 3, 4, 5), (1, 2), "constant", 0.5),
    ((2, 3, 4, 5), (1, 2, 0, 3), "constant", None),
    ((2, 3, 4, 5), (-1, 2, 1, -2), "constant", None),
    ((2, 3, 4, 5), (1, 1, 2, 0, 1, 1, 0, 1), "constant", 2.0),
    ((2, 3, 4, 5), (2, 1, 3, 2), "reflect", None),
    ((3, 4, 5), (4, 4, 3, 3), "reflect", None),
    ((2, 3, 5), (3, 1), "reflect", None),
    ((2, 3, 4, 5), (2, 1, 3, 2), "replicate", None),
    ((2, 3, 5), (0, 4), "replicate", None),
    ((2, 3, 4, 5), (2, 5, 4, 1), "circular", None),
    ((2, 3, 4, 5, 3), (1, 2, 0, 1, 2, 0), "replicate", None),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, pad, mode, value", PAD_CASES, ids=str)
def test_pad_matches_torch(shape, pad, mode, value, dtype):
    compare_with_torch(lambda x: F.pad(x, pad, mode, value), lambda x: TF.pad(x, pad, mode, value),
                       _x(shape, dtype))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    x = lamina.randn(1, 2, 3, 4, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, (2, 3, 1, 2), mode), (x,))


@pytest.mark.parametrize("shape, pad, mode, error", [
    ((1, 2, 3, 3), (3, 3), "reflect", RuntimeError),
    ((1, 2, 3, 3), (1,), "constant", RuntimeError),
    ((1, 2, 3, 3), (1, 1), "reflect", NotImplementedError),
    ((1, 2, 3, 3), (4, 4, 0, 0), "circular", RuntimeError),
], ids=["reflect-too-wide", "odd-length", "wrong-rank", "circular-too-wide"])
def test_pad_errors_match_torch_types(shape, pad, mode, error):
    x = np.zeros(shape, dtype=np.float32)
    with pytest.raises(error):
        TF.pad(torch.from_numpy(x), pad, mode)
    with pytest.raises(error, match="pad"):
        F.pad(lamina.tensor(x), pad, mode)


@pytest.mark.parametrize("layer", [lambda: nn.PixelShuffle(2), lambda: nn.PixelUnshuffle(2),
                                   lambda: nn.Upsample(scale_factor=1.5, mode="bilinear"),
                                   lambda: nn.Upsample(size=(5, 3))],
                         ids=["shuffle", "unshuffle", "upsample-bilinear", "upsample-nearest"])
def test_layer_gradcheck(layer):
    x = lamina.randn(1, 4, 4, 2, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(layer(), (x,))
