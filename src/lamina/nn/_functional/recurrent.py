"""One time step of RNN, LSTM and GRU, and the split of a sequence into its steps.

A step is a matmul for the hidden state's share of the gates (the input's share is computed
for the whole sequence beforehand) plus a fused element-wise part: LSTM and GRU each have
one Primitive that computes all gates and the new state at once, with the backward written
out, so a step records three or four graph nodes instead of about sixteen.

Gate layouts are torch's: LSTM rows are (input, forget, cell, output), GRU rows are
(reset, update, new), and GRU keeps `bias_hh`'s new-gate part inside the reset product.
"""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.function import Primitive
from lamina.nn._functional.activation import _sigmoid, relu, tanh
from lamina.nn._functional.linear import linear

__all__ = ["gru_step", "lstm_step", "rnn_step", "time_steps"]


class _TimeSteps(Primitive):
    """Split (L, ...) into its L slices along dim 0 in one node; backward stacks them.

    Indexing step by step would give each step's gradient a full-size zero array, which costs
    O(L^2) for a sequence of length L.
    """

    grad_fn_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, array):
        return tuple(array)

    @staticmethod
    def backward(ctx, *grads):
        return np.stack(grads)


def time_steps(sequence: Tensor) -> tuple:
    """The slices sequence[0], sequence[1], ... as one autograd node."""
    out = _TimeSteps.apply(sequence)
    return out if isinstance(out, tuple) else (out,)


class _LSTMPointwise(Primitive):
    """(h, c) from the summed gates (N, 4H) and the previous cell state c (N, H)."""

    @staticmethod
    def forward(ctx, gates, c):
        size = c.shape[-1]
        ifo = _sigmoid(np.concatenate([gates[..., :2 * size], gates[..., 3 * size:]], -1))
        i, f, o = ifo[..., :size], ifo[..., size:2 * size], ifo[..., 2 * size:]
        g = np.tanh(gates[..., 2 * size:3 * size])
        c_next = f * c + i * g
        tanh_c = np.tanh(c_next)
        ctx.save_for_backward(i, f, g, o, tanh_c, c)
        return o * tanh_c, c_next

    @staticmethod
    def backward(ctx, grad_h, grad_c):
        i, f, g, o, tanh_c, c = ctx.saved_tensors
        grad_c = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
        grad_gates = np.concatenate([
            grad_c * g * i * (1 - i),
            grad_c * c * f * (1 - f),
            grad_c * i * (1 - g * g),
            grad_h * tanh_c * o * (1 - o),
        ], -1)
        return grad_gates, grad_c * f


class _GRUPointwise(Primitive):
    """The new h from the input's gates (N, 3H), the hidden state's gates (N, 3H) and h."""

    @staticmethod
    def forward(ctx, gates_x, gates_h, h):
        size = h.shape[-1]
        rz = _sigmoid(gates_x[..., :2 * size] + gates_h[..., :2 * size])
        r, z = rz[..., :size], rz[..., size:]
        h_n = gates_h[..., 2 * size:]
        n = np.tanh(gates_x[..., 2 * size:] + r * h_n)
        ctx.save_for_backward(r, z, n, h_n, h)
        return n + z * (h - n)  # (1 - z) * n + z * h

    @staticmethod
    def backward(ctx, grad):
        r, z, n, h_n, h = ctx.saved_tensors
        grad_n = grad * (1 - z) * (1 - n * n)  # through tanh: the new gate's pre-activation
        grad_r = grad_n * h_n * r * (1 - r)
        grad_z = grad * (h - n) * z * (1 - z)
        grad_x = np.concatenate([grad_r, grad_z, grad_n], -1)
        grad_h = np.concatenate([grad_r, grad_z, grad_n * r], -1)
        return grad_x, grad_h, grad * z


# gates_x is the input's share of the gates (x @ weight_ih.T + bias_ih), already computed.
def rnn_step(gates_x, h, weight_hh, bias_hh, nonlinearity):
    pre = gates_x + linear(h, weight_hh, bias_hh)
    return relu(pre) if nonlinearity == "relu" else tanh(pre)


def lstm_step(gates_x, h, c, weight_hh, bias_hh, weight_hr):
    h, c = _LSTMPointwise.apply(gates_x + linear(h, weight_hh, bias_hh), c)
    if weight_hr is not None:
        h = linear(h, weight_hr)
    return h, c


def gru_step(gates_x, h, weight_hh, bias_hh):
    return _GRUPointwise.apply(gates_x, linear(h, weight_hh, bias_hh), h)
