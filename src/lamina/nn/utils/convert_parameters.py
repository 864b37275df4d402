"""Flatten a model's parameters into one vector, and write such a vector back."""

from __future__ import annotations

from lamina._ops.shape import cat
from lamina._tensor import Tensor, _wrap

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated, in order (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Point each parameter's data at its slice of `vec`, in order (sharing memory, as torch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected lamina.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() < needed:
        raise RuntimeError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)} but the parameters hold "
            f"{needed} values; expected a 1-D vector at least that long"
        )
    start = 0
    for param in parameters:
        count = param.numel()
        param.data = _wrap(vec._array[start:start + count].reshape(param._array.shape))
        start += count
