"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

import numpy as np

from lamina._tensor import _wrap
from lamina.optim.optimizer import (
    Optimizer,
    _advance,
    _check_lr,
    _check_non_negative,
    _check_unsupported,
    _lerp_,
    _new_step,
    _number,
    _sqrt,
)


class RMSprop(Optimizer):
    """Divides the gradient by a running root-mean-square of recent gradients.

    `centered` subtracts the running mean of the gradient first (an estimate of its
    variance); `momentum` accumulates the scaled steps in a buffer.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check_non_negative("eps", eps, "epsilon")
        _check_non_negative("momentum", momentum)
        _check_non_negative("weight_decay", weight_decay)
        _check_non_negative("alpha", alpha)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        alpha = _number(group["alpha"])
        eps = _number(group["eps"])
        momentum = _number(group["momentum"])
        centered = group["centered"]
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["square_avg"] = _wrap(np.zeros_like(p._array))
                if momentum > 0:
                    state["momentum_buffer"] = _wrap(np.zeros_like(p._array))
                if centered:
                    state["grad_avg"] = _wrap(np.zeros_like(p._array))
            _advance(state["step"])
            square_avg = state["square_avg"]._array
            square_avg *= alpha
            square_avg += grad * grad * (1 - alpha)
            if centered:
                grad_avg = state["grad_avg"]._array
                _lerp_(grad_avg, grad, 1 - alpha)
                avg = _sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = _sqrt(square_avg)
            avg += eps
            np.divide(grad, avg, out=avg)
            if momentum > 0:
                buffer = state["momentum_buffer"]._array
                buffer *= momentum
                buffer += avg
                p._array -= buffer * lr
            else:
                avg *= lr
                p._array -= avg
