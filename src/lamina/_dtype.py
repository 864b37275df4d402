"""lamina's dtypes: thin named wrappers over NumPy dtypes, spelled like torch's."""

from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type; `lamina.float32` and friends are the only instances."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, numpy_dtype, is_floating_point: bool, is_signed: bool):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"lamina.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    @property
    def is_complex(self) -> bool:
        return False


float32 = dtype("float32", np.float32, True, True)
float64 = dtype("float64", np.float64, True, True)
float16 = dtype("float16", np.float16, True, True)
int64 = dtype("int64", np.int64, False, True)
int32 = dtype("int32", np.int32, False, True)
int16 = dtype("int16", np.int16, False, True)
int8 = dtype("int8", np.int8, False, True)
uint8 = dtype("uint8", np.uint8, False, False)
bool_ = dtype("bool", np.bool_, False, False)


class _UnstorableDtype(dtype):
    """A torch dtype lamina can name but not store (NumPy has no bfloat16): scripts may pass it
    to `autocast(dtype=...)`, and making a tensor of it raises TypeError."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: int):
        self.name, self.itemsize = name, itemsize
        self.is_floating_point = self.is_signed = True

    @property
    def numpy(self):
        raise TypeError(f"lamina has no {self.name} tensors: NumPy has no {self.name} type. "
                        "Hint: use lamina.float32 (or float16).")


bfloat16 = _UnstorableDtype("bfloat16", 2)

# torch's aliases for the same types
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

_ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL + (bfloat16,)}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(numpy_dtype) -> dtype:
    """The lamina dtype for a NumPy dtype; TypeError for types lamina has no twin of."""
    try:
        return _BY_NUMPY[np.dtype(numpy_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(numpy_dtype)}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_numpy_dtype(d) -> np.dtype:
    """Accept a lamina dtype, a NumPy dtype or a Python type and give the NumPy dtype."""
    if isinstance(d, dtype):
        return d.numpy
    if d is builtins_float:
        return float32.numpy
    if d is builtins_int:
        return int64.numpy
    if d is builtins_bool:
        return bool_.numpy
    if d is None:  # np.dtype(None) would silently mean float64
        raise TypeError("expected a dtype such as lamina.float32, got None")
    return from_numpy_dtype(d).numpy


import builtins as _builtins  # noqa: E402  (after the aliases that shadow float/int)

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool

_default_float = [float32]


def get_default_dtype() -> dtype:
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    if d not in (float32, float64, float16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float[0] = d


class finfo:
    """Limits of a floating dtype, as Python numbers: `lamina.finfo(lamina.float32).eps`."""

    def __init__(self, type=None):
        d = type or get_default_dtype()
        if not d.is_floating_point:
            raise TypeError(f"finfo: expected a floating point dtype, got {d}")
        info = np.finfo(d.numpy)
        self.dtype = d.name
        self.bits = builtins_int(info.bits)
        self.eps = builtins_float(info.eps)
        self.max, self.min = builtins_float(info.max), builtins_float(info.min)
        self.tiny = self.smallest_normal = builtins_float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins_int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: `lamina.iinfo(lamina.int64).max`."""

    def __init__(self, type):
        if type.is_floating_point:
            raise TypeError(f"iinfo: expected an integer dtype, got {type}")
        info = np.iinfo(type.numpy) if type is not bool_ else np.iinfo(np.uint8)
        self.dtype = type.name
        self.bits = builtins_int(info.bits)
        self.min, self.max = builtins_int(info.min), builtins_int(info.max)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
