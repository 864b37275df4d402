"""Max, average and adaptive pooling (layers and functional forms), against torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, compare_with_torch

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck
from lamina.nn.modules._errors import ShapeError

TF = torch.nn.functional
RNG = np.random.default_rng(99)


def _x(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


MAX2D_CASES = [
    # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, True),
    ((2, 3, 7, 9), (2, 3), (1, 2), (1, 1), (2, 1), False),
    ((2, 3, 10, 9), 3, 3, 1, 2, True),
    ((2, 3, 6, 5), (3, 2), 1, 0, 1, False),        # overlapping windows
    ((3, 8, 9), 2, 2, 1, 1, True),                 # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", MAX2D_CASES, ids=str)
def test_max_pool2d_matches_torch(case, dtype):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    ours, theirs = compare_with_torch(
        lambda x: F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, True),
        lambda x: TF.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, True),
        _x(shape, dtype))
    assert ours[1].dtype == lamina.int64
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


@pytest.mark.parametrize("case", [((2, 3, 11), 3, 2, 1, 1, False), ((2, 3, 11), 2, 3, 1, 2, True),
                                  ((3, 10), 4, None, 2, 1, False)], ids=str)
def test_max_pool1d_matches_torch(case):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    ours, theirs = compare_with_torch(
        lambda x: F.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode, True),
        lambda x: TF.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode, True),
        _x(shape))
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_max_pool_ties_go_to_the_first_max_as_in_torch():
    x = np.round(RNG.standard_normal((2, 3, 8, 8)) * 0.6).astype(np.float32)  # many ties
    x[0, 0] = 1.0
    for stride in (2, 1):
        ours, theirs = compare_with_torch(
            lambda x, stride=stride: F.max_pool2d(x, 3, stride, 1, return_indices=True),
            lambda x, stride=stride: TF.max_pool2d(x, 3, stride, 1, return_indices=True), x)
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_max_pool_propagates_nan_like_torch():
    x = _x((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 1] = np.nan
    ours = F.max_pool2d(lamina.tensor(x), 2, return_indices=True)
    theirs = TF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


AVG2D_CASES = [
    # (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, False, None),
    ((2, 3, 7, 9), 3, 2, 1, True, True, None),
    ((2, 3, 7, 9), 3, 2, 1, True, False, None),
    ((2, 3, 8, 7), (2, 3), (3, 2), (1, 1), True, True, None),
    ((2, 3, 6, 6), 3, 1, 1, False, True, 5),
    ((3, 7, 6), 2, 1, 1, True, False, None),       # unbatched, overlapping
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", AVG2D_CASES, ids=str)
def test_avg_pool2d_matches_torch(case, dtype):
    shape, kernel, stride, padding, ceil_mode, include, override = case
    compare_with_torch(
        lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode, include, override),
        lambda x: TF.avg_pool2d(x, kernel, stride, padding, ceil_mode, include, override),
        _x(shape, dtype))


@pytest.mark.parametrize("case", [((2, 3, 11), 3, 2, 1, True, False),
                                  ((2, 3, 11), 4, 3, 2, True, True),
                                  ((3, 10), 2, None, 0, False, True)], ids=str)
def test_avg_pool1d_matches_torch(case):
    shape, kernel, stride, padding, ceil_mode, include = case
    compare_with_torch(lambda x: F.avg_pool1d(x, kernel, stride, padding, ceil_mode, include),
                       lambda x: TF.avg_pool1d(x, kernel, stride, padding, ceil_mode, include),
                       _x(shape))


@settings(max_examples=20)
@given(size=st.tuples(st.integers(2, 9), st.integers(2, 9)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       ceil_mode=st.booleans(), include=st.booleans(), average=st.booleans())
def test_pool2d_random_geometry_matches_torch(size, kernel, stride, ceil_mode, include, average):
    padding = tuple(k // 2 for k in kernel)
    if any(n + 2 * p < k for n, p, k in zip(size, padding, kernel)):
        return
    if average:
        compare_with_torch(
            lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode, include),
            lambda x: TF.avg_pool2d(x, kernel, stride, padding, ceil_mode, include),
            _x((2, 2) + size))
    else:
        compare_with_torch(lambda x: F.max_pool2d(x, kernel, stride, padding, 1, ceil_mode),
                           lambda x: TF.max_pool2d(x, kernel, stride, padding, 1, ceil_mode),
                           _x((2, 2) + size))


@pytest.mark.parametrize("shape, output_size", [
    ((2, 3, 8, 8), 4), ((2, 3, 7, 9), (3, 4)), ((2, 3, 5, 6), (7, 8)), ((2, 3, 9, 7), (None, 2)),
    ((3, 10, 6), 1),
], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adaptive_avg_pool2d_matches_torch(shape, output_size, dtype):
    compare_with_torch(lambda x: F.adaptive_avg_pool2d(x, output_size),
                       lambda x: TF.adaptive_avg_pool2d(x, output_size), _x(shape, dtype))


@pytest.mark.parametrize("shape, output_size", [((2, 3, 10), 4), ((2, 3, 7), 3), ((3, 5), 8)],
                         ids=str)
def test_adaptive_avg_pool1d_matches_torch(shape, output_size):
    compare_with_torch(lambda x: F.adaptive_avg_pool1d(x, output_size),
                       lambda x: TF.adaptive_avg_pool1d(x, output_size), _x(shape))


@pytest.mark.parametrize("shape, output_size", [
    ((2, 3, 8, 8), 4), ((2, 3, 7, 9), (3, 4)), ((2, 3, 5, 6), (7, 8)), ((3, 9, 7), (2, None)),
], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adaptive_max_pool2d_matches_torch(shape, output_size, dtype):
    ours, theirs = compare_with_torch(
        lambda x: F.adaptive_max_pool2d(x, output_size, return_indices=True),
        lambda x: TF.adaptive_max_pool2d(x, output_size, return_indices=True), _x(shape, dtype))
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_adaptive_max_pool1d_matches_torch():
    ours, theirs = compare_with_torch(
        lambda x: F.adaptive_max_pool1d(x, 4, return_indices=True),
        lambda x: TF.adaptive_max_pool1d(x, 4, return_indices=True), _x((2, 3, 10)))
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


# ---------------------------------------------------------------- layers
LAYERS = [
    (nn.MaxPool2d, torch.nn.MaxPool2d, (2,), {}),
    (nn.MaxPool2d, torch.nn.MaxPool2d, ((3, 2),), dict(stride=(2, 1), padding=1, dilation=(1, 2),
                                                       ceil_mode=True)),
    (nn.MaxPool1d, torch.nn.MaxPool1d, (3,), dict(stride=2, padding=1)),
    (nn.AvgPool2d, torch.nn.AvgPool2d, (3,), dict(stride=2, padding=1, ceil_mode=True,
                                                  count_include_pad=False)),
    (nn.AvgPool2d, torch.nn.AvgPool2d, (2,), dict(divisor_override=3)),
    (nn.AvgPool1d, torch.nn.AvgPool1d, (3,), dict(stride=1, padding=1)),
    (nn.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d, ((3, 5),), {}),
    (nn.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d, (1,), {}),
    (nn.AdaptiveAvgPool1d, torch.nn.AdaptiveAvgPool1d, (4,), {}),
    (nn.AdaptiveMaxPool2d, torch.nn.AdaptiveMaxPool2d, ((3, 4),), {}),
    (nn.AdaptiveMaxPool1d, torch.nn.AdaptiveMaxPool1d, (3,), {}),
]


@pytest.mark.parametrize("ours, theirs, args, kwargs", LAYERS, ids=lambda v: str(v)[:40])
def test_layer_matches_torch(ours, theirs, args, kwargs):
    layer, reference = ours(*args, **kwargs), theirs(*args, **kwargs)
    assert repr(layer) == repr(reference)
    shape = (2, 3, 9) if "1d" in ours.__name__ else (2, 3, 7, 9)
    compare_with_torch(layer, reference, _x(shape, np.float32))


def test_max_pool2d_layer_return_indices():
    layer = nn.MaxPool2d(2, return_indices=True)
    out, indices = layer(lamina.tensor(_x((1, 2, 4, 4))))
    assert out.shape == indices.shape == (1, 2, 2, 2)


@pytest.mark.parametrize("layer, shape", [
    (lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 2, 5, 6)),
    (lambda: nn.MaxPool1d(2, 1, 1, dilation=2), (2, 2, 6)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 5, 6)),
    (lambda: nn.AvgPool1d(3, 2, 1), (2, 2, 7)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7)),
    (lambda: nn.AdaptiveAvgPool1d(3), (2, 2, 7)),
    (lambda: nn.AdaptiveMaxPool2d((2, 3)), (2, 2, 5, 7)),
    (lambda: nn.AdaptiveMaxPool1d(3), (2, 2, 7)),
], ids=["max2d", "max1d", "avg2d", "avg1d", "adaptive-avg2d", "adaptive-avg1d",
        "adaptive-max2d", "adaptive-max1d"])
def test_layer_gradcheck(layer, shape):
    # distinct, well separated values: finite differences never cross a max-pool tie
    values = RNG.permutation(np.prod(shape)).reshape(shape) * 0.1
    x = lamina.tensor(values, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(layer(), (x,), eps=1e-6, atol=1e-6)


def test_float32_stays_float32():
    x = lamina.randn(2, 3, 7, 7)
    for y in (F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
              F.adaptive_avg_pool2d(x, 3), F.adaptive_max_pool2d(x, 3)):
        assert y.dtype == lamina.float32


# ---------------------------------------------------------------- bad input
def test_wrong_rank_names_the_layer():
    with pytest.raises(ShapeError, match=r"MaxPool2d\(kernel_size=2.*\(5, 5\)"):
        nn.MaxPool2d(2)(lamina.randn(5, 5))
    with pytest.raises(RuntimeError):
        torch.nn.MaxPool2d(2)(torch.randn(5, 5))


@pytest.mark.parametrize("call, torch_call, match", [
    (lambda x: F.max_pool2d(x, 3, padding=2), lambda x: TF.max_pool2d(x, 3, padding=2),
     "half"),
    (lambda x: F.avg_pool2d(x, 2, padding=2), lambda x: TF.avg_pool2d(x, 2, padding=2), "half"),
    (lambda x: F.max_pool2d(x, 5), lambda x: TF.max_pool2d(x, 5), "too small"),
    (lambda x: F.max_pool2d(x, 0), lambda x: TF.max_pool2d(x, 0), "positive"),
], ids=["max-pad", "avg-pad", "too-small", "zero-kernel"])
def test_functional_errors_match_torch_types(call, torch_call, match):
    x = _x((1, 2, 4, 4), np.float32)
    with pytest.raises(RuntimeError):
        torch_call(torch.from_numpy(x))
    with pytest.raises(RuntimeError, match=match):
        call(lamina.tensor(x))


def test_integer_max_pool2d_matches_torch_and_other_integer_pools_raise_like_torch():
    x = RNG.integers(-50, 50, (2, 3, 7, 7))
    ours = F.max_pool2d(lamina.tensor(x), 3, 2, 1, return_indices=True)
    theirs = TF.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == lamina.int64
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    for name in ("max_pool1d", "adaptive_max_pool2d", "adaptive_avg_pool2d"):
        args = (x[0], 2) if name == "max_pool1d" else (x, 2)
        with pytest.raises(NotImplementedError):
            getattr(TF, name)(torch.from_numpy(args[0]), 2)
        with pytest.raises(NotImplementedError, match="floating"):
            getattr(F, name)(lamina.tensor(args[0]), 2)


def test_pooling_output_feeds_a_training_step_like_torch():
    x = _x((4, 3, 8, 8), np.float32)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 2))
    reference = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                                    torch.nn.MaxPool2d(2), torch.nn.AvgPool2d(2),
                                    torch.nn.Flatten(), torch.nn.Linear(16, 2))
    model.load_state_dict({k: v.detach().numpy().copy()
                           for k, v in reference.state_dict().items()})
    ours, theirs = model(lamina.tensor(x)), reference(torch.from_numpy(x))
    assert_close(ours, theirs, atol=1e-5)
    ours.pow(2).sum().backward()
    theirs.pow(2).sum().backward()
    for name, parameter in reference.named_parameters():
        assert_close(dict(model.named_parameters())[name].grad, parameter.grad, atol=1e-4)
