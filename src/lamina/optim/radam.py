"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable."""

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
    _sqrt,
)


class RAdam(Optimizer):
    """Rectified Adam: plain momentum SGD while the second-moment estimate is young.

    The length of the approximated simple moving average, rho_t, decides each step: above 5
    the Adam step is scaled by the rectification term, otherwise the parameter moves along
    the bias-corrected first moment alone. `decoupled_weight_decay=True` shrinks the weights
    directly (as AdamW does) instead of adding an L2 term to the gradient.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr(lr)
        _check_non_negative("eps", eps, "epsilon")
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        beta1, beta2 = (_number(b) for b in group["betas"])
        eps = _number(group["eps"])
        weight_decay = _number(group["weight_decay"])
        decoupled = group["decoupled_weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["exp_avg"] = _wrap(np.zeros_like(p._array))
                state["exp_avg_sq"] = _wrap(np.zeros_like(p._array))
            step = _advance(state["step"])
            param = p._array
            if weight_decay != 0 and decoupled:
                param *= 1 - lr * weight_decay
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += grad * grad * (1 - beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            update = exp_avg / bias_correction1
            update *= lr
            rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                denom = _sqrt(exp_avg_sq)
                denom += eps
                # torch forms bias_correction2**0.5 / denom first, then multiplies it in
                np.divide(bias_correction2**0.5, denom, out=denom)
                update *= denom
                update *= rect
            param -= update
