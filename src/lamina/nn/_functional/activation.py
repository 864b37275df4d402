"""Activation functions: the maths behind nn.ReLU, nn.GELU, nn.Softmax and the rest.

Where a fused backward is cheaper or more stable than autograd through a composition (GELU,
SiLU, softplus, the ELU family, the clipped ones whose gradient torch cuts at the bounds) the
activation is a `Primitive`; the rest are compositions of lamina ops.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina._ops import elementwise
from lamina._ops import softmax as _softmax
from lamina._tensor import Tensor
from lamina.autograd.function import Primitive
from lamina.autograd.grad_mode import is_grad_enabled
from lamina.nn._functional._special import exp2_, logistic_normal_cdf, normal_cdf

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_LOG2E = 1 / math.log(2)
_LOG_INV_SQRT_2PI = math.log(_INV_SQRT_2PI)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
# torch's hardsigmoid backward uses 1/6 rounded to float32, in float64 too; we match that quirk
_ONE_SIXTH = float(np.float32(1 / 6))


def _require_float(input: Tensor, op: str) -> None:
    if input._array.dtype.kind != "f":
        raise NotImplementedError(
            f"{op}: expected a floating point tensor, got {input.dtype}. "
            f"Hint: convert the input with .float() first."
        )


def _finish(input: Tensor, result: Tensor, inplace: bool) -> Tensor:
    """`result`, or written back into `input` when the caller asked for the in-place form."""
    return input._assign(result) if inplace else result


def _apply(primitive, input: Tensor, *args) -> Tensor:
    # float16 is computed in float32 and rounded once, as torch's CPU kernels do
    if input._array.dtype == np.float16:
        return primitive.apply(input.float(), *args).half()
    return primitive.apply(input, *args)


def _run(primitive, input: Tensor, inplace: bool, *args) -> Tensor:
    """primitive(input, *args), optionally written back into input.

    In place with autograd recording, the primitive works on a copy: its backward reads the
    input, which the write-back overwrites.
    """
    if inplace and input._requires_grad and is_grad_enabled():
        return input._assign(_apply(primitive, input.clone(), *args))
    return _finish(input, _apply(primitive, input, *args), inplace)


# np.where with an unpredictable mask costs ~15 ns an element (branch misses), ten times an
# arithmetic ufunc; the primitives below select with masks multiplied in instead.

# NumPy's maximum and minimum against a number take ~50 us on (256, 512) float32 (no SIMD
# loop for a scalar operand); clip with both bounds given, one of them infinite, takes ~16 us
# and keeps -0.0 (max(-0.0, 0) gives 0.0), which is what torch's x > 0 branches give.


def _mask(condition: np.ndarray, dtype) -> np.ndarray:
    return condition.astype(dtype)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)), relatively accurate in both tails; exp(-a) overflows to inf (silently)
    below a = -88, so sigmoid is exactly 0 there and a * sigmoid(a) stays 0 even at -3e38."""
    e = np.multiply(a, -_LOG2E, out=np.empty_like(a))  # out=: a 0-d input stays an array
    exp2_(e)  # exp(-a), as in Silu
    e += 1
    return np.divide(1.0, e, out=e)


def _softplus(a: np.ndarray) -> np.ndarray:
    """log(1 + exp(a)) without overflow: max(a, 0) + log1p(exp(-|a|))."""
    out = np.empty_like(a)
    np.clip(a, 0.0, np.inf, out=out)
    tail = np.abs(a, out=np.empty_like(a))
    np.negative(tail, out=tail)
    # exp, not exp2_: the tail must reach 0, or mish(-3e38) = x * tanh(tail) would not be -0.0
    np.exp(tail, out=tail)
    np.log1p(tail, out=tail)
    out += tail
    return out


# ---------------------------------------------------------------- primitives
class Hardtanh(Primitive):
    @staticmethod
    def forward(ctx, a, low, high):
        ctx.low, ctx.high = low, high
        ctx.save_for_backward(a)
        return np.clip(a, low, high)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # torch passes no gradient at the bounds themselves (strict inequalities)
        return grad * ((a > ctx.low) & (a < ctx.high)), None, None


class LeakyRelu(Primitive):
    @staticmethod
    def forward(ctx, a, slope):
        ctx.slope = slope
        ctx.save_for_backward(a)
        if 0 <= slope <= 1:
            out = np.multiply(a, slope, out=np.empty_like(a))
            return np.maximum(a, out, out=out)
        return np.maximum(a, 0) + slope * np.minimum(a, 0)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        slope = ctx.slope
        factor = _mask(a > 0, grad.dtype)  # 1 on the positive side, slope on the other
        factor *= 1 - slope
        factor += slope
        return grad * factor, None


class Elu(Primitive):
    """scale * x for x > 0, else scale * alpha * (exp(input_scale * x) - 1): ELU, SELU, CELU."""

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        # expm1(min(x, 0)) is 0 for x > 0, so the two branches simply add
        out = np.empty_like(a)
        np.clip(a, -np.inf, 0.0, out=out)
        if input_scale != 1:
            out *= input_scale
        np.expm1(out, out=out)
        out *= scale * alpha
        positive = np.empty_like(a)
        np.clip(a, 0.0, np.inf, out=positive)
        if scale != 1:
            positive *= scale
        out += positive
        ctx.constants = (alpha, scale, input_scale)
        # backward needs the output (it holds the exp); with alpha >= 0 its sign is the branch
        ctx.save_for_backward(out, a if alpha < 0 else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, a = ctx.saved_tensors
        alpha, scale, input_scale = ctx.constants
        # d/dx of scale*alpha*(exp(s x) - 1) is s * (out + scale * alpha)
        if a is not None:  # alpha < 0: both branches can be positive
            slope = np.where(a > 0, scale, (out + scale * alpha) * input_scale)
            return grad * slope, None, None, None
        # the exponential branch's value, 0 on the linear side
        slope = np.empty_like(out)
        np.clip(out, -np.inf, 0.0, out=slope)
        slope += scale * alpha
        slope *= input_scale
        slope += _mask(out > 0, grad.dtype) * (scale - slope)
        return grad * slope, None, None, None


class Gelu(Primitive):
    @staticmethod
    def forward(ctx, a, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)
            t = np.tanh(inner)
            ctx.save_for_backward(a, t)
            return 0.5 * a * (1 + t)
        if a.dtype == np.float32 and a.ndim:
            # x Phi(x) as x / (1 + exp(-logit Phi(x))): one division after the fit
            square, denominator = logistic_normal_cdf(a)
            ctx.save_for_backward(a, square, denominator)
            return np.divide(a, denominator)
        cdf = normal_cdf(a)
        ctx.save_for_backward(a, None, cdf)
        return a * cdf

    @staticmethod
    def backward(ctx, grad):
        if ctx.approximate == "tanh":
            a, t = ctx.saved_tensors
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner), None
        a, square, saved = ctx.saved_tensors
        # d/dx x Phi(x) = Phi(x) + x phi(x); one buffer, updated in place
        if square is None:
            slope = a * a
            slope *= -0.5
            slope = np.exp(slope)
            slope *= _INV_SQRT_2PI
            slope *= a
            slope += saved
            slope *= grad
            return slope, None
        # float32: phi(x) = exp(-x^2 / 2 + log(1 / sqrt(2 pi))), Phi = 1 / denominator. exp, not
        # the faster exp2_: that stops at 2^-126, and x phi(x) must reach 0 even at x = -1e38
        slope = np.multiply(square, -0.5)
        slope += _LOG_INV_SQRT_2PI
        np.exp(slope, out=slope)
        slope *= a
        slope += np.divide(1.0, saved)
        slope *= grad
        return slope, None


class Silu(Primitive):
    @staticmethod
    def forward(ctx, a):
        # x / (1 + exp(-x)), which is also how torch writes it; exp(-x) as exp2(-x log2 e),
        # 2.5x faster in NumPy, and inf below x = -88 (float32): x / inf is then -0.0 as in torch
        denominator = np.multiply(a, -_LOG2E, out=np.empty_like(a))  # out=: 0-d stays an array
        exp2_(denominator)
        denominator += 1
        ctx.save_for_backward(a, denominator)
        return np.divide(a, denominator)

    @staticmethod
    def backward(ctx, grad):
        a, denominator = ctx.saved_tensors
        # s (1 + a (1 - s)) with s = sigmoid(a) = 1 / denominator, torch's formula
        s = np.divide(1.0, denominator)
        slope = np.subtract(1.0, s)
        slope *= a
        slope += 1
        slope *= s
        slope *= grad
        return slope


class Mish(Primitive):
    @staticmethod
    def forward(ctx, a):
        t = np.tanh(_softplus(a))
        ctx.save_for_backward(a, t)
        return a * t

    @staticmethod
    def backward(ctx, grad):
        a, t = ctx.saved_tensors
        # t + a sigmoid(a) (1 - t^2), in one buffer
        slope = 1 - t * t
        slope *= a
        slope *= _sigmoid(a)
        slope += t
        slope *= grad
        return slope


class Softplus(Primitive):
    @staticmethod
    def forward(ctx, a, beta, threshold):
        scaled = a * beta if beta != 1 else a
        ctx.threshold = threshold
        ctx.save_for_backward(scaled)
        soft = _softplus(scaled)
        if beta != 1:
            soft /= beta
        # torch switches to the identity above the threshold; so do we, for equal numbers
        # (a mask that is nearly all False, so copyto's branches are cheap)
        np.copyto(soft, a, where=scaled > threshold)
        return soft

    @staticmethod
    def backward(ctx, grad):
        (scaled,) = ctx.saved_tensors
        slope = _sigmoid(scaled)
        np.copyto(slope, 1, where=scaled > ctx.threshold)
        return grad * slope, None, None


class Hardsigmoid(Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        # clip(x, -3, 3) + 3 is min(max(x + 3, 0), 6) to the bit, with one in-place pass fewer
        out = np.empty_like(a)  # written through out=: a 0-d input stays an array
        np.clip(a, -3.0, 3.0, out=out)
        out += 3
        out /= 6
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * ((a > -3) & (a < 3)) * _ONE_SIXTH


class Hardswish(Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        # torch's x * min(max(x + 3, 0), 6) / 6, in its order of rounding (see Hardsigmoid)
        out = np.empty_like(a)
        np.clip(a, -3.0, 3.0, out=out)
        out += 3
        out *= a
        out /= 6
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # torch's piecewise derivative: 0 up to -3, x/3 + 1/2 strictly between, 1 from 3 on.
        # With y = clip(x/3, -1, 1) that is y + 1/2 - trunc(y)/2, trunc(y) being -1, 0 or 1
        # on the three pieces: no masks, which cost more passes than this
        slope = np.divide(a, 3.0, out=np.empty_like(a))
        np.clip(slope, -1.0, 1.0, out=slope)
        piece = np.trunc(slope)
        piece *= 0.5
        slope += 0.5
        slope -= piece
        slope *= grad
        return slope


class Threshold(Primitive):
    @staticmethod
    def forward(ctx, a, threshold, value):
        ctx.save_for_backward(a)
        ctx.threshold = threshold
        return np.where(a > threshold, a, np.asarray(value, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (a > ctx.threshold), None, None


# ---------------------------------------------------------------- functional forms
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _finish(input, elementwise.relu(input), inplace)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val="
                         f"{min_val} > max_val={max_val}")
    return _run(Hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    _require_float(input, "leaky_relu")
    return _run(LeakyRelu, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """LeakyReLU whose negative slope is drawn from U(lower, upper) per element in training,
    and is (lower + upper) / 2 in eval."""
    _require_float(input, "rrelu")
    if lower > upper:
        raise RuntimeError(f"rrelu: Lower bound should be less than or equal to the upper bound, "
                           f"got lower={lower} > upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from lamina.nn._functional.dropout import MaskedScale
    from lamina.random import _rng

    dtype = input._array.dtype
    # per element: the drawn slope where x <= 0, 1 where x > 0; also the gradient's factor
    factor = _rng(None).uniform(lower, upper, input._array.shape).astype(dtype)
    factor += _mask(input._array > 0, dtype) * (1 - factor)
    return _finish(input, MaskedScale.apply(input, factor, None), inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), one weight per channel (dim 1, or dim 0 for 1-D input)."""
    _require_float(input, "prelu")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: expected weight to be a scalar or 1-D tensor, got shape "
                           f"{tuple(weight.shape)}")
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("prelu: a 0-dim input needs a single weight, got "
                               f"{weight.numel()} weights")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                f"prelu: got {weight.numel()} weights for input of shape {tuple(input.shape)} "
                f"with {channels} channels (dim 1). Hint: num_parameters should be {channels} "
                "or 1."
            )
        if input.ndim > 2:
            weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    elif input.ndim == 0:
        weight = weight.reshape(())
    return elementwise.where(input > 0, input, input * weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    _require_float(input, "elu")
    return _run(Elu, input, inplace, alpha, 1.0, 1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    _require_float(input, "selu")
    return _run(Elu, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    _require_float(input, "celu")
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (CELU divides the input by alpha)")
    return _run(Elu, input, inplace, alpha, 1.0, 1.0 / alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either 'none' or 'tanh', "
                           f"got {approximate!r}")
    _require_float(input, "gelu")
    return _apply(Gelu, input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    _require_float(input, "silu")
    return _run(Silu, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    _require_float(input, "mish")
    return _run(Mish, input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    return elementwise.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return elementwise.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    _require_float(input, "hardsigmoid")
    return _run(Hardsigmoid, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    _require_float(input, "hardswish")
    return _run(Hardswish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    _require_float(input, "softplus")
    return _apply(Softplus, input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    # 0 - softplus(-x), not -softplus(-x): torch's log-sigmoid is +0.0 for large x, not -0.0;
    # and no threshold: softplus' switch to the identity at 20 is off by e^-20 (2e-9), which
    # float64 sees, in the value and the gradient
    return 0.0 - softplus(-input, 1.0, math.inf)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _run(Threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return input._assign(Threshold.apply(input, threshold, value))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (inclusive, as torch)."""
    _check_lambd(lambd, "softshrink")
    return input - input.clamp(-lambd, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    _check_lambd(lambd, "hardshrink")
    return input * (input.abs() > lambd).to(input.dtype)


def _check_lambd(lambd: float, op: str) -> None:
    if lambd < 0:
        raise RuntimeError(f"{op}: lambda must be non-negative, but found {lambd}")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) where a, b are the two halves of input along `dim`."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} "
                           f"is size {size} (input shape {tuple(input.shape)})")
    first, second = input.chunk(2, dim)
    return first * second.sigmoid()


# ---------------------------------------------------------------- softmax family
def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    # torch's legacy choice when dim is omitted, kept so old model code gives the same numbers
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _softmax.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _softmax.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return _softmax.softmax(-input, dim, dtype)
