"""Softmax and log-softmax along one dim: fused, numerically stable primitives.

Both subtract the row maximum before `exp`, so logits of +-1e4 stay finite. float16 is
computed in float32 and rounded back once (as torch's CPU kernels accumulate in float32).
"""

from __future__ import annotations

import numpy as np

from lamina import _dtype
from lamina._tensor import Tensor, _normalize_dim
from lamina.autograd.function import Primitive


def _widen(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _shifted(array: np.ndarray, axis) -> np.ndarray:
    """array minus its maximum along axis (a new array), so exp of it is at most 1.

    A row with no finite maximum (all -inf, or any +inf) becomes nan, as it does in torch.
    """
    # asarray: for a 0-d input the difference would be a NumPy scalar
    return np.asarray(array - array.max(axis, keepdims=True))


class Softmax(Primitive):
    """exp(x - max) / sum(exp(x - max)) along `axis`; backward: y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, a, axis):
        if a.size == 0:
            ctx.axis = axis
            ctx.save_for_backward(a)
            return a.copy()
        out = _shifted(_widen(a), axis)
        np.exp(out, out=out)
        out /= out.sum(axis, keepdims=True)
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
        out, grad = _widen(out), _widen(grad)
        result = grad - np.sum(grad * out, axis=ctx.axis, keepdims=True)
        result *= out
        return result.astype(dtype, copy=False), None


class LogSoftmax(Primitive):
    """x - max - log(sum(exp(x - max))) along `axis`; backward: g - exp(y) * sum(g)."""

    @staticmethod
    def forward(ctx, a, axis):
        if a.size == 0:
            ctx.axis = axis
            ctx.save_for_backward(a)
            return a.copy()
        out = _shifted(_widen(a), axis)
        out -= np.log(np.exp(out).sum(axis, keepdims=True))
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
        out, grad = _widen(out), _widen(grad)
        result = np.exp(out)
        result *= -np.sum(grad, axis=ctx.axis, keepdims=True)
        result += grad
        return result.astype(dtype, copy=False), None


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


# ---------------------------------------------------------------- losses over class scores
# Both take scores of shape (N, C, *) and integer targets of shape (N, *); the class axis is 1.
REDUCTIONS = ("none", "mean", "sum")


def _class_targets(target, weight, ignore_index, classes, dtype):
    """(an index picking each sample's target class out of (N, C, *) scores, each sample's
    weight (0 where ignored), and which samples are kept)."""
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    if safe.size:
        low, high = safe.min(), safe.max()
        if low < 0 or high >= classes:
            bad = int(low if low < 0 else high)
            raise IndexError(
                f"Target {bad} is out of bounds: class indices must lie in [0, {classes - 1}] "
                f"for input with {classes} classes (or equal ignore_index={ignore_index})."
            )
    sample_weight = valid.astype(dtype) if weight is None else weight[safe] * valid
    # scores[key] has target's shape (N, *): the sample, batch and spatial axes broadcast
    grids = np.indices(safe.shape, sparse=True)
    return (grids[0], safe, *grids[1:]), sample_weight, valid


def reduce_loss(loss: np.ndarray, reduction: str, denominator=None) -> np.ndarray:
    """The elementwise loss reduced inside a fused loss primitive: 'none' keeps it, 'sum' adds
    it up, 'mean' divides the sum by denominator (by default the number of elements)."""
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total)
    if denominator is None:
        denominator = loss.size
    # an empty batch, or every sample ignored: 0 / 0 gives nan, as in torch
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / denominator)


def loss_upstream(grad: np.ndarray, reduction: str, denominator) -> np.ndarray:
    """The gradient reaching each element of the unreduced loss: the backward of
    `reduce_loss` (a scalar for 'sum' and 'mean', which broadcasts)."""
    return grad / denominator if reduction == "mean" else grad


def _sample_weights_total(sample_weight, reduction, dtype):
    # the mean of a class-weighted loss divides by the total weight of the kept samples
    return sample_weight.sum(dtype=dtype) if reduction == "mean" else None


class CrossEntropy(Primitive):
    """Cross-entropy of class scores against class indices: fused log-softmax and gather.

    loss_i = (1 - s) * w[t_i] * -log p[t_i] + (s / C) * sum_c w_c * -log p_c for label
    smoothing s; the backward is p * (sum of the weights) - (the weights of the targets).
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction):
        work = _widen(x)
        classes = x.shape[1]
        weight = None if weight is None else _widen(weight)
        key, sample_weight, valid = _class_targets(target, weight, ignore_index, classes,
                                                   work.dtype)
        shifted = _shifted(work, 1)
        probs = np.exp(shifted)
        total = np.sum(probs, axis=1, keepdims=True)
        log_total = np.log(total)
        loss = log_total[:, 0] - shifted[key]
        loss *= sample_weight
        if smoothing:
            # sum_c w_c * -log p_c = W * log(sum exp) - sum_c w_c * shifted_c
            if weight is None:
                spread = classes * log_total[:, 0] - shifted.sum(axis=1)
            else:
                view = (1, classes) + (1,) * (x.ndim - 2)
                spread = weight.sum() * log_total[:, 0] - (shifted * weight.reshape(view)).sum(1)
            spread *= valid
            loss *= 1 - smoothing
            loss += (smoothing / classes) * spread
        denominator = _sample_weights_total(sample_weight, reduction, loss.dtype)
        out = reduce_loss(loss, reduction, denominator)
        probs /= total
        ctx.meta = (x.dtype, key, sample_weight, weight, valid, smoothing, reduction,
                    denominator)
        ctx.save_for_backward(probs)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (probs,) = ctx.saved_tensors
        dtype, key, sample_weight, weight, valid, smoothing, reduction, denominator = ctx.meta
        grad = _widen(grad)
        classes = probs.shape[1]
        picked = loss_upstream(grad, reduction, denominator) * sample_weight
        if not smoothing:
            result = probs * np.expand_dims(picked, 1)
            result[key] -= picked  # each sample's target class appears once in key
            return result.astype(dtype, copy=False), None, None, None, None, None
        picked *= 1 - smoothing
        spread = loss_upstream(grad, reduction, denominator) * valid * (smoothing / classes)
        total_weight = classes if weight is None else weight.sum()
        result = probs * np.expand_dims(picked + spread * total_weight, 1)
        result[key] -= picked
        if weight is None:
            result -= np.expand_dims(spread, 1)
        else:
            view = (1, classes) + (1,) * (probs.ndim - 2)
            result -= np.expand_dims(spread, 1) * weight.reshape(view)
        return result.astype(dtype, copy=False), None, None, None, None, None


class NllLoss(Primitive):
    """-input[i, t_i] * w[t_i], reduced: the loss on log-probabilities of shape (N, C, *)."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        work = _widen(x)
        weight = None if weight is None else _widen(weight)
        key, sample_weight, _ = _class_targets(target, weight, ignore_index, x.shape[1],
                                               work.dtype)
        loss = -work[key]
        loss *= sample_weight
        denominator = _sample_weights_total(sample_weight, reduction, loss.dtype)
        out = reduce_loss(loss, reduction, denominator)
        ctx.meta = (x.shape, x.dtype, key, sample_weight, reduction, denominator)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        shape, dtype, key, sample_weight, reduction, denominator = ctx.meta
        picked = loss_upstream(_widen(grad), reduction, denominator) * sample_weight
        result = np.zeros(shape, dtype=picked.dtype)
        result[key] = -picked
        return result.astype(dtype, copy=False), None, None, None, None
