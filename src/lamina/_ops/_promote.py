"""Type promotion and operand preparation for ops that take two or more values.

torch's rules, which NumPy's differ from in places that would silently upcast:
- kinds rank bool < integer < floating; a higher kind always wins (int64 + float16 is float16,
  where NumPy says float64), within a kind the wider type wins;
- operands come in three priority groups: tensors with dimensions, 0-dim tensors, Python
  scalars. A lower group only matters when its kind is higher than the groups above it, so
  float32 * 2.5 and float32 * tensor(2.5, dtype=float64) both stay float32;
- a Python float meeting integer or bool tensors gives the default float dtype (float32).
NumPy scalars (np.float64(2.0)) count as Python scalars, as they do in torch.
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import _dtype
from lamina._tensor import Tensor, _wrap

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}
_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)


def _scalar_dtype(value) -> np.dtype:
    """The dtype torch gives a Python scalar operand: bool, int64 or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, numbers.Integral):
        return _INT64
    if isinstance(value, numbers.Real):
        return _dtype.get_default_dtype().numpy
    raise TypeError(
        f"unsupported operand type: {type(value).__name__} (expected a Tensor or a number)"
    )


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types on NumPy dtypes: a higher kind wins outright."""
    if a == b:
        return a
    rank_a, rank_b = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """Fold a lower-priority group's dtype into a higher one's, as torch does."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_dtype(*operands) -> np.dtype:
    """The NumPy dtype torch would give for an elementwise op over `operands`."""
    dims = zero_dims = scalars = None
    for o in operands:
        if isinstance(o, Tensor):
            d = o._array.dtype
            if o._array.ndim:
                dims = d if dims is None else promote_types(dims, d)
            else:
                zero_dims = d if zero_dims is None else promote_types(zero_dims, d)
        elif o is not None:
            d = _scalar_dtype(o)
            scalars = d if scalars is None else promote_types(scalars, d)
    result = _combine(dims, _combine(zero_dims, scalars))
    if result is None:
        raise TypeError("expected at least one Tensor or number operand")
    return result


def as_operand(value, dtype: np.dtype):
    """A Tensor or Python scalar ready for a primitive computing in `dtype`."""
    if isinstance(value, Tensor):
        if value._array.dtype == dtype:
            return value
        return value.to(_dtype.from_numpy_dtype(dtype))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Number):
        return value
    raise TypeError(
        f"unsupported operand type: {type(value).__name__} (expected a Tensor or a number)"
    )


def _as_tensor(value):
    if isinstance(value, (np.ndarray, list, tuple)):
        array = np.asarray(value)
        if array.dtype == np.float64 and not isinstance(value, np.ndarray):
            array = array.astype(_dtype.get_default_dtype().numpy)  # [0.5] is float32 in torch
        return _wrap(array)
    return value


_PLAIN_SCALARS = (int, float)


def binary(input, other, floating: bool = False):
    """Both operands of a binary op, cast to torch's common dtype (float if `floating`).

    The two common cases (same-dtype tensors, a float tensor with a Python number) return at
    once: this runs on every arithmetic operator.
    """
    if isinstance(input, Tensor):
        kind = input._array.dtype.kind
        if isinstance(other, Tensor):
            if input._array.dtype == other._array.dtype and (not floating or kind == "f"):
                return input, other
        elif type(other) in _PLAIN_SCALARS and kind == "f":
            return input, other
    input, other = _as_tensor(input), _as_tensor(other)
    dtype = result_dtype(input, other)
    if floating and dtype.kind != "f":
        dtype = _dtype.get_default_dtype().numpy
    return as_operand(input, dtype), as_operand(other, dtype)


def floating(input: Tensor) -> Tensor:
    """`input` itself if floating point, else cast to the default float dtype (like torch)."""
    if input._array.dtype.kind == "f":
        return input
    return input.to(_dtype.get_default_dtype())


def broadcast_error(op, a, b, error):
    """The RuntimeError torch would raise for operands NumPy refused, in the op's own terms."""
    if "broadcast" not in str(error):
        return RuntimeError(f"{op}: {error} (operands {shapes_text(a, b)})")
    return RuntimeError(
        f"{op}: shapes {shapes_text(a, b)} cannot be broadcast together: the sizes "
        "must be equal or 1 in each dimension, counted from the last. "
        "Hint: check the shapes, or use unsqueeze()/reshape() to line the axes up."
    )


def shapes_text(*values) -> str:
    return " and ".join(
        str(tuple(v._array.shape)) if isinstance(v, Tensor) else repr(v) for v in values
    )
