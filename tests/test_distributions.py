"""lamina.distributions against torch.distributions: values, parameter gradients, samples,
validation errors and reprs."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributions as TD
from tests.helpers import assert_close, to_lamina

import lamina
import lamina.distributions as LD
from lamina.autograd import gradcheck


def compare_with_torch(lamina_fn, torch_fn, *arrays):
    """Value (shape, dtype, values) and the gradient of every floating input, as
    tests.helpers.compare_with_torch, except that an input torch gives no gradient (Normal's
    loc in entropy) must get none, or zeros, from lamina too."""
    theirs_in = [torch.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in arrays]
    ours_in = [to_lamina(t) for t in theirs_in]
    ours, theirs = lamina_fn(*ours_in), torch_fn(*theirs_in)
    assert_close(ours, theirs)
    if not theirs.requires_grad:
        return
    upstream = _rng(3).standard_normal(tuple(theirs.shape)).astype(ours.numpy(force=True).dtype)
    ours.backward(lamina.tensor(upstream))
    theirs.backward(torch.from_numpy(upstream))
    for index, (mine, reference) in enumerate(zip(ours_in, theirs_in)):
        if reference.grad is None:
            assert mine.grad is None or not mine.grad.numpy().any(), f"input {index}"
        elif reference.requires_grad:
            assert mine.grad is not None, f"no gradient for input {index}"
            assert_close(mine.grad, reference.grad)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _probs(*shape, seed=0, dtype=np.float32):
    """Unnormalised positive weights: Categorical normalises them, as torch does."""
    return (_rng(seed).random(shape) + 0.1).astype(dtype)


def _normal(*shape, seed=0, dtype=np.float32):
    return _rng(seed).standard_normal(shape).astype(dtype)


def _positive(*shape, seed=0, dtype=np.float32):
    return (_rng(seed).random(shape) * 2 + 0.2).astype(dtype)


def _unit(*shape, seed=0, dtype=np.float32):
    return (_rng(seed).random(shape) * 0.9 + 0.05).astype(dtype)


def _classes(*shape, k=4, seed=0):
    return _rng(seed).integers(0, k, shape).astype(np.int64)


def _binary(*shape, seed=0, dtype=np.float32):
    return _rng(seed).integers(0, 2, shape).astype(dtype)


def _spd(D, a):
    """A well-conditioned symmetric positive-definite matrix built from any square a."""
    library = torch if D is TD else lamina
    return a @ a.mT + 0.5 * library.eye(a.shape[-1], dtype=a.dtype)


def _cholesky_like(D, a):
    """A valid scale_tril from any square a: its lower triangle with a positive diagonal."""
    return a.tril(-1) + (a.diagonal(dim1=-2, dim2=-1).exp() + 0.1).unsqueeze(-1) * (
        (torch if D is TD else lamina).eye(a.shape[-1], dtype=a.dtype))


_SPD = (lambda a: a @ a.T + np.eye(3, dtype=np.float32))(_normal(3, 3, seed=4))


# ---------------------------------------------------------------- values and gradients
# Each case: (id, function of (distributions module, *tensors), the arrays). Floating arrays
# become grad leaves; the value and the gradient of every floating input are compared.
CASES = [
    # Normal: loc, scale, value; broadcasting a (3, 1) value against a (4,) batch
    ("normal_log_prob", lambda D, m, s, x: D.Normal(m, s).log_prob(x),
     (_normal(4), _positive(4, seed=1), _normal(3, 1, seed=2))),
    ("normal_entropy", lambda D, m, s: D.Normal(m, s).entropy(), (_normal(2, 3), _positive(2, 3))),
    ("normal_cdf", lambda D, m, s, x: D.Normal(m, s).cdf(x),
     (_normal(5), _positive(5, seed=1), _normal(5, seed=2) * 2)),
    ("normal_icdf", lambda D, m, s, u: D.Normal(m, s).icdf(u),
     (_normal(5), _positive(5, seed=1), _unit(5, seed=2))),
    ("normal_mean", lambda D, m, s: D.Normal(m, s).mean * D.Normal(m, s).stddev,
     (_normal(3), _positive(3))),
    ("normal_variance", lambda D, m, s: D.Normal(m, s).variance, (_normal(3), _positive(3))),
    ("normal_scalar_scale", lambda D, m: D.Normal(m, 0.7).log_prob(m * 0.5), (_normal(2, 2),)),
    ("normal_float64", lambda D, m, s, x: D.Normal(m, s).log_prob(x),
     (_normal(4, dtype=np.float64), _positive(4, dtype=np.float64),
      _normal(4, seed=3, dtype=np.float64))),
    # Categorical from probs and from logits
    ("categorical_probs_log_prob", lambda D, p, a: D.Categorical(p).log_prob(a),
     (_probs(3, 4), _classes(3))),
    ("categorical_log_prob_broadcast", lambda D, p, a: D.Categorical(p).log_prob(a),
     (_probs(3, 4), _classes(5, 1, seed=1))),
    ("categorical_logits_log_prob", lambda D, z, a: D.Categorical(logits=z).log_prob(a),
     (_normal(2, 3, 4) * 3, _classes(2, 3))),
    ("categorical_probs_entropy", lambda D, p: D.Categorical(p).entropy(), (_probs(3, 5),)),
    ("categorical_logits_entropy", lambda D, z: D.Categorical(logits=z).entropy(),
     (_normal(3, 5),)),
    ("categorical_probs_property", lambda D, z: D.Categorical(logits=z).probs, (_normal(2, 5),)),
    ("categorical_logits_property", lambda D, p: D.Categorical(p).logits, (_probs(2, 5),)),
    ("categorical_perplexity", lambda D, p: D.Categorical(p).perplexity(), (_probs(4),)),
    ("categorical_float64", lambda D, p, a: D.Categorical(p).log_prob(a),
     (_probs(3, 4, dtype=np.float64), _classes(3))),
    # Bernoulli from probs and from logits
    ("bernoulli_probs_log_prob", lambda D, p, x: D.Bernoulli(p).log_prob(x),
     (_unit(6), _binary(6))),
    ("bernoulli_logits_log_prob", lambda D, z, x: D.Bernoulli(logits=z).log_prob(x),
     (_normal(2, 3), _binary(4, 2, 3))),
    ("bernoulli_probs_entropy", lambda D, p: D.Bernoulli(p).entropy(), (_unit(6),)),
    ("bernoulli_logits_entropy", lambda D, z: D.Bernoulli(logits=z).entropy(), (_normal(6),)),
    ("bernoulli_variance", lambda D, p: D.Bernoulli(p).variance + D.Bernoulli(p).mean,
     (_unit(6),)),
    ("bernoulli_logits_property", lambda D, p: D.Bernoulli(p).logits, (_unit(6),)),
    # Uniform
    ("uniform_log_prob", lambda D, a, b, x: D.Uniform(a, a + b).log_prob(a + x * b),
     (_normal(5), _positive(5), _unit(5))),
    ("uniform_cdf", lambda D, a, b, x: D.Uniform(a, a + b).cdf(a + x * b),
     (_normal(5), _positive(5), _unit(5))),
    ("uniform_icdf", lambda D, a, b, u: D.Uniform(a, a + b).icdf(u),
     (_normal(5), _positive(5), _unit(5))),
    ("uniform_entropy", lambda D, a, b: D.Uniform(a, a + b).entropy(), (_normal(5), _positive(5))),
    ("uniform_moments", lambda D, a, b: D.Uniform(a, a + b).mean * D.Uniform(a, a + b).variance
     + D.Uniform(a, a + b).stddev, (_normal(5), _positive(5))),
    # OneHotCategorical
    ("one_hot_log_prob", lambda D, p: D.OneHotCategorical(p).log_prob(
        torch.eye(4, dtype=torch.float32)[[2, 0, 3]] if D is TD
        else lamina.eye(4)[lamina.tensor([2, 0, 3])]), (_probs(3, 4),)),
    ("one_hot_entropy", lambda D, z: D.OneHotCategorical(logits=z).entropy(), (_normal(3, 4),)),
    ("one_hot_variance", lambda D, p: D.OneHotCategorical(p).variance, (_probs(3, 4),)),
    # Independent, Exponential, Laplace
    ("independent_log_prob", lambda D, m, s, x: D.Independent(D.Normal(m, s), 1).log_prob(x),
     (_normal(2, 3), _positive(2, 3), _normal(4, 2, 3, seed=2))),
    ("independent_entropy", lambda D, m, s: D.Independent(D.Normal(m, s), 2).entropy(),
     (_normal(2, 3), _positive(2, 3))),
    ("exponential_log_prob", lambda D, r, x: D.Exponential(r).log_prob(x),
     (_positive(5), _positive(5, seed=1))),
    ("exponential_cdf_icdf", lambda D, r, x, u: D.Exponential(r).cdf(x) * D.Exponential(r).icdf(u),
     (_positive(5), _positive(5, seed=1), _unit(5, seed=2))),
    ("exponential_moments", lambda D, r: D.Exponential(r).entropy() + D.Exponential(r).mean
     * D.Exponential(r).variance, (_positive(5),)),
    ("laplace_log_prob", lambda D, m, s, x: D.Laplace(m, s).log_prob(x),
     (_normal(5), _positive(5), _normal(5, seed=2))),
    ("laplace_cdf", lambda D, m, s, x: D.Laplace(m, s).cdf(x),
     (_normal(5), _positive(5), _normal(5, seed=2))),
    ("laplace_icdf", lambda D, m, s, u: D.Laplace(m, s).icdf(u),
     (_normal(5), _positive(5), _unit(5, seed=2))),
    ("laplace_moments", lambda D, m, s: D.Laplace(m, s).entropy() + D.Laplace(m, s).variance
     * D.Laplace(m, s).stddev, (_normal(5), _positive(5))),
    # MultivariateNormal from each of its three parameterisations, with batch broadcasting
    ("mvn_covariance_log_prob", lambda D, m, a, x: D.MultivariateNormal(
        m, covariance_matrix=_spd(D, a)).log_prob(x),
     (_normal(2, 3), _normal(3, 3, seed=1), _normal(4, 2, 3, seed=2))),
    ("mvn_covariance_given", lambda D, m, c: D.MultivariateNormal(m, c).log_prob(m * 0.5),
     (_normal(3), _SPD)),
    ("mvn_scale_tril", lambda D, m, a, x: D.MultivariateNormal(
        m, scale_tril=_cholesky_like(D, a)).log_prob(x),
     (_normal(3), _normal(2, 3, 3, seed=1), _normal(2, 3, seed=2))),
    ("mvn_precision", lambda D, m, a, x: D.MultivariateNormal(
        m, precision_matrix=_spd(D, a)).log_prob(x),
     (_normal(3), _normal(3, 3, seed=1), _normal(3, seed=2))),
    ("mvn_entropy", lambda D, m, a: D.MultivariateNormal(m, _spd(D, a)).entropy(),
     (_normal(2, 3), _normal(2, 3, 3, seed=1))),
    ("mvn_variance", lambda D, m, a: D.MultivariateNormal(m, _spd(D, a)).variance,
     (_normal(2, 3), _normal(3, 3, seed=1))),
    ("mvn_scale_tril_property", lambda D, m, a: D.MultivariateNormal(m, _spd(D, a)).scale_tril,
     (_normal(3), _normal(3, 3, seed=1))),
    ("mvn_covariance_property", lambda D, m, a: D.MultivariateNormal(
        m, scale_tril=_cholesky_like(D, a)).covariance_matrix, (_normal(3), _normal(3, 3))),
    ("mvn_precision_property", lambda D, m, a: D.MultivariateNormal(
        m, _spd(D, a)).precision_matrix, (_normal(3), _normal(3, 3, seed=1))),
    # Beta
    ("beta_log_prob", lambda D, a, b, x: D.Beta(a, b).log_prob(x),
     (_positive(5), _positive(5, seed=1), _unit(5, seed=2))),
    ("beta_log_prob_at_edges", lambda D, a, x: D.Beta(a, 1.0).log_prob(x),
     (_positive(3), np.array([0.0, 0.5, 1.0], np.float32))),
    ("beta_entropy", lambda D, a, b: D.Beta(a, b).entropy(), (_positive(2, 3), _positive(3))),
    ("beta_moments", lambda D, a, b: D.Beta(a, b).mean * D.Beta(a, b).variance
     + D.Beta(a, b).stddev, (_positive(5), _positive(5, seed=1))),
    ("beta_mode", lambda D, a, b: D.Beta(a, b).mode,
     (np.array([0.5, 2.0, 1.0, 0.7, 3.0], np.float32), np.array([0.5, 3.0, 1.0, 2.0, 0.4],
                                                                 np.float32))),
    ("beta_float64", lambda D, a, b, x: D.Beta(a, b).log_prob(x),
     (_positive(4, dtype=np.float64), _positive(4, seed=1, dtype=np.float64),
      _unit(4, dtype=np.float64))),
    # kl_divergence
    ("kl_normal_normal", lambda D, m1, s1, m2, s2: D.kl_divergence(D.Normal(m1, s1),
                                                                   D.Normal(m2, s2)),
     (_normal(4), _positive(4), _normal(4, seed=1), _positive(4, seed=1))),
    ("kl_normal_normal_broadcast", lambda D, m1, s1, m2: D.kl_divergence(D.Normal(m1, s1),
                                                                         D.Normal(m2, 1.0)),
     (_normal(3, 1), _positive(3, 1), _normal(4, seed=1))),
    ("kl_categorical", lambda D, p, q: D.kl_divergence(D.Categorical(p), D.Categorical(q)),
     (_probs(3, 5), _probs(3, 5, seed=1))),
    ("kl_categorical_logits", lambda D, p, q: D.kl_divergence(D.Categorical(logits=p),
                                                              D.Categorical(logits=q)),
     (_normal(2, 5), _normal(5, seed=1))),
    ("kl_bernoulli", lambda D, p, q: D.kl_divergence(D.Bernoulli(p), D.Bernoulli(q)),
     (_unit(6), _unit(6, seed=1))),
    ("kl_one_hot", lambda D, p, q: D.kl_divergence(D.OneHotCategorical(p),
                                                   D.OneHotCategorical(q)),
     (_probs(2, 3), _probs(2, 3, seed=1))),
    ("kl_independent", lambda D, m1, s1, m2: D.kl_divergence(
        D.Independent(D.Normal(m1, s1), 1), D.Independent(D.Normal(m2, 1.0), 1)),
     (_normal(2, 3), _positive(2, 3), _normal(2, 3, seed=1))),
    ("kl_exponential", lambda D, a, b: D.kl_divergence(D.Exponential(a), D.Exponential(b)),
     (_positive(4), _positive(4, seed=1))),
    ("kl_laplace", lambda D, m1, s1, m2, s2: D.kl_divergence(D.Laplace(m1, s1),
                                                             D.Laplace(m2, s2)),
     (_normal(4), _positive(4), _normal(4, seed=1), _positive(4, seed=1))),
    ("kl_mvn", lambda D, m1, a1, m2, a2: D.kl_divergence(
        D.MultivariateNormal(m1, _spd(D, a1)), D.MultivariateNormal(m2, scale_tril=_cholesky_like(
            D, a2))), (_normal(2, 3), _normal(3, 3, seed=1), _normal(3, seed=2),
                        _normal(2, 3, 3, seed=3))),
    ("kl_beta", lambda D, a1, b1, a2, b2: D.kl_divergence(D.Beta(a1, b1), D.Beta(a2, b2)),
     (_positive(4), _positive(4, seed=1), _positive(4, seed=2), _positive(4, seed=3))),
    ("kl_uniform_uniform", lambda D, a, b: D.kl_divergence(D.Uniform(a, a + 1),
                                                           D.Uniform(a - b, a + 1 + b)),
     (_normal(4), _positive(4))),
    ("kl_uniform_normal", lambda D, a, m, s: D.kl_divergence(D.Uniform(a, a + 1),
                                                             D.Normal(m, s)),
     (_normal(4), _normal(4, seed=1), _positive(4))),
]


@pytest.mark.parametrize("name,function,arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(name, function, arrays):
    compare_with_torch(lambda *t: function(LD, *t), lambda *t: function(TD, *t), *arrays)


def test_normal_rsample_gradients_match_torch_with_the_same_noise():
    # lamina.randn follows torch's stream, so the same seed gives both the same noise
    loc, scale = _normal(2, 3), _positive(2, 3)

    def draw(D, m, s):
        return D.Normal(m, s).rsample((2,))

    lamina.manual_seed(11)
    torch.manual_seed(11)
    compare_with_torch(lambda *t: draw(LD, *t), lambda *t: draw(TD, *t), loc, scale)


def test_multivariate_normal_rsample_gradients_match_torch_with_the_same_noise():
    def draw(D, m, a):
        return D.MultivariateNormal(m, _spd(D, a)).rsample((2,))

    lamina.manual_seed(4)
    torch.manual_seed(4)
    compare_with_torch(lambda *t: draw(LD, *t), lambda *t: draw(TD, *t), _normal(2, 3),
                       _normal(3, 3, seed=1))


def test_uniform_rsample_gradients_match_torch_with_the_same_noise():
    low, width = _normal(4), _positive(4)

    def draw(D, a, b):
        return D.Uniform(a, a + b).rsample((3,))

    lamina.manual_seed(5)
    torch.manual_seed(5)
    compare_with_torch(lambda *t: draw(LD, *t), lambda *t: draw(TD, *t), low, width)


def test_straight_through_rsample_gradients_match_torch():
    def draw(D, z):
        return D.OneHotCategoricalStraightThrough(logits=z).rsample((3,))

    lamina.manual_seed(2)
    torch.manual_seed(2)
    compare_with_torch(lambda t: draw(LD, t), lambda t: draw(TD, t), _normal(2, 4))


def test_icdf_gradcheck_in_float64():
    u = lamina.tensor(_unit(6, dtype=np.float64), requires_grad=True)
    loc = lamina.tensor(_normal(6, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda u, loc: LD.Normal(loc, 2.0).icdf(u), (u, loc))


def test_multivariate_normal_gradcheck_in_float64():
    a = lamina.tensor(_normal(3, 3, dtype=np.float64), requires_grad=True)
    loc = lamina.tensor(_normal(2, 3, seed=1, dtype=np.float64), requires_grad=True)
    x = lamina.tensor(_normal(2, 3, seed=2, dtype=np.float64))
    assert gradcheck(lambda a, loc: LD.MultivariateNormal(loc, _spd(LD, a)).log_prob(x),
                     (a, loc))
    assert gradcheck(lambda a: LD.MultivariateNormal(loc, precision_matrix=_spd(LD, a))
                     .entropy(), (a,))


def test_lgamma_and_digamma_match_torch_and_gradcheck():
    from lamina.distributions._special import digamma, lgamma

    x = np.array([1e-6, 0.1, 0.5, 1.0, 1.5, 2.0, 3.3, 6.9, 7.0, 25.0, 1e4, -0.5, -2.7])
    assert_close(lgamma(lamina.tensor(x)), torch.lgamma(torch.from_numpy(x)), rtol=1e-13)
    assert_close(digamma(lamina.tensor(x)), torch.digamma(torch.from_numpy(x)), rtol=1e-13)
    special = np.array([0.0, -1.0, -2.0])
    assert_close(lgamma(lamina.tensor(special)), torch.lgamma(torch.from_numpy(special)))
    assert_close(digamma(lamina.tensor(special)), torch.digamma(torch.from_numpy(special)))
    assert lgamma(lamina.tensor(x[:4].astype(np.float32))).dtype == lamina.float32
    leaf = lamina.tensor(np.array([0.3, 1.7, 8.5, -0.4]), requires_grad=True)
    assert gradcheck(lambda t: lgamma(t), (leaf,))
    assert gradcheck(lambda t: digamma(t), (leaf,))


def test_beta_samples_and_its_rsample_limit():
    lamina.manual_seed(0)
    draws = LD.Beta(lamina.tensor([2.0, 0.5]), lamina.tensor([5.0, 0.5])).sample((20000,))
    assert tuple(draws.shape) == (20000, 2) and draws.dtype == lamina.float32
    assert float(draws.min()) > 0 and float(draws.max()) < 1
    np.testing.assert_allclose(draws.numpy().mean(0), [2 / 7, 0.5], atol=0.01)
    np.testing.assert_allclose(draws.numpy().var(0), [10 / 392, 0.125], rtol=0.05)
    with pytest.raises(NotImplementedError):  # torch reparameterises its gamma draws; we don't
        LD.Beta(2.0, 3.0).rsample()
    assert not LD.Beta.has_rsample


def test_multivariate_normal_without_validation_fails_in_cholesky_as_torch():
    covariance = [[1.0, 2.0], [2.0, 1.0]]
    with pytest.raises(RuntimeError):
        TD.MultivariateNormal(torch.zeros(2), torch.tensor(covariance), validate_args=False)
    with pytest.raises(lamina.linalg.LinAlgError):
        LD.MultivariateNormal(lamina.zeros(2), lamina.tensor(covariance), validate_args=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_icdf_inverts_cdf_and_matches_torch_in_the_tails(dtype):
    u = np.array([1e-6, 0.001, 0.02, 0.5, 0.7, 0.999, 1 - 1e-6, 0.0, 1.0], dtype=dtype)
    ours = LD.Normal(0.0, 1.0).icdf(lamina.tensor(u))
    theirs = TD.Normal(0.0, 1.0).icdf(torch.from_numpy(u))
    assert_close(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-9)
    outside = lamina.tensor([1.5], dtype=ours.dtype)
    assert math.isnan(LD.Normal(lamina.zeros(1, dtype=ours.dtype), 1.0).icdf(outside).item())


def test_entropy_and_kl_with_zero_probabilities_match_torch():
    p = np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]], np.float32)
    q = np.array([[0.2, 0.0, 0.8], [0.5, 0.25, 0.25]], np.float32)
    compare_with_torch(lambda t: LD.Categorical(t).entropy(),
                       lambda t: TD.Categorical(t).entropy(), p)
    compare_with_torch(lambda a, b: LD.kl_divergence(LD.Categorical(a), LD.Categorical(b)),
                       lambda a, b: TD.kl_divergence(TD.Categorical(a), TD.Categorical(b)), p, q)
    bp, bq = np.array([0.0, 1.0, 0.3, 0.4], np.float32), np.array([0.5, 0.2, 0.0, 1.0], np.float32)
    compare_with_torch(lambda a, b: LD.kl_divergence(LD.Bernoulli(a), LD.Bernoulli(b)),
                       lambda a, b: TD.kl_divergence(TD.Bernoulli(a), TD.Bernoulli(b)), bp, bq)


def test_uniform_outside_support_without_validation_matches_torch():
    x = np.array([-1.0, 0.5, 2.0], np.float32)
    ours = LD.Uniform(0.0, 1.0, validate_args=False).log_prob(lamina.tensor(x))
    theirs = TD.Uniform(0.0, 1.0, validate_args=False).log_prob(torch.from_numpy(x))
    assert_close(ours, theirs)
    assert_close(LD.Uniform(0.0, 1.0, validate_args=False).cdf(lamina.tensor(x)),
                 TD.Uniform(0.0, 1.0, validate_args=False).cdf(torch.from_numpy(x)))


def test_kl_of_uniform_not_covering_is_inf_as_torch():
    ours = LD.kl_divergence(LD.Uniform(0.0, 2.0), LD.Uniform(0.5, 3.0))
    assert ours.item() == math.inf == TD.kl_divergence(TD.Uniform(0.0, 2.0),
                                                       TD.Uniform(0.5, 3.0)).item()
    assert LD.kl_divergence(LD.Normal(lamina.zeros(2), 1.0), LD.Uniform(-1.0, 1.0)).tolist() \
        == [math.inf, math.inf]


# ---------------------------------------------------------------- shapes, properties, expand
def test_shapes_and_properties_match_torch():
    p = _probs(2, 3, 4)
    ours, theirs = LD.Categorical(lamina.tensor(p)), TD.Categorical(torch.from_numpy(p))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == (2, 3)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape) == ()
    assert tuple(ours.param_shape) == (2, 3, 4)
    assert_close(ours.mode, theirs.mode)
    assert_close(ours.mean, theirs.mean)  # nan, as torch
    assert_close(ours.variance, theirs.variance)
    for expand in (True, False):
        assert_close(ours.enumerate_support(expand), theirs.enumerate_support(expand))
    one_hot = LD.OneHotCategorical(lamina.tensor(p))
    torch_one_hot = TD.OneHotCategorical(torch.from_numpy(p))
    assert tuple(one_hot.event_shape) == (4,) and tuple(one_hot.batch_shape) == (2, 3)
    assert_close(one_hot.mode, torch_one_hot.mode)
    assert_close(one_hot.enumerate_support(), torch_one_hot.enumerate_support())
    b = _unit(3)
    b[1] = 0.5
    assert_close(LD.Bernoulli(lamina.tensor(b)).mode, TD.Bernoulli(torch.from_numpy(b)).mode)
    assert_close(LD.Bernoulli(lamina.tensor(b)).enumerate_support(False),
                 TD.Bernoulli(torch.from_numpy(b)).enumerate_support(False))
    assert tuple(LD.Normal(0.0, 1.0).batch_shape) == ()
    assert tuple(LD.Normal(lamina.zeros(3, 1), lamina.ones(2)).batch_shape) == (3, 2)
    assert LD.Normal(0.0, 1.0).loc.dtype == lamina.float32
    assert LD.Normal(lamina.zeros(2, dtype=lamina.float64), 1.0).scale.dtype == lamina.float64
    assert math.isnan(LD.Uniform(0.0, 1.0).mode.item())
    assert LD.Normal.has_rsample and LD.Uniform.has_rsample and not LD.Categorical.has_rsample
    assert LD.Categorical.has_enumerate_support and LD.Bernoulli.has_enumerate_support


@pytest.mark.parametrize("make", [
    lambda D, t: D.Normal(t.exp(), 1.0), lambda D, t: D.Categorical(logits=t),
    lambda D, t: D.Bernoulli(logits=t), lambda D, t: D.Uniform(t, t + 1),
    lambda D, t: D.OneHotCategorical(t.exp()), lambda D, t: D.Exponential(t.exp()),
    lambda D, t: D.Laplace(t, 1.0), lambda D, t: D.Independent(D.Normal(t, 1.0), 1),
    lambda D, t: D.MultivariateNormal(t, _spd(D, t.outer(t))),
    lambda D, t: D.Beta(t.exp(), 2.0),
], ids=["normal", "categorical", "bernoulli", "uniform", "one_hot", "exponential", "laplace",
        "independent", "multivariate_normal", "beta"])
def test_expand_matches_torch(make):
    array = _normal(3)
    ours = make(LD, lamina.tensor(array)).expand((2, 3))
    theirs = make(TD, torch.from_numpy(array)).expand((2, 3))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours).replace("lamina", "torch") == repr(theirs)
    value = theirs.sample()
    assert_close(ours.log_prob(lamina.tensor(value.numpy())), theirs.log_prob(value))


def test_expanded_distribution_samples_and_keeps_gradients():
    loc = lamina.tensor([0.5, -0.5], requires_grad=True)
    dist = LD.Normal(loc, 1.0).expand((4, 2))
    assert tuple(dist.sample((3,)).shape) == (3, 4, 2)
    dist.log_prob(lamina.zeros(4, 2)).sum().backward()
    assert_close(loc.grad, torch.tensor([-2.0, 2.0]))


# ---------------------------------------------------------------- sampling
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_shapes_and_dtypes_match_torch(sample_shape):
    p, loc = _probs(4, 3), _normal(4)
    pairs = [
        (LD.Categorical(lamina.tensor(p)), TD.Categorical(torch.from_numpy(p))),
        (LD.OneHotCategorical(lamina.tensor(p)), TD.OneHotCategorical(torch.from_numpy(p))),
        (LD.Bernoulli(lamina.tensor(_unit(4))), TD.Bernoulli(torch.from_numpy(_unit(4)))),
        (LD.Normal(lamina.tensor(loc), 1.0), TD.Normal(torch.from_numpy(loc), 1.0)),
        (LD.Uniform(lamina.tensor(loc), 3.0), TD.Uniform(torch.from_numpy(loc), 3.0)),
        (LD.Normal(0.0, lamina.tensor(2.0, dtype=lamina.float64)),
         TD.Normal(0.0, torch.tensor(2.0, dtype=torch.float64))),
    ]
    for ours, theirs in pairs:
        a, b = ours.sample(sample_shape), theirs.sample(sample_shape)
        assert tuple(a.shape) == tuple(b.shape), type(ours).__name__
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], type(ours).__name__
        assert not a.requires_grad


def test_sample_is_outside_the_graph_and_rsample_inside():
    loc = lamina.tensor([0.0, 1.0], requires_grad=True)
    assert not LD.Normal(loc, 1.0).sample().requires_grad
    assert LD.Normal(loc, 1.0).rsample().requires_grad
    probs = lamina.tensor([0.3, 0.7], requires_grad=True)
    assert LD.Categorical(probs).sample().dtype == lamina.int64
    assert LD.Bernoulli(probs).sample().dtype == lamina.float32


def test_sample_statistics_are_those_of_the_distribution():
    lamina.manual_seed(0)
    probs = lamina.tensor([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    draws = LD.Categorical(probs).sample((20000,)).numpy()
    for row in range(2):
        frequencies = np.bincount(draws[:, row], minlength=3) / len(draws)
        np.testing.assert_allclose(frequencies, probs.numpy()[row], atol=0.015)
    singles = np.array([LD.Categorical(probs).sample().numpy() for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(singles[:, 0], minlength=3) / 3000, [0.1, 0.2, 0.7],
                               atol=0.03)
    zero = LD.Categorical(lamina.tensor([0.0, 1.0, 0.0])).sample((1000,))
    assert (zero.numpy() == 1).all()
    heads = LD.Bernoulli(lamina.tensor([0.2, 0.9])).sample((20000,)).numpy().mean(0)
    np.testing.assert_allclose(heads, [0.2, 0.9], atol=0.015)
    normal = LD.Normal(lamina.tensor([1.0, -3.0]), lamina.tensor([0.5, 2.0])).sample((20000,))
    np.testing.assert_allclose(normal.numpy().mean(0), [1.0, -3.0], atol=0.05)
    np.testing.assert_allclose(normal.numpy().std(0), [0.5, 2.0], rtol=0.03)
    uniform = LD.Uniform(2.0, 5.0).sample((20000,)).numpy()
    assert uniform.min() >= 2.0 and uniform.max() < 5.0
    np.testing.assert_allclose([uniform.mean(), uniform.var()], [3.5, 0.75], rtol=0.02)
    exponential = LD.Exponential(lamina.tensor([0.5, 4.0])).sample((20000,)).numpy()
    assert exponential.min() >= 0
    np.testing.assert_allclose(exponential.mean(0), [2.0, 0.25], rtol=0.03)
    laplace = LD.Laplace(1.0, 2.0).sample((20000,)).numpy()
    np.testing.assert_allclose([np.median(laplace), np.abs(laplace - 1).mean()], [1.0, 2.0],
                               atol=0.06)
    covariance = np.array([[2.0, 0.6], [0.6, 0.5]], np.float32)
    mvn = LD.MultivariateNormal(lamina.tensor([1.0, -1.0]), lamina.tensor(covariance))
    draws_mvn = mvn.sample((20000,)).numpy()
    np.testing.assert_allclose(draws_mvn.mean(0), [1.0, -1.0], atol=0.05)
    np.testing.assert_allclose(np.cov(draws_mvn.T), covariance, atol=0.06)
    one_hot = LD.OneHotCategorical(probs).sample((20000,)).numpy()
    assert (one_hot.sum(-1) == 1).all()
    np.testing.assert_allclose(one_hot.mean(0), probs.numpy(), atol=0.015)


@pytest.mark.parametrize("name,make,shape", [
    ("normal", lambda D, t: D.Normal(t, t.abs() + 0.5), (5,)),
    ("normal_float64", lambda D, t: D.Normal(t.double(), 2.0), (3,)),
    ("uniform", lambda D, t: D.Uniform(t, t + 2), (6,)),
    ("bernoulli", lambda D, t: D.Bernoulli(t.sigmoid()), (4,)),
    ("bernoulli_float64", lambda D, t: D.Bernoulli(t.sigmoid().double()), (4,)),
    ("laplace", lambda D, t: D.Laplace(t, 2.0), (4,)),
    ("independent_normal", lambda D, t: D.Independent(D.Normal(t, 1.0), 1), (2,)),
    ("multivariate_normal", lambda D, t: D.MultivariateNormal(t, _spd(D, t.outer(t))), (3,)),
    ("categorical_several", lambda D, t: D.Categorical(logits=t.reshape(1, 3)), (50,)),
    ("one_hot_several", lambda D, t: D.OneHotCategorical(logits=t.reshape(1, 3)), (7, 2)),
])
def test_draws_follow_torchs_stream_after_manual_seed(name, make, shape):
    """Not required of lamina, but these recipes reproduce torch's draws exactly (Categorical
    only when drawing more than one sample per distribution: torch uses another method for
    a single one)."""
    array = _normal(3)
    lamina.manual_seed(7)
    torch.manual_seed(7)
    ours = make(LD, lamina.tensor(array)).sample(shape)
    theirs = make(TD, torch.from_numpy(array)).sample(shape)
    assert_close(ours, theirs)


def test_categorical_with_many_rows_and_classes_samples_in_chunks():
    lamina.manual_seed(1)
    probs = lamina.rand(50, 300) + 0.01
    draws = LD.Categorical(probs).sample((2000,))
    assert tuple(draws.shape) == (2000, 50)
    assert int(draws.max()) < 300 and int(draws.min()) >= 0


# ---------------------------------------------------------------- validation and errors
BAD = [
    ("negative_scale", lambda D, T: D.Normal(0.0, -1.0)),
    ("zero_scale_tensor", lambda D, T: D.Normal(T.zeros(2), T.tensor([1.0, 0.0]))),
    ("nan_loc", lambda D, T: D.Normal(T.tensor([math.nan]), 1.0)),
    ("negative_probs", lambda D, T: D.Categorical(T.tensor([-0.1, 1.1]))),
    ("nan_logits", lambda D, T: D.Categorical(logits=T.tensor([0.0, math.nan]))),
    ("both_probs_and_logits", lambda D, T: D.Categorical(T.ones(2), T.ones(2))),
    ("neither", lambda D, T: D.Categorical()),
    ("zero_dim_probs", lambda D, T: D.Categorical(T.tensor(1.0))),
    ("bernoulli_above_one", lambda D, T: D.Bernoulli(1.5)),
    ("bernoulli_both", lambda D, T: D.Bernoulli(0.5, 0.0)),
    ("uniform_reversed", lambda D, T: D.Uniform(1.0, 0.0)),
    ("shapes_do_not_broadcast", lambda D, T: D.Normal(T.zeros(2), T.ones(3))),
    ("not_a_number", lambda D, T: D.Normal("a", 1.0)),
    ("class_out_of_range", lambda D, T: D.Categorical(T.ones(3)).log_prob(T.tensor(3))),
    ("fractional_class", lambda D, T: D.Categorical(T.ones(3)).log_prob(T.tensor(1.5))),
    ("value_not_tensor", lambda D, T: D.Normal(0.0, 1.0).log_prob(1.0)),
    ("value_shape", lambda D, T: D.Normal(T.zeros(2), 1.0).log_prob(T.zeros(3))),
    ("bernoulli_value", lambda D, T: D.Bernoulli(0.3).log_prob(T.tensor(0.5))),
    ("nan_value", lambda D, T: D.Normal(0.0, 1.0).cdf(T.tensor(math.nan))),
    ("uniform_value_outside", lambda D, T: D.Uniform(0.0, 1.0).log_prob(T.tensor(2.0))),
    ("one_hot_value", lambda D, T: D.OneHotCategorical(T.ones(3)).log_prob(T.ones(3))),
    ("independent_too_many_dims", lambda D, T: D.Independent(D.Normal(T.zeros(2), 1.0), 2)),
    ("independent_enumerate", lambda D, T: D.Independent(D.Bernoulli(T.ones(2) / 2), 1)
     .enumerate_support()),
    ("negative_rate", lambda D, T: D.Exponential(T.tensor([1.0, -1.0]))),
    ("exponential_negative_value", lambda D, T: D.Exponential(1.0).log_prob(T.tensor(-1.0))),
    ("laplace_zero_scale", lambda D, T: D.Laplace(0.0, 0.0)),
    ("kl_independent_dims_differ", lambda D, T: D.kl_divergence(
        D.Independent(D.Normal(T.zeros(2, 2), 1.0), 1),
        D.Independent(D.Normal(T.zeros(2, 2), 1.0), 2))),
    ("mvn_not_positive_definite", lambda D, T: D.MultivariateNormal(
        T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]]))),
    ("mvn_not_symmetric", lambda D, T: D.MultivariateNormal(
        T.zeros(2), T.tensor([[1.0, 0.5], [0.0, 1.0]]))),
    ("mvn_scale_tril_upper", lambda D, T: D.MultivariateNormal(
        T.zeros(2), scale_tril=T.tensor([[1.0, 0.5], [0.0, 1.0]]))),
    ("mvn_two_matrices", lambda D, T: D.MultivariateNormal(T.zeros(2), T.eye(2), T.eye(2))),
    ("mvn_scalar_loc", lambda D, T: D.MultivariateNormal(T.tensor(0.0), T.eye(1))),
    ("mvn_vector_covariance", lambda D, T: D.MultivariateNormal(T.zeros(2), T.ones(2))),
    ("mvn_value_event_shape", lambda D, T: D.MultivariateNormal(T.zeros(2), T.eye(2))
     .log_prob(T.zeros(3))),
    ("beta_negative", lambda D, T: D.Beta(-1.0, 2.0)),
    ("beta_value_outside", lambda D, T: D.Beta(1.0, 2.0).log_prob(T.tensor(1.5))),
    ("kl_not_registered", lambda D, T: D.kl_divergence(D.Categorical(T.ones(2)),
                                                       D.Normal(0.0, 1.0))),
    ("categorical_has_no_rsample", lambda D, T: D.Categorical(T.ones(2)).rsample()),
    ("categorical_has_no_cdf", lambda D, T: D.Categorical(T.ones(2)).cdf(T.tensor(0))),
]


@pytest.mark.parametrize("name,make", BAD, ids=[b[0] for b in BAD])
def test_invalid_arguments_raise_torchs_exception_type(name, make):
    with pytest.raises(Exception) as expected:
        make(TD, torch)
    with pytest.raises(expected.type) as got:
        make(LD, lamina)
    # validation messages are torch's text (torch's Beta names its inner Dirichlet; ours not)
    if str(expected.value).startswith("Expected") and name != "beta_negative":
        assert str(got.value).replace("lamina", "torch") == str(expected.value)


def test_validation_can_be_turned_off_per_distribution_and_globally():
    scale = lamina.tensor([-1.0])
    dist = LD.Normal(0.0, scale, validate_args=False)
    assert math.isnan(dist.log_prob(lamina.tensor([0.0])).item())
    LD.Distribution.set_default_validate_args(False)
    try:
        LD.Normal(0.0, scale)
        LD.Categorical(lamina.ones(3)).log_prob(lamina.tensor(7.0).long().clamp(max=2))
    finally:
        LD.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        LD.Normal(0.0, scale)
    with pytest.raises(ValueError):
        LD.Distribution.set_default_validate_args("yes")


def test_sampling_from_invalid_probs_without_validation_raises_like_torch():
    probs = np.array([0.5, -0.5, 1.0], np.float32)
    with pytest.raises(RuntimeError):
        TD.Categorical(torch.from_numpy(probs), validate_args=False).sample()
    with pytest.raises(RuntimeError):
        LD.Categorical(lamina.tensor(probs), validate_args=False).sample()


# ---------------------------------------------------------------- repr and registry
REPRS = [
    lambda D, T: D.Normal(0.0, 1.0),
    lambda D, T: D.Normal(T.zeros(2), 1.0),
    lambda D, T: D.Normal(T.tensor([0.5]), T.tensor([2.0])),
    lambda D, T: D.Categorical(T.ones(2, 3)),
    lambda D, T: D.Categorical(logits=T.zeros(4)),
    lambda D, T: D.Bernoulli(0.3),
    lambda D, T: D.Bernoulli(logits=T.zeros(3)),
    lambda D, T: D.Uniform(0.0, 1.0),
    lambda D, T: D.OneHotCategorical(T.ones(3)),
    lambda D, T: D.Independent(D.Normal(T.zeros(2, 3), 1.0), 1),
    lambda D, T: D.Independent(D.Normal(T.zeros(2, 3), 1.0), 1).support,
    lambda D, T: D.Exponential(2.0),
    lambda D, T: D.Exponential(2.0).support,
    lambda D, T: D.Laplace(T.zeros(2), 1.0),
    lambda D, T: D.MultivariateNormal(T.zeros(2), scale_tril=T.eye(2)),
    lambda D, T: D.MultivariateNormal(T.zeros(4, 2), precision_matrix=T.eye(2)),
    lambda D, T: D.MultivariateNormal.arg_constraints["covariance_matrix"],
    lambda D, T: D.MultivariateNormal.arg_constraints["scale_tril"],
    lambda D, T: D.Beta(T.ones(2), 2.0),
    lambda D, T: D.Beta(2.0, 3.0).support,
    lambda D, T: D.Categorical(T.ones(3)).support,
    lambda D, T: D.Uniform(0.0, 2.0).support,
    lambda D, T: D.Categorical.arg_constraints["logits"],
    lambda D, T: D.Bernoulli.support,
    lambda D, T: D.Normal.arg_constraints["scale"],
]


@pytest.mark.parametrize("make", REPRS, ids=[str(i) for i in range(len(REPRS))])
def test_repr_matches_torch(make):
    assert repr(make(LD, lamina)).replace("lamina", "torch") == repr(make(TD, torch))


def test_register_kl_dispatches_to_the_most_specific_pair():
    class Wide(LD.Normal):
        pass

    @LD.register_kl(Wide, LD.Normal)
    def _kl_wide_normal(p, q):
        return lamina.zeros(p.batch_shape)

    p, q = Wide(lamina.zeros(2), 1.0), LD.Normal(lamina.ones(2), 1.0)
    assert LD.kl_divergence(p, q).tolist() == [0.0, 0.0]
    assert LD.kl_divergence(q, Wide(lamina.zeros(2), 1.0)).tolist() == [0.5, 0.5]
    with pytest.raises(TypeError):
        LD.register_kl(int, LD.Normal)


def test_subclass_with_its_own_init_must_define_expand():
    class Shifted(LD.Normal):
        def __init__(self, loc):
            super().__init__(loc + 1, 1.0)

    with pytest.raises(NotImplementedError):
        Shifted(lamina.zeros(2)).expand((3, 2))


def test_import_lamina_defers_loading_the_distribution_modules():
    code = ("import sys, lamina; before = 'lamina.distributions.normal' in sys.modules; "
            "lamina.distributions.Normal; print(before, 'lamina.distributions.normal' in "
            "sys.modules, 'lamina.distributions.kl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "False"]
    assert "Normal" in dir(LD) and LD.constraints.positive is LD.Normal.arg_constraints["scale"]
    with pytest.raises(AttributeError):
        LD.NoSuchDistribution  # noqa: B018


# ---------------------------------------------------------------- the program from the brief
def _policy_gradient(torch, nn, F, weight, bias, state, action, reward):
    """The policy-gradient step as users write it (sample drawn, log_prob at a fixed action)."""
    policy = nn.Linear(4, 3)
    with torch.no_grad():
        policy.weight.copy_(torch.tensor(weight))
        policy.bias.copy_(torch.tensor(bias))
    state = torch.tensor(state)
    probs = F.softmax(policy(state), dim=1)
    dist = torch.distributions.Categorical(probs)
    sampled = dist.sample()
    assert tuple(sampled.shape) == (5,) and sampled.dtype == torch.int64
    action = torch.tensor(action)
    loss = -(dist.log_prob(action) * torch.tensor(reward)).sum()
    loss.backward()
    return loss, dist.entropy(), policy.weight.grad, policy.bias.grad


def test_policy_gradient_program_matches_torch():
    import torch.nn as tnn
    import torch.nn.functional as TF

    import lamina.nn as lnn
    import lamina.nn.functional as LF

    arrays = (_normal(3, 4), _normal(3, seed=1), _normal(5, 4, seed=2), _classes(5, k=3),
              _normal(5, seed=3))
    ours = _policy_gradient(lamina, lnn, LF, *arrays)
    theirs = _policy_gradient(torch, tnn, TF, *arrays)
    for mine, reference in zip(ours, theirs):
        assert_close(mine, reference)
