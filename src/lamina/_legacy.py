"""torch's legacy typed constructors: lamina.FloatTensor([1, 2]), lamina.LongTensor(2, 3), ...

Each is a plain function, not a class: `isinstance(x, lamina.FloatTensor)` is not supported
(check `x.dtype == lamina.float32` instead).
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


FloatTensor = _constructor("FloatTensor", _dtype.float32)
DoubleTensor = _constructor("DoubleTensor", _dtype.float64)
HalfTensor = _constructor("HalfTensor", _dtype.float16)
LongTensor = _constructor("LongTensor", _dtype.int64)
IntTensor = _constructor("IntTensor", _dtype.int32)
ShortTensor = _constructor("ShortTensor", _dtype.int16)
CharTensor = _constructor("CharTensor", _dtype.int8)
ByteTensor = _constructor("ByteTensor", _dtype.uint8)
BoolTensor = _constructor("BoolTensor", _dtype.bool_)
