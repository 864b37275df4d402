"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm."""

from __future__ import annotations

import numpy as np

from lamina._tensor import _wrap
from lamina.optim.optimizer import (
    Optimizer,
    _advance,
    _check_betas,
    _check_lr,
    _check_non_negative,
    _check_unsupported,
    _lerp_,
    _new_step,
    _number,
)


class Adamax(Optimizer):
    """p -= lr / (1 - beta1^t) * m / u, with u = max(beta2 * u, |g| + eps)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_non_negative("eps", eps, "epsilon")
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        beta1, beta2 = (_number(b) for b in group["betas"])
        eps = _number(group["eps"])
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["exp_avg"] = _wrap(np.zeros_like(p._array))
                state["exp_inf"] = _wrap(np.zeros_like(p._array))
            step = _advance(state["step"])
            exp_avg = state["exp_avg"]._array
            exp_inf = state["exp_inf"]._array
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_inf *= beta2
            magnitude = np.abs(grad)
            magnitude += eps
            np.maximum(exp_inf, magnitude, out=exp_inf)
            p._array -= exp_avg / exp_inf * (lr / (1 - beta1**step))
