"""Pooling, resampling and padding: max/avg/adaptive pooling, interpolate, pixel_shuffle, pad.

The max/avg/adaptive-max kernels and padding are primitives in lamina._ops.pool. Adaptive
average pooling and interpolation are linear maps along each spatial axis, so they are
composed from matmuls with small (out, in) matrices and get their gradients for free.
"""

from __future__ import annotations

import math

import numpy as np

from lamina._ops import pool as _pool
from lamina._ops.linalg import matmul
from lamina._ops.shape import permute, reshape
from lamina._tensor import Tensor, _wrap
from lamina.nn._functional.conv import _spatial_tuple

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "avg_pool1d",
    "avg_pool2d", "interpolate", "max_pool1d", "max_pool1d_with_indices", "max_pool2d",
    "max_pool2d_with_indices", "pad", "pixel_shuffle", "pixel_unshuffle", "upsample",
    "upsample_bilinear", "upsample_nearest",
]


def _check_pool_input(op: str, input, spatial: int, integers: bool = False) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    shape = input._array.shape
    if len(shape) not in (spatial + 1, spatial + 2) or 0 in shape[-spatial - 1:]:
        raise RuntimeError(
            f"{op}: expected a non-empty {spatial + 1}D (unbatched) or {spatial + 2}D (batched) "
            f"input, got input of shape {tuple(input.shape)}")
    if input._array.dtype.kind != "f" and not (integers and input._array.dtype.kind in "iu"):
        raise NotImplementedError(f"{op}: not implemented for {input.dtype} input; expected a "
                                  "floating point tensor")


def _pool_arguments(op, input, kernel_size, stride, padding, dilation, ceil_mode, spatial):
    """Kernel, stride, padding, dilation and output size as (height, width) pairs."""
    _check_pool_input(op, input, spatial, integers=op == "max_pool2d")
    kernel = _spatial_tuple(op, "kernel_size", kernel_size, spatial)
    stride = kernel if stride is None or stride == () or stride == [] else \
        _spatial_tuple(op, "stride", stride, spatial)
    padding = _spatial_tuple(op, "padding", padding, spatial)
    dilation = _spatial_tuple(op, "dilation", dilation, spatial)
    if min(kernel) <= 0 or min(stride) <= 0 or min(dilation) <= 0:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive, got "
                           f"kernel_size={kernel}, stride={stride}, dilation={dilation}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"{op}: padding should be non-negative and at most half of the effective kernel "
                f"size, got padding={padding}, kernel_size={kernel}, dilation={dilation}")
    sizes = input._array.shape[-spatial:]
    out = tuple(_pool.pool_output_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation))
    if min(out) <= 0:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} is too small for "
                           f"kernel_size={kernel}, stride={stride}, padding={padding}, "
                           f"dilation={dilation}: the output size would be {out}")
    if spatial == 1:
        return (1,) + kernel, (1,) + stride, (0,) + padding, (1,) + dilation, (1,) + out
    return kernel, stride, padding, dilation, out


def _max_pool(op, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              spatial):
    kernel, stride, padding, dilation, out = _pool_arguments(
        op, input, kernel_size, stride, padding, dilation, ceil_mode, spatial)
    return _pool.MaxPool.apply(input, kernel, stride, padding, dilation, out, spatial,
                               return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows of (N, C, H, W) or (C, H, W); padding counts as -inf.

    With return_indices, also the int64 flat position of each max within its (H, W) plane.
    """
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool(op, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, spatial):
    kernel, stride, padding, _, out = _pool_arguments(
        op, input, kernel_size, stride, padding, 1, ceil_mode, spatial)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    return _pool.AvgPool.apply(input, kernel, stride, padding, out, spatial,
                               bool(count_include_pad), divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over sliding windows of (N, C, L) or (C, L); zero padding, counted by default."""
    return _avg_pool("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None, 1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows of (N, C, H, W) or (C, H, W), with torch's divisors."""
    return _avg_pool("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override, 2)


# ---------------------------------------------------------------- adaptive pooling
def _output_size(op, input, output_size, spatial) -> tuple:
    sizes = (output_size,) * spatial if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != spatial or not all(s is None or isinstance(s, int) for s in sizes):
        raise RuntimeError(f"{op}: expected output_size to be an int or {spatial} ints (None "
                           f"keeps the input's size), got {output_size}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, input.shape[-spatial:]))
    if min(sizes) <= 0:
        raise RuntimeError(f"{op}: output_size must be positive, got {output_size}")
    return sizes


def _bin_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size): row i averages torch's adaptive bin i."""
    start, end = _pool.adaptive_bins(size, out)
    positions = np.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_avg(op, input, output_size, spatial):
    _check_pool_input(op, input, spatial)
    sizes = tuple(input.shape[-spatial:])
    out = _output_size(op, input, output_size, spatial)
    if all(n % o == 0 for n, o in zip(sizes, out)):  # equal bins: a plain average pool
        kernel = tuple(n // o for n, o in zip(sizes, out))
        return _avg_pool(op, input, kernel, kernel, 0, False, True, None, spatial)
    dtype = input._array.dtype
    result = matmul(input, _wrap(_bin_matrix(sizes[-1], out[-1], dtype).T))
    if spatial == 2:
        result = matmul(_wrap(_bin_matrix(sizes[0], out[0], dtype)), result)
    return result


def adaptive_avg_pool1d(input, output_size):
    """Average over output_size bins of (N, C, L) or (C, L), bins as torch draws them."""
    return _adaptive_avg("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """Average over an output_size grid of bins of (N, C, H, W); None keeps that size."""
    return _adaptive_avg("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over an output_size grid of bins of (N, C, H, W) or (C, H, W)."""
    _check_pool_input("adaptive_max_pool2d", input, 2)
    out = _output_size("adaptive_max_pool2d", input, output_size, 2)
    return _pool.AdaptiveMaxPool.apply(input, out, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over output_size bins of (N, C, L) or (C, L)."""
    _check_pool_input("adaptive_max_pool1d", input, 1)
    (out,) = _output_size("adaptive_max_pool1d", input, output_size, 1)
    result = _pool.AdaptiveMaxPool.apply(input.unsqueeze(-2), (1, out), return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


# ---------------------------------------------------------------- interpolation
_MODE_DIMS = {"nearest": (1, 2), "nearest-exact": (1, 2), "area": (1, 2), "linear": (1,),
              "bilinear": (2,), "bicubic": (2,)}


def _nearest_matrix(size, out, scale, exact, dtype) -> np.ndarray:
    """(out, size) one-hot rows: torch's nearest (or nearest-exact) source of each output."""
    destination = np.arange(out)
    if not exact and out == size:
        source = destination
    elif not exact and out == 2 * size:
        source = destination >> 1
    else:  # torch computes these indices in float32 whatever the input dtype
        ratio = np.float32(1.0 / scale) if scale else np.float32(size) / np.float32(out)
        position = (destination + 0.5).astype(np.float32) if exact else \
            destination.astype(np.float32)
        source = np.minimum(np.floor(position * ratio).astype(np.int64), size - 1)
    matrix = np.zeros((out, size), dtype=dtype)
    matrix[destination, source] = 1
    return matrix


def _linear_matrix(size, out, scale, align_corners, dtype) -> np.ndarray:
    """(out, size) rows holding torch's two linear-interpolation weights of each output."""
    matrix = np.zeros((out, size), dtype=dtype)
    destination = np.arange(out)
    if out == size:
        matrix[destination, destination] = 1
        return matrix
    real = np.dtype(dtype).type  # torch's opmath type: float32 for float32, else float64
    if align_corners:
        ratio = real(size - 1) / real(out - 1) if out > 1 else real(0)
        source = ratio * destination.astype(dtype)
    else:
        ratio = real(1.0 / scale) if scale else real(size) / real(out)
        source = np.maximum(ratio * (destination.astype(dtype) + real(0.5)) - real(0.5), 0)
    first = np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), size - 1)
    weight = np.clip(source - first, 0, 1).astype(dtype)
    second = first + (first < size - 1)
    np.add.at(matrix, (destination, first), 1 - weight)
    np.add.at(matrix, (destination, second), weight)
    return matrix


def _cubic_matrix(size, out, scale, align_corners, dtype) -> np.ndarray:
    """(out, size) rows holding torch's four cubic-convolution weights (A = -0.75) of each
    output, taps beyond the edge folded onto the edge pixel as torch clamps their index."""
    matrix = np.zeros((out, size), dtype=dtype)
    destination = np.arange(out)
    if out == size:
        matrix[destination, destination] = 1
        return matrix
    real = np.dtype(dtype).type
    if align_corners:
        ratio = real(size - 1) / real(out - 1) if out > 1 else real(0)
        source = ratio * destination.astype(dtype)
    else:  # unlike linear, no clamp at 0: the taps reach left of the first pixel
        ratio = real(1.0 / scale) if scale else real(size) / real(out)
        source = ratio * (destination.astype(dtype) + real(0.5)) - real(0.5)
    first = np.floor(source)
    t = (source - first).astype(dtype)
    a = real(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    first = first.astype(np.int64)
    for offset, weight in zip((-1, 0, 1, 2), weights):
        np.add.at(matrix, (destination, np.clip(first + offset, 0, size - 1)), weight)
    return matrix


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) with torch's index arithmetic.

    Modes: nearest, nearest-exact, area, linear (3-D), bilinear and bicubic (4-D); trilinear
    is not implemented.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected a Tensor input, got {type(input).__name__}")
    if mode not in _MODE_DIMS:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported; lamina has "
            f"{', '.join(repr(m) for m in _MODE_DIMS)}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             f"modes: linear | bilinear | bicubic | trilinear (got mode={mode!r})")
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    spatial = input.ndim - 2
    if spatial not in _MODE_DIMS[mode]:
        raise NotImplementedError(
            f"interpolate: got {input.ndim}D input of shape {tuple(input.shape)}, but mode "
            f"{mode!r} needs " + " or ".join(f"{d + 2}D" for d in _MODE_DIMS[mode]) + " input")
    if input._array.dtype.kind != "f":
        raise NotImplementedError(f"interpolate: not implemented for {input.dtype} input; "
                                  "expected a floating point tensor")
    sizes = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        out = _spatial_tuple("interpolate", "size", size, spatial)
        scales = (None,) * spatial
    elif scale_factor is not None:
        scales = tuple(float(s) for s in _spatial_tuple_float(scale_factor, spatial))
        out = tuple(math.floor(n * s) for n, s in zip(sizes, scales))
        if recompute_scale_factor or mode == "area":
            scales = (None,) * spatial
    else:
        raise ValueError("either size or scale_factor should be defined")
    if min(out) <= 0:
        raise RuntimeError(f"interpolate: input of shape {tuple(input.shape)} would give an "
                           f"empty output of size {out}")
    if mode == "area":
        return _adaptive_avg("interpolate", input, out, spatial)
    dtype = input._array.dtype
    matrices = []
    for n, o, s in zip(sizes, out, scales):
        if mode in ("linear", "bilinear"):
            matrices.append(_linear_matrix(n, o, s, align_corners, dtype))
        elif mode == "bicubic":
            matrices.append(_cubic_matrix(n, o, s, align_corners, dtype))
        else:
            matrices.append(_nearest_matrix(n, o, s, mode == "nearest-exact", dtype))
    result = matmul(input, _wrap(np.ascontiguousarray(matrices[-1].T)))
    if spatial == 2:
        result = matmul(_wrap(matrices[0]), result)
    return result


def _spatial_tuple_float(value, spatial):
    if isinstance(value, (int, float)):
        return (value,) * spatial
    value = tuple(value)
    if len(value) != spatial:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of {spatial} and "
                         f"scale_factor of shape {value}.")
    return value


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The older name of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- pixel shuffle
def pixel_shuffle(input, upscale_factor: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): channel blocks become r x r pixel blocks."""
    r = upscale_factor
    if input.ndim < 3 or r <= 0 or input.shape[-3] % (r * r):
        raise RuntimeError(
            f"pixel_shuffle: expected input (*, C*{r}*{r}, H, W) with at least 3 dims and "
            f"channels divisible by {r * r}, got input of shape {tuple(input.shape)}")
    *lead, c, h, w = input.shape
    n = len(lead)
    x = reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = permute(x, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    if input.ndim < 3 or r <= 0 or input.shape[-2] % r or input.shape[-1] % r:
        raise RuntimeError(
            f"pixel_unshuffle: expected input (*, C, H, W) with H and W divisible by {r}, "
            f"got input of shape {tuple(input.shape)}")
    *lead, c, h, w = input.shape
    n = len(lead)
    x = reshape(input, (*lead, c, h // r, r, w // r, r))
    x = permute(x, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return reshape(x, (*lead, c * r * r, h // r, w // r))


# ---------------------------------------------------------------- padding
def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims: pad = (last_left, last_right, 2nd_last_left, ...).

    Modes: constant, reflect, replicate, circular; negative amounts crop, in every mode.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: expected a Tensor input, got {type(input).__name__}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got pad={pad}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length should be at most twice the input's number "
                           f"of dimensions, got pad={pad} for input of shape "
                           f"{tuple(input.shape)}")
    if mode == "constant":
        fill = 0 if value is None else value
        return _pool.Pad.apply(input, pad, mode, fill)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown padding mode {mode!r}; expected 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    dims = len(pad) // 2
    if dims > 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: {mode} padding of the last {dims} dims needs a {dims + 1}D or {dims + 2}D "
            f"input, got input of shape {tuple(input.shape)}")
    if min(pad) < 0:  # negative amounts crop first, then the rest pads the cropped input
        crop = [slice(None)] * input.ndim
        for i in range(dims):
            before, after = pad[2 * i], pad[2 * i + 1]
            n = input.shape[-1 - i]
            crop[input.ndim - 1 - i] = slice(max(-before, 0), n - max(-after, 0))
        if any(c.start >= c.stop for c in crop if c.start is not None):
            raise RuntimeError(f"pad: negative padding {pad} crops input of shape "
                               f"{tuple(input.shape)} to nothing")
        input = input[tuple(crop)]
        pad = tuple(max(p, 0) for p in pad)
    for i in range(dims):
        n, before, after = input.shape[-1 - i], pad[2 * i], pad[2 * i + 1]
        limit = n if mode == "circular" else n - 1 if mode == "reflect" else None
        if min(before, after) < 0 or (limit is not None and max(before, after) > limit):
            raise RuntimeError(
                f"pad: {mode} padding of ({before}, {after}) at dim {input.ndim - 1 - i} of input "
                f"{tuple(input.shape)} must be non-negative"
                + ("" if limit is None else f" and at most {limit}"))
    return _pool.Pad.apply(input, pad, mode, None)
