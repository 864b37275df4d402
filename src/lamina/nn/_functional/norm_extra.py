"""rms_norm and local_response_norm: compositions of differentiable ops (gradients for free)."""

from __future__ import annotations

import math

from lamina import _dtype
from lamina._tensor import Tensor
from lamina.nn._functional.pool import pad

__all__ = ["local_response_norm", "rms_norm"]


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """input / sqrt(mean(input**2) + eps) * weight, the mean over the trailing dims given by
    normalized_shape; eps=None means the machine epsilon of input's dtype, as in torch."""
    normalized = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        normalized_shape)
    shape = tuple(input.shape)
    count = len(normalized)
    if count == 0 or len(shape) < count or shape[len(shape) - count:] != normalized:
        raise RuntimeError(
            f"rms_norm: given normalized_shape={list(normalized)}, expected input with shape "
            f"(*, {', '.join(str(n) for n in normalized)}), but got input of size {shape}. "
            "Hint: normalized_shape names the input's last dims.")
    if weight is not None and tuple(weight.shape) != normalized:
        raise RuntimeError(f"rms_norm: expected weight of shape {normalized} (normalized_shape),"
                           f" got {tuple(weight.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"rms_norm: not implemented for {input.dtype} input; "
                                  "expected a floating point tensor")
    if eps is None:
        eps = _dtype.finfo(input.dtype).eps
    dims = tuple(range(-count, 0))
    out = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """input / (k + alpha * mean of input**2 over `size` neighbouring channels) ** beta.

    input is (N, C, *); the window at channel c covers c - size//2 .. c + (size-1)//2, zeros
    beyond the edges, and is always divided by `size` (as torch's average pool with padding).
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions, shape {tuple(input.shape)})")
    if input.numel() == 0:
        return input
    shape = tuple(input.shape)
    squares = input.square().reshape(shape[0], shape[1], math.prod(shape[2:]))
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    channels = shape[1]
    window = squares[:, 0:channels]
    for offset in range(1, size):
        window = window + squares[:, offset:offset + channels]
    div = (window * (alpha / size) + k).pow(beta)
    return input / div.reshape(shape)
