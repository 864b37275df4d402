"""lamina.linalg: torch.linalg's norms, inverse, determinant, solve, SVD and decompositions.

Norms are compositions of lamina's reductions; inv, det, solve and svdvals are primitives on
NumPy's LAPACK calls with their textbook gradients. svd's factors carry no gradient (backward
raises). Cholesky, slogdet, eigh, QR, pinv and triangular solves live in
lamina._ops.decompositions, least squares, cross, matrix_power and multi_dot in
lamina._ops.matrix_functions. A singular matrix raises LinAlgError, a RuntimeError, as torch
does.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from lamina._ops import reduce
from lamina._ops.decompositions import (  # noqa: F401  (re-exported)
    LinAlgError,
    cholesky,
    cholesky_ex,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    matrix_rank,
    pinv,
    qr,
    slogdet,
    solve_triangular,
)
from lamina._ops.decompositions import require_matrices as _require_matrices
from lamina._ops.decompositions import transpose as _transpose
from lamina._ops.linalg import matmul  # noqa: F401  (torch.linalg.matmul)
from lamina._ops.matrix_functions import (  # noqa: F401  (re-exported)
    cross,
    lstsq,
    matrix_power,
    multi_dot,
    vecdot,
)
from lamina._tensor import _normalize_dim
from lamina.autograd.function import Primitive

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "eig", "eigh", "eigvals",
           "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
           "svdvals", "vecdot", "vector_norm"]


# ---------------------------------------------------------------- norms
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ord-norm of x as a vector (all elements, or over dim): sum(|x|**ord)**(1/ord)."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    return reduce.norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims: 'fro', 'nuc', or ord in (1, -1, 2, -2, inf, -inf)."""
    if dtype is not None:
        A = A.to(dtype)
    _require_matrices(A, "matrix_norm", square=False)
    rows, cols = (_normalize_dim(d, A.ndim, "matrix_norm") for d in dim)
    if ord == "fro":
        return reduce.norm(A, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((rows, cols), (-2, -1))
        values = svdvals(moved)
        out = (values.sum(-1) if ord == "nuc" else
               values.amax(-1) if ord == 2 else values.amin(-1))
    elif ord in (1, -1, math.inf, -math.inf):
        # 1-norms are extremes of column sums of |A|, inf-norms of row sums
        summed = reduce.sum(A.abs(), rows if ord in (1, -1) else cols, keepdim=True)
        out = (summed.amax((rows, cols)) if ord > 0 else summed.amin((rows, cols)))
        if keepdim:
            return out.reshape([1 if d in (rows, cols) else n for d, n in enumerate(A.shape)])
        return out
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((rows, cols)):
            out = out.unsqueeze(d)
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (1-D input, an int dim, or ord=None over all elements) or a matrix norm
    (2-D input with ord given, or a 2-tuple dim), dispatching as torch.linalg.norm does."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord {ord!r} needs a matrix (2 dims)")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# ---------------------------------------------------------------- inverse, determinant, solve
def _lapack(function, *arrays, name):
    try:
        return function(*arrays)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            f"linalg.{name}: The input is singular (or nearly so), so it has no inverse. "
            "Hint: check for linearly dependent rows, or use a least-squares method."
        ) from None


class Inv(Primitive):
    grad_fn_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        out = _lapack(np.linalg.inv, a, name="inv")
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(A^-1) = -A^-1 dA A^-1
        (out,) = ctx.saved_tensors
        inverse_t = _transpose(out)
        return -(inverse_t @ grad @ inverse_t)


def inv(A):
    """The inverse of each square matrix in A's last two dims."""
    _require_matrices(A, "inv")
    return Inv.apply(A)


class Det(Primitive):
    grad_fn_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d det(A) / dA = det(A) A^-T
        a, out = ctx.saved_tensors
        inverse_t = _transpose(_lapack(np.linalg.inv, a, name="det backward"))
        return (grad * out)[..., None, None] * inverse_t


def det(A):
    """The determinant of each square matrix in A's last two dims."""
    _require_matrices(A, "det")
    return Det.apply(A)


class Solve(Primitive):
    grad_fn_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b, vector):
        right = b[..., None] if vector else b
        out = _lapack(np.linalg.solve, a, right, name="solve")  # batch dims broadcast
        ctx.save_for_backward(a, out)
        ctx.vector = vector
        return out[..., 0] if vector else out

    @staticmethod
    def backward(ctx, grad):  # X = A^-1 B: dB = A^-T g, dA = -dB X^T
        a, out = ctx.saved_tensors
        if ctx.vector:
            grad = grad[..., None]
        grad_b = np.linalg.solve(_transpose(a), grad)
        grad_a = -(grad_b @ _transpose(out)) if ctx.needs_input_grad[0] else None
        return grad_a, (grad_b[..., 0] if ctx.vector else grad_b), None


def solve(A, B, *, left=True):
    """X with A @ X = B (or X @ A = B when left=False); B may be a vector (or batch of them)."""
    _require_matrices(A, "solve")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    return Solve.apply(A, B, vector)


# ---------------------------------------------------------------- singular values
class Svdvals(Primitive):
    grad_fn_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, grad):  # d sigma_i = u_i^T dA v_i (distinct singular values)
        u, vh = ctx.saved_tensors
        return (u * grad[..., None, :]) @ vh


def svdvals(A):
    """The singular values of each matrix in A's last two dims, in descending order."""
    _require_matrices(A, "svdvals", square=False)
    return Svdvals.apply(A)


_SVD = collections.namedtuple("svd", ["U", "S", "Vh"])


class Svd(Primitive):
    grad_fn_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        raise NotImplementedError(
            "lamina.linalg.svd: the factors U and Vh carry no gradient in lamina. Hint: for "
            "gradients through the singular values use lamina.linalg.svdvals.")


def svd(A, full_matrices=True):
    """A = U diag(S) Vh for each matrix in A's last two dims, as a named tuple (U, S, Vh)."""
    _require_matrices(A, "svd", square=False)
    return _SVD(*Svd.apply(A, full_matrices))
