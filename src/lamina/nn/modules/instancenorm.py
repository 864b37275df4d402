"""InstanceNorm2d and the base it shares with InstanceNorm1d/3d (in norm_extra.py): each
channel of each sample normalised over its own positions."""

from __future__ import annotations

import warnings

from lamina.nn import functional as F
from lamina.nn.modules._errors import expect_floating
from lamina.nn.modules.batchnorm import _NormBase


class _InstanceNorm(_NormBase):
    """Instance normalisation over `_spatial_dims` trailing dims, batched or not.

    Defaults differ from batch norm as in torch: affine=False, track_running_stats=False.
    With tracked statistics, eval mode uses them; num_batches_tracked is never advanced.
    """

    _spatial_dims: int  # how many trailing dims are positions: set by each subclass

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        expect_floating(self, input)
        ndim, unbatched_ndim = input.ndim, self._spatial_dims + 1
        if ndim not in (unbatched_ndim, unbatched_ndim + 1):
            raise ValueError(
                f"expected {unbatched_ndim}D or {unbatched_ndim + 1}D input (got {ndim}D input "
                f"of shape {tuple(input.shape)})"
            )
        channel_dim = ndim - unbatched_ndim
        channels = input.shape[channel_dim]
        if channels != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={channel_dim} to match num_features "
                    f"({self.num_features}), but got: {channels}."
                )
            warnings.warn(
                f"input's size at dim={channel_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        unbatched = ndim == unbatched_ndim
        if unbatched:
            input = input.unsqueeze(0)
        out = F.instance_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0, self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or unbatched (C, H, W) input."""

    _spatial_dims = 2
