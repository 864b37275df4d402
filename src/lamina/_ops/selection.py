"""Selecting ops: clamp, maximum, minimum and where, with torch's gradients at ties.

Each output element is one of the inputs' elements, so each gradient is the incoming one,
masked (or, at maximum/minimum ties, halved as torch does).
"""

from __future__ import annotations

import numpy as np

from lamina._ops import _promote
from lamina._ops._promote import binary, floating
from lamina._ops._promote import broadcast_error as _broadcast_error
from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import Primitive


def _zero(grad):
    return np.zeros((), dtype=grad.dtype)


def _binary(function, op_name, a, b):
    try:
        return function.apply(a, b)
    except ValueError as error:
        raise _broadcast_error(op_name, a, b, error) from None


_LARGE = 4096  # elements; below this, call overhead dominates and np.maximum is cheapest

# The clip ufunc itself: np.clip wraps it in ~3 us of Python checks. Its fused loop is 2-3x
# faster than maximum then minimum, and np.maximum against a broadcast 0-d bound is slower
# still on large arrays (no vector loop for that case).
try:
    from numpy._core.umath import clip as clip_ufunc  # NumPy >= 2
except ImportError:  # pragma: no cover (NumPy 1.x)
    from numpy.core.umath import clip as clip_ufunc


def clip_array(a, low, high, out=None):
    """min(max(a, low), high), None for no bound: NaN propagates, and high wins if low > high."""
    if a.dtype.kind == "f" and a.size >= _LARGE and not isinstance(low, np.ndarray) and (
            not isinstance(high, np.ndarray)):
        return clip_ufunc(a, -np.inf if low is None else low, np.inf if high is None else high,
                          out=out)
    # bound first: where a value equals the bound NumPy returns the second operand, so
    # -0.0 clamped at 0 stays -0.0, as in torch
    result = a if low is None else np.maximum(low, a, out=out)
    return result if high is None else np.minimum(high, result, out=out)


class Clamp(Primitive):
    """clip to [low, high] (numbers or arrays, None for no bound); with low > high, gives high.

    Where the input sits exactly on a bound it keeps its gradient, as in torch; a tensor bound
    gets the gradient where it is the active one.
    """

    @staticmethod
    def forward(ctx, a, low, high):
        if ctx.needs_input_grad:
            tensor_bounds = isinstance(low, np.ndarray) or isinstance(high, np.ndarray)
            ctx.grad_fn_name = "ClampBackward0" if tensor_bounds else "ClampBackward1"
            if isinstance(low, np.ndarray) or isinstance(high, np.ndarray):
                ctx.save_for_backward(a, low, high)
            else:
                # numbers as bounds: keep only the mask, so `y.clamp_()` can overwrite y
                ctx.save_for_backward(_inside(a, low, high), None, None)
        return clip_array(a, low, high)

    @staticmethod
    def backward(ctx, grad):
        a, low, high = ctx.saved_tensors
        need_a, need_low, need_high = ctx.needs_input_grad
        zero = _zero(grad)
        grad_a = grad_low = grad_high = None
        if need_a:
            keep = a if a.dtype == np.bool_ else _inside(a, low, high)
            grad_a = np.where(keep, grad, zero)
        if need_low:
            below = a < low if high is None else (a < low) & (low < high)
            grad_low = np.where(below, grad, zero)
        if need_high:
            above = a > high if low is None else (a > high) | (high < low)
            grad_high = np.where(above, grad, zero)
        return grad_a, grad_low, grad_high


def _inside(a, low, high):
    if low is None:
        return a <= high
    if high is None:
        return a >= low
    return (a >= low) & (a <= high)


class Maximum(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # ties split the gradient evenly, as torch does
        share = np.where(a == b, 0.5, a > b).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Minimum(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share = np.where(a == b, 0.5, a < b).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Where(Primitive):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        zero = _zero(grad)
        need = ctx.needs_input_grad
        return (None, np.where(condition, grad, zero) if need[1] else None,
                np.where(condition, zero, grad) if need[2] else None)


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        dtype = _promote.result_dtype(input, min, max)
        low, high = (None if v is None else _promote.as_operand(v, dtype) for v in (min, max))
        input = _promote.as_operand(input, dtype)
        try:
            return Clamp.apply(input, low, high)
        except ValueError as error:
            raise _broadcast_error("clamp", input, low if high is None else high, error) from None
    if input._array.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = floating(input)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min, None)


def clamp_max(input, max):
    return clamp(input, None, max)


def _both_tensors(name, input, other):
    for argument, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{argument}' must be Tensor, not {type(value).__name__}. "
                f"Hint: use clamp({'min' if name == 'maximum' else 'max'}=...) with a number."
            )


def maximum(input, other):
    _both_tensors("maximum", input, other)
    a, b = binary(input, other)
    return _binary(Maximum, "maximum", a, b)


def minimum(input, other):
    _both_tensors("minimum", input, other)
    a, b = binary(input, other)
    return _binary(Minimum, "minimum", a, b)


def where(condition, input=None, other=None):
    """input where condition holds, else other; where(condition) alone is nonzero(as_tuple)."""
    if input is None and other is None:
        from lamina._ops.index import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or condition._array.dtype != np.bool_:
        got = condition.dtype if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(
            f"where: expected condition to be a bool tensor, got {got}. "
            "Hint: build it with a comparison such as x > 0."
        )
    dtype = _promote.result_dtype(input, other)
    a, b = (
        _promote.as_operand(v, dtype) if isinstance(v, Tensor) else _wrap(np.asarray(v, dtype))
        for v in (input, other)
    )
    try:
        return Where.apply(condition, a, b)
    except ValueError:
        raise RuntimeError(
            f"where: condition, input and other of shapes {tuple(condition.shape)}, "
            f"{tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
        ) from None
