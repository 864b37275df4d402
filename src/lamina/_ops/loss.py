"""Fused loss primitives on ndarrays: reductions inside, forward and backward side by side.

CrossEntropy and NllLoss take scores of shape (N, C, *) (class axis 1) and integer targets of
shape (N, *). The binary cross-entropies are elementwise; their gradients follow torch's
formulas (not the derivative of a clamped log). `reduce_loss` and `loss_upstream` are the one
place these primitives reduce, and undo the reduction in backward.
"""

from __future__ import annotations

import numpy as np

from lamina._ops.softmax import shift_by_max, widen
from lamina.autograd.function import Primitive

REDUCTIONS = ("none", "mean", "sum")


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


# ---------------------------------------------------------------- scores against class indices
def _class_targets(target, weight, ignore_index, classes, dtype):
    """(an index picking each sample's target class out of (N, C, *) scores, each sample's
    weight (0 where ignored), and which samples are kept)."""
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    # one reduction finds both kinds of bad index: as unsigned, a negative one is huge
    if safe.size and safe.view(safe.dtype.str.replace("i", "u")).max() >= classes:
        bad = safe[(safe < 0) | (safe >= classes)].flat[0]
        raise IndexError(
            f"Target {bad} is out of bounds: class indices must lie in [0, {classes - 1}] "
            f"for input with {classes} classes (or equal ignore_index={ignore_index})."
        )
    sample_weight = valid.astype(dtype) if weight is None else weight[safe] * valid
    # scores[key] has target's shape (N, *): the sample and spatial axes broadcast
    ndim = safe.ndim
    grids = [np.arange(size).reshape((1,) * i + (size,) + (1,) * (ndim - i - 1))
             for i, size in enumerate(safe.shape)]
    return (grids[0], safe, *grids[1:]), sample_weight, valid


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
        if ctx.needs_input_grad:  # torch's last node: nll_loss (with smoothing, an add)
            ctx.grad_fn_name = "AddBackward0" if smoothing else "NllLossBackward0"
        work = widen(x)
        classes = x.shape[1]
        weight = None if weight is None else widen(weight)
        key, sample_weight, valid = _class_targets(target, weight, ignore_index, classes,
                                                   work.dtype)
        shifted = shift_by_max(work, 1)
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
        if ctx.needs_input_grad:  # recorded for backward (never under no_grad)
            probs /= total
            ctx.meta = (x.dtype, key, sample_weight, weight, valid, smoothing, reduction,
                        denominator)
            ctx.save_for_backward(probs)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (probs,) = ctx.saved_tensors
        dtype, key, sample_weight, weight, valid, smoothing, reduction, denominator = ctx.meta
        grad = widen(grad)
        classes = probs.shape[1]
        picked = loss_upstream(grad, reduction, denominator) * sample_weight
        if not smoothing:
            result = probs * picked[:, None]
            result[key] -= picked  # each sample's target class appears once in key
            return result.astype(dtype, copy=False), None, None, None, None, None
        picked *= 1 - smoothing
        spread = loss_upstream(grad, reduction, denominator) * valid * (smoothing / classes)
        total_weight = classes if weight is None else weight.sum()
        result = probs * (picked + spread * total_weight)[:, None]
        result[key] -= picked
        if weight is None:
            result -= spread[:, None]
        else:
            view = (1, classes) + (1,) * (probs.ndim - 2)
            result -= spread[:, None] * weight.reshape(view)
        return result.astype(dtype, copy=False), None, None, None, None, None


class NllLoss(Primitive):
    """-input[i, t_i] * w[t_i], reduced: the loss on log-probabilities of shape (N, C, *)."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        work = widen(x)
        weight = None if weight is None else widen(weight)
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
        picked = loss_upstream(widen(grad), reduction, denominator) * sample_weight
        result = np.zeros(shape, dtype=picked.dtype)
        result[key] = -picked
        return result.astype(dtype, copy=False), None, None, None, None


# ---------------------------------------------------------------- regression
class MseLoss(Primitive):
    """(x - t)**2, reduced: one node, MseLossBackward0, as in torch. x and t have one dtype
    and broadcast; both gradients are 2 (x - t) times the upstream one (with opposite signs),
    in the broadcast shape."""

    @staticmethod
    def forward(ctx, x, t, reduction):
        ctx.save_for_backward(x, t)  # the inputs, not x - t: create_graph differentiates them
        ctx.reduction = reduction
        difference = x - t
        return reduce_loss(difference * difference, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        difference = x - t
        # torch's order: (2 / n) * (x - t), then times the upstream gradient
        scale = 2 / max(difference.size, 1) if ctx.reduction == "mean" else 2
        grad_x = difference * scale
        grad_x *= grad
        return (grad_x if need_x else None), (-grad_x if need_t else None), None

    @staticmethod
    def graph_backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        difference = x - t
        scale = 2 / max(difference.numel(), 1) if ctx.reduction == "mean" else 2
        grad_x = difference * scale * grad
        return (grad_x if need_x else None), (-grad_x if need_t else None), None


# ---------------------------------------------------------------- binary cross-entropy
class BinaryCrossEntropy(Primitive):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as torch does, reduced."""

    @staticmethod
    def forward(ctx, x, t, weight, reduction):
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            log_x = np.maximum(np.log(x), -100)
            log_rest = np.maximum(np.log1p(-x), -100)
        # (t - 1) * log(1 - x) - t * log(x), the order torch evaluates it in
        loss = (t - 1) * log_rest
        loss -= t * log_x
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, t, weight)
        ctx.reduction = reduction
        ctx.count = loss.size
        return reduce_loss(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, weight = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        upstream = loss_upstream(grad, ctx.reduction, ctx.count)
        if weight is not None:
            upstream = upstream * weight
        grad_x = grad_t = None
        if need_x:
            # torch's formula: (x - t) / max(x (1 - x), 1e-12), finite where the log clamps
            grad_x = upstream * (x - t) / np.maximum((1 - x) * x, 1e-12)
        if need_t:
            with np.errstate(divide="ignore"):  # infinite at x = 0 or 1, as in torch
                grad_t = upstream * (np.log1p(-x) - np.log(x))
        return grad_x, grad_t, None, None


def _sigmoid(x):
    # 1 / (1 + exp(-x)): where exp overflows (x below about -88 in float32), 1 / inf = 0 is
    # the correctly rounded value, so only the warning needs silencing
    out = np.negative(x, out=np.empty_like(x))  # an array even for 0-d x
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class BinaryCrossEntropyWithLogits(Primitive):
    """w ((1 - t) x + (1 + (pos_weight - 1) t) log(1 + exp(-x))), finite for any logit x."""

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        # log(1 + exp(-x)) without overflow: max(-x, 0) + log1p(exp(-|x|))
        softplus = np.log1p(np.exp(-np.abs(x)))
        softplus += np.maximum(-x, 0)
        ctx.save_for_backward(x, t, weight, pos_weight, softplus)
        if pos_weight is not None:
            softplus = softplus * ((pos_weight - 1) * t + 1)
        loss = x - t * x
        loss += softplus
        if weight is not None:
            loss *= weight
        ctx.reduction = reduction
        ctx.count = loss.size
        return reduce_loss(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, weight, pos_weight, softplus = ctx.saved_tensors
        need_x, need_t, _, need_pos = ctx.needs_input_grad[:4]
        upstream = loss_upstream(grad, ctx.reduction, ctx.count)
        if weight is not None:
            upstream = upstream * weight
        grad_x = grad_t = grad_pos = None
        if need_x:
            if pos_weight is None:
                grad_x = upstream * (_sigmoid(x) - t)
            else:
                weighted = pos_weight * t
                grad_x = upstream * ((weighted + 1 - t) * _sigmoid(x) - weighted)
        if need_t:
            scale = 1 if pos_weight is None else pos_weight
            grad_t = upstream * (scale * softplus - x - softplus)
        if need_pos:
            grad_pos = upstream * t * softplus
        return grad_x, grad_t, None, grad_pos, None
