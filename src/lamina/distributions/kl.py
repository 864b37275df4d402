"""kl_divergence(p, q) in closed form, looked up by the pair of types; register_kl adds more."""

from __future__ import annotations

import math
import warnings
from functools import total_ordering

import numpy as np

import lamina
import lamina.nn.functional as F
from lamina.distributions._special import digamma, lgamma
from lamina.distributions.bernoulli import Bernoulli
from lamina.distributions.beta import Beta
from lamina.distributions.categorical import Categorical
from lamina.distributions.distribution import Distribution
from lamina.distributions.exponential import Exponential
from lamina.distributions.independent import Independent, sum_rightmost
from lamina.distributions.laplace import Laplace
from lamina.distributions.multivariate_normal import MultivariateNormal, batch_mahalanobis
from lamina.distributions.normal import Normal
from lamina.distributions.one_hot_categorical import OneHotCategorical
from lamina.distributions.uniform import Uniform

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}  # (type_p, type_q) -> function: what register_kl was told
_KL_MEMOIZE: dict = {}  # the same for every concrete pair looked up so far


def register_kl(type_p, type_q):
    """Decorator: use the function for kl_divergence(p, q) of these types and subclasses.

    Lookup takes the most specific registered pair by subclass; when two pairs are equally
    specific it warns and names the pair to register to break the tie.
    """
    for kind in (type_p, type_q):
        if not (isinstance(kind, type) and issubclass(kind, Distribution)):
            raise TypeError(f"Expected a Distribution subclass but got {kind}")

    def decorator(function):
        _KL_REGISTRY[type_p, type_q] = function
        _KL_MEMOIZE.clear()  # a new pair may be more specific than what was chosen before
        return function

    return decorator


@total_ordering
class _Match:
    """A registered pair, ordered so that the more specific pair (by subclass) sorts first."""

    __slots__ = ("types",)

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for mine, theirs in zip(self.types, other.types):
            if not issubclass(mine, theirs):
                return False
            if mine is not theirs:
                break
        return True


def _dispatch_kl(type_p, type_q):
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return NotImplemented
    # the most specific pair ordering by p first, and by q first; they should agree
    left_p, left_q = min(_Match(*m) for m in matches).types
    right_q, right_p = min(_Match(*reversed(m)) for m in matches).types
    left, right = _KL_REGISTRY[left_p, left_q], _KL_REGISTRY[right_p, right_q]
    if left is not right:
        warnings.warn(
            f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
            f"Please register_kl({left_p.__name__}, {right_q.__name__})",
            RuntimeWarning, stacklevel=3)
    return left


def kl_divergence(p: Distribution, q: Distribution):
    """KL(p || q) = E_p[log p(x) - log q(x)], one value per element of the batch shape."""
    try:
        function = _KL_MEMOIZE[type(p), type(q)]
    except KeyError:
        function = _KL_MEMOIZE[type(p), type(q)] = _dispatch_kl(type(p), type(q))
    if function is NotImplemented:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
            f"{type(q).__name__}. Hint: register one with "
            f"@register_kl({type(p).__name__}, {type(q).__name__})."
        )
    return function(p, q)


# torch writes the edge cases below as in-place masked assignments; `where` gives the same
# values and the same (zero) gradients at the masked elements.
@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    ones = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    ones = lamina.where(p.probs == 0, 0.0, lamina.where(q.probs == 0, math.inf, ones))
    zeros = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    zeros = lamina.where(p.probs == 1, 0.0, lamina.where(q.probs == 1, math.inf, zeros))
    return ones + zeros


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    p_total = p.concentration1 + p.concentration0
    q_total = q.concentration1 + q.concentration0
    log_normalisers = (lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(p_total)
                       - lgamma(p.concentration1) - lgamma(p.concentration0) - lgamma(q_total))
    return (log_normalisers
            + (p.concentration1 - q.concentration1) * digamma(p.concentration1)
            + (p.concentration0 - q.concentration0) * digamma(p.concentration0)
            + (q_total - p_total) * digamma(p_total))


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    terms = p.probs * (p.logits - q.logits)
    terms = lamina.where(q.probs == 0, math.inf, terms)
    terms = lamina.where(p.probs == 0, 0.0, terms)
    return terms.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            "KL between Independent distributions needs the same reinterpreted_batch_ndims, "
            f"got {p.reinterpreted_batch_ndims} and {q.reinterpreted_batch_ndims}"
        )
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_distance = (p.loc - q.loc).abs()
    return (-scale_ratio.log() + loc_distance / q.scale
            + scale_ratio * lamina.exp(-loc_distance / p.scale) - 1)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         "shapes cannot be computed")
    p_tril, q_tril = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_log_ratio = (q_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                      - p_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    n = p.event_shape[0]
    batch = tuple(np.broadcast_shapes(tuple(q_tril.shape[:-2]), tuple(p_tril.shape[:-2])))
    # trace(Sq^-1 Sp) = |Lq^-1 Lp|_F^2
    ratio = lamina.linalg.solve(q_tril.expand(batch + (n, n)), p_tril.expand(batch + (n, n)))
    trace = ratio.pow(2).sum((-2, -1))
    mahalanobis = batch_mahalanobis(q_tril, q.loc - p.loc)
    return half_log_ratio + 0.5 * (trace + mahalanobis - n)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    variance_ratio = (p.scale / q.scale).pow(2)
    mean_term = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (variance_ratio + mean_term - 1 - variance_ratio.log())


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return lamina.where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Normal, Uniform)
def _kl_normal_uniform(p, q):
    return lamina.full_like(p.loc, math.inf)  # a bounded q cannot cover p's whole line


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    width = p.high - p.low
    log_term = (math.sqrt(math.pi * 2) * q.scale / width).log()
    spread = width.pow(2) / 12
    offset = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return log_term + 0.5 * (spread + offset) / q.scale.pow(2)
