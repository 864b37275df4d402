"""torch's legacy tensor types: lamina.FloatTensor([1, 2]), lamina.LongTensor(2, 3), ...

As in torch, each is a class that constructs a Tensor of its dtype when called, and
`isinstance(x, lamina.FloatTensor)` is True for a float32 tensor (its metaclass checks the
dtype; no tensor is an instance of the class itself). `x.type(lamina.LongTensor)` and
`x.type("torch.LongTensor")` convert (see `dtype_of`).
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import _dtype
from lamina._tensor import Size, Tensor, _wrap


def _constructor(name: str, dtype):
    numpy_dtype = _dtype.to_numpy_dtype(dtype)

    def construct(*args):
        if not args:
            return _wrap(np.empty((0,), dtype=numpy_dtype))
        # a Size is sizes, but a plain tuple is data: FloatTensor((2, 5)) holds 2 and 5
        sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
        if all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sizes):
            # sizes: uninitialised memory, as in torch (NumPy's empty)
            return _wrap(np.empty(tuple(int(s) for s in sizes), dtype=numpy_dtype))
        if len(args) != 1:
            raise TypeError(
                f"{name}(): expected sizes (ints) or one sequence of data, got "
                f"{', '.join(type(a).__name__ for a in args)}"
            )
        data = args[0]
        if isinstance(data, Tensor):
            if data._array.dtype != numpy_dtype:
                raise TypeError(
                    f"{name}(): expected a tensor of dtype {dtype}, got {data.dtype}. "
                    f"Hint: use tensor.to({dtype}) to convert it."
                )
            return _wrap(data._array)  # shares memory, as torch's does
        return _wrap(np.array(data, dtype=numpy_dtype))

    construct.__name__ = construct.__qualname__ = name
    construct.__doc__ = (f"A {dtype} tensor from data (a nested sequence) or of the given "
                         "sizes (uninitialised).")
    return construct


class LegacyTensorType(type):
    """The type of lamina.FloatTensor and friends: calling one constructs, isinstance checks
    the dtype (of a tensor with data: a meta tensor is no FloatTensor, as in torch)."""

    def __call__(cls, *args):
        return cls._construct(*args)

    def __instancecheck__(cls, value):
        return (isinstance(value, Tensor) and value._array.dtype == cls._numpy_dtype
                and not value.is_meta)

    def __repr__(cls):
        return f"<class 'lamina.{cls.__name__}'>"


def _type(name: str, dtype) -> LegacyTensorType:
    return LegacyTensorType(name, (), {
        "dtype": dtype, "_numpy_dtype": _dtype.to_numpy_dtype(dtype),
        "_construct": staticmethod(_constructor(name, dtype)),
        "__doc__": f"A {dtype} tensor from data (a nested sequence) or of the given sizes "
                   "(uninitialised); isinstance(x, this) checks x's dtype."})


FloatTensor = _type("FloatTensor", _dtype.float32)
DoubleTensor = _type("DoubleTensor", _dtype.float64)
HalfTensor = _type("HalfTensor", _dtype.float16)
LongTensor = _type("LongTensor", _dtype.int64)
IntTensor = _type("IntTensor", _dtype.int32)
ShortTensor = _type("ShortTensor", _dtype.int16)
CharTensor = _type("CharTensor", _dtype.int8)
ByteTensor = _type("ByteTensor", _dtype.uint8)
BoolTensor = _type("BoolTensor", _dtype.bool_)
_BY_NAME = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, LongTensor,
                                     IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor)}


def type_name(numpy_dtype: np.dtype) -> str:
    """x.type() for a tensor of this dtype: 'lamina.FloatTensor', ..."""
    for legacy in _BY_NAME.values():
        if legacy._numpy_dtype == numpy_dtype:
            return f"lamina.{legacy.__name__}"
    raise TypeError(f"no legacy tensor type for {numpy_dtype}")


def dtype_of(value):
    """The dtype meant by `x.type(value)`: a legacy type, its name ('torch.LongTensor' as torch
    code writes it, or 'lamina.LongTensor'), or a dtype."""
    if isinstance(value, LegacyTensorType):
        return value.dtype
    if isinstance(value, str):
        prefix, _, name = value.rpartition(".")
        if prefix in ("torch", "lamina") and name in _BY_NAME:
            return _BY_NAME[name].dtype
        raise ValueError(
            f"invalid type: {value!r}. Hint: lamina has CPU tensors only; use a name such as "
            "'torch.FloatTensor' or 'torch.LongTensor', or a dtype."
        )
    return value
