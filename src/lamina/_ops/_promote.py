"""Type promotion and operand preparation for ops that take two or more values.

torch's rules, which NumPy's differ from in places that would silently upcast:
- a Python scalar never widens a tensor of its own kind (float32 * 2.5 stays float32);
- a float scalar with an integer or bool tensor gives the default float dtype (float32);
- between tensors, a 0-dim tensor only decides the result when its kind is higher.
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import _dtype
from lamina._tensor import Tensor, _wrap

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _scalar_kind(value) -> int:
    if isinstance(value, (bool, np.bool_)):
        return 0
    if isinstance(value, numbers.Integral):
        return 1
    if isinstance(value, numbers.Real):
        return 2
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


def result_dtype(*operands) -> np.dtype:
    """The NumPy dtype torch would give for an elementwise op over `operands`."""
    dims, zero_dims, scalar_rank = [], [], -1
    for o in operands:
        if isinstance(o, Tensor):
            (dims if o._array.ndim else zero_dims).append(o._array.dtype)
        elif o is not None:
            scalar_rank = max(scalar_rank, _scalar_kind(o))
    result = np.result_type(*dims) if dims else None
    if zero_dims:
        zero = np.result_type(*zero_dims)
        if result is None or _KIND_RANK[zero.kind] > _KIND_RANK[result.kind]:
            result = zero
    if result is None:
        return _dtype.get_default_dtype().numpy if scalar_rank == 2 else (
            np.dtype(np.bool_) if scalar_rank == 0 else np.dtype(np.int64))
    if scalar_rank > _KIND_RANK[result.kind]:
        result = _dtype.get_default_dtype().numpy if scalar_rank == 2 else np.dtype(np.int64)
    return result


def as_operand(value, dtype: np.dtype):
    """A Tensor or Python scalar ready for a primitive computing in `dtype`."""
    if isinstance(value, Tensor):
        if value._array.dtype == dtype:
            return value
        return value.to(_dtype.from_numpy_dtype(dtype))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        return _wrap(np.asarray(value, dtype=dtype))
    if not isinstance(value, numbers.Number):
        raise TypeError(f"unsupported operand type: {type(value).__name__}")
    return value


def binary(input, other, floating: bool = False):
    """Both operands of a binary op, cast to torch's common dtype (float if `floating`)."""
    if type(input) is type(other) and input._array.dtype == other._array.dtype:
        if not floating or input._array.dtype.kind == "f":
            return input, other
    if isinstance(input, (np.ndarray, list, tuple)):
        input = _wrap(np.asarray(input))
    if isinstance(other, (np.ndarray, list, tuple)):
        other = _wrap(np.asarray(other))
    dtype = result_dtype(input, other)
    if floating and dtype.kind != "f":
        dtype = _dtype.get_default_dtype().numpy
    return as_operand(input, dtype), as_operand(other, dtype)


def floating(input: Tensor) -> Tensor:
    """`input` itself if floating point, else cast to the default float dtype (like torch)."""
    if input._array.dtype.kind == "f":
        return input
    return input.to(_dtype.get_default_dtype())


def shapes_text(*values) -> str:
    return " and ".join(
        str(tuple(v._array.shape)) if isinstance(v, Tensor) else repr(v) for v in values
    )
