"""Reductions over dims: sum, mean, var/std, max/min, prod, cumsum, logsumexp, norm."""

from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from lamina import _dtype
from lamina._ops._promote import floating
from lamina._ops.shape import Clone
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive


def _axes(dim, ndim, op):
    """`dim` (None, int or sequence) as a sorted tuple of non-negative axes, or None for all."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    if isinstance(dim, np.integer):
        dim = int(dim)
    if not isinstance(dim, (int, tuple, list)):
        raise TypeError(f"{op}(): dim must be an int or a tuple of ints, got {dim!r}")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(sorted(_normalize_dim(d, ndim, op) for d in dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return None
    return axes


def _expand_back(grad, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is not None and not keepdim:
        grad = np.expand_dims(grad, axes)
    if math.prod(shape) > 65536:
        return np.broadcast_to(grad, shape)  # a view: no memory pass over a large input
    # small: filling a new array is several times cheaper than np.broadcast_to's Python code
    out = np.empty(shape, grad.dtype)
    out[...] = grad
    return out


def _expand_back_graph(grad, shape, axes, keepdim):
    """_expand_back on a recorded tensor (create_graph=True): a broadcast view of it."""
    if axes is not None and not keepdim:
        kept = list(shape)
        for axis in axes:
            kept[axis] = 1
        grad = grad.reshape(tuple(kept))
    return grad.expand(*shape)


class Sum(Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        # the ufunc's own reduce: np.sum's Python wrapper costs more than a small sum itself
        return np.add.reduce(a, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim), None, None

    @staticmethod
    def graph_backward(ctx, grad):
        return _expand_back_graph(grad, ctx.shape, ctx.axes, ctx.keepdim), None, None


def _count(a, axes):
    """How many elements each output of a reduction over `axes` summarises."""
    return a.size if axes is None else math.prod([a.shape[i] for i in axes])


class Mean(Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        count = _count(a, axes)
        ctx.shape, ctx.axes, ctx.keepdim, ctx.count = a.shape, axes, keepdim, count
        if a.dtype == np.float16:  # accumulate half precision in float32, as torch does
            return np.mean(a, axis=axes, keepdims=keepdim, dtype=np.float32).astype(a.dtype)
        total = np.add.reduce(a, axis=axes, keepdims=keepdim)
        if count:
            return total / count
        with np.errstate(invalid="ignore"):  # the mean of nothing is nan, silently in torch
            return total / count

    @staticmethod
    def backward(ctx, grad):
        scaled = grad / ctx.count if ctx.count else grad * np.nan
        return _expand_back(scaled, ctx.shape, ctx.axes, ctx.keepdim), None, None

    @staticmethod
    def graph_backward(ctx, grad):
        scaled = grad / ctx.count if ctx.count else grad * float("nan")
        return _expand_back_graph(scaled, ctx.shape, ctx.axes, ctx.keepdim), None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "bui":
        input = input.to(_dtype.int64)  # torch sums integers and bools as int64
    return Sum.apply(input, _axes(dim, input.ndim, "sum"), keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input._array.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): the input must have a floating point dtype, got {input.dtype}. "
            "Hint: call .float() first, or pass dtype=lamina.float32."
        )
    return Mean.apply(input, _axes(dim, input.ndim, "mean"), keepdim)


class Moment(Primitive):
    """Variance (or its square root, the standard deviation) over axes, in two passes.

    The denominator is max(count - correction, 0), as in torch's full reduction (so too few
    elements give inf or nan); the standard deviation's gradient is 0 where it is 0, as in
    torch.
    """

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim, root):
        count = _count(a, axes)
        denominator = builtins.max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            centered = a - np.add.reduce(a, axis=axes, keepdims=True) / count
            out = np.add.reduce(centered * centered, axis=axes, keepdims=True) / denominator
            if root:
                out = np.sqrt(out)
        ctx.save_for_backward(centered, out)
        ctx.denominator, ctx.root, ctx.keepdim = denominator, root, keepdim
        ctx.grad_fn_name = "StdBackward0" if root else "VarBackward0"
        if keepdim:
            return out
        return out.reshape(()) if axes is None else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, grad):
        centered, out = ctx.saved_tensors
        if not ctx.keepdim:
            grad = grad.reshape(out.shape)
        if ctx.root:
            grad = np.divide(grad, 2 * out, out=np.zeros_like(out), where=out != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * (2 * centered / ctx.denominator), None, None, None, None


def _moment(input, dim, unbiased, keepdim, correction, root, name):
    if isinstance(dim, bool):  # var(x, False): torch's positional `unbiased`
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    _require_floating(input, name)
    return Moment.apply(input, _axes(dim, input.ndim, name), correction, keepdim, root)


def _require_floating(input, name):
    if input._array.dtype.kind != "f":
        raise RuntimeError(
            f"{name}(): only floating point tensors are supported, got {input.dtype}. "
            "Hint: call .float() first."
        )


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over dim with denominator N - correction (default 1, Bessel's correction)."""
    return _moment(input, dim, unbiased, keepdim, correction, False, "var")


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over dim with denominator N - correction (default 1)."""
    return _moment(input, dim, unbiased, keepdim, correction, True, "std")


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


class Extreme(Primitive):
    """amax/amin over axes; the gradient is shared evenly among tied extremes, like torch."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, largest, name=None):
        if name:
            ctx.grad_fn_name = name
        out = (np.maximum if largest else np.minimum).reduce(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        if keepdim:
            return out
        return out.reshape(()) if axes is None else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if not ctx.keepdim:
            grad = grad.reshape(out.shape)
        mask = a == out
        count = np.sum(mask, axis=ctx.axes, keepdims=True)
        return grad * mask / count.astype(grad.dtype), None, None, None, None


class SelectAlong(Primitive):
    """max/min along one dim with indices: the gradient goes to the chosen element only."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, largest):
        # a reduce for the values is cheaper than gathering at the indices; both see a NaN
        # first, so they agree where torch propagates NaN
        ctx.grad_fn_name = "MaxBackward0" if largest else "MinBackward0"
        if largest:
            indices = a.argmax(axis=axis, keepdims=True)
            values = np.maximum.reduce(a, axis=axis, keepdims=keepdim)
        else:
            indices = a.argmin(axis=axis, keepdims=True)
            values = np.minimum.reduce(a, axis=axis, keepdims=keepdim)
        ctx.shape, ctx.axis, ctx.keepdim = a.shape, axis, keepdim
        ctx.save_for_backward(indices)
        if not keepdim:
            indices = indices.squeeze(axis)
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, grad_indices):
        (indices,) = ctx.saved_tensors
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.axis)
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, indices, grad, ctx.axis)
        return out, None, None, None


def return_type(name):
    """A (values, indices) named tuple class printed like torch.return_types.<name>."""
    base = collections.namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return (f"lamina.return_types.{name}(\nvalues={self.values!r},\n"
                f"indices={self.indices!r})")

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": "lamina.return_types"})


_RETURN_TYPES = {"max": return_type("max"), "min": return_type("min")}


def _named(name, values, indices):
    return _RETURN_TYPES[name](values, indices)


def _check_reducible(input, axis, name):
    if input._array.size == 0 and (axis is None or input._array.shape[axis] == 0):
        where = "the whole tensor" if axis is None else f"dim {axis}"
        raise IndexError(
            f"{name}(): cannot reduce {where} of an empty tensor of shape "
            f"{tuple(input.shape)}: there is no {name}imum of zero elements. "
            "Hint: specify a dim of non-zero size, or use amax/amin on a non-empty tensor."
        )


def _max_min(input, dim, keepdim, largest, name):
    if isinstance(dim, Tensor):
        from lamina._ops.elementwise import maximum, minimum

        return (maximum if largest else minimum)(input, dim)
    if dim is None:
        if input._array.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return Extreme.apply(input, None, False, largest, f"{name.capitalize()}Backward1")
    axis = _normalize_dim(dim, input.ndim, name)
    if input.ndim == 0:
        return _named(name, Clone.apply(input), _wrap(np.zeros((), np.int64)))
    _check_reducible(input, axis, name)
    values, indices = SelectAlong.apply(input, axis, keepdim, largest)
    return _named(name, values, indices)


def max(input, dim=None, keepdim=False):
    """The largest element; with dim, a named tuple (values, indices); with a tensor, maximum."""
    return _max_min(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim=False):
    """The smallest element; with dim, a named tuple (values, indices); with a tensor, minimum."""
    return _max_min(input, dim, keepdim, False, "min")


def _extreme(input, dim, keepdim, largest, name):
    axes = _axes(dim, input.ndim, name)
    if input._array.size == 0:
        for axis in axes if axes is not None else range(input.ndim):
            _check_reducible(input, axis, name[1:])
    return Extreme.apply(input, axes, keepdim, largest, f"{name.capitalize()}Backward0")


def amax(input, dim=(), keepdim=False):
    return _extreme(input, dim, keepdim, True, "amax")


def amin(input, dim=(), keepdim=False):
    return _extreme(input, dim, keepdim, False, "amin")


def _arg_extreme(input, dim, keepdim, function, name):
    """Index of the first extreme (the flat index when dim is None), as int64."""
    if input._array.dtype == np.bool_:
        raise RuntimeError(f"{name}(): not implemented for bool tensors. Hint: use .int() first.")
    axis = None if dim is None else _normalize_dim(dim, input.ndim, name)
    _check_reducible(input, axis, name[3:])
    if axis is None:
        out = np.asarray(function(input._array), dtype=np.int64)
        return _wrap(out.reshape((1,) * input.ndim) if keepdim else out)
    out = function(input._array, axis=axis, keepdims=keepdim)
    return _wrap(np.asarray(out, dtype=np.int64))


def argmax(input, dim=None, keepdim=False):
    return _arg_extreme(input, dim, keepdim, np.argmax, "argmax")


def argmin(input, dim=None, keepdim=False):
    return _arg_extreme(input, dim, keepdim, np.argmin, "argmin")


class Prod(Primitive):
    @staticmethod
    def forward(ctx, a, axis, keepdim):
        out = np.prod(a, axis=axis, keepdims=True)
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdim = axis, keepdim
        return out if keepdim else (out.reshape(()) if axis is None else out.squeeze(axis))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        axis = ctx.axis
        if not ctx.keepdim:
            grad = grad.reshape((1,) * a.ndim) if axis is None else np.expand_dims(grad, axis)
        # product of all the other elements, exact even where some are zero
        flat = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
        left = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :-1]], -1), -1)
        right = np.flip(np.cumprod(np.concatenate(
            [np.ones_like(flat[..., :1]), np.flip(flat, -1)[..., :-1]], -1), -1), -1)
        others = left * right
        others = others.reshape(a.shape) if axis is None else np.moveaxis(others, -1, axis)
        return grad * others, None, None


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "bui":
        input = input.to(_dtype.int64)
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): dim must be a single int, got {dim!r}")
    axis = None if dim is None else _normalize_dim(dim, input.ndim, "prod")
    if input.ndim == 0:
        axis = None
    return Prod.apply(input, axis, keepdim)


class Cumsum(Primitive):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return np.cumsum(a, axis=axis, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        flipped = np.flip(grad, ctx.axis)
        return np.flip(np.cumsum(flipped, axis=ctx.axis), ctx.axis), None


def cumsum(input, dim, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "bui":
        input = input.to(_dtype.int64)
    if input.ndim == 0:
        return input.clone()
    return Cumsum.apply(input, _normalize_dim(dim, input.ndim, "cumsum"))


def logsumexp(input, dim, keepdim=False):
    input = floating(input)
    axes = _axes(dim, input.ndim, "logsumexp")
    # subtract the max first so exp cannot overflow; the shift is a constant for autograd
    shift = np.max(input._array, axis=axes, keepdims=True) if input.numel() else 0
    shift = np.where(np.isfinite(shift), shift, 0).astype(input._array.dtype)
    shifted = input - _wrap(shift)
    out = sum(shifted.exp(), axes, keepdim=True).log() + _wrap(shift)
    if not keepdim:
        out = out.squeeze(axes) if axes is not None else out.reshape(())
    return out


class Norm2(Primitive):
    """sqrt(sum(a**2)) over axes; the gradient at an all-zero slice is 0, as in torch."""

    grad_fn_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        out = np.sqrt(np.sum(a * a, axis=axes, keepdims=True))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        if keepdim:
            return out
        return out.reshape(()) if axes is None else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if not ctx.keepdim:
            grad = grad.reshape(out.shape)
        scale = np.divide(grad, out, out=np.zeros_like(out), where=out != 0)
        return a * scale, None, None

    @staticmethod
    def graph_backward(ctx, grad):
        # out is kept as a constant (it is no tensor of the graph): recompute it from a
        (a,) = ctx.saved_tensors[:1]
        out = (a * a).sum(dim=ctx.axes, keepdim=True).sqrt()
        if not ctx.keepdim:
            grad = grad.reshape(tuple(out.shape))
        nonzero = out != 0
        safe = out + (~nonzero).to(out.dtype)  # 1 where the norm is 0: no 0/0 anywhere
        return a * (grad / safe) * nonzero, None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over dim (all elements by default); 'fro' is the 2-norm."""
    if dtype is not None:
        input = input.to(dtype)
    _require_floating(input, "norm")
    if p in ("fro", 2, 2.0):
        return Norm2.apply(input, _axes(dim, input.ndim, "norm"), keepdim)
    if p in (math.inf, float("inf")):
        return amax(input.abs(), () if dim is None else dim, keepdim)
    if p in (-math.inf, float("-inf")):
        return amin(input.abs(), () if dim is None else dim, keepdim)
    if p == 1:
        return sum(input.abs(), dim, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim, keepdim)
    return sum(input.abs() ** p, dim, keepdim) ** (1.0 / p)


def all(input, dim=None, keepdim=False):
    axes = None if dim is None else _axes(dim, input.ndim, "all")
    return _wrap(np.asarray(np.all(input._array, axis=axes, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):
    axes = None if dim is None else _axes(dim, input.ndim, "any")
    return _wrap(np.asarray(np.any(input._array, axis=axes, keepdims=keepdim)))


def count_nonzero(input, dim=None):
    axes = None if dim is None else _axes(dim, input.ndim, "count_nonzero")
    return _wrap(np.asarray(np.count_nonzero(input._array, axis=axes), dtype=np.int64))
