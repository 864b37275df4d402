"""Conv1d, Conv2d, ConvTranspose1d/2d and their functional forms, against torch."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, compare_with_torch, copy_module_weights, to_lamina

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck
from lamina.nn.modules._errors import ShapeError

TF = torch.nn.functional
RNG = np.random.default_rng(1234)


def _arrays(x_shape, w_shape, bias, dtype):
    x = RNG.standard_normal(x_shape).astype(dtype)
    w = RNG.standard_normal(w_shape).astype(dtype)
    b = RNG.standard_normal(w_shape[0] if bias is True else bias).astype(dtype) if bias else None
    return x, w, b


def _tolerance(dtype):
    # float32 sums of a few hundred products: relative 1e-5 with an absolute floor for values
    # that cancel to near zero
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


CONV2D_CASES = [
    # (x shape, out channels, kernel, stride, padding, dilation, groups)
    ((2, 4, 7, 9), 6, (3, 3), 1, 1, 1, 1),
    ((2, 4, 7, 9), 6, (3, 3), 2, 0, 1, 1),
    ((2, 4, 7, 9), 6, (2, 3), (2, 1), (1, 2), 1, 1),
    ((2, 4, 8, 8), 6, (3, 3), 1, 2, 2, 1),
    ((2, 4, 8, 8), 6, (3, 2), (1, 2), 0, (2, 1), 2),
    ((2, 4, 9, 7), 4, (3, 3), 1, 1, 1, 4),           # depthwise
    ((2, 4, 9, 7), 8, (3, 3), 2, 1, 1, 4),           # depthwise, channel multiplier 2
    ((2, 4, 6, 6), 6, (1, 1), 1, 0, 1, 1),           # pointwise
    ((2, 4, 7, 9), 6, (3, 3), 1, "same", 1, 1),
    ((2, 4, 7, 9), 6, (4, 2), 1, "same", (1, 2), 2),  # even kernel: torch pads the end more
    ((2, 4, 7, 9), 6, (3, 3), 1, "valid", 1, 1),
    ((4, 7, 9), 6, (3, 3), 1, 1, 1, 1),              # unbatched
    ((1, 3, 5, 5), 2, (5, 5), 3, 0, 1, 1),           # kernel as large as the input
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
def test_conv2d_matches_torch(case, bias, dtype):
    x_shape, out, kernel, stride, padding, dilation, groups = case
    x, w, b = _arrays(x_shape, (out, x_shape[-3] // groups) + kernel, bias, dtype)
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups),
        x, w, b, **_tolerance(dtype))


CONV1D_CASES = [
    ((3, 4, 11), 6, 3, 1, 1, 1, 1),
    ((3, 4, 11), 6, 4, 2, 3, 1, 2),
    ((3, 4, 11), 4, 3, 1, 2, 2, 4),
    ((3, 4, 11), 6, 4, 1, "same", 3, 1),
    ((4, 11), 6, 3, 3, 0, 1, 1),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV1D_CASES, ids=str)
def test_conv1d_matches_torch(case, dtype):
    x_shape, out, kernel, stride, padding, dilation, groups = case
    x, w, b = _arrays(x_shape, (out, x_shape[-2] // groups, kernel), True, dtype)
    compare_with_torch(
        lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
        lambda x, w, b: TF.conv1d(x, w, b, stride, padding, dilation, groups),
        x, w, b, **_tolerance(dtype))


TRANSPOSED_CASES = [
    # (x shape, out channels, kernel, stride, padding, output_padding, groups, dilation)
    ((2, 4, 5, 6), 6, (3, 3), 1, 0, 0, 1, 1),
    ((2, 4, 5, 6), 6, (3, 3), 2, 1, 1, 1, 1),
    ((2, 4, 5, 6), 6, (2, 3), (2, 3), (0, 1), (1, 2), 2, 1),
    ((2, 4, 5, 6), 4, (3, 3), 2, 1, 0, 4, (2, 1)),
    ((2, 4, 5, 6), 2, (4, 4), 3, 2, 2, 2, 1),
    ((4, 5, 6), 3, (3, 2), 1, 1, 0, 1, 2),           # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", TRANSPOSED_CASES, ids=str)
def test_conv_transpose2d_matches_torch(case, dtype):
    x_shape, out, kernel, stride, padding, output_padding, groups, dilation = case
    x, w, b = _arrays(x_shape, (x_shape[-3], out // groups) + kernel, out, dtype)
    compare_with_torch(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups,
                                           dilation),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride, padding, output_padding, groups,
                                            dilation),
        x, w, b, **_tolerance(dtype))


@pytest.mark.parametrize("case", [((2, 4, 7), 6, 3, 2, 1, 1, 2, 1), ((4, 7), 2, 4, 1, 0, 0, 1, 2)],
                         ids=str)
def test_conv_transpose1d_matches_torch(case):
    x_shape, out, kernel, stride, padding, output_padding, groups, dilation = case
    x, w, b = _arrays(x_shape, (x_shape[-2], out // groups, kernel), out, np.float64)
    compare_with_torch(
        lambda x, w, b: F.conv_transpose1d(x, w, b, stride, padding, output_padding, groups,
                                           dilation),
        lambda x, w, b: TF.conv_transpose1d(x, w, b, stride, padding, output_padding, groups,
                                            dilation),
        x, w, b, **_tolerance(np.float64))


@settings(max_examples=15)
@given(batch=st.integers(1, 3), channels=st.sampled_from([(2, 4, 1), (4, 4, 2), (3, 3, 3)]),
       size=st.tuples(st.integers(3, 9), st.integers(3, 9)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)))
def test_conv2d_random_geometry_matches_torch(batch, channels, size, kernel, stride, padding,
                                              dilation):
    in_channels, out_channels, groups = channels
    if any(n + 2 * p < d * (k - 1) + 1 for n, p, d, k in zip(size, padding, dilation, kernel)):
        return  # torch refuses these too; the error is tested separately
    x, w, b = _arrays((batch, in_channels) + size, (out_channels, in_channels // groups) + kernel,
                      True, np.float64)
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups),
        x, w, b, **_tolerance(np.float64))


def test_gradients_only_for_what_requires_grad():
    x = lamina.randn(2, 3, 6, 6)
    conv = nn.Conv2d(3, 4, 3)
    conv(x).sum().backward()
    assert x.grad is None and conv.weight.grad is not None and conv.bias.grad is not None
    x.requires_grad_(True)
    conv.weight.requires_grad_(False)
    conv.weight.grad = None
    conv(x).sum().backward()
    assert x.grad.shape == x.shape and conv.weight.grad is None


# ---------------------------------------------------------------- layers
LAYERS = [
    (nn.Conv2d, torch.nn.Conv2d, (3, 6, 3), {}),
    (nn.Conv2d, torch.nn.Conv2d, (4, 6, (3, 2)),
     dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=False)),
    (nn.Conv2d, torch.nn.Conv2d, (4, 4, 3), dict(padding="same", groups=4)),
    (nn.Conv2d, torch.nn.Conv2d, (3, 5, 3), dict(padding="valid")),
    (nn.Conv2d, torch.nn.Conv2d, (3, 5, 3), dict(padding=2, padding_mode="reflect")),
    (nn.Conv2d, torch.nn.Conv2d, (3, 5, (3, 2)), dict(padding=(1, 2), padding_mode="replicate")),
    (nn.Conv2d, torch.nn.Conv2d, (3, 5, 3), dict(padding=1, padding_mode="circular", stride=2)),
    (nn.Conv2d, torch.nn.Conv2d, (3, 5, 4), dict(padding="same", padding_mode="reflect")),
    (nn.Conv1d, torch.nn.Conv1d, (3, 6, 3), dict(stride=2, padding=1)),
    (nn.Conv1d, torch.nn.Conv1d, (3, 6, 3), dict(padding=2, padding_mode="replicate")),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (3, 6, 3), dict(stride=2, output_padding=1)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, 2),
     dict(stride=2, padding=1, groups=2, dilation=2, bias=False)),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (3, 4, 3), dict(stride=3, padding=1)),
]


def _input_for(layer_type, channels, dtype=np.float32, batched=True):
    spatial = (9,) if "1d" in layer_type.__name__ else (7, 8)
    shape = ((2,) if batched else ()) + (channels,) + spatial
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("ours, theirs, args, kwargs", LAYERS, ids=lambda v: str(v)[:40])
def test_layer_matches_torch(ours, theirs, args, kwargs, batched):
    reference = theirs(*args, **kwargs)
    layer = ours(*args, **kwargs)
    copy_module_weights(reference, layer)
    assert repr(layer) == repr(reference).replace("torch.", "lamina.")
    assert list(layer.state_dict()) == list(reference.state_dict())
    x = _input_for(ours, args[0], batched=batched)
    x_ours, x_theirs = to_lamina(torch.from_numpy(x), True), torch.from_numpy(x.copy())
    x_theirs.requires_grad_(True)
    y_ours, y_theirs = layer(x_ours), reference(x_theirs)
    assert_close(y_ours, y_theirs, rtol=1e-5, atol=1e-5)
    grad = RNG.standard_normal(tuple(y_theirs.shape)).astype(np.float32)
    y_ours.backward(lamina.tensor(grad))
    y_theirs.backward(torch.from_numpy(grad))
    assert_close(x_ours.grad, x_theirs.grad, rtol=1e-5, atol=1e-5)
    for name, parameter in reference.named_parameters():
        assert_close(dict(layer.named_parameters())[name].grad, parameter.grad, rtol=1e-5,
                     atol=1e-4)


def test_conv_transpose2d_output_size():
    reference = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    copy_module_weights(reference, layer)
    x = RNG.standard_normal((1, 2, 4, 5)).astype(np.float32)
    for size in [(7, 9), (8, 10), [1, 3, 8, 9]]:
        expected = reference(torch.from_numpy(x), output_size=size)
        assert_close(layer(lamina.tensor(x), output_size=size), expected, atol=1e-5)
    with pytest.raises(ValueError, match="valid sizes range"):
        layer(lamina.tensor(x), output_size=(9, 9))
    with pytest.raises(ValueError):
        reference(torch.from_numpy(x), output_size=(9, 9))


@pytest.mark.parametrize("layer", [
    lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1),
    lambda: nn.Conv2d(2, 4, (2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1), groups=2),
    lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
    lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1),
    lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, groups=2),
], ids=["conv1d", "conv2d", "reflect", "transpose1d", "transpose2d"])
def test_layer_gradcheck(layer):
    module = layer().double()
    spatial = (5,) if "1d" in type(module).__name__ else (4, 5)
    x = lamina.randn(2, 2, *spatial, dtype=lamina.float64, requires_grad=True)
    parameters = [module.weight, module.bias]

    def run(x, weight, bias):
        return module(x)

    assert gradcheck(run, (x, *parameters), eps=1e-6, atol=1e-6)


# ---------------------------------------------------------------- default initialisation
@pytest.mark.parametrize("ours, theirs, args", [
    (nn.Conv2d, torch.nn.Conv2d, (32, 48, 3)),
    (nn.Conv2d, torch.nn.Conv2d, (32, 48, 3, 1, 0, 1, 4)),
    (nn.Conv1d, torch.nn.Conv1d, (16, 600, 5)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (48, 32, 3)),
], ids=["conv2d", "grouped", "conv1d", "transposed"])
def test_default_init_matches_torch_distribution(ours, theirs, args):
    lamina.manual_seed(0)
    layer, reference = ours(*args), theirs(*args)
    for name in ("weight", "bias"):
        mine = getattr(layer, name).detach().numpy()
        expected = getattr(reference, name).detach().numpy()
        assert mine.dtype == expected.dtype == np.float32
        assert mine.shape == expected.shape
        # torch's bound: kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in), bias the same
        fan_in = reference.weight.shape[1] * math.prod(reference.kernel_size)
        bound = 1 / math.sqrt(fan_in)
        assert np.abs(expected).max() <= bound + 1e-7  # the oracle agrees with the bound
        assert np.abs(mine).max() <= bound + 1e-7
        assert np.abs(mine).max() > 0.9 * bound
        spread = bound / math.sqrt(3) / math.sqrt(mine.size)
        assert abs(mine.mean() - expected.mean()) < 8 * spread
        assert mine.std() == pytest.approx(expected.std(), rel=0.1 if mine.size > 100 else 0.5)


# ---------------------------------------------------------------- repr and bad input
@pytest.mark.parametrize("args, kwargs", [
    ((3, 8, 3), {}),
    ((3, 8, (3, 5)), dict(stride=2, padding=(1, 2), dilation=3, groups=1, bias=False)),
    ((4, 8, 3), dict(padding="same", padding_mode="reflect", groups=4)),
    ((4, 8, 3), dict(padding="valid")),
])
def test_conv2d_repr_matches_torch(args, kwargs):
    assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))


def test_transposed_and_1d_repr_match_torch():
    pairs = [(nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1, dilation=2),
              torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1, dilation=2)),
             (nn.Conv1d(3, 4, 5, padding=2, padding_mode="circular"),
              torch.nn.Conv1d(3, 4, 5, padding=2, padding_mode="circular"))]
    for mine, reference in pairs:
        assert repr(mine) == repr(reference)


def test_wrong_channel_count_names_the_layer():
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3))
    with pytest.raises(RuntimeError):
        torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                            torch.nn.Conv2d(8, 4, 3))(torch.randn(1, 3, 8, 8))
    with pytest.raises(ShapeError) as caught:
        model(lamina.randn(1, 3, 8, 8))
    text = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert "Conv2d(8, 4, kernel_size=(3, 3), stride=(1, 1))" in text
    assert "(1, 16, 8, 8)" in text and "8 channels" in text


def test_wrong_rank_names_the_layer():
    with pytest.raises(ShapeError, match=r"Conv1d\(.*\(2, 3, 4, 5\)"):
        nn.Conv1d(3, 4, 3)(lamina.randn(2, 3, 4, 5))
    with pytest.raises(RuntimeError):
        torch.nn.Conv1d(3, 4, 3)(torch.randn(2, 3, 4, 5))


@pytest.mark.parametrize("call, torch_call, match", [
    (lambda x, w: F.conv2d(x, w[:, :2]), lambda x, w: TF.conv2d(x, w[:, :2]), "channels"),
    (lambda x, w: F.conv2d(x[0, 0], w), lambda x, w: TF.conv2d(x[0, 0], w), "input of shape"),
    (lambda x, w: F.conv2d(x, w.double()), lambda x, w: TF.conv2d(x, w.double()), "dtype"),
    (lambda x, w: F.conv2d(x[..., :2, :2], w), lambda x, w: TF.conv2d(x[..., :2, :2], w),
     "kernel"),
    (lambda x, w: F.conv2d(x, w, stride=2, padding="same"),
     lambda x, w: TF.conv2d(x, w, stride=2, padding="same"), "same"),
    (lambda x, w: F.conv2d(x, w, padding=-1), lambda x, w: TF.conv2d(x, w, padding=-1),
     "negative"),
    (lambda x, w: F.conv2d(x, w, groups=2), lambda x, w: TF.conv2d(x, w, groups=2),
     "channels"),
], ids=["channels", "rank", "dtype", "small", "same-strided", "negative-pad", "groups"])
def test_functional_errors_match_torch_types(call, torch_call, match):
    x, w = RNG.standard_normal((1, 3, 5, 5)).astype(np.float32), RNG.standard_normal(
        (4, 3, 3, 3)).astype(np.float32)
    with pytest.raises(RuntimeError):
        torch_call(torch.from_numpy(x), torch.from_numpy(w))
    with pytest.raises(RuntimeError, match=match):
        call(lamina.tensor(x), lamina.tensor(w))


@pytest.mark.parametrize("kwargs", [
    dict(groups=0), dict(groups=2), dict(padding="full"), dict(padding="same", stride=2),
    dict(padding_mode="mirror"),
])
def test_constructor_errors_match_torch(kwargs):
    with pytest.raises(ValueError):
        torch.nn.Conv2d(3, 4, 3, **kwargs)
    with pytest.raises(ValueError):
        nn.Conv2d(3, 4, 3, **kwargs)


def test_transposed_rejects_other_padding_modes():
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


def test_float32_stays_float32_and_results_are_contiguous():
    for padding, stride in itertools.product([0, 1], [1, 2]):
        y = F.conv2d(lamina.randn(2, 3, 6, 7), lamina.randn(4, 3, 3, 3), lamina.randn(4),
                     stride=stride, padding=padding)
        assert y.dtype == lamina.float32 and y.is_contiguous()


@pytest.mark.parametrize("layer", [lambda: nn.Conv2d(2, 3, 3), lambda: nn.Conv1d(2, 3, 3),
                                   lambda: nn.ConvTranspose2d(2, 3, 3)],
                         ids=["conv2d", "conv1d", "transposed"])
def test_weight_changed_in_place_before_backward_raises_like_torch(layer):
    module = layer()
    spatial = (5,) if isinstance(module, nn.Conv1d) else (5, 5)
    x = lamina.randn(1, 2, *spatial, requires_grad=True)
    y = module(x)
    with lamina.no_grad():
        module.weight.add_(1)  # as an optimizer step before backward would
    with pytest.raises(RuntimeError, match="in-place|inplace"):
        y.sum().backward()
