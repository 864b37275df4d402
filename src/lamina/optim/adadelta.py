"""Adadelta: steps scaled by the ratio of running RMS of past updates to that of gradients."""

from __future__ import annotations

import numpy as np

from lamina._tensor import _wrap
from lamina.optim.optimizer import (
    Optimizer,
    _advance,
    _check_lr,
    _check_non_negative,
    _check_unsupported,
    _new_step,
    _number,
    _sqrt,
)


class Adadelta(Optimizer):
    """Adadelta: delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * grad, p -= lr * delta.

    Both running averages decay with `rho`. The default `lr=1.0` is the original method;
    other values scale the step, as in torch.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= _number(rho) <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative("eps", eps, "epsilon")
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        rho = _number(group["rho"])
        eps = _number(group["eps"])
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["square_avg"] = _wrap(np.zeros_like(p._array))
                state["acc_delta"] = _wrap(np.zeros_like(p._array))
            _advance(state["step"])
            square_avg = state["square_avg"]._array
            acc_delta = state["acc_delta"]._array
            square_avg *= rho
            square_avg += grad * grad * (1 - rho)
            std = _sqrt(square_avg + eps)
            delta = _sqrt(acc_delta + eps)
            delta /= std
            delta *= grad
            acc_delta *= rho
            acc_delta += delta * delta * (1 - rho)
            delta *= -lr
            p._array += delta
