"""Vector norms and similarities: normalize, cosine_similarity, pairwise_distance."""

from __future__ import annotations

import math

import numpy as np

from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive


class VectorNorm(Primitive):
    """(sum |x|^p)^(1/p) along one axis (kept), for finite p > 0.

    The gradient at a zero vector is 0, as in torch (not the nan of 0/0).
    """

    @staticmethod
    def forward(ctx, a, axis, p):
        if p == 2:
            out = np.sqrt(np.sum(a * a, axis=axis, keepdims=True))
        elif p == 1:
            out = np.sum(np.abs(a), axis=axis, keepdims=True)
        else:
            out = np.sum(np.abs(a) ** p, axis=axis, keepdims=True) ** (1.0 / p)
        ctx.p = p
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        p = ctx.p
        safe = np.where(out == 0, 1, out)
        if p == 2:
            return grad * a / safe, None, None
        if p == 1:
            return grad * np.sign(a), None, None
        # d/dx ||x||_p = sign(x) |x|^(p-1) / ||x||_p^(p-1)
        return grad * np.sign(a) * (np.abs(a) / safe) ** (p - 1), None, None


def _norm(input: Tensor, p: float, dim: int) -> Tensor:
    if 0 < p < math.inf:
        return VectorNorm.apply(input, _normalize_dim(dim, input.ndim, "norm"), p)
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
    out = _norm(difference, p, -1)
    return out if keepdim else out.squeeze(-1)
