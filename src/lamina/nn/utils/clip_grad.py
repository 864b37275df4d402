"""Gradient clipping: rescale gradients whose total norm is too large, or clamp each value."""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina._tensor import Tensor, _wrap

__all__ = [
    "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
    "get_total_norm",
]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters) -> list:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _vector_norm(array: np.ndarray, norm_type: float) -> np.ndarray:
    """||array||_p over all elements, in the array's dtype (a 0-d array)."""
    flat = array.reshape(-1)
    if norm_type == math.inf:
        out = np.max(np.abs(flat)) if flat.size else array.dtype.type(0)
    elif norm_type == -math.inf:
        out = np.min(np.abs(flat)) if flat.size else array.dtype.type(math.inf)
    elif norm_type == 2:
        out = np.sqrt(np.dot(flat, flat))
    elif norm_type == 1:
        out = np.sum(np.abs(flat))
    elif norm_type == 0:
        out = np.asarray(np.count_nonzero(flat), dtype=array.dtype)
    else:
        out = np.sum(np.abs(flat) ** norm_type) ** (1.0 / norm_type)
    return np.asarray(out, dtype=array.dtype)


def get_total_norm(tensors, norm_type: float | str = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The p-norm of all `tensors` taken together, as if concatenated into one vector."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _wrap(np.zeros((), dtype=np.float32))
    norms = [_vector_norm(t._array, norm_type) for t in tensors]
    dtype = np.result_type(*norms)
    total = _vector_norm(np.stack([n.astype(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = _grads(parameters)
    if not grads:
        return
    total = float(total_norm.item())
    # like torch, multiply even when the factor is 1, so a nan/inf norm reaches the gradients
    factor = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    with np.errstate(invalid="ignore"):  # inf * 0 -> nan, silently, as in torch
        for grad in grads:
            grad._array *= grad._array.dtype.type(factor)
            grad._vc[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Rescale the gradients so their total norm is at most max_norm; returns the norm before.

    The norm is taken over all gradients together (as torch does), `norm_type` may be inf.
    """
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient value into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for grad in _grads(parameters):
        np.clip(grad._array, -clip_value, clip_value, out=grad._array)
        grad._vc[0] += 1


def clip_grad_norm(parameters, max_norm: float, norm_type: float | str = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated spelling of clip_grad_norm_ (torch warns with a FutureWarning too)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
