"""batch_norm, layer_norm, group_norm and instance_norm: argument checks around one primitive.

Each picks how to view the input (statistics axes, where the weight broadcasts) and hands the
arrays to `lamina._ops.normalization`, whose forward and backward are fused.
"""

from __future__ import annotations

import math

from lamina._ops.normalization import Normalize, NormalizeWithStats
from lamina._tensor import Tensor


def _channel_views(input: Tensor, op: str):
    """(shape, stats-over-batch axes, param_shape) viewing input (N, C, *) as (N, C, L)."""
    shape = input._array.shape
    if len(shape) < 2:
        raise ValueError(
            f"{op}: expected input of shape (N, C) or (N, C, *), got {tuple(shape)}"
        )
    if len(shape) == 2:
        return shape, (0,), (1, shape[1])
    view = (shape[0], shape[1], math.prod(shape[2:]))
    return view, (0, 2), (1, shape[1], 1)


def _expect_floating(input: Tensor, op: str, mixed: bool = False) -> None:
    """torch has no integer kernels for these: NotImplementedError, or RuntimeError where it
    first refuses to mix an integer input with float parameters (`mixed`)."""
    if input._array.dtype.kind != "f":
        raise (RuntimeError if mixed else NotImplementedError)(
            f"{op}: not implemented for {input.dtype} input; expected a floating point tensor. "
            "Hint: convert it with .float() first."
        )


def _check_param(value, size: int, op: str, name: str) -> None:
    if value is not None and value._array.size != size:
        raise RuntimeError(
            f"{op}: {name} should contain {size} elements (one per channel), "
            f"got {value._array.size} (shape {tuple(value._array.shape)})"
        )


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel of input (N, C, *) by batch statistics (training) or by the
    running ones; in training, running_mean/var (if given) move by `momentum` towards the
    batch mean and unbiased variance, in place."""
    _expect_floating(input, "batch_norm")
    shape, axes, param_shape = _channel_views(input, "batch_norm")
    channels = shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_param(value, channels, "batch_norm", name)
    if training:
        size = input.shape
        if math.prod(size) // channels == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {size}"
            )
        running = None
        if running_mean is not None and running_var is not None:
            running = (running_mean._array, running_var._array, momentum)
        return Normalize.apply(input, weight, bias, shape, axes, param_shape, eps, running)
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be given when training=False. "
            "Hint: pass training=True to normalise by the batch's own statistics."
        )
    return NormalizeWithStats.apply(input, weight, bias, running_mean._array,
                                    running_var._array, shape, param_shape, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims given by normalized_shape, then scale and shift
    elementwise by weight and bias (of shape normalized_shape)."""
    _expect_floating(input, "layer_norm", mixed=weight is not None or bias is not None)
    normalized = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        normalized_shape)
    shape = input._array.shape
    count = len(normalized)
    if count == 0 or len(shape) < count or tuple(shape[len(shape) - count:]) != normalized:
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(normalized)}, expected input with shape "
            f"(*, {', '.join(str(n) for n in normalized)}), but got input of size "
            f"{tuple(shape)}. Hint: normalized_shape names the input's last dims."
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value._array.shape) != normalized:
            raise RuntimeError(
                f"layer_norm: expected {name} of shape {normalized}, got "
                f"{tuple(value._array.shape)}"
            )
    # viewed as (rows, features): one statistic per row, parameters broadcast along rows
    features = math.prod(normalized)
    view = (math.prod(shape[: len(shape) - count]), features)
    return Normalize.apply(input, weight, bias, view, (1,), (1, features), eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise input (N, C, *) over each group of C // num_groups channels (and all the
    spatial positions), then scale and shift per channel."""
    _expect_floating(input, "group_norm", mixed=weight is not None or bias is not None)
    shape = input._array.shape
    if len(shape) < 2:
        raise RuntimeError(
            f"group_norm: expected input of shape (N, C, *) with at least 2 dimensions, "
            f"got {tuple(shape)}"
        )
    channels = shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(
            f"group_norm: expected the number of channels ({channels}) of input "
            f"{tuple(shape)} to be divisible by num_groups ({num_groups})"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        _check_param(value, channels, "group_norm", name)
    view = (shape[0], num_groups, channels // num_groups, math.prod(shape[2:]))
    param_shape = (1, num_groups, channels // num_groups, 1)
    return Normalize.apply(input, weight, bias, view, (2, 3), param_shape, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of input (N, C, *) over its spatial positions.

    With use_input_stats and running buffers, those move towards the batch average of the
    per-sample statistics; without use_input_stats the running ones are used (as batch norm
    in eval mode).
    """
    _expect_floating(input, "instance_norm")
    shape = input._array.shape
    if len(shape) < 3:
        raise ValueError(
            f"instance_norm: expected input of shape (N, C, *) with spatial dims, "
            f"got {tuple(shape)}"
        )
    channels = shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_param(value, channels, "instance_norm", name)
    view = (shape[0], channels, math.prod(shape[2:]))
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if view[2] == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    running = None
    if running_mean is not None and running_var is not None:
        running = (running_mean._array, running_var._array, momentum)
    return Normalize.apply(input, weight, bias, view, (2,), (1, channels, 1), eps, running)
