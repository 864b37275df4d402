"""NAdam: Adam with Nesterov momentum and a decaying momentum schedule."""

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


class NAdam(Optimizer):
    """Adam whose step looks one momentum step ahead (Dozat, 2016).

    The momentum schedule is mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)); its
    running product is kept as a float32 scalar, exactly as torch stores it.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check_non_negative("eps", eps, "epsilon")
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        _check_non_negative("momentum_decay", momentum_decay)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        beta1, beta2 = (_number(b) for b in group["betas"])
        eps = _number(group["eps"])
        weight_decay = _number(group["weight_decay"])
        momentum_decay = _number(group["momentum_decay"])
        decoupled = group["decoupled_weight_decay"]
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["mu_product"] = _wrap(np.ones((), dtype=np.float32))
                state["exp_avg"] = _wrap(np.zeros_like(p._array))
                state["exp_avg_sq"] = _wrap(np.zeros_like(p._array))
            step = _advance(state["step"])
            if weight_decay != 0 and decoupled:
                p._array *= 1 - lr * weight_decay
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product_array = state["mu_product"]._array
            mu_product_array *= mu
            mu_product = float(mu_product_array)
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += grad * grad * (1 - beta2)
            denom = _sqrt(exp_avg_sq / (1 - beta2**step))
            denom += eps
            p._array += grad / denom * (-lr * (1.0 - mu) / (1.0 - mu_product))
            p._array += exp_avg / denom * (-lr * mu_next / (1.0 - mu_product * mu_next))
