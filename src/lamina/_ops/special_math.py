"""Primitives behind `lamina.special` that lamina's other ops cannot compose exactly: erfc
(the tail is lost in 1 - erf), ndtri (the inverse normal CDF, to its smallest tails), xlogy
and xlog1py (torch's 0 * log 0 = 0 and its gradient convention), entr, i0; then logit,
ndtr and sinc, which compose ops (also torch's top-level and Tensor functions, hence here).

Each is evaluated in float64 and returned in the input's dtype.
"""

from __future__ import annotations

import math

import numpy as np

from lamina._ops import elementwise
from lamina._ops._promote import binary, floating
from lamina._ops.elementwise import _unary, clamp, log, sin, where
from lamina._ops.shape import as_tensor_like
from lamina._tensor import Tensor
from lamina.autograd.function import Primitive
from lamina.distributions._special import _erfinv_array, digamma, erfinv, lgamma  # noqa: F401

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_PI = math.sqrt(2 * math.pi)


def _erfc64(x: np.ndarray) -> np.ndarray:
    """erfc of a float64 array: Cephes' rational fits of exp(x^2) erfc(x) for |x| >= 1, so
    the upper tail keeps its relative accuracy down to float64's smallest numbers."""
    from lamina.nn._functional import _special as s  # imported here: lamina.nn imports _ops

    x = np.atleast_1d(x)
    a = np.clip(np.abs(x), 1, 30)
    ratio = np.where(a < 8,
                     s._polynomial(a, s._ERFC_P) / s._polynomial(a, s._ERFC_Q, monic=True),
                     s._polynomial(a, s._ERFC_R) / s._polynomial(a, s._ERFC_S, monic=True))
    tail = np.exp(-np.minimum(x * x, 900)) * ratio * (np.abs(x) < 30)
    near = np.minimum(x * x, 1)
    erf_near = x * s._polynomial(near, s._ERF_T) / s._polynomial(near, s._ERF_U, monic=True)
    out = np.where(np.abs(x) < 1, 1 - erf_near, np.where(x > 0, tail, 2 - tail))
    return np.where(np.isnan(x), x, out)


def _in_float64(function):
    def run(a):
        return function(np.asarray(a, np.float64)).reshape(a.shape).astype(a.dtype, copy=False)
    return run


Erfc = _unary("Erfc", _in_float64(_erfc64),
              lambda a: -_TWO_OVER_SQRT_PI * np.exp(-(a * a)))


def erfc(input):
    """1 - erf(input), accurate in the upper tail."""
    return Erfc.apply(floating(input))


def _ndtri64(p: np.ndarray) -> np.ndarray:
    """The x with Phi(x) = p: solved in the smaller tail q = min(p, 1 - p) (1 - p is exact
    for p >= 1/2) by Newton steps on log Phi, from erfinv or, for tiny q, the asymptote."""
    p = np.atleast_1d(p)
    inside = (p > 0) & (p < 1)
    q = np.where(inside, np.minimum(p, 1 - p), 0.25)
    x = np.where(q > 1e-8, math.sqrt(2) * _erfinv_array(np.maximum(2 * q - 1, -1 + 1e-16)),
                 -np.sqrt(-2 * np.log(q)))
    target = np.log(q)
    for _ in range(6):
        cdf = 0.5 * _erfc64(-x * _SQRT_HALF)
        pdf = np.exp(-0.5 * x * x) / _SQRT_TWO_PI
        x = x - (np.log(cdf) - target) * cdf / pdf
    x = np.where(p < 0.5, x, -x)
    edge = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, np.nan))
    return np.where(inside, x, edge)


Ndtri = _unary("Ndtri", _in_float64(_ndtri64),
               lambda out: _SQRT_TWO_PI * np.exp(0.5 * out * out), save="output")


def ndtri(input):
    """The inverse of the standard normal CDF: -inf at 0, inf at 1, nan outside [0, 1]."""
    return Ndtri.apply(floating(input))


def _entr(a):
    out = np.where(a > 0, -a * np.log(np.where(a > 0, a, 1)), np.where(a == 0, 0, -np.inf))
    return np.where(np.isnan(a), a, out).astype(a.dtype, copy=False)


# the derivative -(1 + log x) is torch's too: inf at 0, nan below
Entr = _unary("Entr", _entr, lambda a: -(1 + np.log(a)))


def entr(input):
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    return Entr.apply(floating(input))


def _i1_series(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function I1 by its power series, every term positive (no
    cancellation); about |x| + 30 terms reach float64's precision."""
    half = x / 2
    term = half.copy()
    total = term.copy()
    square = half * half
    count = int(np.nanmax(np.abs(x), initial=0.0) if np.isfinite(x).any() else 0) + 30
    for k in range(min(count, 2000)):
        term = term * square / ((k + 1) * (k + 2))
        total = total + term
    return np.where(np.isinf(x), x, total)


I0 = _unary("I0", _in_float64(lambda a: np.i0(a)), _in_float64(_i1_series))


def i0(input):
    """The zeroth-order modified Bessel function of the first kind."""
    return I0.apply(floating(input))


def _xlog_forward(ctx, a, b, log):
    ctx.save_for_backward(a, b)
    out = a * log(b)
    return np.where((a == 0) & ~np.isnan(b), 0, out).astype(out.dtype, copy=False)


def _xlog_backward(ctx, grad, log, floor):
    # to x: log(y), but 0 where x == 0 and log(y) is not finite (y <= floor), as in torch
    a, b = ctx.saved_tensors
    need_a, need_b = ctx.needs_input_grad
    grad_a = grad_b = None
    if need_a:
        grad_a = np.where((a == 0) & (b <= floor), 0, grad * log(b)).astype(grad.dtype,
                                                                             copy=False)
    if need_b:
        grad_b = grad * a / (b - floor)
    return grad_a, grad_b


class XLogY(Primitive):
    """x * log(y), 0 where x == 0 (unless y is nan)."""

    @staticmethod
    def forward(ctx, a, b):
        return _xlog_forward(ctx, a, b, np.log)

    @staticmethod
    def backward(ctx, grad):
        return _xlog_backward(ctx, grad, np.log, 0.0)


class XLog1PY(Primitive):
    """x * log1p(y), 0 where x == 0 (unless y is nan)."""

    @staticmethod
    def forward(ctx, a, b):
        return _xlog_forward(ctx, a, b, np.log1p)

    @staticmethod
    def backward(ctx, grad):
        return _xlog_backward(ctx, grad, np.log1p, -1.0)


def _operands(input, other):
    a, b = binary(input, other, floating=True)
    # a Python number takes the tensor's dtype (a float64 0-d array would upcast float32)
    return (as_tensor_like(a, b), b) if not isinstance(a, Tensor) else (a, as_tensor_like(b, a))


def xlogy(input, other):
    """input * log(other), 0 where input == 0."""
    return elementwise._binary(XLogY, "xlogy", *_operands(input, other))


def xlog1py(input, other):
    """input * log1p(other), 0 where input == 0."""
    return elementwise._binary(XLog1PY, "xlog1py", *_operands(input, other))


# ---------------------------------------------------------------- compositions
def logit(input, eps=None):
    """log(p / (1 - p)), p first clamped to [eps, 1 - eps] when eps is given (the gradient
    is then zero outside that range)."""
    input = floating(input)
    if eps is not None:
        input = clamp(input, eps, 1 - eps)
    return log(input / (1 - input))


def ndtr(input):
    """The standard normal CDF, accurate in the lower tail (through erfc)."""
    return erfc(floating(input) * -_SQRT_HALF) * 0.5


def sinc(input):
    """sin(pi x) / (pi x), 1 at 0 (with gradient 0 there)."""
    input = floating(input)
    zero = input == 0
    safe = where(zero, 1.0, input) * math.pi  # keeps the unused branch's gradient finite
    return where(zero, 1.0, sin(safe) / safe)
