"""The rest of torch's losses: Poisson and Gaussian likelihoods and the margin losses.

All are compositions of differentiable core ops (their gradients come from those ops), reduced
by the shared `_reduce`; the class-index losses build their masks from the targets in NumPy.
"""

from __future__ import annotations

import math

import numpy as np

import lamina
from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import Primitive
from lamina.nn._functional.activation import logsigmoid, softplus
from lamina.nn._functional.loss import _expect_tensor, _reduce, _reduction, _shape


# ---------------------------------------------------------------- likelihoods
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of target under Poisson(rate): exp(input) - target * input when
    input is the log-rate (log_input), else input - target * log(input + eps); full adds
    Stirling's approximation of log(target!) where target > 1."""
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor("poisson_nll_loss", "input", input)
    _expect_tensor("poisson_nll_loss", "target", target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        # torch zeroes the term for target <= 1 (where it is a poor approximation)
        loss = loss + lamina.where(target <= 1, lamina.zeros_like(stirling), stirling)
    return _reduce(loss, reduction)


def _gaussian_variance(var, input):
    """var as a tensor that broadcasts against input, by torch's rules: input's shape, input's
    shape without its last dim (one variance per row), or input's shape with exactly one dim
    of size 1."""
    if not isinstance(var, Tensor):
        # torch accepts only a Python float here; an int works too
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        return lamina.ones_like(input) * float(var)
    if var._array.size and (var._array < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    shape, var_shape = _shape(input), _shape(var)
    if var_shape == shape:
        return var
    if var_shape == shape[:-1]:
        return var.unsqueeze(-1)
    # torch's test: the sizes of var at the dims where it differs from input add up to one
    if len(var_shape) == len(shape) and sum(
            v for i, v in zip(shape, var_shape) if i != v) == 1:
        return var
    raise ValueError(
        f"gaussian_nll_loss: var is of incorrect size: got {var_shape} for input {shape}. "
        f"Hint: var should have the input's shape, the input's shape without its last dim, "
        f"or the input's shape with one dim of size 1."
    )


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of target under Normal(input, var): 0.5 * (log var + (input -
    target)**2 / var), plus 0.5 * log(2 pi) when full. var is clamped below at eps."""
    _expect_tensor("gaussian_nll_loss", "input", input)
    _expect_tensor("gaussian_nll_loss", "target", target)
    var = _gaussian_variance(var, input)
    reduction = _reduction(None, None, reduction)
    # torch clamps under no_grad: the clamped value is used, and the gradient reaches var as
    # if there were no clamp (adding var - var.detach(), exactly zero, keeps that path)
    var = var.detach().clamp(min=eps) + (var - var.detach())
    difference = input - target
    loss = 0.5 * (var.log() + difference * difference / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- binary-label margin losses
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)) for targets of 1 and -1, reduced.

    Computed as softplus, so it stays finite where torch's log1p(exp(.)) overflows to inf.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor("soft_margin_loss", "input", input)
    _expect_tensor("soft_margin_loss", "target", target)
    return _reduce(softplus(-(input * target), 1.0, math.inf), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target is 1 and max(0, margin - input) where it is -1 (input is usually a
    distance); as in torch, a target that is neither contributes both terms."""
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor("hinge_embedding_loss", "input", input)
    _expect_tensor("hinge_embedding_loss", "target", target)
    below_margin = (margin - input).clamp(min=0)
    zeros = lamina.zeros_like(below_margin)
    loss = (lamina.where(target != 1, below_margin, zeros)
            + lamina.where(target != -1, input + zeros, zeros))
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary cross-entropy with logits per class, weighted, averaged over the last (class)
    dim: one loss per sample, then reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor("multilabel_soft_margin_loss", "input", input)
    _expect_tensor("multilabel_soft_margin_loss", "target", target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    classes = input.shape[-1] if input.ndim else 1
    return _reduce(loss.sum(-1) / classes, reduction)


# ---------------------------------------------------------------- class-index margin losses
def _check_margin_input(op, input):
    if input.ndim not in (1, 2) or input._array.size == 0 and input.ndim == 1:
        raise RuntimeError(
            f"{op}: expected input of shape (C,) or (N, C) with C > 0, got {_shape(input)}"
        )


def _check_long(op, target):
    if target._array.dtype != np.int64:
        raise RuntimeError(f"{op}: expected target of dtype int64 (class indices), got "
                           f"{target.dtype}. Hint: call target.long().")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss of scores input (N, C) or (C,) at class indices target (N,) or
    (): sum over classes i != y of weight[y] * max(0, margin - x[y] + x[i])**p, divided by C."""
    op = "multi_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    _expect_tensor(op, "input", input)
    _expect_tensor(op, "target", target)
    _check_margin_input(op, input)
    unbatched = input.ndim == 1
    batch = input.reshape(1, -1) if unbatched else input
    samples, classes = batch.shape
    if _shape(target) != ((samples,) if not unbatched else ()) and not (
            unbatched and _shape(target) == (1,)):
        raise RuntimeError(
            f"{op}: target should be 1-D with one class index per sample: expected shape "
            f"({samples},), got {_shape(target)} for input {_shape(input)}"
        )
    _check_long(op, target)
    indices = target._array.reshape(samples)
    if indices.size and (indices.min() < 0 or indices.max() >= classes):
        raise RuntimeError(f"{op}: target out of range: class indices must be in [0, "
                           f"{classes}), got {indices.min()}..{indices.max()}")
    if weight is not None and weight.shape[0] != classes:
        raise RuntimeError(f"{op}: inconsistent weight size, expected {classes} but got "
                           f"{list(weight.shape)}")
    column = _wrap(indices.reshape(samples, 1))
    chosen = batch.gather(1, column)
    hinge = (margin - chosen + batch).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.gather(0, _wrap(indices)).reshape(samples, 1)
    is_target = _wrap(np.arange(classes) == indices[:, None])
    hinge = lamina.where(is_target, lamina.zeros_like(hinge), hinge)
    loss = hinge.sum(1) / classes
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss of scores input (N, C) or (C,): target (input's shape, int64)
    lists each sample's classes, ended by the first -1. Sums max(0, 1 - (x[j] - x[i])) over
    listed j (a repeated j counts again, as in torch) and unlisted i, divided by C."""
    op = "multilabel_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _expect_tensor(op, "input", input)
    _expect_tensor(op, "target", target)
    _check_margin_input(op, input)
    if _shape(target) != _shape(input):
        raise RuntimeError(f"{op}: inconsistent target size: {_shape(target)} for input of "
                           f"size: {_shape(input)}. Hint: target has the input's shape, padded "
                           "with -1.")
    _check_long(op, target)
    unbatched = input.ndim == 1
    batch = input.reshape(1, -1) if unbatched else input
    samples, classes = batch.shape
    labels = target._array.reshape(samples, classes)
    if labels.size and (labels.min() < -1 or labels.max() >= classes):
        raise RuntimeError(f"{op}: argument #2 'target' is out of range: expected class "
                           f"indices in [0, {classes}) or -1, got {labels.min()}..{labels.max()}")
    listed = np.cumprod(labels != -1, axis=1).astype(bool)  # up to the first -1
    counts = np.zeros((samples, classes), dtype=input._array.dtype)
    rows = np.broadcast_to(np.arange(samples)[:, None], labels.shape)
    np.add.at(counts, (rows[listed], labels[listed]), 1)
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]  # (sample, listed j, unlisted i)
    hinge = (1 - batch.unsqueeze(2) + batch.unsqueeze(1)).clamp(min=0)
    loss = (hinge * _wrap(pairs)).sum((1, 2)) / classes
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


# ---------------------------------------------------------------- CTC
def _logsumexp(*terms):
    stacked = np.stack(terms)
    peak = stacked.max(0)
    finite = np.where(np.isfinite(peak), peak, 0.0)
    return finite + np.log(np.exp(stacked - finite).sum(0))


def _ctc_lattice(log_probs, labels, blank):
    """log alpha and log beta over (time, extended label): the labels with a blank before,
    between and after them, and the steps each position may skip from."""
    extended = np.full(2 * len(labels) + 1, blank, dtype=np.int64)
    extended[1::2] = labels
    steps, positions = log_probs.shape[0], len(extended)
    # a label may skip the blank before it unless it repeats the label two positions back
    skip = np.zeros(positions, dtype=bool)
    skip[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    emitted = log_probs[:, extended]
    minus_inf = np.full(positions, -np.inf, dtype=log_probs.dtype)
    alpha = np.full((steps, positions), -np.inf, dtype=log_probs.dtype)
    beta = alpha.copy()
    alpha[0, :2] = emitted[0, :2]
    for t in range(1, steps):
        previous = alpha[t - 1]
        one_back = np.concatenate([minus_inf[:1], previous[:-1]])
        two_back = np.where(skip, np.concatenate([minus_inf[:2], previous[:-2]]), -np.inf)
        alpha[t] = _logsumexp(previous, one_back, two_back) + emitted[t]
    beta[-1, -2:] = emitted[-1, -2:]
    skip_ahead = np.zeros(positions, dtype=bool)  # whether position s + 2 may skip to s
    skip_ahead[:-2] = skip[2:]
    for t in range(steps - 2, -1, -1):
        following = beta[t + 1]
        one_ahead = np.concatenate([following[1:], minus_inf[:1]])
        two_ahead = np.where(skip_ahead, np.concatenate([following[2:], minus_inf[:2]]), -np.inf)
        beta[t] = _logsumexp(following, one_ahead, two_ahead) + emitted[t]
    return extended, alpha, beta


class _CtcLoss(Primitive):
    """The negative log-likelihood of each target sequence, shape (N,), from log_probs (T, N, C).

    The gradient is torch's: the one with respect to the scores before a log_softmax, which
    is what the loss is nearly always used behind (exp(log_probs) minus the label occupancy).
    """

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        work = log_probs.astype(np.float64)
        batch = work.shape[1]
        losses = np.zeros(batch)
        grad = np.zeros_like(work)
        for n in range(batch):
            steps = int(input_lengths[n])
            sequence = work[:steps, n]
            extended, alpha, beta = _ctc_lattice(sequence, targets[n], blank)
            ends = alpha[steps - 1, -2:] if len(extended) > 1 else alpha[steps - 1, -1:]
            nll = -_logsumexp(*ends)
            if zero_infinity and np.isinf(nll):
                continue  # loss and gradient both zero
            losses[n] = nll
            occupancy = np.full_like(sequence, -np.inf)
            for position, label in enumerate(extended):
                occupancy[:, label] = _logsumexp(occupancy[:, label],
                                                 alpha[:, position] + beta[:, position])
            grad[:steps, n] = np.exp(sequence) - np.exp(occupancy + nll - sequence)
        ctx.grad = grad
        return losses.astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        result = (ctx.grad * grad.astype(np.float64)[None, :, None]).astype(grad.dtype)
        return result, None, None, None, None, None


def _lengths(op, name, value, batch):
    lengths = np.asarray(value._array if isinstance(value, Tensor) else value).reshape(-1)
    if lengths.dtype.kind not in "iu" or lengths.shape != (batch,):
        raise RuntimeError(f"{op}: expected {name} to hold {batch} integer lengths (one per "
                           f"sample), got {lengths.dtype} of shape {lengths.shape}")
    return lengths.astype(np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss of log_probs (T, N, C) or (T, C) against
    target label sequences: padded (N, S) or concatenated (sum of target_lengths,).

    'mean' divides each sample's loss by its target length, then averages over the batch.
    The gradient with respect to log_probs is torch's (see _CtcLoss).
    """
    op = "ctc_loss"
    reduction = _reduction(None, None, reduction)
    _expect_tensor(op, "log_probs", log_probs)
    _expect_tensor(op, "targets", targets)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3:
        raise RuntimeError(f"{op}: expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{_shape(log_probs)}")
    steps, batch, classes = log_probs.shape
    inputs = _lengths(op, "input_lengths", input_lengths, batch)
    lengths = _lengths(op, "target_lengths", target_lengths, batch)
    if inputs.size and (inputs.max() > steps or inputs.min() < 1):
        raise RuntimeError(f"{op}: expected input_lengths between 1 and T={steps}, got "
                           f"{inputs.tolist()}")
    labels = targets._array
    if unbatched:
        labels = labels.reshape(1, -1)
    if labels.ndim == 2:
        if labels.shape[0] != batch or (lengths.size and lengths.max() > labels.shape[1]):
            raise RuntimeError(f"{op}: expected targets of shape (N={batch}, S) with S at least "
                               f"the longest target length, got {_shape(targets)}")
        sequences = [labels[n, :lengths[n]] for n in range(batch)]
    else:
        if labels.ndim != 1 or labels.shape[0] != lengths.sum():
            raise RuntimeError(f"{op}: expected concatenated targets of length "
                               f"sum(target_lengths)={lengths.sum()}, got {_shape(targets)}")
        sequences = np.split(labels, np.cumsum(lengths)[:-1])
    used = np.concatenate([np.zeros(0, dtype=np.int64)] + list(sequences))
    if used.size and (used.min() < 0 or used.max() >= classes):
        # torch reads past the class dim here and returns a meaningless loss
        raise RuntimeError(f"{op}: target labels must be in [0, C={classes}), got "
                           f"{used.min()}..{used.max()}")
    losses = _CtcLoss.apply(log_probs, sequences, inputs, lengths, blank, zero_infinity)
    if unbatched:
        losses = losses.reshape(())
    if reduction == "mean":
        divisor = _wrap(np.maximum(lengths, 1).astype(log_probs._array.dtype))
        return (losses / divisor.reshape(losses.shape)).mean()
    return _reduce(losses, reduction)
