"""Indexing: t[...] reads and writes, gather/scatter_add, masked_fill, index_select, one_hot."""

from __future__ import annotations

import warnings

import numpy as np

from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive
from lamina.autograd.grad_mode import _enabled


def _key(index):
    """Turn a torch-style index into a NumPy one (tensors become arrays)."""
    if isinstance(index, tuple):
        return tuple(_key_part(i) for i in index)
    return _key_part(index)


def _key_part(part):
    if isinstance(part, Tensor):
        array = part._array
        if array.dtype.kind == "f":
            raise IndexError(
                "tensors used as indices must be long, int, byte or bool tensors"
            )
        return array
    if isinstance(part, list):
        return np.asarray([_key_part(p) for p in part])
    if type(part) is slice and part.step is not None and part.step <= 0:
        raise ValueError(
            f"index: slice step must be greater than zero, got {part.step}. "
            "Hint: use .flip(dim) to reverse a dimension."
        )
    return part


def _is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (int, slice, np.integer))
        and not isinstance(p, bool)
        for p in parts
    )


class Slice(Primitive):
    """Basic indexing (ints, slices, None, ...): a view; gradient scattered into zeros."""

    is_view = True

    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        if ctx.needs_input_grad:
            ctx.grad_fn_name = _basic_name(key)
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        out[ctx.key] = grad
        return out, None

    @staticmethod
    def graph_backward(ctx, grad):  # create_graph=True: zeros with grad put at the key
        zeros = _wrap(np.zeros(ctx.shape, dtype=grad._array.dtype))
        return IndexPut.apply(zeros, ctx.key, grad), None


def _basic_name(key):
    """torch's node name for a basic index: that of its last step (x[0] selects, x[1:] slices)."""
    parts = key if isinstance(key, tuple) else (key,)
    for part in reversed(parts):
        if part is None:
            return "UnsqueezeBackward0"
        if type(part) is not slice or part != slice(None):
            return "SliceBackward0" if type(part) is slice else (
                "AliasBackward0" if part is Ellipsis else "SelectBackward0")
    return "AliasBackward0"


class Take(Primitive):
    """Advanced indexing (integer arrays, masks): a copy; repeated indices accumulate."""

    grad_fn_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.key, grad)
        return out, None


def getitem(input, index):
    """t[index]: a view for ints, slices, None and ...; a copy with integer or bool tensors."""
    try:
        if type(index) is int or (type(index) is slice and index.step is None):
            return Slice.apply(input, index)  # the common cases, without examining the key
        key = _key(index)
        if _is_basic(key):
            return Slice.apply(input, key)
        return Take.apply(input, key)
    except IndexError as error:
        raise _index_error(input, index, error) from None


class IndexPut(Primitive):
    """out = input with out[key] = value, computed out of place."""

    @staticmethod
    def forward(ctx, a, key, value):
        ctx.key = key
        ctx.value_shape = np.shape(value)
        out = a.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_a, _, need_value = ctx.needs_input_grad
        grad_a = grad_value = None
        if need_a:
            grad_a = grad.copy()
            grad_a[ctx.key] = 0
        if need_value:
            grad_value = grad[ctx.key]
            missing = len(ctx.value_shape) - grad_value.ndim
            if missing > 0:  # NumPy dropped the value's leading 1s when it was assigned
                grad_value = grad_value.reshape((1,) * missing + grad_value.shape)
        return grad_a, None, grad_value

    @staticmethod
    def graph_backward(ctx, grad):
        need_a, _, need_value = ctx.needs_input_grad
        grad_a = grad_value = None
        if need_a:
            grad_a = IndexPut.apply(grad, ctx.key, 0.0)
        if need_value:
            grad_value = Slice.apply(grad, ctx.key) if _is_basic(ctx.key) else \
                Take.apply(grad, ctx.key)
            missing = len(ctx.value_shape) - grad_value.ndim
            if missing > 0:
                grad_value = grad_value.reshape((1,) * missing + tuple(grad_value.shape))
        return grad_a, None, grad_value


def setitem(input, index, value):
    key = _key(index)
    if isinstance(value, Tensor) and value._array.dtype != input._array.dtype:
        value = value.to(input.dtype)
    tracked = _enabled[0] and (
        input._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    try:
        if not tracked:
            input._array[key] = value._array if isinstance(value, Tensor) else value
            input._vc[0] += 1
            return
        input._assign(IndexPut.apply(input, key, value))
    except ValueError as error:
        target = np.shape(input._array[key])
        raise RuntimeError(
            f"setitem: a value of shape {tuple(np.shape(_array_of(value)))} cannot be broadcast "
            f"to the indexed part of shape {target} of a tensor of shape {tuple(input.shape)} "
            f"({error})"
        ) from None
    except IndexError as error:
        raise _index_error(input, index, error) from None


def _array_of(value):
    return value._array if isinstance(value, Tensor) else value


def _index_error(input, index, error):
    return IndexError(
        f"index {index!r} does not fit a tensor of shape {tuple(input.shape)}: {error}")


class Gather(Primitive):
    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.shape, ctx.axis = a.shape, axis
        ctx.save_for_backward(index)
        return np.take_along_axis(a, index, axis)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        _add_along_axis(out, index, grad, ctx.axis)
        return out, None, None


def _along(index, axis):
    """The NumPy key for the positions `index` names along `axis` (index may be smaller than
    the array in other dims)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


def _add_along_axis(out, index, values, axis):
    """out[..., index[i], ...] += values[i] along `axis`, accumulating repeats."""
    np.add.at(out, _along(index, axis), values)


def _check_index(op, input, axis, index, others):
    """torch's rules for gather/scatter_add indices, checked before NumPy sees them."""
    if not isinstance(index, Tensor) or index._array.dtype.kind not in "iu":
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"{op}(): expected an int64 index tensor, got {got}")
    idx = index._array
    if max(idx.ndim, 1) != max(input.ndim, 1):  # a 0-d tensor counts as 1-d here, as in torch
        raise RuntimeError(
            f"{op}(): index of shape {tuple(idx.shape)} must have as many dimensions as the "
            f"input of shape {tuple(input.shape)}"
        )
    size = input._array.shape[axis] if input.ndim else 1
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= size:
            raise RuntimeError(
                f"{op}(): index {low if low < 0 else high} is out of bounds for dimension "
                f"{axis} with size {size}"
            )
    index_shape = idx.shape or (1,)
    for name, shape in others:
        shape = shape or (1,)
        for d in range(len(index_shape)):
            # src must cover the index in every dimension, the input in all but `axis`
            if (d != axis or name == "src") and index_shape[d] > shape[d]:
                raise RuntimeError(
                    f"{op}(): index of shape {tuple(idx.shape)} is larger than {name} of shape "
                    f"{tuple(shape)} at dimension {d} (only the input's dimension {axis} may "
                    "be smaller)"
                )
    return idx


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[index[i][j]][j] for dim=0 (and likewise for other dims)."""
    axis = _normalize_dim(dim, input.ndim, "gather")
    idx = _check_index("gather", input, axis, index, [("input", input._array.shape)])
    if input.ndim == 0 or idx.ndim == 0:  # read as 1-d; the result has the index's shape
        return Gather.apply(input.reshape(-1), 0, idx.reshape(-1)).reshape(idx.shape)
    if any(idx.shape[d] != input._array.shape[d] for d in range(input.ndim) if d != axis):
        input = input[tuple(slice(0, idx.shape[d]) if d != axis else slice(None)
                            for d in range(input.ndim))]
    return Gather.apply(input, axis, idx)


class ScatterAdd(Primitive):
    @staticmethod
    def forward(ctx, a, axis, index, src):
        ctx.axis = axis
        ctx.save_for_backward(index)
        out = a.copy()
        _add_along_axis(out, index, src[tuple(slice(0, n) for n in index.shape)], axis)
        ctx.src_shape = src.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_src = None
        if ctx.needs_input_grad[3]:
            grad_src = np.zeros(ctx.src_shape, dtype=grad.dtype)
            # the index may be smaller than the output off the axis: read only its extent
            window = tuple(slice(None) if d == ctx.axis else slice(0, n)
                           for d, n in enumerate(index.shape))
            grad_src[tuple(slice(0, n) for n in index.shape)] = np.take_along_axis(
                grad[window], index, ctx.axis)
        return grad, None, None, grad_src


def scatter_add(input, dim, index, src):
    """out = input with out[index[i][j]][j] += src[i][j] for dim=0; repeats accumulate."""
    axis = _normalize_dim(dim, input.ndim, "scatter_add")
    if not isinstance(src, Tensor) or src._array.dtype != input._array.dtype:
        got = src.dtype if isinstance(src, Tensor) else type(src).__name__
        raise RuntimeError(
            f"scatter_add(): expected src of the input's dtype {input.dtype}, got {got}")
    others = [("input", input._array.shape), ("src", src._array.shape)]
    idx = _check_index("scatter_add", input, axis, index, others)
    if input.ndim == 0:
        return scatter_add(input.reshape(1), 0, index, src).reshape(())
    if src.ndim == 0:
        src = src.reshape(1)
    return ScatterAdd.apply(input, axis, idx.reshape(-1) if idx.ndim == 0 else idx, src)


class Scatter(Primitive):
    """out = a with out[..., index[i], ...] = src[i] along axis (src an array or a number)."""

    @staticmethod
    def forward(ctx, a, axis, index, src):
        ctx.axis = axis
        ctx.save_for_backward(index)
        if isinstance(src, np.ndarray):
            ctx.src_shape = src.shape
            src = src[tuple(slice(0, n) for n in index.shape)]
        else:
            ctx.grad_fn_name = "ScatterBackward1"  # torch's node for a number as src
        out = a.copy()
        out[_along(index, axis)] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        need_a, _, _, need_src = ctx.needs_input_grad
        grad_a = grad_src = None
        if need_a:  # overwritten positions get nothing
            grad_a = grad.copy()
            grad_a[_along(index, ctx.axis)] = 0
        if need_src:
            window = tuple(slice(None) if d == ctx.axis else slice(0, n)
                           for d, n in enumerate(index.shape))
            grad_src = np.zeros(ctx.src_shape, dtype=grad.dtype)
            grad_src[tuple(slice(0, n) for n in index.shape)] = np.take_along_axis(
                grad[window], index, ctx.axis)
        return grad_a, None, None, grad_src


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """out = input with out[index[i][j]][j] = src[i][j] for dim=0 (src a tensor or a number).

    Where indices repeat, which write wins is unspecified, as in torch. A 0-d index or src
    counts as 1-d (the one-hot `zeros(10).scatter_(0, tensor(y), value=1)`). With
    reduce="add" or "multiply" src is added or multiplied in instead, without a gradient.
    """
    src = value if src is None else src
    if input.ndim == 0:
        return scatter(input.reshape(1), dim, index, src, reduce=reduce).reshape(())
    axis = _normalize_dim(dim, input.ndim, "scatter")
    others = [("input", input._array.shape)]
    if isinstance(src, Tensor):
        if src._array.dtype != input._array.dtype:
            raise RuntimeError(
                f"scatter(): expected src of the input's dtype {input.dtype}, got {src.dtype}")
        others.append(("src", src._array.shape))
    elif not isinstance(src, (bool, int, float)):
        raise TypeError(f"scatter(): src must be a Tensor or a number, got {type(src).__name__}")
    idx = _check_index("scatter", input, axis, index, others)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if isinstance(src, Tensor) and src.ndim == 0:
        src = src.reshape(1)
    if reduce is not None:
        return _scatter_reduce(input, axis, idx, src, reduce)
    return Scatter.apply(input, axis, idx, src)


class ScatterReduce(Primitive):
    """scatter(..., reduce="add" | "multiply"): forward only, as in torch."""

    grad_fn_name = "NotImplemented"  # the node torch prints for it

    @staticmethod
    def forward(ctx, a, axis, index, src, ufunc):
        if isinstance(src, np.ndarray):
            src = src[tuple(slice(0, n) for n in index.shape)]
        out = a.copy()
        ufunc.at(out, _along(index, axis), src)
        return out

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_reduce(input, axis, idx, src, reduce):
    ufunc = {"add": np.add, "multiply": np.multiply}.get(reduce)
    if ufunc is None:
        raise RuntimeError(
            f"scatter(): reduce argument must be either add or multiply, got {reduce!r}")
    if isinstance(src, Tensor):
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
            "reduction options.", UserWarning, stacklevel=3)
    return ScatterReduce.apply(input, axis, idx, src, ufunc)


class IndexAdd(Primitive):
    """out = a with out[..., index[i], ...] += source[..., i, ...] along axis."""

    @staticmethod
    def forward(ctx, a, axis, index, source):
        ctx.axis, ctx.index = axis, index
        out = a.copy()
        np.add.at(out, (slice(None),) * axis + (index,), source)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_source = ctx.needs_input_grad[3]
        grad_source = np.take(grad, ctx.index, axis=ctx.axis) if need_source else None
        return grad, None, None, grad_source


def index_add(input, dim, index, source, *, alpha=1):
    """out = input with alpha * source[i] added at position index[i] along dim (repeats add)."""
    axis = _normalize_dim(dim, input.ndim, "index_add")
    if not isinstance(index, Tensor) or index.ndim > 1 or index._array.dtype.kind not in "iu":
        raise IndexError("index_add(): expected a 1-D integer index tensor")
    positions = index._array.reshape(-1)
    size = input._array.shape[axis] if input.ndim else 1
    expected = input._array.shape[:axis] + (positions.size,) + input._array.shape[axis + 1:]
    if source._array.shape != expected:
        raise RuntimeError(
            f"index_add(): source of shape {tuple(source.shape)} should be {expected} for an "
            f"input of shape {tuple(input.shape)} and {positions.size} indices along dim {axis}"
        )
    if positions.size and (positions.min() < 0 or positions.max() >= size):
        raise IndexError(f"index_add(): index out of range for dimension {axis} of size {size}")
    if source._array.dtype != input._array.dtype:
        raise RuntimeError(
            f"index_add(): source dtype {source.dtype} must match the input's {input.dtype}")
    if alpha != 1:
        source = source * alpha
    return IndexAdd.apply(input, axis, positions, source)


class MaskedFill(Primitive):
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.save_for_backward(mask)
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return np.where(mask, np.zeros((), grad.dtype), grad), None, None


def masked_fill(input, mask, value):
    """input with `value` where the bool mask (broadcast to input's shape) is True."""
    if not isinstance(mask, Tensor) or mask._array.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(
            f"masked_fill: the mask must be a bool tensor, got {got}. "
            "Hint: build it with a comparison, or call .bool() on it."
        )
    try:  # out of place, torch lets the mask broadcast the input to a larger shape
        np.broadcast_shapes(mask._array.shape, input._array.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the mask of shape {tuple(mask.shape)} cannot be broadcast to the "
            f"input of shape {tuple(input.shape)}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill: the value must be a number or a 0-dim tensor, got a tensor of "
                f"shape {tuple(value.shape)}"
            )
        if value._requires_grad:  # the value gets a gradient too: select through `where`
            from lamina._ops.elementwise import where

            return where(mask, value.to(input.dtype), input)
        value = value.item()
    return MaskedFill.apply(input, mask._array, value)


def index_select(input, dim, index):
    """The entries of `index` (a vector) along dim; repeated indices accumulate gradients."""
    axis = _normalize_dim(dim, input.ndim, "index_select")
    if not isinstance(index, Tensor) or index.ndim > 1 or index._array.dtype.kind not in "iu":
        got = (f"{index.dtype} tensor of shape {tuple(index.shape)}"
               if isinstance(index, Tensor) else type(index).__name__)
        raise IndexError(f"index_select(): expected a 1-D integer index tensor, got {got}")
    positions = index._array.reshape(-1)
    size = input._array.shape[axis] if input.ndim else 1
    if positions.size and (positions.min() < 0 or positions.max() >= size):
        bad = positions.max() if positions.max() >= size else positions.min()
        raise IndexError(
            f"index_select(): index {int(bad)} is out of range for dimension {axis} of size "
            f"{size}"
        )
    return Take.apply(input, (slice(None),) * axis + (positions,))


def masked_select(input, mask):
    """A 1-D tensor of the entries where the bool mask (broadcast with input) is True."""
    if not isinstance(mask, Tensor) or mask._array.dtype != np.bool_:
        raise RuntimeError("masked_select: the mask must be a bool tensor")
    try:
        shape = np.broadcast_shapes(mask._array.shape, input._array.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: the mask of shape {tuple(mask.shape)} and the input of shape "
            f"{tuple(input.shape)} cannot be broadcast together"
        ) from None
    if shape != input._array.shape:
        from lamina._ops.shape import expand

        input = expand(input, shape)
    return Take.apply(input, np.broadcast_to(mask._array, shape))


def nonzero(input, *, as_tuple=False):
    found = np.nonzero(input._array)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in found)
    return _wrap(np.stack(found, axis=-1).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def one_hot(tensor, num_classes=-1):
    """(*) int64 class indices to (*, num_classes) int64 rows of zeros with a single 1."""
    array = tensor._array
    if array.dtype != np.int64:
        raise RuntimeError(
            f"one_hot: expected an int64 (long) tensor of class indices, got {tensor.dtype}. "
            "Hint: use .long()."
        )
    if num_classes == -1:
        if not array.size:
            raise RuntimeError(
                "one_hot: cannot infer the number of classes from an empty tensor; "
                "pass num_classes")
        num_classes = int(array.max()) + 1
    if array.size and array.min() < 0:
        raise RuntimeError(
            f"one_hot: class values must be non-negative, got {int(array.min())}")
    if array.size and array.max() >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, got "
            f"{int(array.max())}"
        )
    out = np.zeros(array.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, array[..., None].astype(np.intp), 1, axis=-1)
    return _wrap(out)
