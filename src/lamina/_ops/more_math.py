"""More of torch's maths: nan_to_num/nansum/nanmean, logaddexp, hypot, heaviside, signbit,
the running cummax/cummin/logcumsumexp, searchsorted/bucketize and histc.

Compositions where that is exact; a `Primitive` where NumPy has the stable formula in one
call (logaddexp, hypot, logcumsumexp) and composing would overflow or lose the tails.
"""

from __future__ import annotations

import numpy as np

from lamina._ops import comparison, elementwise, index, reduce
from lamina._ops._promote import binary
from lamina._ops.reduce import return_type
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive


# ---------------------------------------------------------------- NaN-aware
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by nan, posinf and neginf (by default the dtype's largest
    and lowest finite values); the gradient is zero at the replaced places, as in torch."""
    array = input._array
    if array.dtype.kind != "f":
        return input.clone()
    info = np.finfo(array.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    out = elementwise.where(comparison.isnan(input), float(nan), input)
    out = elementwise.where(_wrap(np.isposinf(array)), float(posinf), out)
    return elementwise.where(_wrap(np.isneginf(array)), float(neginf), out)


class NanToZero(Primitive):
    """NaN replaced by 0; the gradient is grad times the not-NaN mask (a product, as torch's
    nansum backward: so an infinite grad, as nanmean's 1/0 for an all-NaN slice, gives NaN)."""

    @staticmethod
    def forward(ctx, a):
        present = ~np.isnan(a)
        ctx.present = present
        return np.where(present, a, 0).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.present.astype(grad.dtype)


def _without_nan(input):
    if input._array.dtype.kind != "f":
        return input
    return NanToZero.apply(input)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum, counting NaN as zero."""
    return reduce.sum(_without_nan(input), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean over the non-NaN elements (NaN where a slice has none)."""
    if input._array.dtype.kind != "f":  # even with a float dtype=, as in torch
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{input.dtype}. Hint: call .float() first.")
    if dtype is not None:
        input = input.to(dtype)
    present = _wrap(~np.isnan(input._array))
    return nansum(input, dim, keepdim) / reduce.sum(present, dim, keepdim)


# ---------------------------------------------------------------- pointwise pairs
class LogAddExp(Primitive):
    """log(exp(a) + exp(b)) without overflow (NumPy's logaddexp)."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.logaddexp(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * np.exp(a - out) if need_a else None,
                grad * np.exp(b - out) if need_b else None)


class Hypot(Primitive):
    """sqrt(a**2 + b**2) without overflow (NumPy's hypot)."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        scale = grad / out
        return (scale * a if need_a else None, scale * b if need_b else None)


def _floating_pair(input, other, name):
    a, b = binary(input, other)
    if a._array.dtype.kind != "f":  # torch has no integer kernel for these
        raise NotImplementedError(f'"{name}_cpu" not implemented for {a.dtype}. Hint: call '
                                  ".float() first.")
    return a, b


def logaddexp(input, other):
    """log(exp(input) + exp(other)), without overflow."""
    return elementwise._binary(LogAddExp, "logaddexp", *_floating_pair(input, other,
                                                                       "logaddexp"))


def hypot(input, other):
    """sqrt(input**2 + other**2), without overflow."""
    return elementwise._binary(Hypot, "hypot", *_floating_pair(input, other, "hypot"))


class Heaviside(Primitive):
    """The step function; torch records it but has no derivative for it, nor do we."""

    @staticmethod
    def forward(ctx, a, values):
        return np.where(a == 0, values, (a > 0).astype(a.dtype)).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("the derivative for 'heaviside' is not implemented.")


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, and values where input == 0."""
    if not isinstance(values, Tensor):
        raise TypeError("heaviside(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    if input._array.dtype != values._array.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                           f"dtypes: input is {input.dtype}, values is {values.dtype}. "
                           "Hint: cast values with .to(input.dtype).")
    return elementwise._binary(Heaviside, "heaviside", input, values)


def signbit(input):
    """True where the sign bit is set (negative numbers, -0.0, NaN with its sign bit)."""
    return _wrap(np.signbit(input._array))


# ---------------------------------------------------------------- running scans
_RETURN_TYPES = {name: return_type(name) for name in ("cummax", "cummin")}


def _running_extreme(input, dim, name, accumulate):
    axis = _normalize_dim(dim, max(input.ndim, 1), name)
    array = input._array if input.ndim else input._array.reshape(1)
    values = accumulate(array, axis=axis) if array.size else array.copy()
    hit = array == values
    if array.dtype.kind == "f":
        hit |= np.isnan(array)  # NaN propagates, pointing at the latest NaN, as in torch
    positions = np.arange(array.shape[axis] if array.ndim else 1, dtype=np.int64)
    positions = positions.reshape((-1,) + (1,) * (array.ndim - axis - 1))
    # ties take the latest position: the last place the running value was reached
    latest = np.where(hit, positions, 0)
    indices = np.maximum.accumulate(latest, axis=axis) if array.size else latest
    indices = _wrap(indices.reshape(input._array.shape).astype(np.int64))
    if input.ndim == 0:
        return _RETURN_TYPES[name](input.clone(), indices)
    return _RETURN_TYPES[name](index.gather(input, axis, indices), indices)


def cummax(input, dim):
    """Running maximum along dim, with the index where each running value was (last) set."""
    return _running_extreme(input, dim, "cummax", lambda a, axis: np.maximum.accumulate(a, axis))


def cummin(input, dim):
    """Running minimum along dim, with the index where each running value was (last) set."""
    return _running_extreme(input, dim, "cummin", lambda a, axis: np.minimum.accumulate(a, axis))


class LogCumSumExp(Primitive):
    """log(cumsum(exp(a))) along an axis, by a running logaddexp (no overflow, no underflow)."""

    @staticmethod
    def forward(ctx, a, axis):
        out = np.logaddexp.accumulate(a, axis=axis) if a.size else a.copy()
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        # d out_j / d a_i = exp(a_i - out_j) for j >= i, so the gradient is
        # sum_{j >= i} g_j exp(a_i - out_j). Split g by sign and sum each part in the log
        # domain with a reversed running logaddexp (every exponent stays <= log|g|), as torch.
        a, out = ctx.saved_tensors

        def tail_sum(part):  # sum_{j >= i} part_j exp(a_i - out_j), part >= 0
            logs = np.log(part) - out
            flipped = np.flip(logs, ctx.axis)
            tail = np.flip(np.logaddexp.accumulate(flipped, axis=ctx.axis), ctx.axis)
            return np.exp(a + tail)

        result = tail_sum(np.maximum(grad, 0)) - tail_sum(np.maximum(-grad, 0))
        return result.astype(grad.dtype, copy=False), None


def logcumsumexp(input, dim):
    """log(cumsum(exp(input), dim)), computed stably."""
    if input._array.dtype.kind != "f":
        raise RuntimeError(f"logcumsumexp(): expected input to have floating point dtype but "
                           f"got {input.dtype}")
    if input.ndim == 0:
        _normalize_dim(dim, 1, "logcumsumexp")
        return LogCumSumExp.apply(input.reshape(1), 0).reshape(())
    return LogCumSumExp.apply(input, _normalize_dim(dim, input.ndim, "logcumsumexp"))


# ---------------------------------------------------------------- sorted lookups, histograms
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value of input would go in sorted_sequence (1-D, or one sorted row per
    leading index of input) to keep it sorted: first such place, or last with right=True."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites,"
                               " got side of left while right was True")
        right = side == "right"
    sequence = sorted_sequence._array
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input) if scalar else input._array
    order = None if sorter is None else sorter._array
    if sequence.ndim != 1 and (scalar or sequence.shape[:-1] != values.shape[:-1]):
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            f"dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(sequence.shape)} and input value tensor "
            f"{list(values.shape)}")
    if order is not None and order.shape != sequence.shape:
        raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, "
                           f"but got boundary tensor {list(sequence.shape)} and got sorter "
                           f"tensor {list(order.shape)}")
    which = "right" if right else "left"
    if sequence.ndim == 1:
        result = np.searchsorted(sequence, values, side=which, sorter=order)
    else:
        rows = sequence.reshape(-1, sequence.shape[-1])
        wanted = values.reshape(rows.shape[0], -1)
        sorters = None if order is None else order.reshape(rows.shape)
        result = np.stack([
            np.searchsorted(row, want, side=which,
                            sorter=None if sorters is None else sorters[number])
            for number, (row, want) in enumerate(zip(rows, wanted))]).reshape(values.shape)
    return _wrap(np.asarray(result, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among sorted 1-D boundaries: i with boundaries[i-1] < x <=
    boundaries[i] (or boundaries[i-1] <= x < boundaries[i] with right=True)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal-width bins over [min, max] (the data's range when both are 0);
    values outside are ignored. The result has input's (floating) dtype."""
    array = input._array
    if array.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for {input.dtype}. '
                                  "Hint: call .float() first.")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    low, high = float(min), float(max)
    if low == high and array.size:
        low, high = float(array.min()), float(array.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high or not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histc(): max must be larger than min and both finite, got "
                           f"min={low}, max={high}")
    flat = array.reshape(-1)
    inside = flat[(flat >= low) & (flat <= high)]
    position = ((inside.astype(np.float64) - low) * bins / (high - low)).astype(np.int64)
    position = np.minimum(position, bins - 1)  # the top edge belongs to the last bin
    return _wrap(np.bincount(position, minlength=bins).astype(array.dtype))

