"""Elementwise primitives: arithmetic, comparisons and pointwise maths.

Gradients are returned in the broadcast shape; the engine reduces them to each input's shape.
Each public function is the single entry point reached by `lamina.f`, `Tensor.f` and operators.
"""

from __future__ import annotations

import numpy as np

from lamina._ops import _promote
from lamina._ops._promote import binary, floating
from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import Primitive


def _broadcast_error(op, a, b, error):
    return RuntimeError(
        f"{op}: shapes {_promote.shapes_text(a, b)} cannot be broadcast together: the sizes "
        "must be equal or 1 in each dimension, counted from the last. "
        "Hint: check the shapes, or use unsqueeze()/reshape() to line the axes up."
    ).with_traceback(None) if isinstance(error, ValueError) else error


def _binary(function, op_name, a, b, **kwargs):
    try:
        return function.apply(a, b, **kwargs)
    except ValueError as error:
        raise _broadcast_error(op_name, a, b, error) from None


# ---------------------------------------------------------------- arithmetic
class Add(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return grad if need_a else None, -grad if need_b else None


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


class Neg(Primitive):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, np.ndarray):
                grad_a = grad * b * np.where(b == 0, 1, a ** np.where(b == 0, 1, b - 1))
            else:
                grad_a = grad * (b * a ** (b - 1)) if b != 0 else np.zeros_like(grad)
        if need_b:
            # torch defines d(a**b)/db as 0 where a == 0 and b >= 0
            safe_log = np.log(np.where(a == 0, 1, a))
            grad_b = grad * out * safe_log
        return grad_a, grad_b


def add(input, other, *, alpha=1, out=None):
    a, b = binary(input, other)
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Add, "add", a, b)


def sub(input, other, *, alpha=1, out=None):
    a, b = binary(input, other)
    if isinstance(a, Tensor) and a._array.dtype == np.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Sub, "sub", a, b)


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None):
    a, b = binary(input, other)
    return _binary(Mul, "mul", a, b)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        a, b = binary(input, other, floating=True)
        return _binary(Div, "div", a, b)
    a, b = binary(input, other)
    quotient = _binary(Div, "div", *binary(a, b, floating=True))
    array = np.trunc(quotient._array) if rounding_mode == "trunc" else np.floor(quotient._array)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    dtype = _promote.result_dtype(a, b)
    return _wrap(array.astype(dtype, copy=False))


true_divide = divide = div
multiply = mul
subtract = sub


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    a, b = binary(input, other)
    arrays = [x._array if isinstance(x, Tensor) else x for x in (a, b)]
    return _wrap(np.asarray(np.mod(*arrays)))


def fmod(input, other):
    a, b = binary(input, other)
    arrays = [x._array if isinstance(x, Tensor) else x for x in (a, b)]
    return _wrap(np.asarray(np.fmod(*arrays)))


def neg(input):
    if input._array.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        a, b = binary(input, exponent)
        if isinstance(b, Tensor):
            return _binary(Pow, "pow", a, b)
        if a._array.dtype.kind in "iu" and b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return Pow.apply(a, b)
    a, b = binary(input, exponent)
    return _binary(Pow, "pow", a, b)


# ---------------------------------------------------------------- pointwise maths
def _unary(name, forward, derivative, save="input"):
    """Build a one-input primitive whose gradient is grad * derivative(saved)."""

    def forward_fn(ctx, a):
        out = forward(a)
        ctx.save_for_backward(out if save == "output" else a)
        return out

    def backward_fn(ctx, grad):
        (saved,) = ctx.saved_tensors
        return grad * derivative(saved)

    return type(name, (Primitive,), {
        "forward": staticmethod(forward_fn),
        "backward": staticmethod(backward_fn),
        "__doc__": f"Elementwise {name.lower()}.",
    })


Exp = _unary("Exp", np.exp, lambda out: out, save="output")
Log = _unary("Log", np.log, np.reciprocal)
Log1p = _unary("Log1p", np.log1p, lambda a: 1 / (1 + a))
Sqrt = _unary("Sqrt", np.sqrt, lambda out: 0.5 / out, save="output")
Rsqrt = _unary("Rsqrt", lambda a: 1 / np.sqrt(a), lambda out: -0.5 * out**3, save="output")
Sin = _unary("Sin", np.sin, np.cos)
Cos = _unary("Cos", np.cos, lambda a: -np.sin(a))
Tanh = _unary("Tanh", np.tanh, lambda out: 1 - out * out, save="output")
Abs = _unary("Abs", np.abs, np.sign)
Reciprocal = _unary("Reciprocal", np.reciprocal, lambda out: -out * out, save="output")


class Sigmoid(Primitive):
    @staticmethod
    def forward(ctx, a):
        # exp of a non-positive number only, so large |a| cannot overflow
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Primitive):
    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


class Clamp(Primitive):
    @staticmethod
    def forward(ctx, a, low, high):
        out = np.clip(a, low, high)
        ctx.save_for_backward(a, low, high)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, low, high = ctx.saved_tensors
        keep = np.ones(a.shape, dtype=bool)
        if low is not None:
            keep &= a >= low
        if high is not None:
            keep &= a <= high
        return grad * keep, None, None


class Maximum(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # ties split the gradient evenly, as torch does
        share = np.where(a == b, 0.5, (a > b)).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Minimum(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share = np.where(a == b, 0.5, (a < b)).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Where(Primitive):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        zero = np.zeros((), dtype=grad.dtype)
        return None, np.where(condition, grad, zero), np.where(condition, zero, grad)


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
    return Sigmoid.apply(floating(input))


def abs(input):
    return Abs.apply(input)


absolute = abs


def reciprocal(input):
    return Reciprocal.apply(floating(input))


def square(input):
    return mul(input, input)


def relu(input):
    return Relu.apply(input)


def sign(input):
    return _wrap(np.sign(input._array))


def floor(input):
    return _wrap(np.floor(input._array))


def ceil(input):
    return _wrap(np.ceil(input._array))


def round(input, *, decimals=0):
    return _wrap(np.round(input._array, decimals))


def trunc(input):
    return _wrap(np.trunc(input._array))


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _wrap(np.asarray(min, input._array.dtype)))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _wrap(np.asarray(max, input._array.dtype)))
        return out
    if input._array.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = floating(input)
    return Clamp.apply(input, min, max)


clip = clamp


def maximum(input, other):
    a, b = binary(input, other)
    return _binary(Maximum, "maximum", a, b)


def minimum(input, other):
    a, b = binary(input, other)
    return _binary(Minimum, "minimum", a, b)


def where(condition, input=None, other=None):
    if input is None and other is None:
        from lamina._ops.index import nonzero

        return nonzero(condition, as_tuple=True)
    if condition._array.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}")
    a, b = binary(input, other)
    a = a if isinstance(a, Tensor) else _wrap(np.asarray(a, dtype=_promote.result_dtype(input, other)))
    b = b if isinstance(b, Tensor) else _wrap(np.asarray(b, dtype=a._array.dtype))
    try:
        return Where.apply(condition, a, b)
    except ValueError as error:
        raise _broadcast_error("where", a, b, error) from None


# ---------------------------------------------------------------- comparisons and logic
def _compare(ufunc, name):
    def compare(input, other):
        a, b = binary(input, other)
        arrays = [x._array if isinstance(x, Tensor) else x for x in (a, b)]
        try:
            return _wrap(np.asarray(ufunc(*arrays)))
        except ValueError as error:
            raise _broadcast_error(name, a, b, error) from None

    compare.__name__ = name
    compare.__doc__ = f"Elementwise `{name}` as a bool tensor (not differentiable)."
    return compare


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")
bitwise_and = _compare(np.bitwise_and, "bitwise_and")
bitwise_or = _compare(np.bitwise_or, "bitwise_or")
bitwise_xor = _compare(np.bitwise_xor, "bitwise_xor")


def logical_not(input):
    return _wrap(np.logical_not(input._array))


def bitwise_not(input):
    if input._array.dtype.kind == "f":
        raise TypeError("bitwise_not is only defined for integer and bool tensors")
    return _wrap(np.invert(input._array))


def isnan(input):
    return _wrap(np.isnan(input._array))


def isinf(input):
    return _wrap(np.isinf(input._array))


def isfinite(input):
    return _wrap(np.isfinite(input._array))


def equal(input, other) -> bool:
    return input._array.shape == other._array.shape and bool(np.all(input._array == other._array))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.allclose(input._array, other._array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(input._array, other._array, rtol=rtol, atol=atol, equal_nan=equal_nan))
