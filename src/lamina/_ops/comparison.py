"""Elementwise comparisons, logic and predicates: bool results, not differentiable."""

from __future__ import annotations

import builtins

import numpy as np

from lamina._ops._promote import binary, broadcast_error
from lamina._tensor import Tensor, _wrap


def _arrays(*values):
    return [v._array if isinstance(v, Tensor) else v for v in values]


def _compare(ufunc, name, integers_only=False):
    def compare(input, other):
        a, b = binary(input, other)
        if integers_only and any(
            isinstance(v, Tensor) and v._array.dtype.kind == "f" for v in (a, b)
        ):
            raise RuntimeError(
                f"{name}: only integer and bool tensors are supported, got "
                f"{a.dtype if isinstance(a, Tensor) else b.dtype}"
            )
        try:
            return _wrap(np.asarray(ufunc(*_arrays(a, b))))
        except ValueError as error:
            raise broadcast_error(name, a, b, error) from None

    compare.__name__ = name
    compare.__doc__ = f"Elementwise `{name}`, not differentiable."
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
bitwise_and = _compare(np.bitwise_and, "bitwise_and", integers_only=True)
bitwise_or = _compare(np.bitwise_or, "bitwise_or", integers_only=True)
bitwise_xor = _compare(np.bitwise_xor, "bitwise_xor", integers_only=True)


def logical_not(input):
    return _wrap(np.logical_not(input._array))


def bitwise_not(input):
    if input._array.dtype.kind == "f":
        raise RuntimeError(
            f"bitwise_not: only integer and bool tensors are supported, got {input.dtype}. "
            "Hint: for a mask, compare first (~(x > 0))."
        )
    return _wrap(np.invert(input._array))


def isnan(input):
    return _wrap(np.isnan(input._array))


def isinf(input):
    return _wrap(np.isinf(input._array))


def isfinite(input):
    return _wrap(np.isfinite(input._array))


def equal(input, other) -> bool:
    return input._array.shape == other._array.shape and builtins.bool(
        np.all(input._array == other._array))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return builtins.bool(
        np.allclose(input._array, other._array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(input._array, other._array, rtol=rtol, atol=atol, equal_nan=equal_nan))
