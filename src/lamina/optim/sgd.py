"""SGD with momentum, dampening, Nesterov momentum, L2 weight decay and maximize."""

from __future__ import annotations

from lamina._tensor import _wrap
from lamina.optim.optimizer import (
    Optimizer,
    _check_lr,
    _check_non_negative,
    _check_unsupported,
    _number,
)


class SGD(Optimizer):
    """Stochastic gradient descent: p -= lr * g, where g may carry (Nesterov) momentum.

    Same update order as torch: the first momentum step copies the gradient into the buffer.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_lr(lr)
        _check_non_negative("momentum", momentum)
        _check_non_negative("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})"
            )
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr = _number(group["lr"])
        momentum = _number(group["momentum"])
        dampening = _number(group["dampening"])
        nesterov = group["nesterov"]
        for p, state, grad in self._params_with_grad(group, with_state=momentum != 0):
            if momentum != 0:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = grad.copy()
                    state["momentum_buffer"] = _wrap(buffer)
                else:
                    buffer = buffer._array
                    buffer *= momentum
                    buffer += grad * (1 - dampening) if dampening else grad
                grad = grad + buffer * momentum if nesterov else buffer
            p._array -= grad * lr
