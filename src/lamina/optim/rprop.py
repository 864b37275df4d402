"""Rprop: per-element step sizes that grow while the gradient keeps its sign."""

from __future__ import annotations

import numpy as np

from lamina._tensor import _wrap
from lamina.optim.optimizer import (
    Optimizer,
    _advance,
    _check_lr,
    _check_unsupported,
    _new_step,
    _number,
)


class Rprop(Optimizer):
    """Resilient backpropagation: only the gradient's sign is used.

    Each element's step size is multiplied by `etas[1]` when the gradient keeps its sign and
    by `etas[0]` when it flips, clamped to `step_sizes`; after a flip that element does not
    move and its gradient is remembered as zero (torch's variant). Step sizes start at `lr`.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < _number(etas[0]) < 1.0 < _number(etas[1]):
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        eta_minus, eta_plus = (_number(e) for e in group["etas"])
        smallest, largest = (_number(s) for s in group["step_sizes"])
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["prev"] = _wrap(np.zeros_like(p._array))
                state["step_size"] = _wrap(np.full_like(grad, lr))
            _advance(state["step"])
            prev = state["prev"]._array
            step_size = state["step_size"]._array
            agreement = grad * prev
            flipped = agreement < 0
            factor = np.ones_like(step_size)
            factor[agreement > 0] = eta_plus
            factor[flipped] = eta_minus
            step_size *= factor
            np.clip(step_size, smallest, largest, out=step_size)
            grad = np.where(flipped, np.zeros_like(grad), grad)
            p._array -= np.sign(grad) * step_size
            prev[...] = grad
