"""Tensor factories: tensor, zeros, ones, full, arange, linspace, eye, randn, rand, randint..."""

from __future__ import annotations

import builtins
import math
import numbers
import warnings

import numpy as np

from lamina import _dtype
from lamina._device import check_available
from lamina._meta import meta_array
from lamina._ops._promote import promote_types
from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import Tensor, _wrap
from lamina.random import _rng, default_generator


def _shape_args(size, op="tensor", keyword=None):
    """Accept f(2, 3), f((2, 3)), f([2, 3]), f(Size) and f(size=(2, 3)); sizes may be 0-d
    tensors."""
    if keyword is not None:
        if size:
            raise TypeError(f"{op}() got the size both positionally and as size=")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(builtins.int(s) for s in size)
    for n in shape:
        if n < 0:
            raise RuntimeError(
                f"{op}: Trying to create tensor with negative dimension {n}: {list(shape)}"
            )
    return shape


def _finish(array, requires_grad):
    t = _wrap(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _stream(generator):
    return generator or default_generator


def _on_meta(device) -> bool:
    """True if a factory should build a data-less meta tensor; raises for devices we lack."""
    return check_available(device).type == "meta"


def _meta(shape, numpy_dtype, requires_grad):
    return _finish(meta_array(shape, numpy_dtype), requires_grad)


def _float_dtype(dtype):
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().numpy


def _infer_numpy_dtype(data) -> np.dtype:
    """torch's inference: Python floats become the default float, ints int64, bools bool."""
    if isinstance(data, np.ndarray):
        return data.dtype
    if isinstance(data, Tensor):
        return data._array.dtype
    array = np.asarray(data)
    if array.dtype.kind == "f" and not isinstance(data, np.generic):
        return _dtype.get_default_dtype().numpy
    if array.dtype.kind in "iu" and not isinstance(data, np.generic):
        return np.dtype(np.int64)
    if array.dtype.kind == "O":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return array.dtype


_PYTHON_SCALARS = frozenset((float, int, bool))


def _read_sequence(data, typed: list, plain: list):
    """`data` (a list or tuple) ready for np.array, read as torch reads it.

    A Tensor inside is one scalar, as in torch (so a list of 1-element model outputs gives
    shape (n,), and a tensor of more elements is refused); an ndarray inside keeps its shape.
    The dtypes of the Tensors, ndarrays and NumPy scalars met go to `typed`; Python scalars
    (flat lists of them whole) go to `plain`, so their dtype is only worked out when needed.
    """
    if all(type(item) in _PYTHON_SCALARS for item in data):  # the common case, kept fast
        plain.append(data)
        return data
    items = []
    for item in data:
        if isinstance(item, (list, tuple)):
            item = _read_sequence(item, typed, plain)
        elif isinstance(item, Tensor):
            array = item._array
            if array.size != 1:
                # torch's types for this: TypeError for an integer tensor, ValueError otherwise
                error = TypeError if array.dtype.kind in "iub" else ValueError
                raise error(
                    "tensor(): a tensor inside a list is read as one number (only one element "
                    f"tensors can be converted to Python scalars), got shape "
                    f"{tuple(array.shape)}. Hint: use lamina.stack(tensors) to join tensors."
                )
            typed.append(array.dtype)
            item = array.reshape(())
        elif isinstance(item, (np.ndarray, np.generic)):
            typed.append(item.dtype)
        else:
            plain.append((item,))
        items.append(item)
    return items


def _sequence_dtype(typed: list, plain: list) -> np.dtype:
    """torch's promotion over a sequence's elements: each Python float counts as the default
    float, each int as int64 (so float64 arrays stay float64, float16 scalars with Python
    floats become float32)."""
    result = None
    for values in plain:
        if len(values):
            result = _fold(result, _infer_numpy_dtype(values))
    for dtype in typed:
        result = _fold(result, dtype)
    return result


def _fold(result, dtype):
    if result is None:
        return dtype
    if result.kind in "biuf" and dtype.kind in "biuf":
        return promote_types(result, dtype)
    return np.promote_types(result, dtype)  # complex or strings: refused once built


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data`, with torch's dtype inference."""
    check_available(device)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    numpy_dtype = None if dtype is None else _dtype.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "lamina.tensor(sourceTensor).", UserWarning, stacklevel=2)
        data = data._array
    elif isinstance(data, (list, tuple)):
        typed, plain = [], []
        data = _read_sequence(data, typed, plain)
        if numpy_dtype is None and typed:
            numpy_dtype = _sequence_dtype(typed, plain)
    token = quiet_fp()  # a float16 tensor of 1e30 is inf, silently as in torch
    try:
        if numpy_dtype is None:
            numpy_dtype = _infer_numpy_dtype(data)
        array = np.array(data, dtype=numpy_dtype)
    except ValueError as error:
        raise ValueError(
            f"tensor(): could not build a tensor from the given data ({error}). "
            "Hint: nested lists must be rectangular (same length at each level)."
        ) from None
    finally:
        restore_fp(token)
    _dtype.from_numpy_dtype(array.dtype)  # TypeError for object, string and complex data
    return _finish(array, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a Tensor or ndarray of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
        if dtype is None or _dtype.to_numpy_dtype(dtype) == data.dtype:
            return _wrap(data)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with `ndarray` (writes through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def _filled(make, size, keyword, dtype, device, requires_grad, op):
    shape, numpy_dtype = _shape_args(size, op, keyword), _float_dtype(dtype)
    if _on_meta(device):
        return _meta(shape, numpy_dtype, requires_grad)
    return _finish(make(shape, dtype=numpy_dtype), requires_grad)


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _filled(np.zeros, shape, size, dtype, device, requires_grad, "zeros")


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _filled(np.ones, shape, size, dtype, device, requires_grad, "ones")


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _filled(np.empty, shape, size, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    numpy_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else _infer_numpy_dtype(
        fill_value)
    shape = _shape_args((size,), "full")
    if _on_meta(device):
        return _meta(shape, numpy_dtype, requires_grad)
    return _finish(np.full(shape, fill_value, dtype=numpy_dtype), requires_grad)


def _like(input, dtype):
    return input._array.dtype if dtype is None else _dtype.to_numpy_dtype(dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input._array.shape, dtype=_like(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input._array.shape, dtype=_like(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.empty(input._array.shape, dtype=_like(input, dtype)), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.full(input._array.shape, fill_value, dtype=_like(input, dtype)),
                   requires_grad)


def rand_like(input, *, dtype=None, generator=None, requires_grad=False):
    return rand(*input._array.shape, dtype=dtype or input.dtype, generator=generator,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, requires_grad=False):
    return randn(*input._array.shape, dtype=dtype or input.dtype, generator=generator,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._array.shape, dtype=dtype or input.dtype, generator=generator)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    check_available(device)
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign: start="
            f"{values[0]}, end={values[1]}, step={values[2]}"
        )
    if dtype is None:
        floating = any(isinstance(v, builtins.float) for v in values)
        numpy_dtype = _dtype.get_default_dtype().numpy if floating else np.dtype(np.int64)
    else:
        numpy_dtype = _dtype.to_numpy_dtype(dtype)
    start, end, step = values
    if builtins.all(isinstance(v, numbers.Integral) for v in values):
        count = -(-(end - start) // step)
    else:
        count = builtins.int(math.ceil((end - start) / step))
    # computed in float64 then cast, as torch does, so float32 endpoints stay exact
    array = (start + step * np.arange(count, dtype=np.float64)).astype(numpy_dtype) \
        if numpy_dtype.kind == "f" else np.arange(start, end, step, dtype=numpy_dtype)
    return _finish(array, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    array = np.linspace(start, end, steps, dtype=np.float64).astype(_float_dtype(dtype))
    return _finish(array, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, requires_grad=False):
    array = np.logspace(start, end, steps, base=base, dtype=np.float64).astype(_float_dtype(dtype))
    return _finish(array, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    numpy_dtype = _float_dtype(dtype)
    shape = _shape_args(shape, "randn", size)
    if _on_meta(device):
        return _meta(shape, numpy_dtype, requires_grad)
    array = _stream(generator).normal(shape, numpy_dtype, 0.0, 1.0)
    return _finish(array, requires_grad)


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    numpy_dtype = _float_dtype(dtype)
    shape = _shape_args(shape, "rand", size)
    if _on_meta(device):
        return _meta(shape, numpy_dtype, requires_grad)
    array = _stream(generator).uniform(shape, numpy_dtype, 0.0, 1.0)
    return _finish(array, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    numpy_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    if high <= low:
        raise RuntimeError(
            f"randint: expects 'low' to be less than 'high', but got low={low} >= high={high}"
        )
    check_available(device)
    array = _stream(generator).integers(builtins.int(low), builtins.int(high),
                                        _shape_args((size,), "randint"))
    array = array.astype(numpy_dtype, copy=False)
    return _finish(array, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    numpy_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    array = _stream(generator).permutation(builtins.int(n)).astype(numpy_dtype, copy=False)
    return _finish(array, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None):
    """Samples from N(mean, std); mean/std may be tensors (broadcast) or floats with `size`."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        mean_t = mean if isinstance(mean, Tensor) else None
        std_t = std if isinstance(std, Tensor) else None
        ref = mean_t if mean_t is not None else std_t
        shape = np.broadcast_shapes(*(t._array.shape for t in (mean_t, std_t) if t is not None))
        noise = _rng(generator).standard_normal(shape, dtype=ref._array.dtype)
        m = mean_t._array if mean_t is not None else mean
        s = std_t._array if std_t is not None else std
        return _wrap((noise * s + m).astype(ref._array.dtype, copy=False))
    if size is None:
        raise TypeError("normal(): with float mean and std, `size` must be given")
    out = randn(*size, generator=generator, dtype=dtype)
    out._array *= out._array.dtype.type(std)
    out._array += out._array.dtype.type(mean)
    return out


def bernoulli(input, p=None, *, generator=None):
    probability = input._array if p is None else p
    values = _rng(generator).random(input._array.shape, dtype=np.float64) < probability
    return _wrap(values.astype(input._array.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    rng = _rng(generator)
    probabilities = np.atleast_2d(input._array).astype(np.float64)
    rows = []
    for row in probabilities:
        row = row / row.sum()
        rows.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row))
    out = np.asarray(rows, dtype=np.int64)
    return _wrap(out if input.ndim == 2 else out[0])
