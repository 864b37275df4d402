"""What the distributions share: broadcasting parameters, probs <-> logits, lazy properties."""

from __future__ import annotations

import numbers

import numpy as np

import lamina
from lamina._tensor import Tensor


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """The values as tensors of one broadcast shape. Numbers become tensors of the first
    tensor's dtype (the default dtype when all are numbers), as in torch."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        kinds = ", ".join(type(v).__name__ for v in values)
        raise ValueError(
            f"Input arguments must all be instances of Number or lamina.Tensor, got ({kinds})"
        )
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), lamina.get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else lamina.tensor(v, dtype=dtype) for v in values]
    shapes = [tuple(t.shape) for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            f"distribution parameters of shapes {', '.join(map(str, shapes))} do not broadcast "
            "together. Hint: give each parameter the batch shape, or size 1 where it is shared."
        ) from None
    return tuple(t.expand(shape) for t in tensors)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] of their dtype, so that their logs stay finite."""
    eps = lamina.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-probabilities (or, binary, log-odds) of clamped probs."""
    clamped = clamp_probs(probs)
    if is_binary:
        return lamina.log(clamped) - lamina.log1p(-clamped)
    return lamina.log(clamped)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities: a sigmoid of log-odds, or a softmax over the last dimension."""
    if is_binary:
        return lamina.sigmoid(logits)
    return lamina.softmax(logits, dim=-1)


class lazy_property:
    """A property computed on first read (with gradients on), then stored on the instance,
    so a Categorical built from probs derives its logits once and only if asked."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with lamina.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.__name__, value)
        return value
