"""lamina: a deep-learning library on NumPy that speaks PyTorch's API.

`import lamina as torch` and `import lamina.nn as nn` run PyTorch model code unchanged.
"""

from __future__ import annotations

from math import e, inf, nan, pi  # noqa: F401  (torch.pi and friends are Python floats)

from lamina._dtype import (  # noqa: F401
    bfloat16,
    bool_ as bool,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from lamina._device import device  # noqa: F401
from lamina._tensor import Size, Tensor  # noqa: F401
from lamina._tensor_str import set_printoptions  # noqa: F401
from lamina.autograd import function as _function  # noqa: F401  (binds the op machinery)
from lamina._ops import elementwise, index, inplace, reduce, shape  # noqa: F401,I001
from lamina._ops.elementwise import (  # noqa: F401
    abs, absolute, add, allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, ceil,
    clamp, clip, cos, div, divide, eq, equal, exp, floor, floor_divide, fmod, ge, greater,
    greater_equal, gt, isclose, isfinite, isinf, isnan, le, less, less_equal, log, log1p,
    logical_and, logical_not, logical_or, logical_xor, lt, maximum, minimum, mul, multiply, ne,
    neg, negative, not_equal, pow, reciprocal, relu, remainder, round, rsqrt, rsub, sigmoid,
    sign, sin, sqrt, square, sub, subtract, tanh, true_divide, trunc, where,
    clamp_max, clamp_min, float_power, frac,
)
from lamina._ops.index import (  # noqa: F401
    argwhere, gather, index_select, masked_fill, masked_select, nonzero, scatter_add,
    index_add, scatter,
)
from lamina._ops.linalg import bmm, dot, matmul, mm, mv  # noqa: F401
from lamina._ops.reduce import norm  # noqa: F401  (torch.norm takes no axis=)
from lamina._ops.numpy_keywords import (  # noqa: F401  (these also accept axis=, keepdims=)
    all, amax, amin, any, argmax, argmin, cat, concat, concatenate, count_nonzero, cumsum,
    logsumexp, max, mean, min, prod, stack, std, std_mean, sum, var, var_mean,
)
from lamina._ops.shape import (  # noqa: F401
    broadcast_to, chunk, clone, flatten, flip, hstack, movedim, moveaxis, narrow, permute,
    reshape, split, squeeze, swapaxes, swapdims, t, transpose, unbind, unflatten, unsqueeze,
    vstack,
)
from lamina._ops.softmax import log_softmax, softmax  # noqa: F401
from lamina._ops.sorting import argsort, kthvalue, msort, sort, topk, unique  # noqa: F401
from lamina._ops.misc import (  # noqa: F401
    addmm, arctan2, atan2, baddbmm, cdist, cumprod, diag, diagonal, einsum, erf, exp2, lerp,
    log2, log10, outer, repeat_interleave, roll, trace, tril, triu,
)
from lamina._ops.extra_math import (  # noqa: F401
    acos, acosh, addcdiv, addcmul, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin,
    asinh, atan, atanh, bincount, cosh, diff, dist, expm1, isin, median, meshgrid, mode,
    quantile, sinh, tan, tile,
)
from lamina._ops.more_math import (  # noqa: F401
    bucketize, cummax, cummin, heaviside, histc, hypot, logaddexp, logcumsumexp, nan_to_num,
    nanmean, nansum, searchsorted, signbit,
)
from lamina._ops.more_shape import (  # noqa: F401
    atleast_1d, atleast_2d, atleast_3d, column_stack, dsplit, dstack, hsplit, ravel, rot90,
    take_along_dim, tensor_split, vsplit,
)
from lamina._ops.special_math import (  # noqa: F401
    digamma, erfc, erfinv, i0, lgamma, logit, sinc, xlogy,
)
from lamina._ops.more_products import (  # noqa: F401
    block_diag, cartesian_prod, combinations, cross, kron, poisson, trapezoid, trapz,
)
from lamina._legacy import (  # noqa: F401
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor,
)
from lamina._creation import (  # noqa: F401
    arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
    linspace, logspace, multinomial, normal, ones, ones_like, rand, rand_like, randint,
    randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from lamina.random import (  # noqa: F401
    Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)
from lamina.autograd.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)
from lamina import autograd, cuda  # noqa: F401,E402
from lamina import accelerator, amp, backends, linalg, testing  # noqa: F401,E402
from lamina._ops.matrix_shortcuts import (  # noqa: F401,E402
    cholesky, det, inverse, logdet, matrix_power, pinverse, qr, slogdet,
)
from lamina._ops.matrix_functions import cholesky_solve  # noqa: F401,E402
from lamina.amp import autocast  # noqa: F401,E402
from lamina._settings import (  # noqa: F401,E402
    are_deterministic_algorithms_enabled, compile, get_float32_matmul_precision,
    get_num_threads, is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision, set_num_threads, use_deterministic_algorithms,
)
from lamina.serialization import load, save  # noqa: F401,E402
from lamina._interop import from_dlpack  # noqa: F401,E402
from lamina._summary import ModelStatistics, summary  # noqa: F401,E402
from lamina import nn, optim, utils  # noqa: F401,E402  (torch.nn after import torch)
from lamina import distributions  # noqa: F401,E402
from lamina import special  # noqa: F401,E402
from lamina._fit import Callback, EarlyStopping, ModelCheckpoint, fit  # noqa: F401,E402

from lamina import _out  # noqa: E402

for _name in _out.NAMES:  # torch's out= keyword, on the functions that have it
    globals()[_name] = _out.accepting_out(globals()[_name])
del _name
linalg.matmul = matmul  # torch.linalg.matmul is torch.matmul, out= included

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def detach(input: Tensor) -> Tensor:
    return input.detach()
