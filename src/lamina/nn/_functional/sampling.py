"""Differentiable sampling: the Gumbel-softmax relaxation of a categorical draw."""

from __future__ import annotations

import warnings

import lamina
from lamina._ops.softmax import softmax


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """A sample from the Gumbel-softmax distribution over dim: softmax((logits + g) / tau)
    with g ~ Gumbel(0, 1) drawn from the default generator.

    hard=True returns the one-hot of that sample's argmax, with the soft sample's gradient
    (straight-through). eps is unused, as in torch, which warns when it is set.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # -log(Exponential(1)) is Gumbel(0, 1)
    gumbels = -lamina.empty_like(logits).exponential_().log()
    soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    index = soft.detach().argmax(dim, keepdim=True)
    one_hot = lamina.zeros_like(soft).scatter(dim, index, 1.0)
    # the value is the one-hot; the gradient is the soft sample's
    return one_hot - soft.detach() + soft
