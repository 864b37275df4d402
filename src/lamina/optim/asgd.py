"""ASGD: SGD with a decaying step size and a running average of the iterates."""

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
)


class ASGD(Optimizer):
    """Averaged SGD: p <- p * (1 - lambd * eta) - eta * grad, and `ax` averages the iterates.

    eta decays as lr / (1 + lambd * lr * step) ** alpha; averaging starts after `t0` steps
    (before that `ax` simply follows the parameter). `eta` and `mu` are kept as float32
    scalar tensors and read back each step, as torch does, so the rounding matches it.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        lambd = _number(group["lambd"])
        alpha = _number(group["alpha"])
        t0 = _number(group["t0"])
        for p, state, grad in self._params_with_grad(group):
            if not state:
                state["step"] = _new_step()
                state["eta"] = _wrap(np.array(lr, dtype=np.float32))
                state["mu"] = _wrap(np.ones((), dtype=np.float32))
                state["ax"] = _wrap(np.zeros_like(p._array))
            step = _advance(state["step"])
            param = p._array
            ax = state["ax"]._array
            eta = float(state["eta"]._array)
            mu = float(state["mu"]._array)
            param *= 1 - lambd * eta
            param -= grad * eta
            if mu != 1:
                ax += (param - ax) * mu
            else:
                ax[...] = param
            state["eta"]._array[...] = lr / (1 + lambd * lr * step) ** alpha
            state["mu"]._array[...] = 1 / max(1.0, step - t0)
