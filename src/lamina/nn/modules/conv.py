"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d."""

from __future__ import annotations

import math

import lamina
from lamina._ops.conv import Convolution
from lamina._tensor import Tensor
from lamina.autograd.function import _NO_CONTEXT
from lamina.nn import init
from lamina.nn._functional import conv as F
from lamina.nn._functional.conv import _padding
from lamina.nn._functional.pool import pad
from lamina.nn.modules._errors import expect_dim, expect_ndim
from lamina.nn.modules.module import Module
from lamina.nn.modules.utils import _pair, _single
from lamina.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What every convolution layer shares: arguments, parameters, init, checks and repr."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.transposed, self.output_padding = dilation, transposed, output_padding
        self.groups, self.padding_mode = groups, padding_mode
        # the amounts F.pad takes for non-zero padding modes: last dim first, (before, after)
        if isinstance(padding, str):
            amounts = [(0, 0)] * len(kernel_size)
            if padding == "same":
                amounts = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                           for d, k in zip(dilation, kernel_size)]
        else:
            amounts = [(p, p) for p in padding]
        self._reversed_padding_repeated_twice = [a for pair in reversed(amounts) for a in pair]
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + tuple(kernel_size)
        self.weight = Parameter(lamina.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(lamina.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's kaiming_uniform_(a=sqrt(5)) works out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        # and the bias uses the same bound; fan_in = weight.shape[1] * kernel elements
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def _check(self, input: Tensor) -> None:
        spatial = len(self.kernel_size)
        expect_ndim(self, input, (spatial + 1, spatial + 2),
                    hint=f"{type(self).__name__} takes (N, C{', L' if spatial == 1 else ', H, W'})"
                         " or an unbatched input without N")
        expect_dim(self, input, -spatial - 1, self.in_channels, name="channels",
                   hint=f"in_channels should be {input.shape[-spatial - 1]}, or the preceding "
                        f"layers should produce {self.in_channels} channels")

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * len(self.kernel_size):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    _conv = None  # the functional form

    def forward(self, input: Tensor) -> Tensor:
        self._check(input)
        if self.padding_mode != "zeros":
            input = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return type(self)._conv(input, self.weight, self.bias, self.stride, 0,
                                    self.dilation, self.groups)
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                self.dilation, self.groups)

    def _array_forward(self, x):
        """forward on a bare array (Sequential's inference path), through the same primitive.

        Anything the checks in forward and F.conv*d would look at twice (another padding mode,
        mismatched dtypes or channels, a kernel larger than the padded input, odd arguments)
        goes to the normal path, which computes it or raises the layer's error.
        """
        weight, bias, groups = self.weight._array, self.bias, self.groups
        bias = None if bias is None else bias._array
        spatial = weight.ndim - 2
        if (self.padding_mode != "zeros" or x.dtype != weight.dtype
                or x.ndim not in (spatial + 1, spatial + 2) or type(groups) is not int
                or groups < 1 or x.shape[-spatial - 1] != weight.shape[1] * groups
                or weight.shape[0] % groups or 0 in x.shape
                or (bias is not None and (bias.dtype != weight.dtype
                                          or bias.shape != weight.shape[:1]))):
            return NotImplemented
        stride, dilation = self.stride, self.dilation
        if (type(stride) is not tuple or type(dilation) is not tuple
                or len(stride) != spatial or len(dilation) != spatial
                or min(stride) < 1 or min(dilation) < 1):
            return NotImplemented
        try:
            pads = _padding("", self.padding, weight.shape[2:], dilation, stride, spatial)
        except (RuntimeError, TypeError, ValueError):
            return NotImplemented
        if spatial == 1:
            stride, dilation = (1,) + stride, (1,) + dilation
        sizes = ((1,) + x.shape[-1:]) if spatial == 1 else x.shape[-2:]
        kernel = ((1,) + weight.shape[2:]) if spatial == 1 else weight.shape[2:]
        if (sizes[0] + pads[0] + pads[1] < dilation[0] * (kernel[0] - 1) + 1
                or sizes[1] + pads[2] + pads[3] < dilation[1] * (kernel[1] - 1) + 1):
            return NotImplemented
        return Convolution.forward(_NO_CONTEXT, x, weight, bias, stride, pads, dilation, groups)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k)."""

    _conv = staticmethod(F.conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride),
                         padding if isinstance(padding, str) else _single(padding),
                         _single(dilation), False, _single(0), groups, bias, padding_mode,
                         device, dtype)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kh, kw).

    padding: an int, a pair, 'valid' or 'same'; padding_mode zeros, reflect, replicate or
    circular.
    """

    _conv = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                         padding if isinstance(padding, str) else _pair(padding),
                         _pair(dilation), False, _pair(0), groups, bias, padding_mode,
                         device, dtype)


class _ConvTranspose(_ConvNd):
    _conv = None

    def __init__(self, *args, **kwargs):
        padding_mode = args[10]
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        super().__init__(*args, **kwargs)

    def _output_padding(self, input, output_size) -> tuple:
        """output_padding, or the one that makes the output output_size (torch's rule)."""
        if output_size is None:
            return self.output_padding
        spatial = len(self.kernel_size)
        output_size = tuple(output_size)
        lead = 2 if input.ndim == spatial + 2 else 1
        if len(output_size) == lead + spatial:
            output_size = output_size[lead:]
        if len(output_size) != spatial:
            raise ValueError(f"ConvTranspose{spatial}D: for {input.ndim}D input, output_size "
                             f"must have {spatial} or {lead + spatial} elements (got "
                             f"{len(output_size)})")
        smallest = [(input.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(spatial)]
        largest = [s + self.stride[d] - 1 for d, s in enumerate(smallest)]
        for size, low, high in zip(output_size, smallest, largest):
            if not low <= size <= high:
                raise ValueError(f"requested an output size of {list(output_size)}, but valid "
                                 f"sizes range from {smallest} to {largest} (for an input of "
                                 f"{list(input.shape[lead:])})")
        return tuple(size - low for size, low in zip(output_size, smallest))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check(input)
        output_padding = self._output_padding(input, output_size)
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution of (N, C_in, L); weight (C_in, C_out/groups, k)."""

    _conv = staticmethod(F.conv_transpose1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride),
                         _single(padding), _single(dilation), True, _single(output_padding),
                         groups, bias, padding_mode, device, dtype)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution of (N, C_in, H, W); weight (C_in, C_out/groups, kh, kw).

    forward(input, output_size=None): output_size picks among the sizes a strided layer can
    produce, as in torch.
    """

    _conv = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                         _pair(padding), _pair(dilation), True, _pair(output_padding),
                         groups, bias, padding_mode, device, dtype)
