"""ExponentialFamily: the base class torch gives Normal and Bernoulli, kept for isinstance
checks. Each of ours computes its entropy in closed form, so the Bregman-divergence entropy
torch derives from `_log_normalizer` is not implemented here."""

from __future__ import annotations

from lamina.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Densities of the form exp(<t(x), theta> - F(theta) + k(x))."""
