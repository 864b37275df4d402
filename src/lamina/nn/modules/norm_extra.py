"""InstanceNorm1d/3d and BatchNorm3d (the 2d layers' bases with other ranks), RMSNorm and
LocalResponseNorm."""

from __future__ import annotations

import numbers

import lamina
from lamina._tensor import Tensor
from lamina.nn._functional.norm_extra import local_response_norm, rms_norm
from lamina.nn.modules._errors import expect_floating
from lamina.nn.modules.batchnorm import _BatchNorm
from lamina.nn.modules.instancenorm import _InstanceNorm
from lamina.nn.modules.module import Module
from lamina.nn.parameter import Parameter

__all__ = ["BatchNorm3d", "InstanceNorm1d", "InstanceNorm3d", "LocalResponseNorm", "RMSNorm"]


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or unbatched (C, L) input over L."""

    _spatial_dims = 1


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or unbatched (C, D, H, W) input."""

    _spatial_dims = 3


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input per channel, over batch and positions."""

    _allowed_ndims = (5,)


class RMSNorm(Module):
    """Scale input (*, *normalized_shape) by the reciprocal root mean square of its last
    len(normalized_shape) dims, then by weight (ones at first); eps=None is dtype's epsilon."""

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(lamina.empty(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            self.weight._array[...] = 1

    def forward(self, input: Tensor) -> Tensor:
        expect_floating(self, input)
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Normalise each channel of (N, C, *) by the squares of its `size` neighbouring channels."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
