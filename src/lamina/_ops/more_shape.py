"""Splitting, stacking and reshaping helpers torch scripts reach for: tensor_split,
hsplit/vsplit/dsplit, dstack, column_stack, atleast_1d/2d/3d, ravel, rot90, take_along_dim.

All are compositions of narrow, cat, reshape, flip, transpose and gather, so autograd comes
for free.
"""

from __future__ import annotations

import numbers

from lamina._ops import index, shape
from lamina._ops.join import cat
from lamina._tensor import Tensor, _normalize_dim


# ---------------------------------------------------------------- splitting
def tensor_split(input, indices_or_sections, dim=0):
    """Views of input split along dim: an int n gives n nearly equal pieces (the first
    size % n one longer); a sequence of indices cuts before each index."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    axis = _normalize_dim(dim, input.ndim, "tensor_split")
    size = input._array.shape[axis]
    cuts = indices_or_sections
    if isinstance(cuts, Tensor):
        if cuts._array.dtype.kind not in "iu" or cuts.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor of integers, but "
                               f"got a tensor of dtype {cuts.dtype} with {cuts.ndim} dims")
        cuts = int(cuts._array) if cuts.ndim == 0 else [int(i) for i in cuts._array]
    if isinstance(cuts, numbers.Integral):
        if cuts <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {cuts}")
        small, extra = divmod(size, cuts)
        bounds = [0]
        for piece in range(cuts):
            bounds.append(bounds[-1] + small + (1 if piece < extra else 0))
    else:
        # indices past the end, or going backwards, give empty pieces, as in torch
        bounds = [0] + [min(max(int(i), 0), size) for i in cuts] + [size]
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        pieces.append(shape.narrow(input, axis, start, max(stop - start, 0)))
    return tuple(pieces)


def _split_in(input, sections, axis, name, min_dims):
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(sections, numbers.Integral):
        size = input._array.shape[axis]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {axis}, but "
                               f"the size of the dimension {size} is not divisible by the "
                               f"split_size {sections}!")
    return tensor_split(input, sections, axis)


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); an int must divide that dim."""
    axis = 0 if input.ndim == 1 else 1
    return _split_in(input, indices_or_sections, axis, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of a tensor of at least 2 dims; an int must divide it."""
    return _split_in(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of a tensor of at least 3 dims; an int must divide it."""
    return _split_in(input, indices_or_sections, 2, "dsplit", 3)


# ---------------------------------------------------------------- at least n dims, stacking
def _atleast(tensors, make):
    if len(tensors) == 1:
        if isinstance(tensors[0], (list, tuple)):
            return tuple(make(t) for t in tensors[0])
        return make(tensors[0])
    return tuple(make(t) for t in tensors)


def _to_1d(t):
    return t.reshape(1) if t.ndim == 0 else t


def _to_2d(t):
    return t.reshape(1, -1) if t.ndim < 2 else t


def _to_3d(t):
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    return t.unsqueeze(-1) if t.ndim == 2 else t


def atleast_1d(*tensors):
    """Each tensor with at least one dim (a 0-d one becomes shape (1,)); one tensor in, one
    out, else a tuple."""
    return _atleast(tensors, _to_1d)


def atleast_2d(*tensors):
    """Each tensor with at least two dims: 0-d -> (1, 1), (n,) -> (1, n)."""
    return _atleast(tensors, _to_2d)


def atleast_3d(*tensors):
    """Each tensor with at least three dims: 0-d -> (1, 1, 1), (n,) -> (1, n, 1),
    (m, n) -> (m, n, 1)."""
    return _atleast(tensors, _to_3d)


def _non_empty(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def dstack(tensors):
    """Join along dim 2 after atleast_3d."""
    return cat([_to_3d(t) for t in _non_empty(tensors, "dstack")], 2)


def column_stack(tensors):
    """Join along dim 1, 0-d and 1-d tensors first becoming columns (n, 1)."""
    tensors = _non_empty(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def ravel(input):
    """The elements as a 1-D tensor, row-major."""
    return shape.reshape(input, -1)


# ---------------------------------------------------------------- rotation, gathering
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees k times in the plane of dims, from dims[0] towards dims[1]."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    first = _normalize_dim(dims[0], input.ndim, "rot90")
    second = _normalize_dim(dims[1], input.ndim, "rot90")
    if first == second:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {first} "
                           f"and dim1 = {second}")
    k %= 4
    if k == 1:
        return shape.transpose(shape.flip(input, [second]), first, second)
    if k == 2:
        return shape.flip(input, [first, second])
    if k == 3:
        return shape.transpose(shape.flip(input, [first]), first, second)
    return input.clone()


def take_along_dim(input, indices, dim=None):
    """Values of input at indices along dim (of the flattened input when dim is None); input
    and indices broadcast against each other in every other dim."""
    if indices._array.dtype.kind not in "iu":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype}")
    if dim is None:
        return index.gather(shape.reshape(input, -1), 0, shape.reshape(indices, -1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    axis = _normalize_dim(dim, input.ndim, "take_along_dim")
    input_shape, index_shape = list(input.shape), list(indices.shape)
    try:
        for position in range(input.ndim):
            if position == axis:
                continue
            a, b = input_shape[position], index_shape[position]
            if a != b and a != 1 and b != 1:
                raise ValueError
            input_shape[position] = index_shape[position] = max(a, b)
    except ValueError:
        raise RuntimeError(f"take_along_dim(): input of shape {tuple(input.shape)} and indices "
                           f"of shape {tuple(indices.shape)} do not broadcast outside dim "
                           f"{axis}") from None
    return index.gather(shape.expand(input, *input_shape), axis,
                        shape.expand(indices, *index_shape))
