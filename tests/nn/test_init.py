"""nn.init: gains, fans, and the distributions' statistics against torch.nn.init."""

import math
import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as nn
from lamina.nn import init


def _both(shape, dtype=np.float32):
    ours = nn.Parameter(lamina.empty(*shape, dtype=lamina.float64 if dtype == np.float64
                                     else lamina.float32))
    theirs = torch.nn.Parameter(torch.empty(*shape, dtype=torch.float64 if dtype == np.float64
                                            else torch.float32))
    return ours, theirs


def _values(t):
    return t.detach().numpy()


def _assert_same_statistics(ours, theirs, mean, std, bound=None, tol=0.03):
    for sample in (_values(ours), _values(theirs)):
        assert abs(sample.mean() - mean) < tol * max(std, 1e-3)
        assert abs(sample.std() - std) < tol * std
        if bound is not None:
            assert np.abs(sample).max() <= bound
            assert np.abs(sample).max() > 0.95 * bound


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3),
                                  ("selu",), ("conv_transpose3d",)])
def test_calculate_gain_matches_torch(args):
    assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


def test_calculate_gain_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_and_normal_statistics_match_torch(dtype):
    ours, theirs = _both((300, 300), dtype)
    init.uniform_(ours, -2.0, 3.0)
    torch.nn.init.uniform_(theirs, -2.0, 3.0)
    _assert_same_statistics(ours, theirs, 0.5, 5 / math.sqrt(12))
    for sample in (_values(ours), _values(theirs)):
        assert sample.min() >= -2.0 and sample.max() <= 3.0
    init.normal_(ours, 1.0, 0.5)
    torch.nn.init.normal_(theirs, 1.0, 0.5)
    _assert_same_statistics(ours, theirs, 1.0, 0.5)
    assert ours.dtype == (lamina.float64 if dtype == np.float64 else lamina.float32)
    assert ours.requires_grad and ours.grad_fn is None


def test_trunc_normal_matches_torch():
    ours, theirs = _both((400, 400))
    init.trunc_normal_(ours, 0.5, 2.0, -1.0, 3.0)
    torch.nn.init.trunc_normal_(theirs, 0.5, 2.0, -1.0, 3.0)
    a, b = _values(ours), _values(theirs)
    assert a.min() >= -1.0 and a.max() <= 3.0
    assert abs(a.mean() - b.mean()) < 0.02 and abs(a.std() - b.std()) < 0.02
    # the density's shape: a histogram of ours matches torch's
    bins = np.linspace(-1, 3, 9)
    np.testing.assert_allclose(np.histogram(a, bins)[0] / a.size,
                               np.histogram(b, bins)[0] / b.size, atol=0.005)


def _truncated_moments(low, high):
    """Mean and std of N(0, 1) restricted to [low, high] (closed forms)."""
    def density(x):
        return 0.0 if math.isinf(x) else math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    def tail_product(x):
        return 0.0 if math.isinf(x) else x * density(x)

    mass = 0.5 * (math.erfc(low / math.sqrt(2)) - math.erfc(high / math.sqrt(2)))
    mean = (density(low) - density(high)) / mass
    variance = 1 + (tail_product(low) - tail_product(high)) / mass - mean * mean
    return mean, math.sqrt(variance)


@pytest.mark.parametrize("low,high", [(2.0, 2.05), (4.0, 9.0), (-9.0, -5.0), (-0.01, 0.02),
                                      (3.0, 8.0), (3.0, math.inf), (-1.0, 3.0)])
def test_trunc_normal_in_narrow_or_far_intervals_has_the_analytic_moments(low, high):
    # torch's own sampler takes seconds on the far intervals, so the oracle is the closed form
    ours, _ = _both((300, 300))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mean is far from [a, b], as torch warns
        init.trunc_normal_(ours, 0.0, 1.0, low, high)
    sample = _values(ours).astype(np.float64)
    mean, std = _truncated_moments(low, high)
    assert sample.min() >= low and sample.max() <= high
    assert abs(sample.mean() - mean) < 0.01 * std + 1e-6
    assert abs(sample.std() - std) < 0.02 * std


def test_trunc_normal_warns_like_torch_when_mean_is_far():
    ours, _ = _both((3, 3))
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ours, 10.0, 1.0, -2.0, 2.0)
    assert np.all(np.abs(_values(ours)) <= 2.0)


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3), (50, 40, 5)])
@pytest.mark.parametrize("kind", ["xavier_uniform_", "xavier_normal_"])
def test_xavier_matches_torch(shape, kind):
    ours, theirs = _both(shape)
    getattr(init, kind)(ours, gain=2.0)
    getattr(torch.nn.init, kind)(theirs, gain=2.0)
    receptive = math.prod(shape[2:])
    std = 2.0 * math.sqrt(2.0 / (shape[0] * receptive + shape[1] * receptive))
    bound = math.sqrt(3) * std if kind == "xavier_uniform_" else None
    # torch's draw is unseeded: tolerances sit 5+ standard errors out for 10000 samples
    _assert_same_statistics(ours, theirs, 0.0, std, bound, tol=0.05)


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", 0), ("leaky_relu", math.sqrt(5)),
                                            ("relu", 0), ("tanh", 0)])
@pytest.mark.parametrize("kind", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_matches_torch(shape, mode, nonlinearity, a, kind):
    ours, theirs = _both(shape)
    getattr(init, kind)(ours, a=a, mode=mode, nonlinearity=nonlinearity)
    getattr(torch.nn.init, kind)(theirs, a=a, mode=mode, nonlinearity=nonlinearity)
    fan = (shape[1] if mode == "fan_in" else shape[0]) * math.prod(shape[2:])
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3) * std if kind == "kaiming_uniform_" else None
    _assert_same_statistics(ours, theirs, 0.0, std, bound, tol=0.05)


def test_kaiming_bad_mode_and_small_tensors_raise_value_error():
    ours, _ = _both((3, 3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ours, mode="fan_avg")
    vector, _ = _both((5,))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(vector)
    with pytest.raises(ValueError):
        torch.nn.init.xavier_uniform_(torch.empty(5))
    empty, _ = _both((0, 3))
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert init.kaiming_normal_(empty) is empty


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_ones_zeros_eye_match_torch(dtype):
    ours, theirs = _both((3, 5), dtype)
    for our_fn, their_fn, args in [(init.constant_, torch.nn.init.constant_, (0.3,)),
                                   (init.ones_, torch.nn.init.ones_, ()),
                                   (init.zeros_, torch.nn.init.zeros_, ()),
                                   (init.eye_, torch.nn.init.eye_, ())]:
        assert our_fn(ours, *args) is ours
        their_fn(theirs, *args)
        np.testing.assert_array_equal(_values(ours), _values(theirs))
        assert _values(ours).dtype == dtype
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(lamina.empty(2, 2, 2))


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((4, 6, 3, 5), 1),
                                          ((8, 2, 3, 3, 3), 4), ((2, 5, 4), 1)])
def test_dirac_matches_torch(shape, groups):
    ours, theirs = _both(shape)
    init.dirac_(ours, groups)
    torch.nn.init.dirac_(theirs, groups)
    np.testing.assert_array_equal(_values(ours), _values(theirs))


def test_dirac_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        init.dirac_(lamina.empty(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(lamina.empty(5, 3, 3), groups=2)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns_like_torch(shape):
    ours, theirs = _both(shape)
    init.orthogonal_(ours, gain=1.5)
    torch.nn.init.orthogonal_(theirs, gain=1.5)
    for sample in (_values(ours), _values(theirs)):
        flat = sample.reshape(shape[0], -1).astype(np.float64) / 1.5
        product = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(product, np.eye(product.shape[0]), atol=1e-5)
    assert _values(ours).dtype == np.float32
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(lamina.empty(4))


def test_generator_makes_draws_repeatable():
    ours, _ = _both((4, 4))
    init.kaiming_uniform_(ours, generator=lamina.Generator().manual_seed(3))
    first = _values(ours).copy()
    init.kaiming_uniform_(ours, generator=lamina.Generator().manual_seed(3))
    np.testing.assert_array_equal(_values(ours), first)
    for fn in (init.normal_, init.uniform_, init.trunc_normal_, init.xavier_normal_,
               init.orthogonal_):
        fn(ours, generator=lamina.Generator().manual_seed(4))
        again = _values(ours).copy()
        fn(ours, generator=lamina.Generator().manual_seed(4))
        np.testing.assert_array_equal(_values(ours), again)


def test_init_works_on_parameters_with_grad_enabled_and_records_no_graph():
    layer = nn.Linear(3, 4)
    assert lamina.is_grad_enabled()
    for fn in (init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_, init.eye_,
               init.trunc_normal_, init.zeros_):
        out = fn(layer.weight)
        assert out is layer.weight and out.grad_fn is None and out.requires_grad


def test_sparse_zeros_the_same_count_per_column_as_torch():
    ours, theirs = _both((40, 300))
    init.sparse_(ours, 0.25, std=0.5)
    torch.nn.init.sparse_(theirs, 0.25, std=0.5)
    for sample in (_values(ours), _values(theirs)):
        assert ((sample == 0).sum(0) == 10).all()
        assert abs(sample[sample != 0].std() - 0.5) < 0.02
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.sparse_(lamina.empty(3), 0.1)


@pytest.mark.parametrize("name", ["uniform", "normal", "xavier_uniform", "kaiming_normal",
                                  "orthogonal", "eye"])
def test_deprecated_spellings_warn_like_torch(name):
    ours, theirs = _both((4, 4))
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of "
                                           f"`nn.init.{name}_`"):
        assert getattr(init, name)(ours) is ours
    with pytest.warns(FutureWarning):
        getattr(torch.nn.init, name)(theirs)
