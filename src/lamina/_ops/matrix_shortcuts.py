"""torch's top-level matrix functions, the older spellings of torch.linalg's: torch.det,
torch.logdet, torch.inverse, torch.cholesky, torch.qr, torch.slogdet, torch.matrix_power,
torch.pinverse (also Tensor methods). Each is lamina.linalg's function with torch's
top-level defaults, so values and gradients are linalg's."""

from __future__ import annotations

import collections

from lamina import linalg
from lamina._ops import selection

QR = collections.namedtuple("qr", ["Q", "R"])
QR.__module__ = "lamina.return_types"


def det(input):
    return linalg.det(input)


def logdet(input):
    """log(det): -inf for a singular matrix, nan for a negative determinant (as torch)."""
    sign, logabsdet = linalg.slogdet(input)
    # log 0 = -inf, log -1 = nan; where the determinant is not positive, no gradient (as torch)
    return selection.where(sign > 0, logabsdet, sign.log())


def inverse(input):
    return linalg.inv(input)


def cholesky(input, upper=False):
    return linalg.cholesky(input, upper=upper)


def qr(input, some=True):
    """(Q, R); `some=False` gives the complete Q, as linalg.qr(mode='complete')."""
    q, r = linalg.qr(input, mode="reduced" if some else "complete")
    return QR(q, r)


def slogdet(input):
    return linalg.slogdet(input)


def matrix_power(input, n):
    return linalg.matrix_power(input, n)


def pinverse(input, rcond=1e-15):
    return linalg.pinv(input, rtol=rcond)
