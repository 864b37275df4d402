"""BatchNorm1d and BatchNorm2d, and the base they share with the instance norms."""

from __future__ import annotations

import math

import lamina
from lamina._ops.normalization import NormalizeWithStats as _NormalizeWithStats
from lamina.autograd.function import _NO_CONTEXT
from lamina.nn import functional as F
from lamina.nn.modules._errors import expect_dim, expect_floating
from lamina.nn.modules.module import Module
from lamina.nn.parameter import Parameter


class _NormBase(Module):
    """Per-channel weight and bias (if affine) and running statistics (if tracked).

    Buffers: running_mean (zeros), running_var (ones) and num_batches_tracked (int64 0), or
    None each when track_running_stats is False, as in torch.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(lamina.empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(lamina.empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", lamina.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", lamina.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", lamina.tensor(0, dtype=lamina.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._array[...] = 0
            self.running_var._array[...] = 1
            self.num_batches_tracked._array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight._array[...] = 1
            if self.bias is not None:
                self.bias._array[...] = 0

    def _check_channels(self, input, dim: int = 1) -> None:
        # torch only notices a wrong channel count through a parameter or buffer of that size
        if self.weight is not None or self.running_mean is not None:
            expect_dim(self, input, dim, self.num_features, name="channels",
                       hint=f"num_features should be {_size(input, dim)}, or the previous "
                            f"layer should produce {self.num_features} channels")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


def _size(input, dim: int):
    return input.shape[dim] if -input.ndim <= dim < input.ndim else "?"


class _BatchNorm(_NormBase):
    _allowed_ndims: tuple[int, ...] = ()

    def forward(self, input):
        expect_floating(self, input)
        ndim = input.ndim
        if ndim not in self._allowed_ndims:
            allowed = " or ".join(f"{n}D" for n in self._allowed_ndims)
            raise ValueError(
                f"expected {allowed} input (got {ndim}D input of shape {tuple(input.shape)})"
            )
        self._check_channels(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._array += 1
            if self.momentum is None:  # a cumulative average over every batch seen
                momentum = 1.0 / float(self.num_batches_tracked._array)
        # batch statistics in training, and in eval when there are no running ones
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        # the buffers go in to be updated (training) or used (eval); untracked, they stay out
        give = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if give else None,
                            self.running_var if give else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def _array_forward(self, x):
        """Eval with running statistics only (training updates buffers: normal path)."""
        if (self.training or self.running_mean is None or x.ndim not in self._allowed_ndims
                or x.shape[1] != self.num_features or x.dtype != self.running_mean._array.dtype):
            return NotImplemented
        shape = x.shape if x.ndim == 2 else (x.shape[0], x.shape[1], math.prod(x.shape[2:]))
        param_shape = (1, x.shape[1]) if x.ndim == 2 else (1, x.shape[1], 1)
        weight, bias = self.weight, self.bias
        out = _NormalizeWithStats.forward(
            _NO_CONTEXT, x, None if weight is None else weight._array,
            None if bias is None else bias._array, self.running_mean._array,
            self.running_var._array, shape, param_shape, self.eps)
        return out.reshape(x.shape)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over the batch (and L)."""

    _allowed_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input per channel, over batch and positions."""

    _allowed_ndims = (4,)
