"""Assorted torch functions: triangles and diagonals, trace, roll, cumprod, outer, addmm and
baddbmm, repeat_interleave, erf/atan2/log2/log10/exp2, lerp, cdist; einsum lives in einsum.py.

Most are compositions of existing ops (so autograd comes for free); a `Primitive` is added
where NumPy has the whole op in one call and its backward is as direct.
"""

from __future__ import annotations

import math

import numpy as np

from lamina._ops import elementwise, index, linalg, reduce, shape
from lamina._ops._promote import binary, floating
from lamina._ops.einsum import einsum  # noqa: F401  (its own file: the subscript bookkeeping)
from lamina._ops.elementwise import _unary
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive


# ---------------------------------------------------------------- triangles, diagonals, roll
class Triangle(Primitive):
    """The lower (tril) or upper (triu) triangle of the last two dims; the rest set to 0."""

    @staticmethod
    def forward(ctx, a, diagonal, lower):
        ctx.grad_fn_name = "TrilBackward0" if lower else "TriuBackward0"
        ctx.diagonal, ctx.lower = diagonal, lower
        return np.tril(a, diagonal) if lower else np.triu(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        keep = np.tril(grad, ctx.diagonal) if ctx.lower else np.triu(grad, ctx.diagonal)
        return keep, None, None


def _triangle(input, diagonal, lower, name):
    if input.ndim < 2:
        raise RuntimeError(
            f"{name}: input tensor must have at least 2 dimensions, got shape "
            f"{tuple(input.shape)}. Hint: reshape a vector to (1, n) or (n, 1) first."
        )
    return Triangle.apply(input, int(diagonal), lower)


def tril(input, diagonal=0):
    """Entries on and below the `diagonal`-th diagonal of the last two dims; others 0."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """Entries on and above the `diagonal`-th diagonal of the last two dims; others 0."""
    return _triangle(input, diagonal, False, "triu")


class Diagonal(Primitive):
    """The `offset`-th diagonal of dims (axis1, axis2), moved to the last dim (a copy)."""

    @staticmethod
    def forward(ctx, a, offset, axis1, axis2):
        ctx.shape, ctx.offset, ctx.axes = a.shape, offset, (axis1, axis2)
        return np.diagonal(a, offset, axis1, axis2).copy()

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        moved = np.moveaxis(out, ctx.axes, (-2, -1))  # a view, so writing fills `out`
        rows, cols = moved.shape[-2:]
        row, col = max(-ctx.offset, 0), max(ctx.offset, 0)
        steps = np.arange(grad.shape[-1])
        moved[..., steps + row, steps + col] = grad
        return out, None, None, None


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims (dim1, dim2) as the last dim; offset > 0 is above the main one.

    Unlike torch, which returns a view, this is a copy: writing into it leaves input alone.
    """
    axis1 = _normalize_dim(dim1, input.ndim, "diagonal")
    axis2 = _normalize_dim(dim2, input.ndim, "diagonal")
    if axis1 == axis2:
        raise RuntimeError(
            f"diagonal(): dim1 and dim2 cannot be the same dimension, got {dim1} and {dim2}"
        )
    return Diagonal.apply(input, int(offset), axis1, axis2)


class DiagEmbed(Primitive):
    """A vector placed on the `offset`-th diagonal of a new square matrix of zeros."""

    @staticmethod
    def forward(ctx, a, offset):
        ctx.offset = offset
        return np.diag(a, offset)

    @staticmethod
    def backward(ctx, grad):
        return np.diagonal(grad, ctx.offset).copy(), None


def diag(input, diagonal=0):
    """A vector becomes a matrix with it on the `diagonal`-th diagonal; a matrix gives that
    diagonal as a vector."""
    if input.ndim == 1:
        return DiagEmbed.apply(input, int(diagonal))
    if input.ndim == 2:
        return Diagonal.apply(input, int(diagonal), 0, 1)
    raise RuntimeError(
        f"diag(): expected a 1-D or 2-D tensor, got shape {tuple(input.shape)}. "
        "Hint: use diagonal() or diag_embed() for batches."
    )


class Trace(Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return np.asarray(np.trace(a), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return np.eye(*ctx.shape, dtype=grad.dtype) * grad


def trace(input):
    """The sum of the main diagonal of a 2-D tensor (int64 for integer input, as in torch)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with shape "
                           f"{tuple(input.shape)}")
    if input._array.dtype.kind in "bui":
        from lamina import _dtype

        input = input.to(_dtype.int64)
    return Trace.apply(input)


class Roll(Primitive):
    @staticmethod
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, grad):
        return np.roll(grad, tuple(-s for s in ctx.shifts), ctx.axes), None, None


def roll(input, shifts, dims=None):
    """Entries shifted cyclically along dims (the flattened tensor when dims is None)."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(
                f"roll(): without dims, shifts must be a single int, got {shifts}. "
                "Hint: pass dims with one entry per shift."
            )
        return Roll.apply(input.reshape(-1), shifts, (0,)).reshape(input.shape)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"roll(): shifts and dims must align, got {len(shifts)} shifts and {len(dims)} dims"
        )
    axes = tuple(_normalize_dim(d, input.ndim, "roll") for d in dims)
    if input.ndim == 0:
        return shape.clone(input)
    return Roll.apply(input, tuple(int(s) for s in shifts), axes)


# ---------------------------------------------------------------- cumprod
class Cumprod(Primitive):
    @staticmethod
    def forward(ctx, a, axis):
        out = np.cumprod(a, axis=axis, dtype=a.dtype)
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        axis = ctx.axis
        if np.all(a != 0):
            # d out_j / d a_i = out_j / a_i for j >= i: a reversed cumulative sum of grad * out
            weighted = np.flip(np.cumsum(np.flip(grad * out, axis), axis), axis)
            return weighted / a, None
        # with zeros that division is undefined: for each position i, take the products
        # with a_i set to 1, which is exact (quadratic in the dim's length, zeros are rare)
        result = np.empty_like(a)
        for i in range(a.shape[axis]):
            without = a.copy()
            np.moveaxis(without, axis, 0)[i] = 1
            partial = np.moveaxis(np.cumprod(without, axis=axis) * grad, axis, 0)
            np.moveaxis(result, axis, 0)[i] = partial[i:].sum(axis=0)
        return result, None


def cumprod(input, dim, *, dtype=None):
    """Cumulative products along dim (int64 for integer and bool input, as in torch)."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "bui":
        from lamina import _dtype

        input = input.to(_dtype.int64)
    axis = _normalize_dim(dim, input.ndim, "cumprod")
    if input.ndim == 0:
        return shape.clone(input)
    return Cumprod.apply(input, axis)


# ---------------------------------------------------------------- products
def outer(input, vec2):
    """The outer product of two vectors: out[i, j] = input[i] * vec2[j]."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(
            f"outer(): expected two 1-D tensors, got shapes {tuple(input.shape)} and "
            f"{tuple(vec2.shape)}"
        )
    return elementwise.mul(input.reshape(-1, 1), vec2.reshape(1, -1))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) for matrices; input broadcasts to the result.

    With beta == 0, input is ignored (its nan and inf do not propagate), as in torch.
    """
    return _add_product(input, linalg.mm(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2) for batches of matrices (see addmm)."""
    return _add_product(input, linalg.bmm(batch1, batch2), beta, alpha)


def _add_product(input, product, beta, alpha):
    if np.broadcast_shapes(input._array.shape, product._array.shape) != product._array.shape:
        raise RuntimeError(
            f"addmm/baddbmm: input of shape {tuple(input.shape)} does not broadcast to the "
            f"product's shape {tuple(product.shape)}"
        )
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        # input only has to broadcast: its nan and inf must not reach the result, but it
        # still gets a (zero) gradient, as in torch
        ignored = index.masked_fill(input * 0, elementwise.isfinite(input).logical_not(), 0)
        return product + ignored
    return product + (input if beta == 1 else input * beta)


# ---------------------------------------------------------------- repeat_interleave
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each entry repeated `repeats` times along dim (the flattened tensor when dim is None).

    repeat_interleave(repeats) with a 1-D int tensor alone repeats its own positions.
    """
    if repeats is None:
        counts = input._array
        return _wrap(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        input, axis = input.reshape(-1), 0
    else:
        axis = _normalize_dim(dim, input.ndim, "repeat_interleave")
        if input.ndim == 0:
            input = input.reshape(1)
    size = input._array.shape[axis]
    counts = repeats._array if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.dtype.kind not in "iu":
        raise RuntimeError(f"repeat_interleave(): repeats must be integers, got {counts.dtype}")
    if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, size)):
        raise RuntimeError(
            f"repeat_interleave(): repeats must have shape ({size},) or be a single number, "
            f"got shape {tuple(counts.shape)} for dimension {axis} of size {size}"
        )
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    positions = np.repeat(np.arange(size, dtype=np.int64), counts.reshape(-1)
                          if counts.size != 1 else int(counts.reshape(-1)[0]))
    return index.index_select(input, axis, _wrap(positions))


# ---------------------------------------------------------------- pointwise maths
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

Log2 = _unary("Log2", np.log2, lambda a: 1 / (a * _LN2))
Log10 = _unary("Log10", np.log10, lambda a: 1 / (a * _LN10))
Exp2 = _unary("Exp2", np.exp2, lambda out: out * _LN2, save="output")
Erf = _unary("Erf", lambda a: _erf_array(a), lambda a: _TWO_OVER_SQRT_PI * np.exp(-(a * a)))


def _erf_array(a):
    """erf in a's dtype: float32 and float16 by a float32 fit (3 ulps, see _special), float64
    with Cephes' approximations (as accurate as float64 rounding)."""
    from lamina.nn._functional import _special as s  # imported here: lamina.nn imports _ops

    if a.dtype != np.float64:
        x = np.asarray(a, dtype=np.float32).reshape(-1)  # 1-d: in-place ops refuse 0-d results
        return s.erf_float32(x).astype(a.dtype, copy=False).reshape(a.shape)
    x = a.reshape(-1)
    z = x * x
    near = np.minimum(z, 1)
    small = x * s._polynomial(near, s._ERF_T) / s._polynomial(near, s._ERF_U, monic=True)
    far = np.clip(np.abs(x), 1, 30)  # beyond 30, erfc is 0 in float64
    ratio = np.where(far < 8,
                     s._polynomial(far, s._ERFC_P) / s._polynomial(far, s._ERFC_Q, monic=True),
                     s._polynomial(far, s._ERFC_R) / s._polynomial(far, s._ERFC_S, monic=True))
    large = np.copysign(1 - np.exp(-np.minimum(z, 900)) * ratio, x)
    out = np.where(np.abs(x) < 1, small, large)
    out = np.where(np.isnan(x), x, out)
    return out.reshape(a.shape)


def log2(input):
    return Log2.apply(floating(input))


def log10(input):
    return Log10.apply(floating(input))


def exp2(input):
    return Exp2.apply(floating(input))


def erf(input):
    """The error function 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt."""
    return Erf.apply(floating(input))


class Atan2(Primitive):
    """The angle of the point (other, input), in (-pi, pi]."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        scale = grad / (a * a + b * b)
        return (scale * b if need_a else None, -scale * a if need_b else None)


def atan2(input, other):
    a, b = binary(input, other, floating=True)
    return elementwise._binary(Atan2, "atan2", a, b)


arctan2 = atan2


def lerp(input, end, weight):
    """input + weight * (end - input), with weight a number or a tensor."""
    return input + weight * (end - input)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between each row of x1 (*, P, M) and each row of x2 (*, R, M).

    Always computed from the differences (torch may use a matmul shortcut for p=2, which is
    faster but less accurate); compute_mode is accepted and ignored.
    """
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist(): expected x1 (*, P, M) and x2 (*, R, M) with the same M, got shapes "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    if p < 0:
        raise RuntimeError(f"cdist(): p must be non-negative, got {p}")
    difference = shape.unsqueeze(x1, -2) - shape.unsqueeze(x2, -3)
    return reduce.norm(difference, p, dim=-1)
