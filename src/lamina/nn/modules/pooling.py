"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d."""

from __future__ import annotations

from lamina._ops import pool as _pool
from lamina._tensor import Tensor
from lamina.autograd.function import _NO_CONTEXT
from lamina.nn._functional import pool as F
from lamina.nn.modules._errors import expect_ndim
from lamina.nn.modules.module import Module
from lamina.nn.modules.utils import _single

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d",
]

_HINTS = {1: "it takes (N, C, L) or unbatched (C, L)",
          2: "it takes (N, C, H, W) or unbatched (C, H, W)"}


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) or (C, L); stride defaults to kernel_size."""

    def forward(self, input: Tensor):
        expect_ndim(self, input, (2, 3), hint=_HINTS[1])
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of (N, C, H, W) or (C, H, W); stride defaults to kernel_size.

    With return_indices=True, forward returns (output, indices) as torch's does.
    """

    def forward(self, input: Tensor):
        expect_ndim(self, input, (3, 4), hint=_HINTS[2])
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def _array_forward(self, x):
        """forward on a bare array (Sequential's inference path), through the same primitive;
        indices, empty input and arguments F.max_pool2d would reject take the normal path."""
        if self.return_indices or x.ndim not in (3, 4) or 0 in x.shape or x.dtype.kind != "f":
            return NotImplemented
        size = self.kernel_size
        if (type(size) is int and self.stride == size and self.padding == 0
                and self.dilation == 1 and x.ndim == 4 and size > 0
                and x.shape[2] % size == 0 and x.shape[3] % size == 0):
            # windows tiling the input (MaxPool2d(2) and the like): no padding, no output
            # size to work out, the same max as MaxPool's
            return _pool.max_separably(x, (size, size), (size, size), (1, 1),
                                       (x.shape[2] // size, x.shape[3] // size))
        kernel, stride = _int_pair(self.kernel_size), _int_pair(self.stride)
        padding, dilation = _int_pair(self.padding), _int_pair(self.dilation)
        if None in (kernel, stride, padding, dilation) or min(kernel + stride + dilation) < 1 \
                or any(p < 0 or p > (d * (k - 1) + 1) // 2
                       for p, k, d in zip(padding, kernel, dilation)):
            return NotImplemented
        out = tuple(_pool.pool_output_size(n, k, s, p, d, self.ceil_mode)
                    for n, k, s, p, d in zip(x.shape[-2:], kernel, stride, padding, dilation))
        if min(out) <= 0:
            return NotImplemented
        return _pool.MaxPool.forward(_NO_CONTEXT, x, kernel, stride, padding, dilation, out, 2,
                                     False)


def _int_pair(value):
    """An int or one or two ints as a pair, as F.max_pool2d reads them; None for anything
    else (which the normal path then reports)."""
    if type(value) is int:
        return value, value
    if type(value) in (tuple, list) and len(value) in (1, 2) and all(
            type(v) is int for v in value):
        return tuple(value) * (3 - len(value))
    return None


class AvgPool1d(Module):
    """Mean over sliding windows of (N, C, L) or (C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        expect_ndim(self, input, (2, 3), hint=_HINTS[1])
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over sliding windows of (N, C, H, W) or (C, H, W), with torch's divisors."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        expect_ndim(self, input, (3, 4), hint=_HINTS[2])
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average over output_size bins of (N, C, L) or (C, L)."""

    def forward(self, input: Tensor) -> Tensor:
        expect_ndim(self, input, (2, 3), hint=_HINTS[1])
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average over an output_size grid of bins of (N, C, H, W) or (C, H, W)."""

    def forward(self, input: Tensor) -> Tensor:
        expect_ndim(self, input, (3, 4), hint=_HINTS[2])
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max over output_size bins of (N, C, L) or (C, L)."""

    def forward(self, input: Tensor):
        expect_ndim(self, input, (2, 3), hint=_HINTS[1])
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max over an output_size grid of bins of (N, C, H, W) or (C, H, W)."""

    def forward(self, input: Tensor):
        expect_ndim(self, input, (3, 4), hint=_HINTS[2])
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


