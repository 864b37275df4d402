"""Special functions NumPy lacks, vectorised: the standard normal CDF (for GELU).

float64 uses Cephes' rational approximations (accurate to rounding); float32 uses a shorter
Chebyshev fit of erfc (relative error below 1.2e-7, Press et al., Numerical Recipes 6.2) that
needs half the passes over the data, which is most of GELU's cost.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_HALF = math.sqrt(0.5)


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


# erfc(u) ~ t exp(-u^2 + poly(t)), t = 1 / (1 + u/2), for u >= 0; highest power first
_ERFC_CHEBYSHEV = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
                   0.09678418, 0.37409196, 1.00002368, -1.26551223)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 in x's dtype, accurate in both tails."""
    if x.ndim == 0:  # arithmetic on 0-d arrays gives scalars, which in-place ops refuse
        return normal_cdf(x.reshape(1)).reshape(())
    if x.dtype == np.float32:
        return _normal_cdf_float32(x)
    return _normal_cdf_float64(x)


def _normal_cdf_float32(x: np.ndarray) -> np.ndarray:
    w = x * _SQRT_HALF
    u = np.abs(w)
    t = u * 0.5
    t += 1
    np.reciprocal(t, out=t)
    half_erfc = _polynomial(t, _ERFC_CHEBYSHEV)
    u *= u
    half_erfc -= u
    np.exp(half_erfc, out=half_erfc)
    half_erfc *= t
    half_erfc *= 0.5  # erfc(|w|) / 2, the smaller tail
    # Phi is half_erfc for w < 0 and 1 - half_erfc for w >= 0: s - (2s - 1) * half_erfc
    upper = (w >= 0).astype(x.dtype)
    sign = upper * 2
    sign -= 1
    half_erfc *= sign
    upper -= half_erfc
    return upper


def _normal_cdf_float64(x: np.ndarray) -> np.ndarray:
    w = x * _SQRT_HALF
    a = np.abs(w)
    z = w * w
    # each branch is evaluated everywhere on clipped arguments (finite, never used outside
    # its range) and the results are blended with 0/1 masks, cheaper than np.where
    near = np.minimum(z, 1)
    inner = _polynomial(near, _ERF_T)
    inner /= _polynomial(near, _ERF_U, monic=True)
    inner *= 0.5 * w
    inner += 0.5
    far_a = np.clip(a, 1, 30)  # beyond 30, exp(-z) is 0 in float64 anyway
    ratio = _polynomial(far_a, _ERFC_P)
    ratio /= _polynomial(far_a, _ERFC_Q, monic=True)
    if a.size and a.max() >= 8:
        farther = _polynomial(far_a, _ERFC_R) / _polynomial(far_a, _ERFC_S, monic=True)
        ratio += (a >= 8) * (farther - ratio)
    half_erfc = np.exp(-z)  # erfc(|w|) / 2, the smaller tail, below
    half_erfc *= ratio
    half_erfc *= 0.5
    # Phi is half_erfc for w < 0 and 1 - half_erfc for w >= 0
    outer = half_erfc
    outer += (w >= 0) * (1 - 2 * half_erfc)
    # blend as inner * (1 - m) + outer * m: exact zeros, so the tiny tail values survive
    far = (a >= 1).astype(x.dtype)
    outer *= far
    far -= 1
    inner *= far
    outer -= inner
    return outer
