"""Fused normalisation primitives: batch, layer, group and instance norm share one of them.

`Normalize` views the input as `shape`, takes mean and (biased) variance over `axes`, and
applies an optional per-element weight and bias broadcast from `param_shape`. Forward keeps
two full-size arrays (the centred input, normalised in place, and one output buffer) and
backward uses the closed form of the gradient instead of differentiating mean and var.
`NormalizeWithStats` is batch norm in eval mode: a per-channel scale and shift.

float16 is computed in float32 and rounded back once, as torch's CPU kernels accumulate in
float32.
"""

from __future__ import annotations

import numpy as np

from lamina._ops.softmax import widen
from lamina.autograd.function import Primitive


def _narrow(array: np.ndarray, like) -> np.ndarray | None:
    """array in the dtype and shape of `like` (an array, or a (shape, dtype) pair)."""
    if like is None:
        return None
    shape, dtype = like if isinstance(like, tuple) else (like.shape, like.dtype)
    return array.reshape(shape).astype(dtype, copy=False)


def _update_running(running, mean, var, count):
    """Move the running statistics towards this batch's, in place; var enters unbiased.

    mean and var may hold several rows per channel (instance norm: one per sample); the
    running value moves towards their average, as torch's instance norm does.
    """
    running_mean, running_var, momentum = running
    channels = running_mean.size
    batch_mean = mean.reshape(-1, channels).mean(axis=0)
    batch_var = var.reshape(-1, channels).mean(axis=0) * (count / max(count - 1, 1))
    running_mean *= 1 - momentum
    running_mean += (momentum * batch_mean).astype(running_mean.dtype, copy=False)
    running_var *= 1 - momentum
    running_var += (momentum * batch_var).astype(running_var.dtype, copy=False)


def _sum(array: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """array summed over axes, kept as size-1 dims. Over several axes, einsum's one pass is
    2-3x faster than ndarray.sum (measured: the same error against a float64 sum)."""
    if len(axes) < 2:
        return array.sum(axes, keepdims=True)
    letters = "abcdefgh"[: array.ndim]
    kept = "".join(letter for i, letter in enumerate(letters) if i not in axes)
    total = np.einsum(f"{letters}->{kept}", array)
    return total.reshape([1 if i in axes else n for i, n in enumerate(array.shape)])


class Normalize(Primitive):
    """(x - mean) / sqrt(var + eps) * weight + bias; statistics over `axes` of x.view(shape)."""

    @staticmethod
    def forward(ctx, x, weight, bias, shape, axes, param_shape, eps, running=None):
        work = widen(x.reshape(shape))
        # sums divided in place: np.mean costs several microseconds more per call
        mean = _sum(work, axes)
        count = work.size // max(mean.size, 1)
        mean /= count
        x_hat = work - mean
        buffer = np.multiply(x_hat, x_hat)
        var = _sum(buffer, axes)
        var /= count
        inv_std = np.sqrt(var + eps)
        np.reciprocal(inv_std, out=inv_std)
        x_hat *= inv_std
        if running is not None:
            _update_running(running, mean, var, count)
        out = x_hat
        if weight is not None:
            out = np.multiply(x_hat, widen(weight).reshape(param_shape), out=buffer)
        if bias is not None:
            out = np.add(out, widen(bias).reshape(param_shape), out=buffer)
        ctx.meta = ((x.shape, x.dtype), weight, bias, axes, param_shape, count)
        ctx.save_for_backward(x_hat, inv_std)
        return out.reshape(x.shape).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x_hat, inv_std = ctx.saved_tensors
        x_like, weight, bias, axes, param_shape, count = ctx.meta
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        g = widen(grad).reshape(x_hat.shape)
        # the weight and bias gradients sum over every axis where the parameter is broadcast
        param_axes = tuple(i for i, n in enumerate(param_shape) if n == 1)
        grad_weight = grad_bias = grad_x = None
        gx = g * x_hat if (need_weight or need_x) else None
        sum_g = sum_gx = None
        if need_bias:
            sum_g = _sum(g, param_axes)
            grad_bias = _narrow(sum_g, bias)
        if need_weight:
            sum_gx = _sum(gx, param_axes)
            grad_weight = _narrow(sum_gx, weight)
        if need_x:
            w = None if weight is None else widen(weight).reshape(param_shape)
            # d/dx of the normalised value: inv_std * (g' - mean(g') - x_hat * mean(g' x_hat)),
            # where g' = grad * weight is the gradient reaching x_hat; row_* are those sums
            if w is None or all(param_shape[a] == 1 for a in axes):
                # weight is constant over each statistic's group: fold it into the scale
                scale = inv_std if w is None else inv_std * w
                upstream = g
                same = param_axes == axes  # batch norm: the parameter sums are the ones needed
                row_g = sum_g if same and sum_g is not None else _sum(g, axes)
                row_gx = sum_gx if same and sum_gx is not None else _sum(gx, axes)
            elif axes == (1,) and g.ndim == 2:
                # layer norm, viewed as (rows, features): the row sums of g * w and
                # g * w * x_hat are matrix-vector products, with no g * w * x_hat array
                scale = inv_std
                upstream = g * w
                w_row = w.reshape(-1)
                row_g = (g @ w_row)[:, None]
                row_gx = (gx @ w_row)[:, None]
            else:
                scale = inv_std
                upstream = g * w
                row_g = _sum(upstream, axes)
                row_gx = _sum(upstream * x_hat, axes)
            grad_x = np.multiply(x_hat, row_gx / count)
            np.subtract(upstream, grad_x, out=grad_x)
            grad_x -= row_g / count
            grad_x *= scale
            grad_x = _narrow(grad_x, x_like)
        return (grad_x, grad_weight, grad_bias) + (None,) * 5


class NormalizeWithStats(Primitive):
    """(x - running_mean) / sqrt(running_var + eps) * weight + bias: batch norm in eval mode.

    running_mean and running_var arrive as ndarrays (never differentiated); x is viewed as
    `shape` and the per-channel values broadcast from `param_shape`.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, shape, param_shape, eps):
        work = widen(x.reshape(shape))
        scale = np.sqrt(widen(running_var) + eps)
        np.divide(1 if weight is None else widen(weight), scale, out=scale)
        shift = widen(running_mean) * scale
        if bias is None:
            np.negative(shift, out=shift)
        else:
            np.subtract(widen(bias), shift, out=shift)
        out = np.multiply(work, scale.reshape(param_shape))
        out += shift.reshape(param_shape)
        needs = ctx.needs_input_grad
        if needs and needs[1]:
            # the weight's gradient needs the statistics as they are now: training mode
            # updates the buffers in place, possibly before this backward runs
            inv_std = np.reciprocal(np.sqrt(widen(running_var) + eps))
            ctx.statistics = (widen(running_mean).copy(), inv_std)
        ctx.meta = (weight, bias, shape, param_shape, scale)
        ctx.save_for_backward(x)
        return out.reshape(x.shape).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        weight, bias, shape, param_shape, scale = ctx.meta
        (x,) = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        g = widen(grad).reshape(shape)
        param_axes = tuple(i for i, n in enumerate(param_shape) if n == 1)
        grad_x = grad_weight = grad_bias = None
        if need_x:
            grad_x = _narrow(g * scale.reshape(param_shape), x)
        if need_weight or need_bias:
            sum_g = _sum(g, param_axes).reshape(-1)  # one value per channel
            grad_bias = _narrow(sum_g, bias) if need_bias else None
            if need_weight:
                # sum(g * (x - mean)) without a centred copy of x
                running_mean, inv_std = ctx.statistics
                sum_gx = _sum(g * widen(x).reshape(shape), param_axes).reshape(-1)
                grad_weight = _narrow((sum_gx - running_mean * sum_g) * inv_std, weight)
        return (grad_x, grad_weight, grad_bias) + (None,) * 5
