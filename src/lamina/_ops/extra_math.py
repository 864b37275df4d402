"""More torch functions scripts reach for: hyperbolic and inverse trigonometric functions,
expm1, median/mode/quantile, bincount, isin, meshgrid, tile, diff, dist, addcmul/addcdiv,
fill_diagonal_, Tensor.unfold, the shape-changing in-place methods (t_, unsqueeze_...).

Unary maths are `_unary` primitives like sin/cos; the rest are compositions of existing ops
(so autograd comes for free) or, where the result is integral, plain NumPy.
"""

from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from lamina._ops import elementwise, index, reduce, shape
from lamina._ops._promote import floating
from lamina._ops.elementwise import _unary
from lamina._ops.join import cat
from lamina._ops.reduce import return_type
from lamina._tensor import Tensor, _normalize_dim, _wrap
from lamina.autograd.function import Primitive

# ---------------------------------------------------------------- pointwise maths
# derivatives in terms of the input, or of the output where that is cheaper (tan, expm1);
# out-of-domain inputs (asin(2), atanh(1)) give nan/inf silently, as in torch (no op warns)
Sinh = _unary("Sinh", np.sinh, np.cosh)
Cosh = _unary("Cosh", np.cosh, np.sinh)
Tan = _unary("Tan", np.tan, lambda out: 1 + out * out, save="output")
Asin = _unary("Asin", np.arcsin, lambda a: 1 / np.sqrt(1 - a * a))
Acos = _unary("Acos", np.arccos, lambda a: -1 / np.sqrt(1 - a * a))
Atan = _unary("Atan", np.arctan, lambda a: 1 / (1 + a * a))
Asinh = _unary("Asinh", np.arcsinh, lambda a: 1 / np.sqrt(a * a + 1))
Acosh = _unary("Acosh", np.arccosh, lambda a: 1 / np.sqrt(a * a - 1))
Atanh = _unary("Atanh", np.arctanh, lambda a: 1 / (1 - a * a))
Expm1 = _unary("Expm1", np.expm1, lambda out: out + 1, save="output")


def sinh(input):
    return Sinh.apply(floating(input))


def cosh(input):
    return Cosh.apply(floating(input))


def tan(input):
    return Tan.apply(floating(input))


def asin(input):
    return Asin.apply(floating(input))


def acos(input):
    return Acos.apply(floating(input))


def atan(input):
    return Atan.apply(floating(input))


def asinh(input):
    return Asinh.apply(floating(input))


def acosh(input):
    return Acosh.apply(floating(input))


def atanh(input):
    return Atanh.apply(floating(input))


def expm1(input):
    return Expm1.apply(floating(input))


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return input + elementwise.mul(tensor1, tensor2) * value


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    return input + elementwise.div(tensor1, tensor2) * value


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast)."""
    return reduce.norm(elementwise.sub(input, other), p)


# ---------------------------------------------------------------- order statistics
_RETURN_TYPES = {name: return_type(name) for name in ("median", "mode")}


def _lower_median_indices(array, axis):
    """Index along `axis` of each slice's lower median; of its first NaN if it has one."""
    order = np.argsort(array, axis=axis, kind="stable")
    middle = (array.shape[axis] - 1) // 2
    chosen = np.take(order, [middle], axis=axis)
    nan = np.isnan(array) if array.dtype.kind == "f" else None
    if nan is not None and nan.any():  # torch's median propagates NaN, pointing at the first
        has_nan = nan.any(axis=axis, keepdims=True)
        chosen = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), chosen)
    return chosen.astype(np.int64)


def median(input, dim=None, keepdim=False):
    """The lower of the two middle values (no averaging, as torch); with dim, a named tuple
    (values, indices). NaN propagates."""
    if dim is None:
        if input.numel() == 0:
            return _wrap(np.array(np.nan, input._array.dtype))
        flat = shape.reshape(input, -1)
        chosen = _lower_median_indices(flat._array, 0)
        return index.gather(flat, 0, _wrap(chosen)).reshape(())
    axis = _normalize_dim(dim, input.ndim, "median")
    if input.ndim == 0:
        return _RETURN_TYPES["median"](input.clone(), _wrap(np.zeros((), np.int64)))
    if input._array.shape[axis] == 0:
        raise IndexError(f"median(): cannot compute the median of dim {dim} of size 0 in "
                         f"shape {tuple(input.shape)}")
    chosen = _wrap(_lower_median_indices(input._array, axis))
    values = index.gather(input, axis, chosen)
    if not keepdim:
        values, chosen = values.squeeze(axis), chosen.squeeze(axis)
    return _RETURN_TYPES["median"](values, chosen)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along dim (the smallest among equally frequent ones) and the
    index of its last occurrence, as torch's CPU kernel gives."""
    axis = _normalize_dim(dim, builtins.max(input.ndim, 1), "mode")
    array = input._array if input.ndim else input._array.reshape(1)
    moved = np.moveaxis(array, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    positions = np.empty(rows.shape[0], np.int64)
    for row_number, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        winner = values[np.argmax(counts)]  # argmax takes the first, i.e. smallest, value
        positions[row_number] = row.shape[0] - 1 - np.flatnonzero(row[::-1] == winner)[0]
    chosen = np.moveaxis(positions.reshape(moved.shape[:-1] + (1,)), -1, axis)
    if input.ndim == 0:
        return _RETURN_TYPES["mode"](input.clone(), _wrap(np.zeros((), np.int64)))
    indices = _wrap(chosen)
    values = index.gather(input, axis, indices)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return _RETURN_TYPES["mode"](values, indices)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along dim (all elements when None); a tensor q adds a leading dim.

    Differentiable: the two neighbouring sorted values are gathered and interpolated.
    """
    if input._array.dtype.kind != "f":
        raise RuntimeError(f"quantile() input tensor must be either float or double dtype, "
                           f"got {input.dtype}")
    scalar_q = isinstance(q, numbers.Real)
    q_array = np.atleast_1d(np.asarray(q._array if isinstance(q, Tensor) else q, np.float64))
    if q_array.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if ((q_array < 0) | (q_array > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"quantile() interpolation must be one of linear, lower, higher, "
                         f"midpoint or nearest. Got {interpolation}")
    source = shape.reshape(input, -1) if dim is None else input
    axis = 0 if dim is None else _normalize_dim(dim, input.ndim, "quantile")
    count = source._array.shape[axis]
    order = _wrap(np.argsort(source._array, axis=axis, kind="stable"))
    ordered = index.gather(source, axis, order)
    position = q_array * (count - 1)
    low = np.floor(position).astype(np.int64)
    high = np.ceil(position).astype(np.int64)
    fraction = position - low
    if interpolation == "lower":
        high = low
    elif interpolation == "higher":
        low = high
    elif interpolation == "nearest":  # round half to even, like torch
        low = high = np.round(position).astype(np.int64)
    elif interpolation == "midpoint":
        fraction = np.where(high > low, 0.5, 0.0)
    results = []
    for lo, hi, frac in zip(low, high, fraction):
        below = ordered.narrow(axis, int(lo), 1)
        above = ordered.narrow(axis, int(hi), 1)
        value = below if lo == hi else below + (above - below) * float(frac)
        if dim is None:
            value = value.reshape((1,) * input.ndim if keepdim else ())
        elif not keepdim:
            value = value.squeeze(axis)
        results.append(value)
    return results[0] if scalar_q else shape.stack(results, 0)


# ---------------------------------------------------------------- counting and membership
def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in a 1-D tensor (summed weights if given)."""
    array = input._array
    if array.dtype.kind not in "iub" or array.dtype.kind == "b":
        raise NotImplementedError(
            f'"bincount_cpu" not implemented for {input.dtype}. Hint: call .long() first.')
    if array.ndim != 1 or (array.size and array.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(np.bincount(array, minlength=minlength).astype(np.int64))
    weight_array = weights._array if isinstance(weights, Tensor) else np.asarray(weights)
    if weight_array.shape != array.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    # float32 weights give float32 counts, any other weights float64, as in torch
    out_dtype = np.float32 if weight_array.dtype == np.float32 else np.float64
    return _wrap(np.bincount(array, weight_array, minlength).astype(out_dtype))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor of elements' shape: is each element among test_elements?"""
    values = elements._array if isinstance(elements, Tensor) else np.asarray(elements)
    tests = test_elements._array if isinstance(test_elements, Tensor) else test_elements
    return _wrap(np.asarray(np.isin(values, tests, assume_unique=assume_unique, invert=invert)))


def fill_diagonal_(input, fill_value, wrap=False):
    """Write fill_value on the main diagonal in place (all dims equal above 2-D); with wrap,
    a tall matrix's diagonal restarts below every square block, as in torch."""
    if input.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if input.ndim > 2 and len(set(input.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(input._array.shape, np.bool_)
    np.fill_diagonal(mask, True, wrap=wrap)
    return input._assign(index.masked_fill(input, _wrap(mask), fill_value))


class Unfold(Primitive):
    """Sliding windows of `size` every `step` along one axis, as a new last axis (a copy: torch
    returns a view, so writes through it differ)."""

    @staticmethod
    def forward(ctx, a, axis, size, step):
        windows = np.lib.stride_tricks.sliding_window_view(a, size, axis=axis)
        out = np.ascontiguousarray(windows[(slice(None),) * axis + (slice(None, None, step),)])
        ctx.shape, ctx.axis, ctx.step = a.shape, axis, step
        return out

    @staticmethod
    def backward(ctx, grad):
        # window position k of every window j came from index j * step + k: add each back
        out = np.zeros(ctx.shape, grad.dtype)
        count = grad.shape[ctx.axis]
        for k in range(grad.shape[-1]):
            target = (slice(None),) * ctx.axis + (slice(k, k + ctx.step * (count - 1) + 1,
                                                        ctx.step),)
            out[target] += grad[..., k]
        return out, None, None, None


def unfold(input, dimension, size, step):
    """Tensor.unfold: every window of `size` elements, `step` apart, along `dimension`."""
    zero_dim = input.ndim == 0
    if zero_dim:  # a 0-d tensor is one window of one element, shape (1,) as in torch
        input = input.reshape(1)
    axis = _normalize_dim(dimension, input.ndim, "unfold")
    length = input._array.shape[axis]
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size "
                           f"is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if zero_dim and size == 1:
        return input
    return Unfold.apply(input, axis, size, step)


def restride_(input, result):
    """Give `input` the shape of `result`, a view of it (unsqueeze_, t_...), in place: the data
    is shared, so only the metadata and, under autograd, the history change."""
    input._check_inplace()
    input._array = result._array
    input._vc[0] += 1
    if result._requires_grad:
        input.grad_fn, input._out_index = result.grad_fn, result._out_index
        input._vc[1] += 1  # views taken before this point now have stale histories
    return input


# ---------------------------------------------------------------- grids and repetition
def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors; indexing 'ij' (torch's default) or 'xy' (NumPy's)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for tensor in tensors:
        if tensor.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {tuple(tensor.shape)}")
    swap = indexing == "xy" and len(tensors) >= 2
    ordered = list(tensors)
    if swap:  # 'xy' is 'ij' with the first two inputs (and output dims) exchanged
        ordered[0], ordered[1] = ordered[1], ordered[0]
    sizes = [builtins.max(t.numel(), 1) if t.ndim else 1 for t in ordered]
    grids = []
    for position, tensor in enumerate(ordered):
        view_shape = [1] * len(ordered)
        view_shape[position] = sizes[position]
        grids.append(tensor.reshape(view_shape).expand(*sizes))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def tile(input, dims):
    """Repeat input along each dim; missing leading entries of dims count as 1."""
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return shape.repeat(input, *dims)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along dim, after attaching prepend/append."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = _normalize_dim(dim, input.ndim, "diff")
    if prepend is not None or append is not None:
        parts = [prepend, input, append]
        input = cat([_along(part, input, axis) for part in parts if part is not None], axis)
    for _ in range(n):
        length = input._array.shape[axis]
        if length == 0:
            break
        later, earlier = input.narrow(axis, 1, length - 1), input.narrow(axis, 0, length - 1)
        input = (later ^ earlier) if input._array.dtype == np.bool_ else later - earlier
    return input


def _along(part, input, axis):
    """A prepend/append value as a tensor: a number fills one slice along axis, as in torch."""
    if isinstance(part, Tensor):
        return part
    slice_shape = list(input.shape)
    slice_shape[axis] = 1
    return _wrap(np.full(slice_shape, part, dtype=input._array.dtype))
