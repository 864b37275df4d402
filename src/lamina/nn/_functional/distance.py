"""Vector norms and similarities: normalize, cosine_similarity, pairwise_distance."""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive


class EuclideanNorm(Primitive):
    """sqrt(sum(x^2)) along one axis (kept); the gradient at a zero vector is 0, as torch's."""

    @staticmethod
    def forward(ctx, a, axis):
        out = np.sqrt(np.sum(a * a, axis=axis, keepdims=True))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return grad * a / np.where(out == 0, 1, out), None


def _norm(input: Tensor, p: float, dim: int) -> Tensor:
    if p == 2:
        return EuclideanNorm.apply(input, _normalize_dim(dim, input.ndim, "norm"))
    return input.norm(p, dim, keepdim=True)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """input / max(||input||_p, eps) along `dim`."""
    return input / _norm(input, p, dim).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along `dim`, x1 and x2 broadcast."""
    if x1._array.dtype != x2._array.dtype:
        raise RuntimeError(f"cosine_similarity: expected both inputs to have the same dtype, "
                           f"got {x1.dtype} and {x2.dtype}")
    try:
        shape = np.broadcast_shapes(x1._array.shape, x2._array.shape)
    except ValueError:
        raise RuntimeError(f"cosine_similarity: shapes {tuple(x1.shape)} and {tuple(x2.shape)} "
                           "cannot be broadcast together") from None
    if x1._array.shape != shape:
        x1 = x1.expand(shape)
    if x2._array.shape != shape:
        x2 = x2.expand(shape)
    # torch clamps the norms' values at eps but lets the gradient through the unclamped norm;
    # adding the clamp as a constant offset reproduces both
    parts = []
    for x in (x1, x2):
        norm = _norm(x, 2, dim)
        value = norm._array
        parts.append(x / (norm + _wrap(np.maximum(value, eps).astype(value.dtype) - value)))
    return (parts[0] * parts[1]).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    difference = x1 - x2 + eps
    if p == 2:
        out = EuclideanNorm.apply(difference, max(difference.ndim - 1, 0))
        return out if keepdim else out.squeeze(-1)
    return difference.norm(p, -1, keepdim)
