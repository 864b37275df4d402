"""Identity, Linear and Bilinear layers."""

from __future__ import annotations

import math

import lamina
from lamina._ops.linalg import linear_array
from lamina._tensor import Tensor
from lamina.nn import init
from lamina.nn._functional import linear as F
from lamina.nn.modules._errors import ShapeError, expect_last_dim
from lamina.nn.modules.module import Module
from lamina.nn.parameter import Parameter

__all__ = ["Bilinear", "Identity", "Linear"]

_LINEAR_HINT = ("in_features should equal the input's last dim, or the preceding layers should "
                "produce in_features values (nn.Flatten() before this layer?)")


class Identity(Module):
    """Returns its input unchanged; constructor arguments are accepted and ignored, as torch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input

    def _array_forward(self, x):
        return x


class Linear(Module):
    """y = x @ weight.T + bias for input of shape (*, in_features); output (*, out_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(lamina.empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(lamina.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's kaiming_uniform_(a=sqrt(5)) for the weight and its bias rule both work out
        # to U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        expect_last_dim(self, input, self.in_features, hint=_LINEAR_HINT)
        return F.linear(input, self.weight, self.bias)

    def _array_forward(self, x):
        weight, bias = self.weight._array, self.bias
        if x.dtype != weight.dtype or not x.ndim or x.shape[-1] != weight.shape[1]:
            return NotImplemented
        return linear_array(x, weight, None if bias is None else bias._array)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y = x1 @ weight[k] @ x2 + bias[k] for x1 (*, in1_features), x2 (*, in2_features)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(lamina.empty(out_features, in1_features, in2_features,
                                             dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(lamina.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        expect_last_dim(self, input1, self.in1_features)
        expect_last_dim(self, input2, self.in2_features)
        if input1.shape[:-1] != input2.shape[:-1]:
            raise ShapeError(self, f"input2 of shape {tuple(input1.shape[:-1])} + "
                             f"({self.in2_features},) to match input1's batch dims",
                             tuple(input2.shape))
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
