"""Linear maps: linear (the fused primitive in lamina._ops.linalg) and bilinear."""

from __future__ import annotations

from lamina._ops.linalg import linear
from lamina._tensor import Tensor

__all__ = ["bilinear", "linear"]


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., k] = input1 @ weight[k] @ input2 + bias[k].

    input1 (*, in1_features), input2 (*, in2_features), weight (out, in1, in2), bias (out,).
    """
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: expected a 3-D weight (out, in1, in2), got shape "
                           f"{tuple(weight.shape)}")
    out_features, in1, in2 = weight.shape
    if input1.ndim == 0 or input1.shape[-1] != in1 or input2.ndim == 0 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not "
            f"match a weight of shape {tuple(weight.shape)}: expected (*, {in1}) and (*, {in2})"
        )
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must have "
            "the same leading (batch) dimensions"
        )
    # (*, in1) @ (in1, out * in2) gives every x1 @ weight[k] at once in one BLAS call
    mixed = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out_features * in2))
    mixed = mixed.reshape(tuple(input1.shape[:-1]) + (out_features, in2))
    out = (mixed * input2.unsqueeze(-2)).sum(-1)
    return out + bias if bias is not None else out
