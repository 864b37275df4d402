"""Softmax and log-softmax along one dim: fused, numerically stable primitives.

Both subtract the row maximum before `exp`, so logits of +-1e4 stay finite. float16 is
computed in float32 and rounded back once (as torch's CPU kernels accumulate in float32).
"""

from __future__ import annotations

import numpy as np

from lamina import _dtype
from lamina._tensor import Tensor, _normalize_dim
from lamina.autograd.function import Primitive


def widen(array: np.ndarray) -> np.ndarray:
    """float16 as float32 (for the arithmetic of the fused ops); other dtypes unchanged."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def shift_by_max(array: np.ndarray, axis) -> np.ndarray:
    """array minus its maximum along axis (a new array), so exp of it is at most 1.

    A row with no finite maximum (all -inf, or any +inf) becomes nan, as it does in torch.
    """
    # asarray: for a 0-d input the difference would be a NumPy scalar. The ufuncs' reduce
    # directly: `array.max` adds ~0.4 us of Python wrapper, a third of a small row's softmax
    return np.asarray(array - np.maximum.reduce(array, axis, keepdims=True))


class Softmax(Primitive):
    """exp(x - max) / sum(exp(x - max)) along `axis`; backward: y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, a, axis):
        if a.size == 0:
            ctx.axis = axis
            ctx.save_for_backward(a)
            return a.copy()
        out = shift_by_max(widen(a), axis)
        np.exp(out, out=out)
        out /= np.add.reduce(out, axis, keepdims=True)
        out = out.astype(a.dtype, copy=False)
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if out.size == 0:
            return grad, None
        dtype = out.dtype
        out, grad = widen(out), widen(grad)
        result = grad - np.add.reduce(grad * out, ctx.axis, keepdims=True)
        result *= out
        return result.astype(dtype, copy=False), None

    @staticmethod
    def graph_backward(ctx, grad):  # create_graph=True
        (out,) = ctx.saved_tensors
        total = (grad * out).sum() if ctx.axis is None else (grad * out).sum(ctx.axis, True)
        return out * (grad - total), None


class LogSoftmax(Primitive):
    """x - max - log(sum(exp(x - max))) along `axis`; backward: g - exp(y) * sum(g)."""

    @staticmethod
    def forward(ctx, a, axis):
        if a.size == 0:
            ctx.axis = axis
            ctx.save_for_backward(a)
            return a.copy()
        out = shift_by_max(widen(a), axis)
        out -= np.log(np.add.reduce(np.exp(out), axis, keepdims=True))
        out = out.astype(a.dtype, copy=False)
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if out.size == 0:
            return grad, None
        dtype = out.dtype
        out, grad = widen(out), widen(grad)
        result = np.exp(out)
        result *= -np.add.reduce(grad, ctx.axis, keepdims=True)
        result += grad
        return result.astype(dtype, copy=False), None

    @staticmethod
    def graph_backward(ctx, grad):  # create_graph=True
        (out,) = ctx.saved_tensors
        total = grad.sum() if ctx.axis is None else grad.sum(ctx.axis, True)
        return grad - out.exp() * total, None


def _prepare(input, dim, dtype, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    if input._array.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): expected a floating point input, got {input.dtype}. "
            f"Hint: call .float() on the input or pass dtype=lamina.float32."
        )
    if dim is None:
        raise TypeError(f"{op}() missing the required argument 'dim' (int)")
    axis = _normalize_dim(dim, input._array.ndim, op)
    # a 0-d tensor is a single row: reduce over everything
    return input, (axis if input._array.ndim else None)


def softmax(input: Tensor, dim: int, dtype: _dtype.dtype | None = None) -> Tensor:
    """exp(input) normalised to sum to 1 along `dim`; same shape and dtype as input."""
    input, axis = _prepare(input, dim, dtype, "softmax")
    return Softmax.apply(input, axis)


def log_softmax(input: Tensor, dim: int, dtype: _dtype.dtype | None = None) -> Tensor:
    """log(softmax(input, dim)) computed without forming the softmax (finite for huge logits)."""
    input, axis = _prepare(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, axis)
