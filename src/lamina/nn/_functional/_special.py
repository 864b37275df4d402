"""Special functions NumPy lacks, vectorised: the standard normal CDF (for GELU) and erf.

float64 uses Cephes' rational approximations (accurate to rounding). float32 uses one odd
polynomial in x^2 per function, fitted for lamina, inside a logistic (Phi) or a tanh (erf): no
branches, so every element takes the same dozen in-place passes, and the passes over the data
are what these functions cost in NumPy.
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


# Minimax fits (weighted least squares, iterated to equal ripple) for float32, lowest power
# first, as polynomials in s = x^2:
# logit(Phi(x)) = x * G(s): relative error of Phi below 6 float32 ulps where Phi >= 0.1 and
# absolute error below 5e-8 elsewhere (torch's own float32 GELU is accurate to ~1e-7 absolute);
# z = x G(s) stays above 17.5 (Phi rounds to 1) for every x >= 6, so no clamp is needed.
_LOGIT_PHI = (1.5957707692509018, 0.07266341826375503, -6.28063786442196e-05,
              -0.00011145629089960682, 8.066207444125009e-06, -2.744860049281422e-07,
              3.773503372148709e-09)
# atanh(erf(x)) = x * E(s): erf = tanh(x E(s)) to 3.1 float32 ulps everywhere (relative, so tiny
# inputs keep their digits); x E(s) >= 9.1 (tanh rounds to 1) for every x >= 3.9.
_ATANH_ERF = (1.1283792471867382, 0.1027698641248529, -0.00019528817428192662,
              -0.0006148382160822241, 8.459656458810117e-05, -4.794599377054872e-06,
              2.7575338939783706e-08, 5.421636043673749e-09)
_LOG2E = 1 / math.log(2)
# exp2 is 2.5x faster than exp in NumPy's float32 loops, so exp(y) is taken as exp2(y log2 e)
_NEG_LOGIT_PHI_LOG2 = tuple(-c * _LOG2E for c in reversed(_LOGIT_PHI))
_ATANH_ERF_HIGH_FIRST = tuple(reversed(_ATANH_ERF))


def exp2_(a: np.ndarray) -> np.ndarray:
    """2^a in place, for float arrays; overflow gives inf silently.

    NumPy's float32 exp2 is 2.5x faster than its exp, except where a result overflows or is
    subnormal: there it takes 5-25 ns an element, 10-100x its usual speed. Arrays with any such
    element (or a nan) go to exp(a ln 2) instead, whose speed does not depend on the values.
    """
    if a.size and a.min() >= -126 and a.max() < 128:  # two 6.5 us reductions at (256, 512)
        return np.exp2(a, out=a)
    a *= math.log(2)
    with np.errstate(over="ignore"):
        return np.exp(a, out=a)


def _odd_polynomial(x: np.ndarray, s: np.ndarray, coefficients) -> np.ndarray:
    """x * P(s) by Horner's rule (highest power first) in one new buffer, updated in place."""
    out = np.multiply(s, coefficients[0])
    for c in coefficients[1:-1]:
        out += c
        out *= s
    out += coefficients[-1]
    out *= x
    return out


def logistic_normal_cdf(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x^2, 1 + exp(-logit Phi(x))) for float32 x of at least one dimension: Phi = 1 / the second.

    GELU is then one division, x / denominator, and its backward reuses both arrays. Huge |x|
    overflows to inf on the way (the warnings are silenced): Phi is then exactly 0 or 1.
    """
    with np.errstate(over="ignore"):
        s = np.square(x)
        denominator = _odd_polynomial(x, s, _NEG_LOGIT_PHI_LOG2)
    exp2_(denominator)
    denominator += 1
    return s, denominator


def erf_float32(x: np.ndarray) -> np.ndarray:
    """erf of a float32 array of at least one dimension, as tanh(x E(x^2)), in float32."""
    with np.errstate(over="ignore"):
        out = _odd_polynomial(x, np.square(x), _ATANH_ERF_HIGH_FIRST)
    return np.tanh(out, out=out)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 in x's dtype: float64 relatively accurate in both
    tails, float32 as described at _LOGIT_PHI."""
    if x.ndim == 0:  # arithmetic on 0-d arrays gives scalars, which in-place ops refuse
        return normal_cdf(x.reshape(1)).reshape(())
    if x.dtype == np.float32:
        return np.divide(1.0, logistic_normal_cdf(x)[1])
    return _normal_cdf_float64(x)


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
