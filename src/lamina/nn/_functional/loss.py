"""The losses of nn.functional: argument checks, then a fused primitive or a composition.

Cross-entropy and NLL with class indices and the binary cross-entropies are fused primitives
(`lamina._ops.loss`, which reduce inside); the rest are compositions of core ops reduced by
`_reduce`. `_reduction` validates `reduction` (and maps the legacy flags) for all of them.
"""

from __future__ import annotations

import warnings

import numpy as np

import lamina
from lamina._ops import _promote
from lamina._ops.loss import (
    REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    MseLoss,
    NllLoss,
)
from lamina._ops.softmax import log_softmax
from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import name_node


# ---------------------------------------------------------------- shared argument handling
def _reduction(size_average, reduce, reduction: str, stacklevel: int = 3) -> str:
    """The reduction to use, mapping torch's legacy size_average/reduce flags as torch does."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.", stacklevel=stacklevel)
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{reduction} is not a valid value for reduction; expected 'none', 'mean' or 'sum'"
        )
    return reduction


def _reduce(loss: Tensor, reduction: str, total_weight: Tensor | None = None) -> Tensor:
    """'none' keeps the elementwise loss; 'sum' adds it up; 'mean' averages it (or divides
    by total_weight, for losses whose mean is weighted)."""
    if reduction == "none":
        return loss
    if reduction == "sum" or total_weight is not None:
        total = loss.sum()
        return total if reduction == "sum" else total / total_weight
    return loss.mean()


def _shape(value) -> tuple:
    return tuple(value._array.shape)


def _pair(op: str, input: Tensor, target: Tensor, warn: bool = True):
    """input and target promoted to one floating dtype and broadcast-checked (torch warns
    when their sizes differ and broadcasts anyway)."""
    _expect_tensor(op, "input", input)
    _expect_tensor(op, "target", target)
    if _shape(input) != _shape(target):
        try:
            np.broadcast_shapes(_shape(input), _shape(target))
        except ValueError:
            raise RuntimeError(
                f"{op}: input of shape {_shape(input)} and target of shape {_shape(target)} "
                "cannot be broadcast together. Hint: they should have the same shape."
            ) from None
        if warn:
            warnings.warn(
                f"Using a target size ({target.shape}) that is different to the input size "
                f"({input.shape}). This will likely lead to incorrect results due to "
                "broadcasting. Please ensure they have the same size.", stacklevel=3)
    return _promote.binary(input, target, floating=True)


def _integers(input, target) -> bool:
    """True when neither operand is floating point: torch's regression losses have no integer
    kernels (an integer and a float operand promote to float and work)."""
    return (isinstance(input, Tensor) and isinstance(target, Tensor)
            and input._array.dtype.kind != "f" and target._array.dtype.kind != "f")


def _refuse_integers(op: str, input, target) -> None:
    if _integers(input, target):
        raise NotImplementedError(
            f"{op}: not implemented for {input.dtype} input and {target.dtype} target; expected "
            "floating point tensors. Hint: convert them with .float() first."
        )


def _expect_tensor(op: str, name: str, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(value).__name__}")


def _expect_float(op: str, name: str, value: Tensor, hint: str) -> None:
    if value._array.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected {name} of a floating point dtype, got {value.dtype}. Hint: {hint}"
        )


def _weighted(op, loss: Tensor, weight, reduction: str, weighted_mean: bool) -> Tensor:
    if weight is None:
        return _reduce(loss, reduction)
    if _shape(weight) != _shape(loss):
        raise ValueError(
            f"{op}: weights and input must have the same size, got weight "
            f"{_shape(weight)} for input {_shape(loss)}"
        )
    loss = loss * weight
    return _reduce(loss, reduction, weight.sum() if weighted_mean else None)


# ---------------------------------------------------------------- regression losses
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: (input - target)**2, reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    _refuse_integers("mse_loss", input, target)
    input, target = _pair("mse_loss", input, target)
    if weight is None:
        return MseLoss.apply(input, target, reduction)
    difference = input - target
    loss = _weighted("mse_loss", difference * difference, weight, reduction, True)
    return name_node(loss, "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: |input - target|, reduced.

    Integer input and target give an integer loss for 'none' and 'sum', and torch's
    RuntimeError for 'mean'.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if _integers(input, target):
        if reduction == "mean":
            raise RuntimeError(
                f"l1_loss: the mean of {input.dtype} values has no integer result. Hint: "
                "convert input and target with .float() first."
            )
        _pair("l1_loss", input, target)  # the shape checks
        input, target = _promote.binary(input, target)
    else:
        input, target = _pair("l1_loss", input, target)
    return _weighted("l1_loss", (input - target).abs(), weight, reduction, True)


def _quadratic_near_zero(input, target, threshold: float, scale: float):
    """|d| below threshold: 0.5 d**2 * scale; above: |d| - 0.5 * threshold (times 1/scale)."""
    distance = (input - target).abs()
    quadratic = distance * distance * (0.5 * scale)
    return lamina.where(distance < threshold, quadratic, distance - 0.5 * threshold)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (beta=0 is the L1 loss)."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    _refuse_integers("smooth_l1_loss", input, target)
    input, target = _pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _reduce((input - target).abs(), reduction)
    return _reduce(_quadratic_near_zero(input, target, beta, 1.0 / beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 delta): smooth_l1 scaled by delta.

    Unlike the other losses the result keeps input's dtype, as in torch (float32 input with a
    float64 target gives float32; an integer input with a float target is an error).
    """
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got "
                           f"{delta}")
    _refuse_integers("huber_loss", input, target)
    if isinstance(input, Tensor) and input._array.dtype.kind != "f":
        raise RuntimeError(
            f"huber_loss: result type {target.dtype} can't be cast to the desired output type "
            f"{input.dtype} (the loss keeps the input's dtype). Hint: convert the input with "
            ".float() first."
        )
    dtype = input.dtype if isinstance(input, Tensor) else None
    input, target = _pair("huber_loss", input, target)
    loss = _quadratic_near_zero(input, target, delta, 1.0 / delta) * delta
    loss = _weighted("huber_loss", loss, weight, reduction, False)
    return loss if dtype is None or loss.dtype == dtype else loss.to(dtype)


# ---------------------------------------------------------------- binary classification
def _check_binary(op, input, target):
    """target as input's dtype after checking both are floating point and the same shape."""
    _expect_tensor(op, "input", input)
    _expect_tensor(op, "target", target)
    if _shape(input) != _shape(target):
        raise ValueError(
            f"{op}: target size ({target.shape}) must be the same as the input size "
            f"({input.shape}). Hint: for (N, 1) outputs, reshape the target to (N, 1)."
        )
    _expect_float(op, "input", input, "call input.float()")
    _expect_float(op, "target", target, "targets are probabilities: call target.float()")
    return target if target._array.dtype == input._array.dtype else target.to(input.dtype)


def _same_dtype(value, input):
    if value is None or value._array.dtype == input._array.dtype:
        return value
    return value.to(input.dtype)


def _check_broadcast(op, name, value, input, hint):
    if value is None:
        return
    try:
        shape = np.broadcast_shapes(_shape(value), _shape(input))
    except ValueError:
        shape = None
    if shape != _shape(input):
        raise RuntimeError(
            f"{op}: {name} of shape {_shape(value)} cannot be broadcast to input "
            f"{_shape(input)}. Hint: {hint}"
        )


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy of probabilities input (in [0, 1]) against target, reduced."""
    op = "binary_cross_entropy"
    reduction = _reduction(size_average, reduce, reduction)
    target = _check_binary(op, input, target)
    for name, value in (("input", input), ("target", target)):
        array = value._array
        if array.size and (array.min() < 0 or array.max() > 1):
            raise RuntimeError(
                f"{op}: all elements of {name} should be between 0 and 1. "
                + ("Hint: for raw scores use binary_cross_entropy_with_logits "
                   "(nn.BCEWithLogitsLoss)." if name == "input" else "")
            )
    _check_broadcast(op, "weight", weight, input, "one weight per element or per class")
    return BinaryCrossEntropy.apply(input, target, _same_dtype(weight, input), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable step, on raw scores input."""
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(size_average, reduce, reduction)
    target = _check_binary(op, input, target)
    _check_broadcast(op, "weight", weight, input, "one weight per element or per class")
    _check_broadcast(op, "pos_weight", pos_weight, input, "one weight per class, of shape (C,)")
    return BinaryCrossEntropyWithLogits.apply(input, target, _same_dtype(weight, input),
                                              _same_dtype(pos_weight, input), reduction)


# ---------------------------------------------------------------- multi-class classification
def _check_class_weight(op, weight, classes):
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(
            f"{op}: expected weight to be a 1-D tensor with one value per class ({classes}), "
            f"got shape {_shape(weight)}"
        )


def _check_class_target(op, input, target, allow_probabilities):
    """Whether target holds class probabilities (True) or class indices (False)."""
    shape, target_shape = _shape(input), _shape(target)
    if target._array.dtype.kind == "f":
        if allow_probabilities and target_shape == shape:
            return True
        raise RuntimeError(
            f"{op}: got a {target.dtype} target of shape {target_shape} for input of shape "
            f"{shape}. Class indices must be int64 (call target.long())"
            + (f"; class probabilities must be floating point of the input's shape {shape}."
               if allow_probabilities else ".")
        )
    if target._array.dtype not in (np.int64, np.uint8):
        raise RuntimeError(
            f"{op}: expected class indices of dtype int64 (or uint8), got {target.dtype}. "
            "Hint: call target.long()."
        )
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if target_shape != expected:
        if len(shape) > 1 and target_shape[:1] != shape[:1] and len(target_shape) >= 1:
            raise ValueError(
                f"{op}: expected input batch_size ({shape[0]}) to match target batch_size "
                f"({target_shape[0]}); input {shape}, target {target_shape}."
            )
        raise RuntimeError(
            f"{op}: for input of shape {shape} expected class indices of shape {expected}, "
            f"got {target_shape}. Hint: input is (N, C) or (N, C, d1, ...) and target "
            "(N,) or (N, d1, ...)."
        )
    return False


def _batched(input, target):
    """Unbatched (C,) scores and a 0-d target as a batch of one."""
    if input.ndim == 1:
        return input.reshape(1, -1), _wrap(target._array.reshape(1)), True
    return input, target, False


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of raw class scores input (N, C, *) or (C,) against class indices
    (N, *) or class probabilities (input's shape), with class weights and label smoothing."""
    op = "cross_entropy"
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor(op, "input", input)
    _expect_tensor(op, "target", target)
    _expect_float(op, "input", input, "input holds raw class scores; call input.float()")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    if input.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class dim: (C,), (N, C) or (N, C, d1, ...)")
    classes = input.shape[0 if input.ndim == 1 else 1]
    _check_class_weight(op, weight, classes)
    if _check_class_target(op, input, target, True):
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, classes)
    input, target, unbatched = _batched(input, target)
    out = CrossEntropy.apply(input, target._array, weight, ignore_index, label_smoothing,
                             reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def _soft_cross_entropy(input, target, weight, reduction, smoothing, classes):
    dim = 0 if input.ndim == 1 else 1
    if target._array.dtype != input._array.dtype:
        target = target.to(input.dtype)
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    log_probs = log_softmax(input, dim)
    if weight is not None:
        view = (classes,) + (1,) * (input.ndim - dim - 1)
        target = target * weight.reshape(view)
    return _reduce(-(log_probs * target).sum(dim), reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities input (N, C, *) or (C,) at class
    indices target (N, *), weighted per class; ignore_index samples count for nothing."""
    op = "nll_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor(op, "input", input)
    _expect_tensor(op, "target", target)
    _expect_float(op, "input", input, "input holds log-probabilities (log_softmax output)")
    if input.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class dim: (C,), (N, C) or (N, C, d1, ...)")
    classes = input.shape[0 if input.ndim == 1 else 1]
    _check_class_weight(op, weight, classes)
    _check_class_target(op, input, target, False)
    input, target, unbatched = _batched(input, target)
    out = NllLoss.apply(input, target._array, weight, ignore_index, reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of target from input (log-probabilities): target * (log
    target - input), reduced; 'batchmean' divides the sum by the batch size."""
    if reduction == "batchmean":
        if size_average is not None or reduce is not None:
            reduction = _reduction(size_average, reduce, "mean")
    else:
        reduction = _reduction(size_average, reduce, reduction)
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.", stacklevel=2)
    input, target = _pair("kl_div", input, target, warn=False)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # 0 * log 0 counts as 0: take the log of 1 where the target is 0
        positive = target > 0
        safe = lamina.where(positive, target, lamina.ones_like(target))
        loss = target * (safe.log() - input)
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- embedding and ranking losses
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1; max(0, cos(x1, x2) - margin) where it is -1."""
    op = "cosine_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction)
    for name, value in (("input1", input1), ("input2", input2), ("target", target)):
        _expect_tensor(op, name, value)
    if _shape(input1) != _shape(input2) or input1.ndim not in (1, 2) or (
            target.ndim != input1.ndim - 1) or _shape(target) != _shape(input1)[:-1]:
        raise RuntimeError(
            f"{op}: expected input1 and input2 of shape (N, D) or (D,) and target of shape "
            f"(N,) or (), got input1 {_shape(input1)}, input2 {_shape(input2)}, target "
            f"{_shape(target)}"
        )
    eps = 1e-12  # torch's guard against zero vectors
    dot = (input1 * input2).sum(-1)
    squared1 = (input1 * input1).sum(-1) + eps
    squared2 = (input2 * input2).sum(-1) + eps
    cosine = dot / (squared1 * squared2).sqrt()
    zeros = lamina.zeros_like(cosine)
    similar = lamina.where(target == 1, 1 - cosine, zeros)
    dissimilar = lamina.where(target == -1, (cosine - margin).clamp(min=0), zeros)
    return _reduce(similar + dissimilar, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): rank input1 above input2 when target=1."""
    op = "margin_ranking_loss"
    reduction = _reduction(size_average, reduce, reduction)
    for name, value in (("input1", input1), ("input2", input2), ("target", target)):
        _expect_tensor(op, name, value)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"{op}: all input tensors should have the same number of dimensions, got input1 "
            f"{_shape(input1)}, input2 {_shape(input2)}, target {_shape(target)}"
        )
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def _pairwise_distance(x1, x2, p, eps):
    difference = x1 - x2 + eps
    if p == 2:
        return (difference * difference).sum(-1).sqrt()
    return lamina.norm(difference, p, dim=-1)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, d(anchor, positive) - d(anchor, negative) + margin) with the p-norm distance."""
    op = "triplet_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    for name, value in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _expect_tensor(op, name, value)
    if not anchor.ndim == positive.ndim == negative.ndim or anchor.ndim not in (1, 2):
        raise RuntimeError(
            f"{op}: the anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions (1 or 2), got anchor {_shape(anchor)}, positive "
            f"{_shape(positive)} and negative {_shape(negative)}"
        )
    to_positive = _pairwise_distance(anchor, positive, p, eps)
    to_negative = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = lamina.minimum(to_negative, _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + to_positive - to_negative).clamp(min=0), reduction)

