"""The Cholesky factor, for MultivariateNormal: lamina.linalg has no cholesky yet."""

from __future__ import annotations

import numpy as np

from lamina.autograd.function import Primitive
from lamina.linalg import LinAlgError


def _transpose(array: np.ndarray) -> np.ndarray:
    return np.swapaxes(array, -1, -2)


def positive_definite(array: np.ndarray) -> np.ndarray:
    """Whether each matrix in array's last two dims has a Cholesky factor (bool, batch shape)."""
    try:
        np.linalg.cholesky(array)
        return np.ones(array.shape[:-2], dtype=bool)
    except np.linalg.LinAlgError:  # find which ones fail
        flat = array.reshape((-1,) + array.shape[-2:])
        return np.array([_factorises(matrix) for matrix in flat], dtype=bool).reshape(
            array.shape[:-2])


def _factorises(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
        return True
    except np.linalg.LinAlgError:
        return False


class Cholesky(Primitive):
    """L lower triangular with L @ L.mT = A, for symmetric positive-definite A (batched)."""

    grad_fn_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "linalg.cholesky: The factorization could not be completed because the input "
                "is not positive-definite. Hint: a covariance matrix needs positive variances "
                "and must be symmetric; add a small multiple of the identity if it is nearly "
                "singular."
            ) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # torch's formula: G = tril(L^T dL), symmetrised with its diagonal halved, then
        # dA = L^-T G L^-1; the result is symmetric, as A is
        (lower,) = ctx.saved_tensors
        inner = np.tril(_transpose(lower) @ grad)
        inner = 0.5 * (inner + _transpose(np.tril(inner, -1)))
        left = np.linalg.solve(_transpose(lower), inner)            # L^-T G
        return _transpose(np.linalg.solve(_transpose(lower), _transpose(left)))  # (.) L^-1


def cholesky(input):
    return Cholesky.apply(input)
