"""Beta: density x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1]."""

from __future__ import annotations

import numbers

import numpy as np

import lamina
from lamina._tensor import Size, Tensor, _wrap
from lamina.distributions import constraints
from lamina.distributions._special import digamma, lgamma
from lamina.distributions.exp_family import ExponentialFamily
from lamina.distributions.utils import broadcast_all
from lamina.random import _rng

__all__ = ["Beta"]


def log_beta(a: Tensor, b: Tensor) -> Tensor:
    """log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b)."""
    return lgamma(a) + lgamma(b) - lgamma(a + b)


def _xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x log y, and 0 where x is 0 (even at y = 0), as torch.xlogy."""
    return lamina.where(x == 0, 0.0, x * lamina.log(y))


class Beta(ExponentialFamily):
    """Beta(concentration1, concentration0): concentration1 weighs x, concentration0 1 - x.

    Differs from torch: rsample is not reparameterised (torch differentiates its gamma draws
    implicitly); it raises NotImplementedError rather than return gradient-free draws.
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = False

    def __init__(self, concentration1, concentration0, validate_args=None):
        scalars = (isinstance(concentration1, numbers.Number)
                   and isinstance(concentration0, numbers.Number))
        self._concentration1, self._concentration0 = broadcast_all(concentration1,
                                                                   concentration0)
        batch_shape = Size() if scalars else self._concentration1.shape
        super().__init__(batch_shape, validate_args=validate_args)

    # properties, not attributes, so that repr shows "Beta()" as torch's does
    @property
    def concentration1(self) -> Tensor:
        return self._concentration1

    @property
    def concentration0(self) -> Tensor:
        return self._concentration0

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = Size(batch_shape)
        new._concentration1 = self._concentration1.expand(batch_shape)
        new._concentration0 = self._concentration0.expand(batch_shape)
        ExponentialFamily.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """(a - 1) / (a + b - 2) clamped at the edges; 1 when both are below 1 (torch picks the
        first of the two modes), nan when both are 1."""
        heads = (self.concentration1 - 1).clamp(min=0.0)
        tails = (self.concentration0 - 1).clamp(min=0.0)
        mode = heads / (heads + tails)
        both_below = (self.concentration1 < 1) & (self.concentration0 < 1)
        return lamina.where(both_below, 1.0, mode)

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def sample(self, sample_shape=()) -> Tensor:
        """X / (X + Y) for gamma draws X, Y (lamina's generator; torch's stream differs)."""
        shape = tuple(self._extended_shape(sample_shape))
        a = self.concentration1.detach().numpy()
        b = self.concentration0.detach().numpy()
        rng = _rng(None)
        heads = rng.standard_gamma(a.astype(np.float64), size=shape)
        tails = rng.standard_gamma(b.astype(np.float64), size=shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            draws = heads / (heads + tails)
        # kept inside (0, 1), where log_prob is finite, as torch clamps its draws
        info = np.finfo(a.dtype)
        return _wrap(np.clip(draws, info.tiny, 1 - info.eps).astype(a.dtype))

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(
            "Beta.rsample: reparameterised Beta draws are not implemented in lamina "
            "(torch differentiates its gamma sampler implicitly). Hint: use sample() with a "
            "score-function (log_prob) estimator, or a Normal/Uniform-based reparameterisation."
        )

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return _xlogy(a - 1, value) + _xlogy(b - 1, 1 - value) - log_beta(a, b)

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (log_beta(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b)
                + (total - 2) * digamma(total))
