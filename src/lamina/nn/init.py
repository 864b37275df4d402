"""nn.init: fill a tensor in place from the distributions torch's layers are initialised with.

Every function writes into the tensor's own array, in its own dtype, under no_grad (so it works
on Parameters), and returns the tensor. Random draws take torch's `generator=`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.grad_mode import no_grad
from lamina.random import _rng

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_", "sparse_",
]

_LINEAR_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                          "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which to scale a layer's init so `nonlinearity` keeps activations' scale."""
    if nonlinearity in _LINEAR_NONLINEARITIES:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4  # torch's empirical value
    raise ValueError(
        f"Unsupported nonlinearity {nonlinearity}; expected one of "
        f"{', '.join(_LINEAR_NONLINEARITIES)}, tanh, relu, leaky_relu or selu"
    )


def _write(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Copy `values` into the tensor's array (cast to its dtype) and bump its version."""
    if tensor.is_meta:  # no data to write
        return tensor
    with no_grad():
        tensor._check_inplace()
        tensor._array[...] = values
        tensor._vc[0] += 1
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill from U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill from N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _standard_normal_between(low: float, high: float, count: int, rng) -> np.ndarray:
    """`count` draws of N(0, 1) conditioned on [low, high], by rejection sampling.

    The proposal is whichever keeps most draws: N(0, 1) itself for wide intervals, a uniform
    on [low, high] for narrow ones, and for far tails a shifted exponential (Robert, 1995).
    """
    def cdf(x):
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    mass = cdf(high) - cdf(low)
    nearest = 0.0 if low <= 0.0 <= high else min(abs(low), abs(high))
    width = high - low
    uniform_rate = (mass * math.sqrt(2 * math.pi) / (width * math.exp(-0.5 * nearest**2))
                    if 0 < width < math.inf else 0.0)
    one_sided = low > 0 or high < 0
    mirrored = high < 0  # sample the tail on the positive side, then flip
    tail_low, tail_high = (-high, -low) if mirrored else (low, high)
    rate = (tail_low + math.sqrt(tail_low * tail_low + 4)) / 2

    out = np.empty(count)
    filled = 0
    for _ in range(10_000):
        need = count - filled
        if need == 0:
            return out
        if mass >= 0.25 or (not one_sided and mass >= uniform_rate):
            z = rng.standard_normal(2 * need)
            z = z[(z >= low) & (z <= high)]
        elif uniform_rate >= 0.25 or not one_sided:
            z = rng.uniform(low, high, 2 * need)
            z = z[rng.random(z.size) <= np.exp(0.5 * (nearest * nearest - z * z))]
        else:
            z = tail_low + rng.standard_exponential(2 * need) / rate
            z = z[(z <= tail_high) & (rng.random(z.size) <= np.exp(-0.5 * (z - rate) ** 2))]
            z = -z if mirrored else z
        z = z[:need]
        out[filled:filled + z.size] = z
        filled += z.size
    raise RuntimeError(f"trunc_normal_: could not sample N(0, 1) restricted to [{low}, {high}]")


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill from N(mean, std^2) restricted to [a, b] (a and b are values, not std units).

    Drawn by rejection sampling (torch inverts the CDF): the same distribution, other numbers.
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    if a > b:
        raise ValueError(f"trunc_normal_: the lower bound a={a} is above the upper bound b={b}")
    count = tensor.numel()
    if tensor.is_meta:
        return tensor
    if std == 0 or count == 0:
        return _write(tensor, np.clip(mean, a, b))
    z = _standard_normal_between((a - mean) / std, (b - mean) / std, count, _rng(generator))
    values = np.clip(z * std + mean, a, b)
    return _write(tensor, values.reshape(tensor._array.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the main diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}"
        )
    return _write(tensor, np.eye(*tensor._array.shape, dtype=tensor._array.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a conv weight (3, 4 or 5 dims) so the convolution passes its input channels through.

    With `groups`, each group's first min(out/groups, in) channels are passed through.
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(
            f"Only tensors with 3, 4, or 5 dimensions are supported, got shape "
            f"{tuple(tensor.shape)}"
        )
    shape = tensor._array.shape
    if shape[0] % groups != 0:
        raise ValueError(f"dim 0 must be divisible by groups: {shape[0]} output channels, "
                         f"{groups} groups")
    per_group = shape[0] // groups
    passed = min(per_group, shape[1])
    values = np.zeros(shape, dtype=tensor._array.dtype)
    outputs = (np.arange(groups)[:, None] * per_group + np.arange(passed)).ravel()
    inputs = np.tile(np.arange(passed), groups)
    centre = tuple(size // 2 for size in shape[2:])
    values[(outputs, inputs) + centre] = 1
    return _write(tensor, values)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    receptive_field = math.prod(tensor._array.shape[2:])
    return tensor._array.shape[1] * receptive_field, tensor._array.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if tensor.numel() == 0:
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """Fill from U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """Fill from N(0, std^2), std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix, the trailing dims flattened, times `gain`."""
    if tensor.ndim < 2:
        raise ValueError(
            f"Only tensors with 2 or more dimensions are supported, got shape "
            f"{tuple(tensor.shape)}"
        )
    if tensor.numel() == 0 or tensor.is_meta:
        return tensor
    rows = tensor._array.shape[0]
    columns = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    # fix the signs so the result is uniformly distributed over orthogonal matrices
    q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
    if rows < columns:
        q = q.T
    return _write(tensor, (gain * q).reshape(tensor._array.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-D tensor from N(0, std^2), then zero ceil(sparsity * rows) entries per column."""
    if tensor.ndim != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}"
        )
    if tensor.is_meta:
        return tensor
    rows, columns = tensor._array.shape
    zeros_per_column = int(math.ceil(sparsity * rows))
    rng = _rng(generator)
    values = rng.standard_normal((rows, columns)) * std
    # the rows to zero in each column: the first few of an independent random order per column
    order = np.argsort(rng.random((rows, columns)), axis=0)[:zeros_per_column]
    values[order, np.arange(columns)] = 0
    return _write(tensor, values)


def _deprecated(function):
    """torch's old spelling without the trailing underscore: same function, a FutureWarning."""
    old_name = function.__name__[:-1]

    def deprecated(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{function.__name__}`.",
            FutureWarning,
            stacklevel=2,
        )
        return function(*args, **kwargs)

    deprecated.__name__ = old_name
    deprecated.__doc__ = f"Deprecated alias of `{function.__name__}`."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
