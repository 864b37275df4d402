"""Joining and splitting: cat/stack (with torch's dtype promotion), split, chunk, unbind."""

from __future__ import annotations

import itertools

import numpy as np

from lamina._ops._promote import as_operand, promote_types
from lamina._ops.index import Slice
from lamina._tensor import Tensor, _normalize_dim
from lamina.autograd.function import Primitive


class Concatenate(Primitive):
    """Join arrays along axis; `skip[i]` marks a legacy 1-D empty input, left out of the join."""

    grad_fn_name = "CatBackward0"

    @staticmethod
    def forward(ctx, axis, skip, *arrays):
        kept = arrays if skip is None else [a for a, s in zip(arrays, skip) if not s]
        if ctx.needs_input_grad:
            ctx.axis, ctx.skip = axis, skip or (False,) * len(arrays)
            ctx.bounds = list(itertools.accumulate(a.shape[axis] for a in kept))[:-1]
        return np.concatenate(kept, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        pieces = iter(np.split(grad, ctx.bounds, axis=ctx.axis))
        empty = np.zeros((0,), grad.dtype)
        return (None, None, *[empty if s else next(pieces) for s in ctx.skip])


class Stack(Primitive):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return (None, *np.unstack(grad, axis=ctx.axis))


def _check_tensors(tensors, op):
    tensors = list(tensors)
    if not tensors:
        # torch raises ValueError for cat and RuntimeError for stack
        raise (ValueError if op == "cat" else RuntimeError)(
            f"{op}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{op}(): expected a sequence of Tensors, but item {i} is {type(t).__name__}"
            )
    first = tensors[0]._array.dtype
    if any(t._array.dtype != first for t in tensors):
        # torch promotes across the list (all tensors count as dimensioned here)
        common = first
        for t in tensors:
            common = promote_types(common, t._array.dtype)
        tensors = [as_operand(t, common) for t in tensors]
    return tensors


def cat(tensors, dim=0):
    """Join tensors along an existing dim; dtypes are promoted as in torch."""
    tensors = _check_tensors(tensors, "cat")
    # torch's legacy rule: 1-D empty tensors are skipped, whatever the other shapes
    skip = tuple(t._array.shape == (0,) for t in tensors)
    skip = skip if True in skip and False in skip else None
    ref = tensors[0] if skip is None else tensors[skip.index(False)]
    axis = _normalize_dim(dim, ref.ndim, "cat")
    try:
        return Concatenate.apply(axis, skip, *tensors)
    except ValueError:
        raise _cat_error(tensors, skip, ref, axis) from None


def _cat_error(tensors, skip, ref, axis):
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            return RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated. "
                "Hint: use stack(), or unsqueeze(0) the scalars first."
            )
    for i, t in enumerate(tensors):
        if (skip is None or not skip[i]) and (t.ndim != ref.ndim or any(
                a != b for d, (a, b) in enumerate(zip(t._array.shape, ref._array.shape))
                if d != axis)):
            return RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}: expected "
                f"{tuple(ref.shape)} (but any size at dim {axis}), got {tuple(t.shape)} for "
                f"tensor number {i} in the list"
            )
    return RuntimeError(f"cat: cannot join shapes {[tuple(t.shape) for t in tensors]}")


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim; dtypes are promoted as in torch."""
    tensors = _check_tensors(tensors, "stack")
    shape = tensors[0]._array.shape
    for i, t in enumerate(tensors):
        if t._array.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    return Stack.apply(_normalize_dim(dim, len(shape) + 1, "stack"), *tensors)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def split(tensor, split_size_or_sections, dim=0):
    axis = _normalize_dim(dim, tensor.ndim, "split")
    size = tensor._array.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and size):
            raise RuntimeError(
                f"split: split_size must be positive (0 only for an empty dimension), got "
                f"{step} for dimension {axis} of size {size}"
            )
        sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {axis}), but got split_sizes={sizes}"
            )
    pieces, start = [], 0
    for n in sizes:
        key = (slice(None),) * axis + (slice(start, start + n),)
        pieces.append(Slice.apply(tensor, key))
        start += n
    return tuple(pieces)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input._array.shape[_normalize_dim(dim, input.ndim, "chunk")]
    if size == 0:
        return split(input, [0] * chunks, dim)  # torch gives `chunks` empty pieces
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0):
    axis = _normalize_dim(dim, input.ndim, "unbind")
    return tuple(
        Slice.apply(input, (slice(None),) * axis + (i,)) for i in range(input._array.shape[axis])
    )
