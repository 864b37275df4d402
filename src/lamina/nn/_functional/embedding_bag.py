"""embedding_bag: sums, means or maxes of bags of embedding rows, without the (bags, n, dim)
intermediate that embedding + reduce would build.

Bags are runs of the flat index array: bag b is positions offsets[b] .. offsets[b+1] (the last
runs to the end, or to the final offset with include_last_offset). Entries equal to padding_idx
are left out of their bag (a mean divides by the rest); an empty bag gives zeros.

Where torch's CPU kernel departs from its documentation we follow the documentation:
scale_grad_by_freq divides each row's gradient by that index's own count (torch 2.13 sometimes
uses another index's count, pytorch/pytorch#190063), and with include_last_offset the indices
after the final offset belong to no bag (torch's mean mode still counts them in the last bag).
"""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.function import Primitive
from lamina.nn._functional.sparse import _padding_row, _renormalise

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


class EmbeddingBagReduce(Primitive):
    """out[b] = reduce over bag b of weight[indices[p]] (times per_sample_weights[p] for sum).

    `bag` holds, per position, its bag number or -1 (padding, or after the final offset);
    `starts` is where each bag begins in positions and `count` how many bags there are.
    """

    @staticmethod
    def forward(ctx, weight, per_sample_weights, indices, bag, starts, count, mode, scale):
        n, dim = indices.size, weight.shape[1]
        kept = bag >= 0
        rows = np.take(weight, indices, axis=0)
        if mode == "max":
            rows = np.where(kept[:, None], rows, -np.inf).astype(weight.dtype, copy=False)
        elif per_sample_weights is not None:
            rows = rows * np.where(kept, per_sample_weights, 0)[:, None]
        else:
            rows = rows * kept[:, None].astype(weight.dtype)
        sizes = np.bincount(bag[kept], minlength=count)[:count]
        out = np.zeros((count, dim), dtype=weight.dtype)
        filled = sizes > 0
        if n and filled.any():
            # reduceat over the start of every non-empty bag: bags are contiguous runs, and an
            # empty bag would make reduceat repeat its neighbour's first row
            reduce = np.maximum if mode == "max" else np.add
            firsts = starts[filled]
            out[filled] = reduce.reduceat(rows, firsts, axis=0)
        if mode == "mean":
            out /= np.maximum(sizes, 1).astype(weight.dtype)[:, None]
        ctx.meta = (weight.shape, weight.dtype, mode, scale)
        if mode == "max":
            # the first position holding each bag's maximum gets that bag's gradient
            hits = (rows == out[np.maximum(bag, 0)]) & kept[:, None]
            positions = np.where(hits, np.arange(n)[:, None], n)
            winners = np.full((count, dim), n, dtype=np.int64)
            if n and filled.any():
                winners[filled] = np.minimum.reduceat(positions, starts[filled], axis=0)
            ctx.save_for_backward(indices, winners)
        else:
            ctx.save_for_backward(weight, per_sample_weights, indices, bag, sizes)
        return out

    @staticmethod
    def backward(ctx, grad):
        (shape, dtype, mode, scale) = ctx.meta
        grad_weight = np.zeros(shape, dtype=dtype)
        if mode == "max":
            indices, winners = ctx.saved_tensors
            won = winners < indices.size
            columns = np.broadcast_to(np.arange(shape[1]), winners.shape)
            np.add.at(grad_weight, (indices[winners[won]], columns[won]), grad[won])
            return (grad_weight,) + (None,) * 7
        weight, per_sample_weights, indices, bag, sizes = ctx.saved_tensors
        kept = bag >= 0
        factor = kept.astype(dtype)
        if mode == "mean":
            factor = factor / np.maximum(sizes, 1).astype(dtype)[np.maximum(bag, 0)]
        row_grads = grad[np.maximum(bag, 0)]  # (n, dim): the gradient each position's row gets
        grad_samples = None
        if ctx.needs_input_grad[1]:
            grad_samples = np.einsum("nd,nd->n", row_grads, np.take(weight, indices, axis=0))
            grad_samples *= factor
        if ctx.needs_input_grad[0]:
            if per_sample_weights is not None:
                factor = factor * per_sample_weights
            if scale:
                counts = np.bincount(indices[kept], minlength=shape[0])
                factor = factor / np.maximum(counts[indices], 1).astype(dtype)
            np.add.at(grad_weight, indices, row_grads * factor[:, None])
        return (grad_weight, grad_samples) + (None,) * 6


def _integer_array(value, name: str) -> np.ndarray:
    array = value._array if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "iu":
        dtype = value.dtype if isinstance(value, Tensor) else array.dtype
        raise RuntimeError(f"embedding_bag: expected {name} of an integer dtype (Long or Int), "
                           f"got {dtype}. Hint: convert them with .long().")
    return array


def _bags(indices: np.ndarray, offsets, include_last_offset: bool, padding_idx):
    """Per position its bag number (-1: in no bag), each bag's start, and the bag count."""
    n = indices.size
    offsets = _integer_array(offsets, "offsets").astype(np.int64)
    if offsets.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor, got shape {offsets.shape}")
    if offsets.size and offsets[0] != 0:
        raise RuntimeError(f"embedding_bag: offsets[0] has to be 0, i.e., the first bag starts "
                           f"at position 0 of input, got {int(offsets[0])}")
    if offsets.size and offsets[-1] > n:
        raise RuntimeError(f"embedding_bag: offsets[-1] can not be greater than input's length "
                           f"{n}, got offsets[-1] of {int(offsets[-1])}")
    if np.any(np.diff(offsets) < 0):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got "
                           f"{offsets.tolist()}")
    count = max(offsets.size - 1, 0) if include_last_offset else offsets.size
    starts = offsets[:count]
    end = offsets[-1] if include_last_offset and offsets.size else n
    positions = np.arange(n)
    bag = np.searchsorted(starts, positions, side="right") - 1
    bag[positions >= end] = -1
    if padding_idx is not None:
        bag[indices == padding_idx] = -1
    return bag, starts, count


def embedding_bag(input, weight: Tensor, offsets=None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Reduce bags of rows of weight (num_embeddings, dim) to one (bags, dim) output.

    input is (B, N) (B bags of N indices; offsets must be None) or (n,) with offsets (bag
    starts). per_sample_weights, input-shaped, scales each row (mode="sum" only). `sparse=True`
    is accepted but the gradient is dense (the same values).
    """
    indices = _integer_array(input, "indices")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != indices.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
            f"None, then it must have the same shape as the input ({indices.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                f"mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}")
        offsets = np.arange(indices.shape[0]) * indices.shape[1]  # (B, 0): B empty bags
        include_last_offset = False
    elif indices.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{indices.ndim}")
    if mode not in _MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    flat = indices.reshape(-1)
    rows = weight._array.shape[0]
    if flat.size and (flat.min() < 0 or flat.max() >= rows):
        position = int(np.argmax((flat < 0) | (flat >= rows)))
        raise RuntimeError(f"embedding_bag: index {position} of input takes value "
                           f"{int(flat[position])}, which is not in the valid range "
                           f"[0, {rows})")
    if max_norm is not None:
        _renormalise(weight, flat, max_norm, norm_type)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}')")
        if per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(
                f"embedding_bag: expected per_sample_weights of the weight's dtype "
                f"{weight.dtype}, got {per_sample_weights.dtype}")
        per_sample_weights = per_sample_weights.reshape(-1)
    bag, starts, count = _bags(flat, offsets, include_last_offset,
                               _padding_row(padding_idx, rows))
    return EmbeddingBagReduce.apply(weight, per_sample_weights, flat, bag, starts, count, mode,
                                    bool(scale_grad_by_freq))
