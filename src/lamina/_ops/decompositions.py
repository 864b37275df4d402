"""Matrix decompositions with gradients: Cholesky, slogdet, eigh, QR, pinv, triangular solves.

Each is a primitive on NumPy's LAPACK calls with its textbook backward; lstsq, cross,
matrix_power and the other compositions built on them are in matrix_functions.py. Real dtypes
only: lamina has no complex dtype.
"""

from __future__ import annotations

import collections

import numpy as np

from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import Primitive


class LinAlgError(RuntimeError):
    """A matrix operation failed: the input is singular or not positive-definite
    (torch.linalg.LinAlgError)."""


LinAlgError.__module__ = "lamina.linalg"  # where users find it, as torch.linalg.LinAlgError


def require_matrices(input, name, square=True):
    """Raise torch's RuntimeError unless input is a (batch of) floating-point matrices."""
    if input.ndim < 2 or (square and input.shape[-1] != input.shape[-2]):
        kind = "square matrices" if square else "matrices"
        raise RuntimeError(
            f"linalg.{name}: A must be a matrix or a batch of {kind}, got shape "
            f"{tuple(input.shape)}.")
    if input._array.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point tensor as input. Got "
                           f"{input.dtype}")


def transpose(array):
    return np.swapaxes(array, -1, -2)


def _solve_lower_transposed(lower, right):
    """L^-T @ right, for lower-triangular L (batched)."""
    return np.linalg.solve(transpose(lower), right)


# ---------------------------------------------------------------- Cholesky
_CholeskyEx = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])


def _first_failing_minor(matrix):
    """The order of the first leading minor that is not positive-definite (LAPACK's info)."""
    for order in range(1, matrix.shape[-1] + 1):
        try:
            np.linalg.cholesky(matrix[:order, :order])
        except np.linalg.LinAlgError:
            return order
    return 0


class Cholesky(Primitive):
    """(L, info): L lower triangular with L @ L.mT = A, info 0 or the failing minor's order."""

    grad_fn_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a, check_errors):
        try:
            lower = np.linalg.cholesky(a)
            info = np.zeros(a.shape[:-2], dtype=np.int32)
        except np.linalg.LinAlgError:
            flat = a.reshape((-1,) + a.shape[-2:])
            info = np.array([_first_failing_minor(m) for m in flat], dtype=np.int32)
            if check_errors:
                order = int(info[info > 0][0])
                raise LinAlgError(
                    "linalg.cholesky: The factorization could not be completed because the "
                    f"input is not positive-definite (the leading minor of order {order} is "
                    "not positive-definite). Hint: the matrix must be symmetric with positive "
                    "eigenvalues; add a small multiple of the identity if it is nearly "
                    "singular.") from None
            # torch leaves a partial factor where info > 0; lamina leaves zeros there
            lower = np.zeros_like(flat)
            for k, m in enumerate(flat):
                if info[k] == 0:
                    lower[k] = np.linalg.cholesky(m)
            lower, info = lower.reshape(a.shape), info.reshape(a.shape[:-2])
        ctx.save_for_backward(lower)
        ctx.mark_non_differentiable(info)
        return lower, info

    @staticmethod
    def backward(ctx, grad, grad_info):
        # torch's formula: G = tril(L^T dL) with its strictly-lower part mirrored up and the
        # diagonal halved, then dA = L^-T G L^-1, which is symmetric as A is
        (lower,) = ctx.saved_tensors
        inner = np.tril(transpose(lower) @ grad)
        inner = 0.5 * (inner + transpose(np.tril(inner, -1)))
        left = _solve_lower_transposed(lower, inner)
        return transpose(_solve_lower_transposed(lower, transpose(left))), None


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info) like cholesky, but a matrix that is not positive-definite sets info > 0
    instead of raising (unless check_errors). info is int32 with A's batch shape."""
    require_matrices(A, "cholesky")
    lower, info = Cholesky.apply(A, check_errors)
    return _CholeskyEx(lower.mT if upper else lower, info)


def cholesky(A, *, upper=False):
    """L lower triangular with A = L @ L.mT (or U = L.mT when upper=True), for each symmetric
    positive-definite matrix in A's last two dims; only the lower triangle of A is read."""
    return cholesky_ex(A, upper=upper, check_errors=True).L


# ---------------------------------------------------------------- slogdet
_Slogdet = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])


class Slogdet(Primitive):
    grad_fn_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return sign.astype(a.dtype, copy=False), logabsdet.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):  # d log|det A| / dA = A^-T; sign is flat
        (a,) = ctx.saved_tensors
        return grad_logabsdet[..., None, None] * transpose(np.linalg.inv(a))


def slogdet(A):
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet), batched; a singular matrix gives
    sign 0 and logabsdet -inf."""
    require_matrices(A, "slogdet")
    return _Slogdet(*Slogdet.apply(A))


# ---------------------------------------------------------------- symmetric eigenproblem
_Eigh = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


class Eigh(Primitive):
    grad_fn_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, UPLO):
        values, vectors = np.linalg.eigh(a, UPLO=UPLO)
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        # dA = V (diag(gw) + F o skew(V^T gV)) V^T with F_ij = 1 / (w_j - w_i) off the
        # diagonal; taking the skew part makes the result symmetric, as torch's is.
        # Repeated eigenvalues make F infinite: the eigenvectors are not unique there.
        values, vectors = ctx.saved_tensors
        inner = transpose(vectors) @ grad_vectors
        inner = 0.5 * (inner - transpose(inner))
        gaps = values[..., None, :] - values[..., :, None]
        n = values.shape[-1]
        gaps[..., np.arange(n), np.arange(n)] = np.inf
        middle = inner / gaps
        middle[..., np.arange(n), np.arange(n)] = grad_values
        return vectors @ middle @ transpose(vectors), None


def eigh(A, UPLO="L"):
    """(eigenvalues, eigenvectors) of each symmetric matrix in A's last two dims, eigenvalues
    ascending; only the UPLO ('L' or 'U') triangle of A is read."""
    require_matrices(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _Eigh(*Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix in A's last two dims, ascending."""
    return eigh(A, UPLO).eigenvalues


def eig(A):
    raise NotImplementedError(
        "lamina.linalg.eig: the eigenvalues of a general matrix are complex and lamina has no "
        "complex dtype. Hint: for a symmetric matrix use lamina.linalg.eigh.")


def eigvals(A):
    raise NotImplementedError(
        "lamina.linalg.eigvals: the eigenvalues of a general matrix are complex and lamina has "
        "no complex dtype. Hint: for a symmetric matrix use lamina.linalg.eigvalsh.")


# ---------------------------------------------------------------- QR
_QR = collections.namedtuple("linalg_qr", ["Q", "R"])


def _qr_backward_tall(q, r, grad_q, grad_r):
    """The gradient of A = QR for m >= n (reduced factors), as in Walter and Lehmann (2018):
    dA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q."""
    m = r @ transpose(grad_r) - transpose(grad_q) @ q
    lower = np.tril(m, -1)
    m = lower + transpose(lower) + np.diagonal(m, axis1=-2, axis2=-1)[..., None] * np.eye(
        m.shape[-1], dtype=m.dtype)
    b = grad_q + q @ m
    # b R^-T = (R^-1 b^T)^T
    return transpose(np.linalg.solve(r, transpose(b)))


class Qr(Primitive):
    grad_fn_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, a, mode):
        if mode == "r":
            r = np.linalg.qr(a, mode="r")
            q = np.zeros((0,), dtype=a.dtype)
        else:
            q, r = np.linalg.qr(a, mode=mode)
        ctx.save_for_backward(a, q, r)
        ctx.mode = mode
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        a, q, r = ctx.saved_tensors
        m, n = a.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError(
                "linalg.qr: The derivative of linalg.qr depends on Q, which is not computed "
                "when mode='r'. Hint: use linalg.qr(A, mode='reduced') to differentiate.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(q, r, grad_q, grad_r), None
        # wide A = [X | Y] with X = Q U square: Y's part of R feeds back into Q's gradient
        y, grad_v = a[..., m:], grad_r[..., m:]
        grad_x = _qr_backward_tall(q, r[..., :m], grad_q + y @ transpose(grad_v),
                                   grad_r[..., :m])
        return np.concatenate([grad_x, q @ grad_v], axis=-1), None


def qr(A, mode="reduced"):
    """(Q, R) with A = Q @ R, Q orthonormal columns and R upper triangular, for each matrix in
    A's last two dims. mode 'reduced', 'complete', or 'r' (Q is then an empty tensor)."""
    require_matrices(A, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return _QR(*Qr.apply(A, mode))


# ---------------------------------------------------------------- pseudo-inverse
def _tolerances(values_max, atol, rtol, size, dtype):
    """torch's cutoff max(atol, rtol * sigma_max); rtol defaults to eps * max(m, n) when
    atol is not given, else to 0."""
    if rtol is None:
        rtol = np.finfo(dtype).eps * max(size) if atol is None or atol == 0 else 0.0
    atol = 0.0 if atol is None else atol
    return np.maximum(atol, rtol * values_max)


def _as_number(value):
    return value.item() if isinstance(value, Tensor) else value


class Pinv(Primitive):
    grad_fn_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        if hermitian:
            values, vectors = np.linalg.eigh(a)
            magnitude = np.abs(values)
            cutoff = _tolerances(magnitude.max(-1, keepdims=True), atol, rtol, a.shape[-2:],
                                 a.dtype)
            kept = np.where(magnitude > cutoff, 1 / np.where(values == 0, 1, values), 0)
            out = (vectors * kept[..., None, :]) @ transpose(vectors)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            cutoff = _tolerances(s[..., :1], atol, rtol, a.shape[-2:], a.dtype)
            kept = np.where(s > cutoff, 1 / np.where(s == 0, 1, s), 0)
            out = (transpose(vh) * kept[..., None, :]) @ transpose(u)
        out = out.astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # Golub and Pereyra's derivative, exact while the rank stays fixed:
        # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
        a, p = ctx.saved_tensors
        pt = transpose(p)
        left = -(pt @ grad @ pt)
        left += (grad.swapaxes(-1, -2) - a @ (p @ transpose(grad))) @ p @ pt
        left += pt @ p @ (transpose(grad) - (transpose(grad) @ p) @ a)
        # with hermitian=True too, as torch does: its gradient is this general one, not
        # symmetrised, although the forward reads only the lower triangle
        return left, None, None, None


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse of each matrix in A's last two dims; singular values
    at most max(atol, rtol * largest) count as zero. rcond is torch's older name for rtol."""
    require_matrices(A, "pinv", square=False)
    if rcond is not None:
        rtol = rcond
    return Pinv.apply(A, _as_number(atol), _as_number(rtol), hermitian)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values above max(atol, rtol * largest), int64, batch-shaped."""
    require_matrices(A, "matrix_rank", square=False)
    a = A._array
    if tol is not None:
        atol, rtol = tol, 0.0
    values = (np.abs(np.linalg.eigvalsh(a)) if hermitian
              else np.linalg.svd(a, compute_uv=False))
    cutoff = _tolerances(values.max(-1, keepdims=True) if values.shape[-1] else 0.0,
                         _as_number(atol), _as_number(rtol), a.shape[-2:], a.dtype)
    return _wrap((values > cutoff).sum(-1).astype(np.int64))


# ---------------------------------------------------------------- triangular solves
def _substitute(triangle, b, upper):
    """Forward (or back) substitution, batched; a zero pivot yields inf/nan as in BLAS trsm."""
    shape = np.broadcast_shapes(triangle.shape[:-2], b.shape[:-2])
    triangle = np.broadcast_to(triangle, shape + triangle.shape[-2:])
    out = np.zeros(shape + b.shape[-2:], dtype=np.result_type(triangle, b))
    b = np.broadcast_to(b, out.shape)
    n = triangle.shape[-1]
    for i in (range(n - 1, -1, -1) if upper else range(n)):
        known = slice(i + 1, n) if upper else slice(0, i)
        rest = b[..., i, :] - (triangle[..., i, None, known] @ out[..., known, :])[..., 0, :]
        out[..., i, :] = rest / triangle[..., i, i, None]
    return out


class SolveTriangular(Primitive):
    grad_fn_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        triangle = np.triu(a) if upper else np.tril(a)
        if unitriangular:
            n = a.shape[-1]
            triangle = triangle.copy()
            triangle[..., np.arange(n), np.arange(n)] = 1
        try:
            out = np.linalg.solve(triangle, b)
        except np.linalg.LinAlgError:  # a zero on the diagonal: torch gives inf/nan, no error
            out = _substitute(triangle, b, upper)
        ctx.save_for_backward(triangle, out)
        ctx.upper, ctx.unitriangular = upper, unitriangular
        return out

    @staticmethod
    def backward(ctx, grad):  # X = T^-1 B: gB = T^-T g, gT = -gB X^T kept on T's triangle
        triangle, out = ctx.saved_tensors
        grad_b = np.linalg.solve(transpose(triangle), grad)
        grad_a = None
        if ctx.needs_input_grad[0]:
            full = -(grad_b @ transpose(out))
            grad_a = np.triu(full, 1 if ctx.unitriangular else 0) if ctx.upper else np.tril(
                full, -1 if ctx.unitriangular else 0)
        return grad_a, grad_b, None, None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A @ X = B (X @ A = B when left=False) for triangular A, read from its upper or
    lower triangle (with an implicit unit diagonal when unitriangular); batch dims broadcast."""
    require_matrices(A, "solve_triangular")
    if B.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: B must be a matrix or a batch of "
                           f"matrices, got shape {tuple(B.shape)}")
    if not left:  # X A = B  <=>  A^T X^T = B^T, and A^T has the other triangle
        return SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT
    return SolveTriangular.apply(A, B, upper, unitriangular)
