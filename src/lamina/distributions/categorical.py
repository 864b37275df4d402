"""Categorical: one of K classes, from probs or logits over the last dimension."""

from __future__ import annotations

import math

import numpy as np

import lamina
from lamina._tensor import Size, Tensor
from lamina.distributions import constraints
from lamina.distributions.distribution import Distribution
from lamina.distributions.utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]

_COMPARISONS_PER_CHUNK = 1 << 24  # bounds the (rows, samples, classes) temporary when drawing


def draw_classes(probs: np.ndarray, count: int) -> np.ndarray:
    """`count` class indices per row of probs (rows, K), drawn with replacement, as int64.

    torch's inverse-CDF recipe for several draws: cumulative sums in the probs' dtype divided
    by the total, the last set to 1, and per row `count` float64 uniforms from the generator;
    the class is the first whose cumulative probability reaches the uniform. After
    manual_seed this gives torch's draws for count > 1 (for count == 1 torch uses another
    method, so single draws differ from torch's).
    """
    if not np.all(np.isfinite(probs) & (probs >= 0)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    cumulative = np.cumsum(probs, axis=-1)
    total = cumulative[:, -1:]
    if not np.all(total > 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cumulative /= total
    cumulative[:, -1] = 1
    uniforms = lamina.rand(probs.shape[0], count, dtype=lamina.float64).numpy()
    out = np.empty(uniforms.shape, dtype=np.int64)
    step = max(1, _COMPARISONS_PER_CHUNK // max(1, probs.size))
    for start in range(0, count, step):
        # the number of cumulative values below u is the first index whose value reaches it
        below = cumulative[:, None, :] < uniforms[:, start:start + step, None]
        out[:, start:start + step] = below.sum(-1)
    return out


class Categorical(Distribution):
    """Classes 0..K-1 with probabilities `probs` (normalised to sum to 1 over the last
    dimension) or unnormalised log-probabilities `logits` (normalised by logsumexp).
    Leading dimensions of the parameter are the batch."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = Size(batch_shape)
        param_shape = batch_shape + Size((self._num_events,))
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return lamina.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return lamina.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape=()) -> Tensor:
        """Class indices (int64) of shape sample_shape + batch_shape."""
        sample_shape = Size(sample_shape)
        with lamina.no_grad():
            probs = self.probs.detach().reshape(-1, self._num_events).numpy()
        classes = draw_classes(probs, sample_shape.numel())
        return lamina.from_numpy(classes.T.copy()).reshape(self._extended_shape(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value, logits = value.long().unsqueeze(-1), self.logits
        batch = np.broadcast_shapes(tuple(value.shape[:-1]), tuple(logits.shape[:-1]))
        if value.shape[:-1] != batch:
            value = value.expand(batch + (1,))
        if logits.shape[:-1] != batch:
            logits = logits.expand(batch + (self._num_events,))
        return logits.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        # logits of zero-probability classes are -inf after normalising; clamping them to the
        # lowest finite value makes their 0 * logit term 0 rather than nan
        logits = lamina.clamp(self.logits, min=lamina.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = lamina.arange(self._num_events, dtype=lamina.long)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
