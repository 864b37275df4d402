"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique.

Values are differentiable: each output element came from one input position, so its gradient
goes back to that position alone. Indices are int64 and carry no gradient.
"""

from __future__ import annotations

import numpy as np

from lamina._ops.reduce import return_type
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive

# named tuples printed like torch.return_types.sort etc.
_RETURN_TYPES = {name: return_type(name) for name in ("sort", "topk", "kthvalue")}


def _named(name, values, indices):
    return _RETURN_TYPES[name](values, indices)


class TakeAlong(Primitive):
    """input's values at `indices` along `axis`; each slice's indices are distinct positions.

    gather's backward accumulates repeats with np.add.at; sort, topk and kthvalue pick every
    position at most once, so a plain put is enough and much cheaper.
    """

    @staticmethod
    def forward(ctx, a, indices, axis, name, squeeze=False):
        ctx.grad_fn_name = name  # torch's node name for the op that chose the positions
        ctx.shape, ctx.axis, ctx.squeeze = a.shape, axis, squeeze
        ctx.save_for_backward(indices)
        out = np.take_along_axis(a, indices, axis)
        return out.squeeze(axis) if squeeze else out

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        if ctx.squeeze:
            grad = np.expand_dims(grad, ctx.axis)
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, indices, grad, ctx.axis)
        return out, None, None, None, None


def _sort_indices(array: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sort order along axis as int64; NaN counts as the largest value, as in torch."""
    if not descending:
        return np.argsort(array, axis=axis, kind="stable").astype(np.int64, copy=False)
    # sort the reversed slice ascending, then reverse the order: values come out descending
    # and equal values keep their original order (what torch's stable=True promises)
    order = np.argsort(np.flip(array, axis), axis=axis, kind="stable")
    return (array.shape[axis] - 1 - np.flip(order, axis)).astype(np.int64, copy=False)


def _check_sortable(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")


def _along(input, dim, name):
    """(a view of input with at least one dim, the axis to work along)."""
    axis = _normalize_dim(dim, input.ndim, name)
    return (input.reshape(1) if input.ndim == 0 else input), axis


def sort(input, dim=-1, descending=False, *, stable=False):
    """A named tuple (values, indices) sorted along dim.

    The order is always stable (stable=False lets torch pick any order among equal values;
    stable is one of those orders).
    """
    _check_sortable(input, "sort")
    source, axis = _along(input, dim, "sort")
    indices = _sort_indices(source._array, axis, descending)
    values = TakeAlong.apply(source, indices, axis, "SortBackward0")
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return _named("sort", values, _wrap(indices))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The int64 indices that sort input along dim (stable, see `sort`)."""
    _check_sortable(input, "argsort")
    source, axis = _along(input, dim, "argsort")
    indices = _sort_indices(source._array, axis, descending)
    return _wrap(indices.reshape(input._array.shape))


def msort(input):
    """input sorted along its first dim: sort(input, dim=0).values."""
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """A named tuple (values, indices) of the k largest (or smallest) entries along dim.

    Results are always in sorted order (torch allows any order with sorted=False).
    """
    _check_sortable(input, "topk")
    source, axis = _along(input, dim, "topk")
    size = source._array.shape[axis]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= size:
        raise RuntimeError(
            f"topk(): selected index k={k} is out of range for dimension {axis} of size {size} "
            f"(input shape {tuple(input.shape)}). Hint: k must be between 0 and {size}."
        )
    indices = _sort_indices(source._array, axis, largest)
    indices = np.take(indices, np.arange(k), axis=axis)
    values = TakeAlong.apply(source, indices, axis, "TopkBackward0")
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return _named("topk", values, _wrap(indices))


def kthvalue(input, k, dim=-1, keepdim=False):
    """A named tuple (values, indices): the k-th smallest entry (k counts from 1) along dim."""
    _check_sortable(input, "kthvalue")
    source, axis = _along(input, dim, "kthvalue")
    size = source._array.shape[axis]
    if not 1 <= k <= size:
        raise IndexError(
            f"kthvalue(): k={k} is out of range for dimension {axis} of size {size} "
            f"(input shape {tuple(input.shape)}). Hint: k counts from 1 to {size}."
        )
    indices = _sort_indices(source._array, axis, False)
    indices = np.take(indices, [k - 1], axis=axis)
    squeeze = input.ndim == 0 or not keepdim
    values = TakeAlong.apply(source, indices, axis, "KthvalueBackward0", squeeze)
    if squeeze:
        indices = indices.squeeze(axis)
    return _named("kthvalue", values, _wrap(indices))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of input (or distinct slices along dim), in ascending order.

    Like torch, returns a tensor, or a tuple (output, inverse_indices?, counts?) when either
    flag is set; inverse indices and counts are int64. The output is always sorted (torch
    allows any order with sorted=False) and carries no gradient (torch has no unique backward).
    """
    _check_sortable(input, "unique")
    array = input._array
    if dim is None:
        # every NaN is distinct, as in torch (NumPy merges them by default)
        output, inverse, counts = np.unique(array.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(array.shape)
    else:
        axis = _normalize_dim(dim, input.ndim, "unique")
        if array.ndim == 0:
            raise IndexError("unique(): dim given for a 0-d tensor, which has no dims to take")
        output, inverse, counts = np.unique(array, return_inverse=True, return_counts=True,
                                            axis=axis)
        inverse = inverse.reshape(-1)
    output = _wrap(output.astype(array.dtype, copy=False))
    if not (return_inverse or return_counts):
        return output
    result = [output]
    if return_inverse:
        result.append(_wrap(inverse.astype(np.int64, copy=False)))
    if return_counts:
        result.append(_wrap(counts.astype(np.int64, copy=False)))
    return tuple(result)
