"""Elementwise primitives: arithmetic and pointwise maths (comparisons: `comparison.py`).

Gradients are returned in the broadcast shape; the engine reduces them to each input's shape.
Each public function is the single entry point reached by `lamina.f`, `Tensor.f` and operators.
"""

from __future__ import annotations

import builtins

import numpy as np

from lamina._ops import _promote
from lamina._ops._promote import _PLAIN_SCALARS, binary, floating
from lamina._ops._promote import broadcast_error as _broadcast_error
from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import Primitive, _record, dispatch_hook
from lamina.autograd.grad_mode import _enabled


def _binary(function, op_name, a, b, *args):
    try:
        return function.apply(a, b, *args)
    except ValueError as error:
        raise _broadcast_error(op_name, a, b, error) from None


def _direct(primitive, ufunc, input, other):
    """The operators' shortcut, for a float tensor with a same-dtype tensor or a Python
    number: nothing to promote, so `ufunc` (what the primitive's forward computes: `a + b`,
    ...) runs on the arrays at once, or, when a gradient must be recorded, the primitive's
    node is recorded at once. It skips ~0.5-1 us of dispatch per op on small tensors. None
    when it does not apply (the caller then takes the normal path): promotion, tracing,
    shapes that do not broadcast (the normal path says so in torch's terms)."""
    if type(input) is not Tensor or dispatch_hook[0] is not None:
        return None
    a = input._array
    if type(other) is Tensor:
        b = other._array
        if a.dtype != b.dtype or a.dtype.kind != "f":
            return None
        record = (input._requires_grad or other._requires_grad) and _enabled[0]
    elif type(other) in _PLAIN_SCALARS and a.dtype.kind == "f":
        b = other
        record = input._requires_grad and _enabled[0]
    else:
        return None
    token = quiet_fp()
    try:
        if record:
            return _record(primitive, (input, other), _NO_KEYWORDS)
        out = ufunc(a, b)
    except ValueError:
        return None
    finally:
        restore_fp(token)
    return _wrap(out if type(out) is np.ndarray else np.asarray(out))


_NO_KEYWORDS: dict = {}


def zero_of(dtype: np.dtype) -> np.ndarray:
    """A shared read-only 0-d zero of `dtype`. As an operand it costs NumPy half what a
    Python 0 does (no scalar conversion per call): `np.maximum(a, zero_of(a.dtype))`."""
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = np.zeros((), dtype)
        zero.flags.writeable = False
    return zero


_ZEROS: dict = {}
for _code in "?bBhHiIlLqQefd":  # every dtype lamina has: hot paths index _ZEROS directly
    zero_of(np.dtype(_code))
_ONES = {np.dtype(code): np.ones((), code) for code in "fd"}  # read-only, as the zeros
_INFINITIES = {np.dtype(code): np.array(np.inf, code) for code in "efd"}
for _constant in (*_ONES.values(), *_INFINITIES.values()):
    _constant.flags.writeable = False


def _direct_unary(primitive, function, input, flags=True):
    """`_direct` for one-argument ops on a float tensor: `function(array)` (what the
    primitive's forward computes) when nothing is recorded, else the primitive's node
    recorded at once; None when traced or not floating point. `flags=False` declares that
    `function` raises no floating-point flags (max and clip do not, even for nan), so
    NumPy's warnings need no switching off around it (~0.17 us)."""
    if (type(input) is not Tensor or dispatch_hook[0] is not None
            or input._array.dtype.kind != "f"):
        return None
    if not flags and not (input._requires_grad and _enabled[0]):
        out = function(input._array)
        return _wrap(out if type(out) is np.ndarray else np.asarray(out))
    token = quiet_fp()
    try:
        if input._requires_grad and _enabled[0]:
            return _record(primitive, (input,), _NO_KEYWORDS)
        out = function(input._array)
    finally:
        restore_fp(token)
    return _wrap(out if type(out) is np.ndarray else np.asarray(out))


def _zero(grad):
    return zero_of(grad.dtype)


# ---------------------------------------------------------------- arithmetic
class Add(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad

    graph_backward = backward  # the same on recorded tensors (create_graph=True)


class Sub(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return grad if need_a else None, -grad if need_b else None

    graph_backward = backward


class Mul(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad or (False, False)
        # save only what each gradient needs, so `y.mul_(2)` keeps y's history usable
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        return (grad * b if b is not None else None, grad * a if a is not None else None)

    graph_backward = backward


class Div(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        need_a, need_b = ctx.needs_input_grad or (False, False)
        ctx.save_for_backward(b, out if need_b else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        grad_a = grad / b
        return grad_a, (-grad_a * out if out is not None else None)

    graph_backward = backward


class Neg(Primitive):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad

    graph_backward = backward


class Pow(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        if ctx.needs_input_grad:  # torch's overloads: tensor ** scalar, ** tensor, scalar **
            ctx.grad_fn_name = ("PowBackward2" if not isinstance(a, np.ndarray) else
                                "PowBackward1" if isinstance(b, np.ndarray) else "PowBackward0")
        return out

    @staticmethod
    # 0 ** -1 and 0 * log 0 are computed, then masked (NumPy's warnings are off in every op)
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, np.ndarray):
                # torch's convention: no gradient to the base where the exponent is 0
                grad_a = np.where(b == 0, _zero(grad), grad * b * a ** (b - 1))
            else:
                grad_a = grad * (b * a ** (b - 1)) if b != 0 else np.zeros_like(grad)
        if need_b:
            if not isinstance(a, np.ndarray):
                a = np.asarray(a, dtype=out.dtype)
            # torch defines d(a**b)/db as 0 where a == 0 and b >= 0 (0 * log 0 would be nan)
            grad_b = np.where((a == 0) & (b >= 0), _zero(grad), grad * out * np.log(a))
        return grad_a, grad_b


def _pow_graph_backward(ctx, grad):
    """Pow's gradients on recorded tensors, with the same conventions as its backward."""
    from lamina._ops import selection

    a, b, out = ctx.saved_tensors
    need_a, need_b = ctx.needs_input_grad
    grad_a = grad_b = None
    if need_a:
        if isinstance(b, Tensor):
            grad_a = selection.where(b == 0, 0.0, grad * b * a ** (b - 1))
        else:
            grad_a = grad * (b * a ** (b - 1)) if b != 0 else grad * 0
    if need_b:
        base = a if isinstance(a, Tensor) else _wrap(np.asarray(a, dtype=out._array.dtype))
        grad_b = selection.where((base == 0) & (b >= 0), 0.0, grad * out * base.log())
    return grad_a, grad_b


Pow.graph_backward = staticmethod(_pow_graph_backward)


class Remainder(Primitive):
    """Python-style (floor) or C-style (trunc) remainder; d/db = -quotient."""

    @staticmethod
    def forward(ctx, a, b, floor):
        ctx.save_for_backward(a, b)
        ctx.floor = floor
        return np.mod(a, b) if floor else np.fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = None
        if ctx.needs_input_grad[1]:
            grad_b = -grad * (np.floor_divide(a, b) if ctx.floor else np.trunc(a / b))
        return grad, grad_b, None


def _scaled(value, alpha):
    return mul(value, alpha) if isinstance(value, Tensor) else value * alpha


# add, sub, mul and div run on every operator: their bodies are inlined rather than shared
def add(input, other, *, alpha=1):
    if alpha == 1 and (result := _direct(Add, np.add, input, other)) is not None:
        return result
    a, b = binary(input, other)
    if alpha != 1:
        b = _scaled(b, alpha)
    try:
        return Add.apply(a, b)
    except ValueError as error:
        raise _broadcast_error("add", a, b, error) from None


def _is_bool(value):
    return isinstance(value, bool) or (
        isinstance(value, Tensor) and value._array.dtype == np.bool_)


def sub(input, other, *, alpha=1):
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(
            f"sub: subtraction with a bool operand is not supported, as in torch (operands "
            f"{_promote.shapes_text(input, other)}). Hint: use `^` or logical_xor() for masks, "
            "or convert with .int()/.float() first."
        )
    if alpha == 1 and (result := _direct(Sub, np.subtract, input, other)) is not None:
        return result
    a, b = binary(input, other)
    if alpha != 1:
        b = _scaled(b, alpha)
    try:
        return Sub.apply(a, b)
    except ValueError as error:
        raise _broadcast_error("sub", a, b, error) from None


def _refuse_bool(name, *values):
    """torch implements no rounding, remainder or power kernels for bool; say so the same way."""
    if builtins.all(_is_bool(v) for v in values if v is not None):
        raise NotImplementedError(
            f"{name}: not implemented for bool tensors. Hint: convert with .int() first.")


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


def mul(input, other):
    if (result := _direct(Mul, np.multiply, input, other)) is not None:
        return result
    a, b = binary(input, other)
    try:
        return Mul.apply(a, b)
    except ValueError as error:
        raise _broadcast_error("mul", a, b, error) from None


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        if (result := _direct(Div, np.true_divide, input, other)) is not None:
            return result
        a, b = binary(input, other, floating=True)
        try:
            return Div.apply(a, b)
        except ValueError as error:
            raise _broadcast_error("div", a, b, error) from None
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    _refuse_bool("div", input, other)
    a, b = binary(input, other)
    return _binary(RoundedDiv, "div", a, b, rounding_mode == "floor")


class RoundedDiv(Primitive):
    """a / b rounded down or toward zero; exact for integers, zero gradient like torch."""

    @staticmethod
    def forward(ctx, a, b, floor):
        if floor:
            return np.floor_divide(a, b)
        if np.result_type(a, b).kind == "f":
            return np.trunc(a / b)
        return np.floor_divide(a - np.fmod(a, b), b)  # exact where a float quotient is not

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad), np.zeros_like(grad), None


true_divide = divide = div
multiply = mul
subtract = sub


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    _refuse_bool("remainder", input, other)
    a, b = binary(input, other)
    return _binary(Remainder, "remainder", a, b, True)


def fmod(input, other):
    _refuse_bool("fmod", input, other)
    a, b = binary(input, other)
    return _binary(Remainder, "fmod", a, b, False)


def neg(input):
    if input._array.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    if _is_bool(input) and isinstance(exponent, bool):
        return input.clone() if exponent else (input | True)  # bool ** bool stays bool
    _refuse_bool("pow", input, exponent)
    a, b = binary(input, exponent)
    if isinstance(a, Tensor) and a._array.dtype.kind in "iub":
        negative_power = (b < 0) if not isinstance(b, Tensor) else bool((b._array < 0).any())
        if negative_power:
            raise RuntimeError(
                f"pow: integers to negative integer powers are not allowed (a {a.dtype} tensor "
                "to a negative exponent). Hint: convert the base with .float() first."
            )
    return _binary(Pow, "pow", a, b)


def float_power(input, exponent):
    """pow computed in float64, like torch.float_power."""
    return pow(*[v.double() if isinstance(v, Tensor) else v for v in (input, exponent)])


# ---------------------------------------------------------------- pointwise maths
def _unary(name, forward, derivative, save="input", quiet=True, graph_derivative=None):
    """Build a one-input primitive whose gradient is grad * derivative(saved).

    `quiet` is accepted and ignored: every op now runs with NumPy's floating-point warnings
    off (see `lamina._quiet`), so log(0) or exp(1e4) is silent without asking.
    """

    def forward_fn(ctx, a):
        out = forward(a)
        ctx.save_for_backward(out if save == "output" else a)
        return out

    def backward_fn(ctx, grad):
        (saved,) = ctx.saved_tensors
        return grad * derivative(saved)

    def graph_backward_fn(ctx, grad):  # create_graph=True: the derivative on tensors
        (saved,) = ctx.saved_tensors
        return grad * graph_derivative(saved)

    members = {"forward": staticmethod(forward_fn), "backward": staticmethod(backward_fn),
               "__doc__": f"Elementwise {name.lower()}."}
    if graph_derivative is not None:  # without one, create_graph through it is refused
        members["graph_backward"] = staticmethod(graph_backward_fn)
    return type(name, (Primitive,), members)


Exp = _unary("Exp", np.exp, lambda out: out, save="output", graph_derivative=lambda out: out)
Log = _unary("Log", np.log, np.reciprocal, graph_derivative=lambda a: 1 / a)
Log1p = _unary("Log1p", np.log1p, lambda a: 1 / (1 + a), graph_derivative=lambda a: 1 / (1 + a))
Sqrt = _unary("Sqrt", np.sqrt, lambda out: 0.5 / out, save="output",
              graph_derivative=lambda out: 0.5 / out)
Rsqrt = _unary("Rsqrt", lambda a: 1 / np.sqrt(a), lambda out: -0.5 * out**3, save="output",
               graph_derivative=lambda out: -0.5 * out**3)
Sin = _unary("Sin", np.sin, np.cos, graph_derivative=lambda a: a.cos())
Cos = _unary("Cos", np.cos, lambda a: -np.sin(a), graph_derivative=lambda a: -a.sin())
Tanh = _unary("Tanh", np.tanh, lambda out: 1 - out * out, save="output",
              graph_derivative=lambda out: 1 - out * out)
Abs = _unary("Abs", np.abs, np.sign, graph_derivative=lambda a: a.sign())
Reciprocal = _unary("Reciprocal", np.reciprocal, lambda out: -out * out, save="output",
                    graph_derivative=lambda out: -out * out)


def sigmoid_array(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) in one buffer: four ufunc calls, the fewest for small inputs.

    For a below -88 (float32) exp overflows to inf and the result is exactly 0, as in torch;
    ops run with NumPy's floating-point warnings off (lamina._quiet). Half precision is
    computed in float32 (as torch does).
    """
    work = a.astype(np.float32) if a.dtype.char == "e" else a
    e = np.negative(work)
    if type(e) is not np.ndarray:  # 0-d input gives a NumPy scalar
        e = np.array(e)
    np.exp(e, out=e)
    one = _ONES.get(e.dtype)
    np.add(e, 1 if one is None else one, out=e)
    np.reciprocal(e, out=e)
    return e.astype(a.dtype) if work is not a else e


class Sigmoid(Primitive):
    @staticmethod
    def forward(ctx, a):
        out = sigmoid_array(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)

    graph_backward = backward


def relu_array(a: np.ndarray) -> np.ndarray:
    """max(a, 0), NaN and -0.0 kept as torch keeps them: clip_array(a, 0, None) for relu,
    which is on every layer's path. From ~128 elements the clip ufunc with 0-d bounds is the
    fastest form (2-3x np.maximum's broadcast loop on a layer's activations)."""
    zero = _ZEROS.get(a.dtype)
    if zero is None:
        zero = zero_of(a.dtype)
    if a.size < 128 or a.dtype.kind != "f":
        return np.maximum(zero, a)
    infinity = _INFINITIES.get(a.dtype)
    if infinity is None:
        return np.maximum(zero, a)
    return clip_ufunc(a, zero, infinity)


class Relu(Primitive):
    @staticmethod
    def forward(ctx, a):
        out = relu_array(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > zero_of(out.dtype))

    @staticmethod
    def graph_backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


class Flat(Primitive):
    """A piecewise-constant op (floor, ceil, round, trunc, sign): zero gradient, like torch."""

    @staticmethod
    def forward(ctx, a, function):
        return function(a)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad), None


def exp(input):
    return Exp.apply(floating(input))


def log(input):
    return Log.apply(floating(input))


def log1p(input):
    return Log1p.apply(floating(input))


def sqrt(input):
    return Sqrt.apply(floating(input))


def rsqrt(input):
    return Rsqrt.apply(floating(input))


def sin(input):
    return Sin.apply(floating(input))


def cos(input):
    return Cos.apply(floating(input))


def tanh(input):
    return Tanh.apply(floating(input))


def sigmoid(input):
    if (result := _direct_unary(Sigmoid, sigmoid_array, input)) is not None:
        return result
    return Sigmoid.apply(floating(input))


def abs(input):
    _refuse_bool("abs", input)
    return Abs.apply(input)


absolute = abs


def reciprocal(input):
    return Reciprocal.apply(floating(input))


def square(input):
    if input._array.dtype == np.bool_:
        return pow(input, 2)  # int64, as torch promotes bool with the Python int 2
    return mul(input, input)


def relu(input):
    if (result := _direct_unary(Relu, relu_array, input, False)) is not None:
        return result
    if input._array.dtype.kind == "b":
        raise RuntimeError("relu: not implemented for bool tensors. Hint: use .float() first.")
    return Relu.apply(input)


def _flat(input, function, name):
    _refuse_bool(name, input)
    if input._array.dtype.kind != "f":
        return input.clone()  # integers are already whole numbers
    return Flat.apply(input, function)


def sign(input):
    if input._array.dtype == np.bool_:
        return input.clone()
    return Flat.apply(input, np.sign)


def floor(input):
    return _flat(input, np.floor, "floor")


def ceil(input):
    return _flat(input, np.ceil, "ceil")


def trunc(input):
    return _flat(input, np.trunc, "trunc")


def round(input, *, decimals=0):
    if decimals == 0:
        return _flat(input, np.round, "round")
    return _flat(input, lambda a: np.round(a, decimals), "round")


def frac(input):
    return sub(input, trunc(input))


# Comparisons and logic, and the selecting ops (clamp, maximum, minimum, where), live in their
# own modules; re-exported so that `lamina._ops.elementwise` stays the one place to look up.
from lamina._ops.selection import (  # noqa: E402,F401,I001
    Clamp, Maximum, Minimum, Where, clamp, clamp_max, clamp_min, clip, clip_array, maximum,
    minimum, where, _LARGE, clip_ufunc,
)
from lamina._ops.comparison import (  # noqa: E402,F401,I001
    allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq, equal, ge, greater,
    greater_equal, gt, isclose, isfinite, isinf, isnan, le, less, less_equal, logical_and,
    logical_not, logical_or, logical_xor, lt, ne, not_equal,
)
