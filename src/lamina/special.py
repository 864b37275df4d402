"""torch.special: the common special functions, with torch's names and signatures.

Most are lamina's existing ops under their torch.special names or compositions of them;
erfc, ndtri, xlogy, xlog1py, entr and i0 are primitives in `lamina._ops.special_math`.
"""

from __future__ import annotations

import math

from lamina._ops import reduce
from lamina._ops import softmax as _softmax
from lamina._ops._promote import floating
from lamina._ops.elementwise import log1p, sigmoid
from lamina._ops.extra_math import expm1
from lamina._ops.misc import erf, exp2
from lamina._ops.special_math import (
    digamma,
    entr,
    erfc,
    erfinv,
    i0,
    lgamma,
    logit,
    ndtr,
    ndtri,
    sinc,
    xlog1py,
    xlogy,
)

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0",
    "log1p", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "psi",
    "sinc", "softmax", "xlog1py", "xlogy",
]

expit = sigmoid
gammaln = lgamma
psi = digamma


def softmax(input, dim, *, dtype=None):
    return _softmax.softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    return _softmax.log_softmax(input, dim, dtype)


def logsumexp(input, dim, keepdim=False):
    return reduce.logsumexp(input, dim, keepdim)


def multigammaln(input, p):
    """The log of the multivariate gamma function of dimension p:
    p (p - 1) / 4 log(pi) + sum over j < p of lgamma(input - j / 2)."""
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got {p}")
    # no check that input > (p - 1) / 2: torch dropped it (below, the terms are lgamma's)
    input = floating(input)
    total = lgamma(input)
    for j in range(1, p):
        total = total + lgamma(input - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)
