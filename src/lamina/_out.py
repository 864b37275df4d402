"""The `out=` keyword of torch's functions: `lamina.mul(a, b, out=c)` writes the result into c.

One wrapper serves every function that takes it (`NAMES`; `lamina/__init__.py` wraps them
when it exports them), so the ops themselves never see `out`. As in torch:
- the result is computed as usual, then written into `out` (in place: views of `out` see it),
  and `out` is returned; for ops returning (values, indices), `out` is a pair of tensors;
- a result dtype that cannot be cast to out's (float into an integer tensor) is an error;
- an `out` of another shape is resized, with torch's UserWarning unless it was empty;
- with grad mode on, no argument (and not `out`) may require grad: out= does not record.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from lamina._dtype import from_numpy_dtype
from lamina._tensor import Tensor
from lamina.autograd.grad_mode import _enabled

# torch's functions with an out= overload, among those lamina exports at top level
NAMES = (
    # pointwise
    "abs", "absolute", "acos", "acosh", "add", "addcdiv", "addcmul", "arccos", "arccosh",
    "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan", "atan2",
    "atanh", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "ceil", "clamp", "clip",
    "cos", "cosh", "div", "divide", "eq", "erf", "exp", "exp2", "expm1", "float_power", "floor",
    "floor_divide", "fmod", "frac", "ge", "greater", "greater_equal", "gt", "isin", "le",
    "lerp", "less", "less_equal", "log", "log10", "log1p", "log2", "logical_and", "logical_not",
    "logical_or", "logical_xor", "lt", "maximum", "minimum", "mul", "multiply", "ne", "neg",
    "negative", "not_equal", "pow", "reciprocal", "remainder", "round", "rsqrt", "sigmoid",
    "sign", "sin", "sinh", "sqrt", "square", "sub", "subtract", "tan", "tanh", "true_divide",
    "trunc", "where",
    # reductions and scans
    "all", "amax", "amin", "any", "argmax", "argmin", "cumprod", "cumsum", "logsumexp", "max",
    "mean", "median", "min", "norm", "prod", "quantile", "std", "sum", "var",
    # products, joins, sorting, the rest
    "addmm", "baddbmm", "bmm", "dot", "matmul", "mm", "mv", "outer", "cat", "concat",
    "concatenate", "hstack", "stack", "vstack", "kthvalue", "msort", "sort", "topk", "diag",
    "diff", "gather", "index_select", "masked_select", "nonzero", "tril", "triu",
    "nan_to_num", "nansum", "nanmean", "logaddexp", "hypot", "heaviside", "signbit", "cummax",
    "cummin", "logcumsumexp", "searchsorted", "bucketize", "histc", "cross", "kron", "dstack",
    "column_stack", "take_along_dim", "erfc", "erfinv", "lgamma", "digamma", "xlogy", "i0",
    "logit", "sinc",
)


def accepting_out(function):
    """`function`, also taking torch's `out=` keyword."""
    name = function.__name__

    @functools.wraps(function)
    def call(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        if _enabled[0] and _any_requires_grad(args, kwargs, out):
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad. Hint: call it under "
                "lamina.no_grad(), or drop out= and use the returned tensor."
            )
        result = function(*args, **kwargs)
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{name}(): out must be a tuple of {len(result)} tensors")
            for target, value in zip(out, result):
                _write(name, value, target)
            return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
        _write(name, result, out)
        return out

    return call


def _any_requires_grad(args, kwargs, out) -> bool:
    values = [*args, *kwargs.values(), *(out if isinstance(out, (tuple, list)) else (out,))]
    for value in values:
        if isinstance(value, Tensor) and value.requires_grad:
            return True
        if isinstance(value, (tuple, list)) and any(
                isinstance(v, Tensor) and v.requires_grad for v in value):
            return True
    return False


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _write(name: str, result: Tensor, out) -> None:
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be a Tensor, not {type(out).__name__}")
    value, target = result._array, out._array
    if _KIND_RANK[value.dtype.kind] > _KIND_RANK[target.dtype.kind]:
        raise RuntimeError(
            f"result type {_type_name(value.dtype)} can't be cast to the desired output type "
            f"{_type_name(target.dtype)}"
        )
    if target.shape != value.shape:
        if target.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(target.shape)}, which does not match the required output shape "
                f"{list(value.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).", UserWarning, stacklevel=3)
        out._array = np.empty(value.shape, dtype=target.dtype)
    with np.errstate(all="ignore"):  # float64 1e300 into float32 is inf, silently, as in torch
        out._array[...] = value
    out._vc[0] += 1


def _type_name(dtype: np.dtype) -> str:
    """torch's scalar type name in its messages: Float, Long, Bool..."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(str(dtype), str(from_numpy_dtype(dtype)))
