"""lamina.linalg functions composed from lamina's ops and the decompositions' primitives:
least squares, cholesky_solve, cross and dot products, matrix powers and chains.
Their gradients come from the pieces."""

from __future__ import annotations

import collections

import numpy as np

from lamina._ops import misc, reduce
from lamina._ops.decompositions import matrix_rank, pinv, require_matrices, solve_triangular
from lamina._ops.linalg import matmul
from lamina._tensor import _wrap


def cholesky_solve(input, input2, upper=False):
    """X with A @ X = input, where A = L @ L.mT from its Cholesky factor input2 (U.mT @ U
    when upper); torch.cholesky_solve."""
    if upper:
        middle = solve_triangular(input2.mT, input, upper=False)
        return solve_triangular(input2, middle, upper=True)
    middle = solve_triangular(input2, input, upper=False)
    return solve_triangular(input2.mT, middle, upper=True)


# ---------------------------------------------------------------- least squares
_Lstsq = collections.namedtuple("linalg_lstsq", ["solution", "residuals", "rank",
                                                 "singular_values"])


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X of A @ X = B (minimum norm if A is rank-deficient), as
    torch's default CPU driver 'gelsy' returns it: residuals and singular_values are empty,
    rank is the effective rank at rcond (default eps * max(m, n)). Other drivers raise."""
    require_matrices(A, "lstsq", square=False)
    if driver not in (None, "gelsy"):
        raise NotImplementedError(f"lamina.linalg.lstsq: driver {driver!r} is not implemented; "
                                  "only torch's CPU default 'gelsy' is.")
    vector = B.ndim == A.ndim - 1
    right = B.unsqueeze(-1) if vector else B
    if right.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"linalg.lstsq: A and B must have the same number of rows, got "
                           f"{tuple(A.shape)} and {tuple(B.shape)}")
    solution = matmul(pinv(A, rtol=rcond), right)
    if vector:
        solution = solution.squeeze(-1)
    empty = solution.reshape(-1)[:0]  # in the graph, as torch's empty residuals are
    rank = matrix_rank(A, rtol=rcond)
    return _Lstsq(solution, empty, rank, _wrap(np.zeros((0,), dtype=A._array.dtype)))


# ---------------------------------------------------------------- products
def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along dim; the other dims broadcast."""
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got "
                           f"shapes {tuple(input.shape)} and {tuple(other.shape)}")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    # component i is a[i+1] b[i+2] - a[i+2] b[i+1], indices mod 3
    return (misc.roll(input, -1, dim) * misc.roll(other, -2, dim)
            - misc.roll(input, -2, dim) * misc.roll(other, -1, dim))


def torch_cross(input, other, dim=None):
    """torch.cross: as linalg.cross, but dim=None picks the first dim of size 3 (torch's
    deprecated default) rather than the last."""
    if dim is None:
        dim = next((d for d, (x, y) in enumerate(zip(input.shape, other.shape))
                    if x == 3 and y == 3), -1)
    return cross(input, other, dim=dim)


def vecdot(x, y, *, dim=-1):
    """The dot product of x and y along dim, after broadcasting the other dims."""
    return reduce.sum(x * y, dim)


def matrix_power(A, n):
    """A @ A @ ... (n times) for each square matrix; n = 0 gives the identity, n < 0 powers
    the inverse. Repeated squaring: about 2 log2(n) products."""
    require_matrices(A, "matrix_power")
    if n == 0:
        # torch keeps the identity in A's graph (with a zero gradient); an empty product does
        # that without the nan that A * 0 gives where A is infinite
        zeros = matmul(A[..., :, :0], A[..., :0, :])
        return zeros + _wrap(np.eye(A.shape[-1], dtype=A._array.dtype))
    if n < 0:
        from lamina.linalg import inv  # lamina.linalg imports this module

        A, n = inv(A), -n
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else matmul(result, square)
        n >>= 1
        if n:
            square = matmul(square, square)
    return result


def multi_dot(tensors):
    """The product of a chain of matrices; the first may be a 1-D row vector and the last a
    1-D column vector, as torch allows. Multiplied left to right (same values as torch up to
    rounding; torch picks the cheapest order)."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    for position, t in enumerate(tensors):
        allowed = (1, 2) if position in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            raise RuntimeError(f"multi_dot(): tensor {position} must be "
                               f"{' or '.join(f'{d}D' for d in allowed)} but got {t.ndim}D")
    chain = list(tensors)
    if first.ndim == 1:
        chain[0] = first.unsqueeze(0)
    if last.ndim == 1:
        chain[-1] = last.unsqueeze(-1)
    out = chain[0]
    for t in chain[1:]:
        out = matmul(out, t)
    if last.ndim == 1:
        out = out.squeeze(-1)
    if first.ndim == 1:
        out = out.squeeze(0)
    return out
