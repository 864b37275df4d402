"""The meta device: tensors with a shape and a dtype but no data.

A meta tensor's array is a zero-strided view of one zero scalar per dtype, so a (5000, 5000)
weight costs no memory, and views of it (reshape, transpose, slicing) stay meta for free. Ops
reach meta tensors through the one dispatch point, `Function.apply`: the hook below runs the op
on those zero views (contractions first shrink the summed axis to 1, so nothing big is
computed) and turns every result back into a meta view. Factories make meta tensors under
`with lamina.device("meta"):` or with `device="meta"`. Random fills and `_assign` skip them.
"""

from __future__ import annotations

import sys

import numpy as np

_function = None  # lamina.autograd.function, bound when the first meta array is made

# One zero scalar per dtype; a meta array is exactly an array whose memory is one of these.
_SOURCES: dict[np.dtype, np.ndarray] = {}


def meta_array(shape, dtype) -> np.ndarray:
    """A data-less array of this shape and dtype (a zero-strided view of a scalar)."""
    dtype = np.dtype(dtype)
    source = _SOURCES.get(dtype)
    if source is None:
        source = _SOURCES[dtype] = np.zeros((), dtype)
    _install()
    shape = tuple(shape)
    # writeable on purpose: layers that reset buffers with `t._array[...] = 0` keep working
    # (every element is the one scalar; `_dispatch` zeroes it again before each meta op)
    return np.ndarray(shape, dtype, buffer=source, strides=(0,) * len(shape))


def is_meta_array(array) -> bool:
    base = array.base
    return base is not None and base is _SOURCES.get(array.dtype)


def to_meta(tensor):
    """A new meta tensor with `tensor`'s shape, dtype and requires_grad."""
    from lamina._tensor import _wrap

    out = _wrap(meta_array(tensor._array.shape, tensor._array.dtype))
    out._requires_grad = tensor._requires_grad
    return out


def _install() -> None:
    # The hook stays while any meta array is alive (they outlive the `with` block that made
    # them); `_dispatch` takes itself out once none is left, so ordinary ops run hook-free.
    global _function, _Tensor
    if _function is None:
        from lamina._tensor import Tensor as _Tensor
        from lamina.autograd import function as _function
    if _function.dispatch_hook[0] is None:
        _function.dispatch_hook[0] = _dispatch


_Tensor = None  # lamina.Tensor, bound by _install (this module is imported by _tensor.py)


def _references(sources: dict) -> int:
    return max(sys.getrefcount(source) for source in sources.values())


# every meta array holds its source as `.base`; with none alive, a source is referenced only
# by the dict and this very count (measured the same way, so it holds on any CPython)
_IDLE_REFERENCES = _references({0: np.zeros(())})


def _any_alive() -> bool:
    return bool(_SOURCES) and _references(_SOURCES) > _IDLE_REFERENCES


def _has_meta(args) -> bool:
    # on the path of every op while a meta tensor exists: kept to a few attribute reads
    sources = _SOURCES
    for value in args:
        if isinstance(value, _Tensor):
            array = value._array
            base = array.base
            if base is not None and sources.get(array.dtype) is base:
                return True
        elif type(value) in (list, tuple) and _has_meta(value):
            return True
    return False


def _dispatch(function, args, kwargs, run):
    if not _has_meta(args):
        hooks = _function.dispatch_hook
        if hooks[0] is _dispatch and not _any_alive():
            hooks[0] = None
        return run()
    for source in _SOURCES.values():  # meta values read as zeros (valid indices, no NaN)
        source[()] = 0
    shrink = _CONTRACTIONS.get(function.__name__)
    if shrink is None or not getattr(function, "_on_arrays", False):
        with np.errstate(all="ignore"):  # 0 / 0 on the stand-in zeros means nothing
            return _as_meta(run())
    # run the op on the shrunk arguments without coming back here
    hooks = _function.dispatch_hook
    hooks[0] = None
    try:
        return _as_meta(function.apply(*shrink(args), **kwargs))
    finally:
        hooks[0] = _dispatch


def _as_meta(result):
    from lamina._tensor import Tensor

    if isinstance(result, Tensor):
        if not is_meta_array(result._array):
            result._array = meta_array(result._array.shape, result._array.dtype)
        return result
    if isinstance(result, (tuple, list)):
        return type(result)(_as_meta(item) for item in result)
    return result


# -------------------------------------------------------------------- contractions
# For these ops the output shape does not depend on the length of the summed axis, so it is
# cut to 1 before running: a meta Linear(5000, 5000) then costs 5000 multiplications, not 25M.
def _first(tensor, axis):
    from lamina._tensor import _wrap

    array = tensor._array
    if array.ndim == 0 or array.shape[axis] == 0:
        return tensor
    index = [slice(None)] * array.ndim
    index[axis] = slice(0, 1)
    out = _wrap(array[tuple(index)])
    out._requires_grad = tensor._requires_grad
    return out


def _shrink_matmul(args):
    a, b = args[0], args[1]
    if a.ndim == 0 or b.ndim == 0:
        return args
    return (_first(a, -1), _first(b, 0 if b.ndim == 1 else -2)) + tuple(args[2:])


def _shrink_linear(args):
    x, weight = args[0], args[1]
    return (_first(x, -1), _first(weight, -1)) + tuple(args[2:])


def _shrink_convolution(args):
    # (x, weight, bias, stride, padding, dilation, groups): input channels are summed over
    x, weight, groups = args[0], args[1], args[6]
    if groups != 1:
        return args
    return (_first(x, 1), _first(weight, 1)) + tuple(args[2:])


def _shrink_transposed_convolution(args):
    x, weight, groups = args[0], args[1], args[6]
    if groups != 1:
        return args
    return (_first(x, 1), _first(weight, 0)) + tuple(args[2:])


_CONTRACTIONS = {
    "Matmul": _shrink_matmul,
    "Linear": _shrink_linear,
    "Convolution": _shrink_convolution,
    "TransposedConvolution": _shrink_transposed_convolution,
}
