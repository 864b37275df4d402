"""Shape primitives: reshape, permute, squeeze, expand, cat/stack/split, dtype casts, clone."""

from __future__ import annotations

import math

import numpy as np

from lamina import _dtype
from lamina._ops.index import Slice
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive


def _shape_args(shape):
    """Accept f(2, 3), f((2, 3)) and f([2, 3]) like torch; sizes may be 0-d tensors."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(map(int, shape))


# ---------------------------------------------------------------- casts and copies
def as_tensor_like(value, like):
    """`value` if it is a Tensor, else a new Tensor of it in `like`'s dtype."""
    if isinstance(value, Tensor):
        return value
    return _wrap(np.asarray(value, dtype=like._array.dtype))


class ToDtype(Primitive):
    grad_fn_name = "ToCopyBackward0"  # torch's name for this node
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype), None

    @staticmethod
    def graph_backward(ctx, grad):
        return ToDtype.apply(grad, ctx.dtype), None


def to_dtype(input, dtype):
    return ToDtype.apply(input, dtype)


class Clone(Primitive):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad

    graph_backward = backward


def clone(input):
    return Clone.apply(input)


# ---------------------------------------------------------------- views
class Reshape(Primitive):
    is_view = True
    grad_fn_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape, name=None):
        ctx.shape = a.shape
        if name:
            ctx.grad_fn_name = name  # torch's node name: UnsqueezeBackward0, SqueezeBackward0
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None, None

    graph_backward = backward  # Tensor.reshape records


def _infer_shape(input, shape, op):
    numel = input._array.size
    known = [s for s in shape if s != -1]
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got {list(shape)}")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension {min(shape)} in {list(shape)}")
    product = math.prod(known)
    if -1 in shape:
        if product == 0 or numel % product:
            raise RuntimeError(
                f"{op}: shape '{list(shape)}' is invalid for input of size {numel}"
            )
        shape = tuple(numel // product if s == -1 else s for s in shape)
    elif product != numel:
        raise RuntimeError(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(input shape {tuple(input.shape)})"
        )
    return shape


def reshape(input, *shape):
    """The same elements in a new shape (one size may be -1); a view when memory allows."""
    shape = _shape_args(shape)
    if shape and min(shape) < -1:  # NumPy would read any negative size as -1
        _infer_shape(input, shape, "reshape")
    try:
        return Reshape.apply(input, shape)
    except ValueError:  # NumPy refused: explain in torch's terms
        _infer_shape(input, shape, "reshape")
        raise RuntimeError(f"reshape: cannot reshape {tuple(input.shape)} to {shape}") from None


def _alias(input, array=None):
    """A new tensor sharing `input`'s memory and version counter, outside autograd."""
    t = _wrap(input._array if array is None else array)
    t._vc = input._vc
    return t


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    shape = _shape_args(shape)
    if -1 in shape or math.prod(shape) != input._array.size:
        shape = _infer_shape(input, shape, "view")
    if not input._array.flags.c_contiguous:
        try:
            np.reshape(input._array, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None
    return Reshape.apply(input, shape)


def _view_dtype(input, dtype):
    """Reinterpret the bytes as another dtype of the same size (not differentiable)."""
    if dtype.itemsize != input._array.itemsize:
        raise RuntimeError(
            f"view: viewing a {input.dtype} tensor as {dtype} needs dtypes of the same size; "
            f"{input._array.itemsize} != {dtype.itemsize} bytes. Hint: use .to({dtype}) to "
            "convert values instead."
        )
    return _alias(input, input._array.view(dtype.numpy))


def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    start = _normalize_dim(start_dim, input.ndim, "flatten")
    end = _normalize_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._array.shape
    return reshape(input, shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :])


def unflatten(input, dim, sizes):
    dim = _normalize_dim(dim, input.ndim, "unflatten")
    shape = input._array.shape
    given = tuple(sizes)
    sizes = given
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes = tuple(shape[dim] // known if s == -1 and known else s for s in sizes)
    if math.prod(sizes) != shape[dim] or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"unflatten: sizes {list(given)} don't multiply up to the size {shape[dim]} of dim "
            f"{dim} of the input of shape {tuple(shape)}"
        )
    return reshape(input, shape[:dim] + sizes + shape[dim + 1 :])


def squeeze(input, dim=None):
    shape = input._array.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = {_normalize_dim(d, input.ndim, "squeeze") for d in dims} if input.ndim else set()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return Reshape.apply(input, new, "SqueezeBackward0")


def unsqueeze(input, dim):
    axis = _normalize_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input._array.shape
    return Reshape.apply(input, shape[:axis] + (1,) + shape[axis:], "UnsqueezeBackward0")


class Permute(Primitive):
    is_view = True

    @staticmethod
    def forward(ctx, a, axes, name=None):
        ctx.axes = axes
        if name:
            ctx.grad_fn_name = name  # torch's: TBackward0, TransposeBackward0
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(np.argsort(ctx.axes)), None, None

    @staticmethod
    def graph_backward(ctx, grad):
        return grad.permute(*[int(i) for i in np.argsort(ctx.axes)]), None, None


def permute(input, *dims):
    dims = _shape_args(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute: the order {list(dims)} must name each of the {input.ndim} dimensions of "
            f"the input of shape {tuple(input.shape)} once, but has {len(dims)} entries"
        )
    axes = tuple(_normalize_dim(d, input.ndim, "permute") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"permute: duplicate dims are not allowed, got {list(dims)}")
    return Permute.apply(input, axes)


def transpose(input, dim0, dim1):
    axes = list(range(input.ndim))
    a = _normalize_dim(dim0, input.ndim, "transpose")
    b = _normalize_dim(dim1, input.ndim, "transpose")
    if input.ndim:
        axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(input, tuple(axes), "TransposeBackward0")


swapaxes = swapdims = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return Permute.apply(input, (1, 0) if input.ndim == 2 else tuple(range(input.ndim)),
                         "TBackward0")


def movedim(input, source, destination):
    n = input.ndim
    sources = [source] if isinstance(source, int) else list(source)
    targets = [destination] if isinstance(destination, int) else list(destination)
    sources = [_normalize_dim(d, n, "movedim") for d in sources]
    targets = [_normalize_dim(d, n, "movedim") for d in targets]
    if len(sources) != len(targets) or len(set(sources)) != len(sources) or len(
            set(targets)) != len(targets):
        raise RuntimeError(
            f"movedim: source {list(sources)} and destination {list(targets)} must be lists "
            "of distinct dims of the same length"
        )
    order = [i for i in range(n) if i not in sources]
    for target, src in sorted(zip(targets, sources)):
        order.insert(target, src)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


class Expand(Primitive):
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine sums the broadcast axes back

    graph_backward = backward


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({input.ndim})"
        )
    shape = input._array.shape
    offset = len(sizes) - len(shape)
    if any(s < 0 for s in sizes[:offset]) or any(s < -1 for s in sizes):
        raise RuntimeError(
            f"expand: invalid size in {list(sizes)} for a tensor of shape {tuple(shape)}: -1 "
            "keeps an existing dimension, so new leading dimensions need explicit sizes >= 0"
        )
    target = tuple(
        shape[i - offset] if s == -1 and i >= offset else s for i, s in enumerate(sizes)
    )
    for i, n in enumerate(shape):
        if n != 1 and n != target[i + offset]:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({target[i + offset]}) must match the "
                f"existing size ({n}) at non-singleton dimension {i + offset}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    return Expand.apply(input, target)


def expand_as(input, other):
    return expand(input, other._array.shape)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


class Repeat(Primitive):
    @staticmethod
    def forward(ctx, a, repeats):
        ctx.shape, ctx.repeats = a.shape, repeats
        padded = a.reshape((1,) * (len(repeats) - a.ndim) + a.shape)
        return np.tile(padded, repeats)

    @staticmethod
    def backward(ctx, grad):
        shape = (1,) * (len(ctx.repeats) - len(ctx.shape)) + ctx.shape
        paired = []  # each axis as (repeat, size), so the copies can be summed away
        for r, n in zip(ctx.repeats, shape):
            paired += [r, n]
        summed = grad.reshape(paired).sum(axis=tuple(range(0, len(paired), 2)))
        return summed.reshape(ctx.shape), None

    @staticmethod
    def graph_backward(ctx, grad):
        shape = (1,) * (len(ctx.repeats) - len(ctx.shape)) + ctx.shape
        paired = []
        for r, n in zip(ctx.repeats, shape):
            paired += [r, n]
        summed = grad.reshape(tuple(paired)).sum(dim=tuple(range(0, len(paired), 2)))
        return summed.reshape(ctx.shape), None


def repeat(input, *repeats):
    repeats = _shape_args(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            f"of tensor: repeat{list(repeats)} for a tensor of shape {tuple(input.shape)}"
        )
    if any(r < 0 for r in repeats):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(repeats)}")
    return Repeat.apply(input, repeats)


def narrow(input, dim, start, length):
    """A view of `length` entries of dim from `start` (which may be negative)."""
    axis = _normalize_dim(dim, input.ndim, "narrow")
    size = input._array.shape[axis]
    start = start + size if start < 0 else start
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(
            f"narrow: start {start} and length {length} do not fit dimension {axis} of size "
            f"{size} (input shape {tuple(input.shape)})"
        )
    return Slice.apply(input, (slice(None),) * axis + (slice(start, start + length),))


def flip(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    key = [slice(None)] * input.ndim
    for d in dims:
        key[_normalize_dim(d, input.ndim, "flip")] = slice(None, None, -1)
    return clone(Slice.apply(input, tuple(key)))


# Joining and splitting live in `join.py`; re-exported so `lamina._ops.shape` has every shape op.
from lamina._ops.join import (  # noqa: E402,F401,I001
    Concatenate, Stack, cat, chunk, concat, concatenate, hstack, split, stack, unbind, vstack,
)
