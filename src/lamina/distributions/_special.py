"""Special functions for the distributions, which lamina's ops lack: erfinv (Normal.icdf),
lgamma and digamma (Beta). Each is a one-input primitive evaluated in float64."""

from __future__ import annotations

import math

import numpy as np

from lamina._ops._promote import floating
from lamina._ops.elementwise import _unary
from lamina._ops.misc import _erf_array

# Giles (2010), "Approximating the erfinv function": polynomials in w = -log(1 - y^2),
# highest power first, good to about 1e-7; two Newton steps on erf then reach float64's.
_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
            -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
         -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2


def _erfinv_array(a: np.ndarray) -> np.ndarray:
    """erfinv in a's dtype, computed in float64: +-inf at +-1, nan outside [-1, 1]."""
    y = np.asarray(a, dtype=np.float64)
    inside = np.abs(y) < 1
    safe = np.where(inside, y, 0.0)
    w = -np.log1p(-safe * safe)
    x = safe * np.where(w < 5, np.polyval(_CENTRAL, w - 2.5),
                        np.polyval(_TAIL, np.sqrt(w) - 3))
    for _ in range(2):
        x -= (_erf_array(x) - safe) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
    edge = np.where(np.abs(y) == 1, np.copysign(np.inf, y), np.nan)
    return np.where(inside, x, edge).astype(a.dtype, copy=False)


Erfinv = _unary("Erfinv", _erfinv_array, lambda out: _HALF_SQRT_PI * np.exp(out * out),
                save="output")


def erfinv(input):
    """The inverse of erf on (-1, 1)."""
    return Erfinv.apply(floating(input))


# ---------------------------------------------------------------- lgamma, digamma, trigamma
# Each evaluates in float64: reflection below 1/2, the recurrence up to z >= 7, then the
# asymptotic (Stirling) series, whose first omitted term is below 1e-14 there.
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
_STIRLING = (1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12)  # 1/z^(2k-1)
_DIGAMMA = (-1 / 12, 691 / 32760, -1 / 132, 1 / 240, -1 / 252, 1 / 120, -1 / 12)  # 1/z^2k
_TRIGAMMA = (7 / 6, -691 / 2730, 5 / 66, -1 / 30, 1 / 42, -1 / 30, 1 / 6)  # 1/z^(2k+1)


def _shifted(x: np.ndarray):
    """(z, steps): z = x + n >= 7 with the fewest steps n, and the values x, x + 1, ...
    stepped over, stacked 7 deep with inf where no step was taken, for the recurrences."""
    z = x.copy()
    steps = np.full((7,) + x.shape, np.inf)
    for i in range(7):
        small = z < 7
        steps[i] = np.where(small, z, np.inf)
        z = np.where(small, z + 1, z)
    return z, steps


def _nonpositive_integer(x: np.ndarray) -> np.ndarray:
    return (x <= 0) & (x == np.floor(x))


def _lgamma64(x: np.ndarray) -> np.ndarray:
    reflect = x < 0.5
    z, steps = _shifted(np.where(reflect, 1 - x, x))
    product = np.prod(np.where(np.isinf(steps), 1.0, steps), axis=0)
    series = np.polyval(_STIRLING, 1 / (z * z)) / z
    out = (z - 0.5) * np.log(z) - z + _HALF_LOG_TWO_PI + series - np.log(product)
    # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); inf at 0 and the negative integers
    sine = np.abs(np.sin(math.pi * np.where(reflect, x, 0.5)))
    reflected = np.where(_nonpositive_integer(x), np.inf,
                         math.log(math.pi) - np.log(sine) - out)
    return np.where(reflect, reflected, out)


def _digamma64(x: np.ndarray) -> np.ndarray:
    reflect = x < 0.5
    z, steps = _shifted(np.where(reflect, 1 - x, x))
    inverse_square = 1 / (z * z)
    out = (np.log(z) - 0.5 / z + np.polyval(_DIGAMMA, inverse_square) * inverse_square
           - (1 / steps).sum(0))
    # psi(x) = psi(1 - x) - pi / tan(pi x); -inf at 0 and nan at negative integers, as torch
    tangent = np.tan(math.pi * np.where(reflect, x, 0.25))
    reflected = np.where(_nonpositive_integer(x), np.nan, out - math.pi / tangent)
    reflected = np.where(x == 0, -np.inf, reflected)
    return np.where(reflect, reflected, out)


def _trigamma64(x: np.ndarray) -> np.ndarray:
    reflect = x < 0.5
    z, steps = _shifted(np.where(reflect, 1 - x, x))
    inverse_square = 1 / (z * z)
    out = (1 / z + 0.5 * inverse_square + np.polyval(_TRIGAMMA, inverse_square) * inverse_square
           / z + (1 / (steps * steps)).sum(0))
    # psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x)
    sine = np.sin(math.pi * np.where(reflect, x, 0.5))
    return np.where(reflect, math.pi**2 / (sine * sine) - out, out)


def _in_float64(function):
    def evaluate(a: np.ndarray) -> np.ndarray:
        return function(np.asarray(a, dtype=np.float64)).astype(a.dtype, copy=False)

    return evaluate


Lgamma = _unary("Lgamma", _in_float64(_lgamma64), _in_float64(_digamma64))
Digamma = _unary("Digamma", _in_float64(_digamma64), _in_float64(_trigamma64))


def lgamma(input):
    """log |Gamma(x)|."""
    return Lgamma.apply(floating(input))


def digamma(input):
    """d/dx log Gamma(x)."""
    return Digamma.apply(floating(input))
