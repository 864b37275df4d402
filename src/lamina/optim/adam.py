"""Adam (optionally AMSGrad) and AdamW, its decoupled-weight-decay form."""

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


class Adam(Optimizer):
    """Adam: steps along the bias-corrected first moment over the root of the second.

    `decoupled_weight_decay=True` shrinks the weights directly (that is AdamW); otherwise
    `weight_decay` is an L2 term added to the gradient. The bias corrections are computed in
    Python floats (double) and applied to the float32 arrays as scalars, as torch does.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_lr(lr)
        _check_non_negative("eps", eps, "epsilon")
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        beta1, beta2 = (_number(b) for b in group["betas"])
        eps = _number(group["eps"])
        weight_decay = _number(group["weight_decay"])
        decoupled = group["decoupled_weight_decay"]
        amsgrad = group["amsgrad"]
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["exp_avg"] = _wrap(np.zeros_like(p._array))
                state["exp_avg_sq"] = _wrap(np.zeros_like(p._array))
                if amsgrad:
                    state["max_exp_avg_sq"] = _wrap(np.zeros_like(p._array))
            step = _advance(state["step"])
            param = p._array
            if weight_decay != 0 and decoupled:
                param *= 1 - lr * weight_decay
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += grad * grad * (1 - beta2)
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            if amsgrad:
                maximum = state["max_exp_avg_sq"]._array
                np.maximum(maximum, exp_avg_sq, out=maximum)
                denom = _sqrt(maximum)
            else:
                denom = _sqrt(exp_avg_sq)
            denom /= bias_correction2_sqrt
            denom += eps
            np.divide(exp_avg, denom, out=denom)
            denom *= -step_size
            param += denom


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
