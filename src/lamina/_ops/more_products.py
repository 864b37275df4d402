"""Products and combinatorics: cross, kron, block_diag, cartesian_prod, combinations, and
the trapezoid rule; plus poisson sampling.

All but poisson compose narrow, reshape, cat, stack and index_select, so autograd comes for
free.
"""

from __future__ import annotations

import itertools
import numbers
import warnings

import numpy as np

from lamina._ops import index, reduce, shape
from lamina._ops.extra_math import meshgrid
from lamina._ops.join import cat, stack
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.random import _rng


def cross(input, other, dim=None):
    """The 3-vector cross product along dim, input and other broadcast. With dim None, the
    first dim of size 3, with torch's deprecation warning (torch.linalg.cross uses -1)."""
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, "
                           f"got shapes {tuple(input.shape)} and {tuple(other.shape)}")
    try:
        common = np.broadcast_shapes(input._array.shape, other._array.shape)
    except ValueError:
        raise RuntimeError(f"cross: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                           "cannot be broadcast together") from None
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use "
                      "torch.linalg.cross.", UserWarning, stacklevel=2)
        sizes = [position for position, size in enumerate(common) if size == 3]
        if not sizes:
            raise RuntimeError(f"no dimension of size 3 in input of shape {tuple(common)}")
        dim = sizes[0]
    axis = _normalize_dim(dim, len(common), "cross")
    if common[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {axis} must have length 3. Got "
                           f"{input.shape[axis] if input.ndim > axis else 1} and "
                           f"{other.shape[axis] if other.ndim > axis else 1}")
    a, b = shape.expand(input, *common), shape.expand(other, *common)
    a0, a1, a2 = (shape.narrow(a, axis, i, 1) for i in range(3))
    b0, b1, b2 = (shape.narrow(b, axis, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis)


def kron(input, other):
    """The Kronecker product: every element of input times the whole of other, tiled."""
    dims = max(input.ndim, other.ndim)
    a_shape = (1,) * (dims - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (dims - other.ndim) + tuple(other.shape)
    a = shape.reshape(input, *[n for size in a_shape for n in (size, 1)])
    b = shape.reshape(other, *[n for size in b_shape for n in (1, size)])
    return shape.reshape(a * b, *[x * y for x, y in zip(a_shape, b_shape)])


def block_diag(*tensors):
    """The tensors (0-d, 1-d as a row, or 2-d) placed corner to corner on a zero matrix."""
    blocks = []
    for position, tensor in enumerate(tensors):
        if tensor.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {position} has {tensor.ndim} dimensions")
        blocks.append(tensor.reshape(1, -1) if tensor.ndim < 2 else tensor)
    if not blocks:
        return _wrap(np.zeros((1, 0), np.float32))
    width = sum(block.shape[1] for block in blocks)
    rows, start = [], 0
    for block in blocks:
        height, columns = block.shape
        parts = [_wrap(np.zeros((height, start), block._array.dtype)), block,
                 _wrap(np.zeros((height, width - start - columns), block._array.dtype))]
        rows.append(cat(parts, 1))
        start += columns
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (itertools.product)."""
    for tensor in tensors:
        if tensor.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(tensor.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([shape.reshape(grid, -1) for grid in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """Every length-r combination of a 1-D tensor's elements, as rows (itertools order)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(np.zeros(0, input._array.dtype))
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    picks = np.array(list(choose(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    return index.index_select(input, 0, _wrap(picks.reshape(-1))).reshape(-1, r)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along dim: spacing dx (default 1), or sample points x (1-D, or
    y's shape)."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: pass x "
                        "or dx, not both")
    axis = _normalize_dim(dim, max(y.ndim, 1), "trapezoid")
    length = y._array.shape[axis] if y.ndim else 1
    if x is None or isinstance(x, numbers.Number):
        step = dx if dx is not None else (1 if x is None else x)
        if length == 0:
            return reduce.sum(y, axis) * step
        ends = shape.narrow(y, axis, 0, 1) + shape.narrow(y, axis, length - 1, 1)
        return (reduce.sum(y, axis) - shape.squeeze(ends, axis) * 0.5) * step
    if not isinstance(x, Tensor):
        raise TypeError(f"trapezoid(): x must be a Tensor or a number, not {type(x).__name__}")
    if x.ndim == 1:
        if x.shape[0] != length:
            raise RuntimeError(f"trapezoid: There must be one `x` value for each sample point;"
                               f" got {x.shape[0]} for {length} samples")
        view = [1] * y.ndim
        view[axis] = length
        x = shape.reshape(x, *view)
    if length == 0:
        return reduce.sum(y, axis) * 0
    x_axis = _normalize_dim(dim, x.ndim, "trapezoid")
    x_length = x._array.shape[x_axis]
    spacing = shape.narrow(x, x_axis, 1, x_length - 1) - shape.narrow(x, x_axis, 0, x_length - 1)
    pairs = shape.narrow(y, axis, 1, length - 1) + shape.narrow(y, axis, 0, length - 1)
    return reduce.sum(spacing * pairs, axis) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def poisson(input, generator=None):
    """One Poisson draw per element, at that element's rate; same dtype, no gradient."""
    rates = input._array
    if rates.dtype.kind != "f":
        raise NotImplementedError(f'"poisson_cpu" not implemented for {input.dtype}')
    if (rates < 0).any() or np.isnan(rates).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _wrap(_rng(generator).poisson(rates).astype(rates.dtype))
