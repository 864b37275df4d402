"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

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


class Adagrad(Optimizer):
    """p -= clr * g / (sqrt(sum of g^2) + eps), with clr = lr / (1 + (step - 1) * lr_decay).

    As in torch, the state (step and sum) exists for every parameter from construction on.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check_lr(lr)
        _check_non_negative("lr_decay", lr_decay)
        _check_non_negative("weight_decay", weight_decay)
        _check_non_negative("initial_accumulator_value", initial_accumulator_value)
        _check_non_negative("eps", eps, "epsilon")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group["initial_accumulator_value"])

    @staticmethod
    def _init_state(state: dict, p, initial_accumulator_value) -> None:
        state["step"] = _new_step()
        state["sum"] = _wrap(np.full_like(p._array, initial_accumulator_value))

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        lr_decay = _number(group["lr_decay"])
        eps = _number(group["eps"])
        for p, state, grad in self._params_with_grad(group):
            if not state:  # a group added after construction
                self._init_state(state, p, self.defaults["initial_accumulator_value"])
            step = _advance(state["step"])
            clr = lr / (1 + (step - 1) * lr_decay)
            total = state["sum"]._array
            total += grad * grad
            std = _sqrt(total)
            std += eps
            np.divide(grad, std, out=std)
            std *= clr
            p._array -= std
