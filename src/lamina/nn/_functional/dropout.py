"""Dropout: zero random elements (or whole channels) in training and rescale the rest.

Masks are drawn from lamina's default generator, so `lamina.manual_seed` repeats them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.function import Primitive
from lamina.random import _rng

# alpha dropout sets dropped units to SELU's negative saturation value -scale * alpha
_SELU_SATURATION = 1.7580993408473766


class MaskedScale(Primitive):
    """out = a * mask (+ shift): the mask already carries dropout's 1/(1-p) scaling."""

    @staticmethod
    def forward(ctx, a, mask, shift):
        ctx.save_for_backward(mask)
        out = a * mask
        if shift is not None:
            out += shift
        return out

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask, None, None


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, shape: tuple) -> np.ndarray:
    """A 0/1 mask of `shape` in the input's dtype, each entry kept with probability 1 - p."""
    dtype = input._array.dtype
    if dtype.kind != "f":
        raise NotImplementedError(f"dropout: expected a floating point tensor, got {input.dtype}")
    draw_dtype = dtype if dtype.itemsize >= 4 else np.float32
    return (_rng(None).random(shape, dtype=draw_dtype) >= p).astype(dtype)


def _apply_mask(input: Tensor, p: float, shape: tuple, inplace: bool) -> Tensor:
    if input.is_meta:  # shapes only: no mask to draw
        return input if inplace else input.clone()
    if p == 1.0:
        mask = np.zeros(shape, dtype=input._array.dtype)
    else:
        mask = _keep_mask(input, p, shape)
        mask *= 1 / (1 - p)
    out = MaskedScale.apply(input, mask, None)
    return input._assign(out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the survivors by 1/(1-p) (training only)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, p, input._array.shape, inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Drop whole channels: dim 1 of (N, C, *spatial), one draw per (sample, channel)."""
    if input.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                           f"shape {tuple(input.shape)}: channels are dim 1 of (N, C, ...)")
    if not training or p == 0.0:
        return input
    shape = input._array.shape[:2] + (1,) * (input.ndim - 2)
    return _apply_mask(input, p, shape, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, L) or unbatched (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input of shape "
            f"{tuple(input.shape)}. dropout1d drops whole channels of (N, C, L) or (C, L) input; "
            "use dropout for element-wise dropout."
        )
    if not training or p == 0.0:
        return input
    if input.ndim == 2:
        out = _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
        return input._assign(out) if inplace and out is not input else out
    return _feature_dropout(input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, H, W) input.

    Like torch, a 3-D input is read as (N, C, L) with a warning, not as unbatched (C, H, W).
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) input."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    if input.ndim != 5:
        out = _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
        return input._assign(out) if inplace else out
    return _feature_dropout(input, p, training, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: keeps mean 0 and variance 1 of standardised input.

    Dropped units take SELU's saturation value, then an affine map a * x + b restores the
    statistics, with a = ((1 - p) (1 + p alpha'^2))^-1/2 as in Klambauer et al. (2017).
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    if input.is_meta:
        return input if inplace else input.clone()
    if p == 1.0:
        out = MaskedScale.apply(input, np.zeros_like(input._array), None)
        return input._assign(out) if inplace else out
    keep = _keep_mask(input, p, input._array.shape)
    a = 1 / math.sqrt((_SELU_SATURATION * _SELU_SATURATION * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_SATURATION * a)
    shift += _SELU_SATURATION * a * p
    keep *= a
    out = MaskedScale.apply(input, keep, shift)
    return input._assign(out) if inplace else out
