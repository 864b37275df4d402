"""erfinv, for Normal.icdf: NumPy has none and lamina's ops do not provide one yet."""

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
