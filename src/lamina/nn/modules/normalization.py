"""LayerNorm and GroupNorm: statistics per sample, so train and eval behave the same."""

from __future__ import annotations

import numbers

import lamina
from lamina.nn import functional as F
from lamina.nn.modules._errors import ShapeError, expect_dim, expect_floating
from lamina.nn.modules.module import Module
from lamina.nn.parameter import Parameter


class LayerNorm(Module):
    """Normalise over the last len(normalized_shape) dims of input (*, *normalized_shape),
    then scale and shift elementwise (weight ones, bias zeros at first)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(lamina.empty(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(lamina.empty(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            self.weight._array[...] = 1
            if self.bias is not None:
                self.bias._array[...] = 0

    def forward(self, input):
        expect_floating(self, input, None if self.weight is None else self.weight.dtype)
        normalized = self.normalized_shape
        shape = tuple(input.shape)
        if shape[len(shape) - len(normalized):] != normalized or len(shape) < len(normalized):
            raise ShapeError(
                self, "(*, " + ", ".join(str(n) for n in normalized) + ")", shape,
                hint="normalized_shape names the input's last dims; for (N, C, H, W) images "
                     "normalised per channel use GroupNorm or BatchNorm2d")
        return F.layer_norm(input, normalized, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise input (N, C, *) over groups of num_channels // num_groups channels, then
    scale and shift per channel (weight ones, bias zeros at first)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels must be divisible by num_groups (got num_channels="
                f"{num_channels}, num_groups={num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(lamina.empty(num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(lamina.empty(num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            self.weight._array[...] = 1
            if self.bias is not None:
                self.bias._array[...] = 0

    def forward(self, input):
        expect_floating(self, input, None if self.weight is None else self.weight.dtype)
        if input.ndim < 2:
            raise ShapeError(self, "(N, C, *) with at least 2 dimensions", tuple(input.shape))
        expect_dim(self, input, 1, self.num_channels, name="channels")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
