"""Embedding lookups and one-hot encoding."""

from __future__ import annotations

import numpy as np

from lamina._ops.index import one_hot
from lamina._tensor import Tensor
from lamina.autograd.function import Primitive
from lamina.autograd.grad_mode import no_grad

__all__ = ["embedding", "one_hot"]


class EmbeddingLookup(Primitive):
    """Rows of weight picked by integer indices; backward adds each row's gradients back."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.rows, ctx.padding_idx, ctx.scale = weight.shape[0], padding_idx, scale_grad_by_freq
        ctx.save_for_backward(indices)
        return np.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        flat = indices.reshape(-1)
        rows = grad.reshape(flat.size, grad.shape[-1])
        if ctx.scale:
            # each row's gradient divided by how often its index occurs in this batch
            counts = np.bincount(flat, minlength=ctx.rows).astype(grad.dtype)
            rows = rows / counts[flat][:, None]
        out = np.zeros((ctx.rows, grad.shape[-1]), dtype=grad.dtype)
        np.add.at(out, flat, rows)
        if ctx.padding_idx is not None:
            out[ctx.padding_idx] = 0  # the padding row never learns
        return out, None, None, None


def _padding_row(padding_idx, rows: int):
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise AssertionError(
            f"Padding_idx must be within num_embeddings: got padding_idx={padding_idx} for "
            f"{rows} embeddings"
        )
    return padding_idx % rows


def _renormalise(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float):
    """Scale the looked-up rows of weight in place so their norm is at most max_norm."""
    rows = np.unique(indices)
    values = weight._array[rows]
    norms = np.linalg.norm(values, ord=norm_type, axis=1, keepdims=True)
    # torch's 1e-7 keeps the new norm a hair under max_norm
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(values.dtype)
    with no_grad():
        weight._check_inplace()
        weight._array[rows] = values * scale
        weight._vc[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input]: input holds integer indices of any shape; output (*input.shape, dim).

    `sparse=True` is accepted but the gradient is dense (the same values).
    """
    indices = input._array if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding: expected indices of an integer dtype (Long or Int), got "
            f"{getattr(input, 'dtype', indices.dtype)}. Hint: convert them with .long()."
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: expected a 2-D weight (num_embeddings, embedding_dim), "
                           f"got shape {tuple(weight.shape)}")
    rows = weight._array.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"index out of range in self: embedding index {int(bad)} is outside "
                         f"[0, {rows}) for a weight with {rows} rows")
    if max_norm is not None:
        _renormalise(weight, indices, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, indices, _padding_row(padding_idx, rows),
                                 scale_grad_by_freq)
