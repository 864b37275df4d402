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

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
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


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only, so +-1e4 cannot overflow
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


def _softplus(a: np.ndarray) -> np.ndarray:
    """log(1 + exp(a)) without overflow: max(a, 0) + log1p(exp(-|a|))."""
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


def _polynomial(x: np.ndarray, coefficients, monic: bool = False) -> np.ndarray:
    """Horner's rule, highest power first; `monic` adds a leading coefficient of 1."""
    out = x + coefficients[0] if monic else np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out *= x
        out += c
    return out


# Cephes' rational approximations of erf (|w| < 1) and of exp(w^2) erfc(w) (1 <= w < 8, w >= 8),
# accurate to float64 rounding; NumPy has no vectorised erf of its own.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 in x's dtype, accurate in both tails."""
    w = x * _SQRT_HALF
    a = np.abs(w)
    z = w * w
    inner = 0.5 + 0.5 * w * _polynomial(z, _ERF_T) / _polynomial(z, _ERF_U, monic=True)
    outer_a = np.maximum(a, 1)  # keeps the unused lanes of the tail formula finite
    ratio = _polynomial(outer_a, _ERFC_P) / _polynomial(outer_a, _ERFC_Q, monic=True)
    if a.size and a.max() >= 8:
        far = _polynomial(outer_a, _ERFC_R) / _polynomial(outer_a, _ERFC_S, monic=True)
        ratio = np.where(a < 8, ratio, far)
    half_erfc = 0.5 * np.exp(-z) * ratio  # erfc(|w|) / 2, the smaller tail
    outer = np.where(w < 0, half_erfc, 1 - half_erfc)
    return np.where(a < 1, inner, outer)


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
        return np.where(a > 0, a, a * slope)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return np.where(a > 0, grad, grad * ctx.slope), None


class Elu(Primitive):
    """scale * x for x > 0, else scale * alpha * (exp(input_scale * x) - 1): ELU, SELU, CELU."""

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        negative = np.expm1(np.minimum(a, 0) * input_scale)
        negative *= scale * alpha
        out = np.where(a > 0, a * scale, negative)
        ctx.constants = (alpha, scale, input_scale)
        # backward needs the output (it holds the exp); with alpha >= 0 its sign is the branch
        ctx.save_for_backward(out, a if alpha < 0 else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, a = ctx.saved_tensors
        alpha, scale, input_scale = ctx.constants
        positive = (a if a is not None else out) > 0
        # d/dx of scale*alpha*(exp(s x) - 1) is s * (out + scale * alpha)
        return np.where(positive, grad * scale, grad * ((out + scale * alpha) * input_scale)), \
            None, None, None


class Gelu(Primitive):
    @staticmethod
    def forward(ctx, a, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)
            t = np.tanh(inner)
            ctx.save_for_backward(a, t)
            return 0.5 * a * (1 + t)
        cdf = _normal_cdf(a)
        ctx.save_for_backward(a, cdf)
        return a * cdf

    @staticmethod
    def backward(ctx, grad):
        a, saved = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = saved
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner), None
        density = np.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return grad * (saved + a * density), None


class Silu(Primitive):
    @staticmethod
    def forward(ctx, a):
        s = _sigmoid(a)
        ctx.save_for_backward(a, s)
        return a * s

    @staticmethod
    def backward(ctx, grad):
        a, s = ctx.saved_tensors
        return grad * (s * (1 + a * (1 - s)))


class Mish(Primitive):
    @staticmethod
    def forward(ctx, a):
        t = np.tanh(_softplus(a))
        ctx.save_for_backward(a, t)
        return a * t

    @staticmethod
    def backward(ctx, grad):
        a, t = ctx.saved_tensors
        return grad * (t + a * _sigmoid(a) * (1 - t * t))


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
        return np.where(scaled > threshold, a, soft)

    @staticmethod
    def backward(ctx, grad):
        (scaled,) = ctx.saved_tensors
        return np.where(scaled > ctx.threshold, grad, grad * _sigmoid(scaled)), None, None


class Hardsigmoid(Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.clip(a + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * ((a > -3) & (a < 3)) * _ONE_SIXTH


class Hardswish(Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * np.clip(a + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # torch's piecewise derivative: 0 up to -3, x/3 + 1/2 strictly between, 1 from 3 on
        middle = grad * (a / 3 + 0.5)
        return np.where(a <= -3, 0, np.where(a < 3, middle, grad))


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
    return -softplus(-input)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _run(Threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return input._assign(Threshold.apply(input, threshold, value))


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
