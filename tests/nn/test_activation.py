"""Activation layers and their functional forms against torch, plus gradcheck."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, copy_module_weights, to_torch

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

# (module name, constructor kwargs): each is built in both libraries with the same arguments
ACTIVATIONS = [
    ("ReLU", {}),
    ("ReLU6", {}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("LeakyReLU", {"negative_slope": -0.5}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.5}),
    ("SELU", {}),
    ("CELU", {"alpha": 1.5}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}),
    ("Mish", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("Hardtanh", {}),
    ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("Hardsigmoid", {}),
    ("Hardswish", {}),
    ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}),
    ("Softsign", {}),
    ("Tanhshrink", {}),
    ("Threshold", {"threshold": 0.1, "value": -3.0}),
    ("LogSigmoid", {}),
    ("Softshrink", {}),
    ("Softshrink", {"lambd": 1.0}),
    ("Hardshrink", {"lambd": 0.5}),
    ("Softmax", {"dim": -1}),
    ("Softmax", {"dim": 0}),
    ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 0}),
]
INPLACE = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "SiLU", "Mish", "Hardtanh",
           "Hardsigmoid", "Hardswish", "Threshold"]
# where the activations have kinks: torch's gradient conventions there must match too
KINKS = [0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -2.0, 0.5, -0.5, 0.1, 2.5, 10.0]
DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def _ids(entry):
    name, kwargs = entry
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _pair(name, kwargs, inplace=False):
    extra = {"inplace": True} if inplace else {}
    return getattr(nn, name)(**kwargs, **extra), getattr(torch.nn, name)(**kwargs, **extra)


def _input(shape, dtype, seed, scale=3.0):
    rng = np.random.default_rng(seed)
    array = np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)
    flat = array.reshape(-1)
    count = min(flat.size // 2, len(KINKS))
    flat[:count] = rng.choice(KINKS, count, replace=False)
    return array


def _compare(ours, theirs, array, inplace=False):
    leaf = lamina.tensor(array, requires_grad=True)
    torch_leaf = to_torch(leaf)
    # the in-place forms need a non-leaf input, as in torch
    x, tx = (leaf * 1, torch_leaf * 1) if inplace else (leaf, torch_leaf)
    out, expected = ours(x), theirs(tx)
    if inplace:
        assert out is x
    assert_close(out, expected)
    upstream = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(array.dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    # float32 gradients that cancel to ~0 (GELU's tails) carry rounding noise of ~1 ulp of the
    # gradient's scale in torch too, so the absolute tolerance follows that scale
    scale = float(np.abs(torch_leaf.grad.numpy()).max()) if array.size else 0.0
    atol = 1e-5 * max(scale, 1.0) if array.dtype == np.float32 else None
    assert_close(leaf.grad, torch_leaf.grad, atol=atol)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("entry", ACTIVATIONS, ids=_ids)
@settings(max_examples=6)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed=st.integers(0, 99))
def test_activation_matches_torch(entry, dtype, shape, seed):
    name, kwargs = entry
    ours, theirs = _pair(name, kwargs)
    _compare(ours, theirs, _input(tuple(shape), dtype, seed))


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_activation_matches_torch(name):
    kwargs = {"threshold": 0.1, "value": -3.0} if name == "Threshold" else {}
    ours, theirs = _pair(name, kwargs, inplace=True)
    _compare(ours, theirs, _input((3, 4), np.float32, 0), inplace=True)


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=_ids)
def test_activation_on_a_scalar_matches_torch(entry):
    name, kwargs = entry
    ours, theirs = _pair(name, kwargs)
    _compare(ours, theirs, np.array(-0.7, dtype=np.float32))


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=_ids)
def test_activation_is_stable_at_large_inputs(entry):
    name, kwargs = entry
    ours, theirs = _pair(name, kwargs)
    array = np.array([[-1e4, -50.0, -1.0, 0.0, 50.0, 1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow inside NumPy either
        out = _compare(ours, theirs, array)
    assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=_ids)
def test_activation_in_float16_matches_torch(entry):
    name, kwargs = entry
    ours, theirs = _pair(name, kwargs)
    array = _input((4, 5), np.float16, 3, scale=2.0)
    out = ours(lamina.tensor(array))
    expected = theirs(torch.from_numpy(array))
    assert out.dtype == lamina.float16
    assert_close(out, expected, rtol=1e-2, atol=2e-3)


def _away_from_kinks(shape, seed):
    rng = np.random.default_rng(seed)
    array = rng.uniform(-4, 7, shape)
    for kink in KINKS + [-0.1, -10.0]:
        near = np.abs(array - kink) < 0.05
        array[near] += 0.1
    return array


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=_ids)
def test_activation_gradcheck(entry):
    name, kwargs = entry
    module = getattr(nn, name)(**kwargs)
    x = lamina.tensor(_away_from_kinks((3, 4), 0), requires_grad=True)
    assert gradcheck(module, (x,))


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=_ids)
def test_repr_matches_torch(entry):
    name, kwargs = entry
    ours, theirs = _pair(name, kwargs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_repr_matches_torch(name):
    kwargs = {"threshold": 0.1, "value": -3.0} if name == "Threshold" else {}
    ours, theirs = _pair(name, kwargs, inplace=True)
    assert repr(ours) == repr(theirs)


def test_other_reprs_match_torch():
    for args in [("Hardtanh", (-2, 3, True)), ("GELU", ("tanh",)), ("Softplus", (2, 10)),
                 ("Softmax", ()), ("PReLU", ()), ("PReLU", (3, 0.1)), ("ELU", (0.5, True))]:
        name, positional = args
        assert repr(getattr(nn, name)(*positional)) == repr(getattr(torch.nn, name)(*positional))


# ---------------------------------------------------------------- PReLU
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape,num_parameters", [
    ((3, 4), 1), ((3, 4), 4), ((2, 3, 5), 3), ((2, 3, 4, 4), 3), ((5,), 1), ((), 1),
    ((2, 3, 4, 4), 1),
])
def test_prelu_matches_torch(shape, num_parameters, dtype):
    ours = nn.PReLU(num_parameters, dtype=lamina.float64 if dtype == np.float64 else None)
    theirs = torch.nn.PReLU(num_parameters, dtype=DTYPES[dtype])
    with torch.no_grad():
        theirs.weight.copy_(torch.linspace(-0.5, 0.7, num_parameters))
    copy_module_weights(theirs, ours)
    _compare(ours, theirs, _input(shape, dtype, 2))
    assert_close(ours.weight.grad, theirs.weight.grad)


def test_prelu_default_init_and_gradcheck():
    layer = nn.PReLU(3)
    assert layer.weight.shape == (3,) and layer.weight.dtype == lamina.float32
    assert_close(layer.weight, torch.nn.PReLU(3).weight)
    assert_close(nn.PReLU(2, init=-0.1).weight, torch.nn.PReLU(2, init=-0.1).weight)
    layer = nn.PReLU(3, dtype=lamina.float64)
    x = lamina.tensor(_away_from_kinks((2, 3, 2), 1), requires_grad=True)
    assert gradcheck(lambda x, w: F.prelu(x, w), (x, layer.weight))


def test_prelu_rejects_wrong_channel_count():
    layer = nn.PReLU(4)
    with pytest.raises(RuntimeError, match=r"4 weights .* \(2, 3, 5\) with 3 channels"):
        layer(lamina.randn(2, 3, 5))
    with pytest.raises(RuntimeError):
        torch.nn.PReLU(4)(torch.randn(2, 3, 5))


# ---------------------------------------------------------------- softmax family
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_softmax_implicit_dim_warns_and_matches_torch(name, ndim):
    array = _input((2, 3, 4, 5)[:ndim], np.float32, ndim)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        out = getattr(F, name)(lamina.tensor(array))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch.nn.functional, name)(torch.from_numpy(array))
    assert_close(out, expected)


def test_softmax_module_with_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = nn.Softmax()(lamina.ones(2, 3))
    assert_close(out, torch.full((2, 3), 1 / 3))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_argument_matches_torch(name):
    array = _input((3, 4), np.float32, 0)
    out = getattr(F, name)(lamina.tensor(array), dim=1, dtype=lamina.float64)
    expected = getattr(torch.nn.functional, name)(torch.from_numpy(array), dim=1,
                                                  dtype=torch.float64)
    assert_close(out, expected)


def test_softmax_dim_out_of_range_raises_index_error():
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(lamina.ones(2, 3), dim=2)


# ---------------------------------------------------------------- functional-only forms
FUNCTIONAL = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.3}), ("elu", {"alpha": 2.0}),
    ("selu", {}), ("celu", {"alpha": 0.5}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("mish", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("hardsigmoid", {}),
    ("hardswish", {}), ("softplus", {"beta": 0.5, "threshold": 3.0}), ("logsigmoid", {}),
    ("softsign", {}), ("tanhshrink", {}), ("threshold", {"threshold": 1.0, "value": 2.0}),
    ("sigmoid", {}), ("tanh", {}), ("softshrink", {"lambd": 0.2}), ("hardshrink", {}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("entry", FUNCTIONAL, ids=_ids)
def test_functional_matches_torch(entry, dtype):
    name, kwargs = entry
    _compare(lambda x: getattr(F, name)(x, **kwargs),
             lambda x: getattr(torch.nn.functional, name)(x, **kwargs),
             _input((3, 5), dtype, 4))


@pytest.mark.parametrize("name", ["relu_", "elu_", "leaky_relu_", "hardtanh_"])
def test_functional_inplace_underscore_forms(name):
    array = _input((3, 5), np.float32, 5)
    x = lamina.tensor(array)
    out = getattr(F, name)(x)
    expected = getattr(torch.nn.functional, name)(torch.from_numpy(array.copy()))
    assert out is x
    assert_close(x, expected)


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x = lamina.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.relu(x, inplace=True)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "softplus", "leaky_relu", "mish"])
def test_integer_input_raises_not_implemented(name):
    with pytest.raises(NotImplementedError, match=f"{name}: expected a floating point tensor"):
        getattr(F, name)(lamina.arange(3))
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.functional, name)(torch.arange(3))


def test_bad_arguments_raise_torch_types():
    with pytest.raises(RuntimeError, match="approximate argument must be either"):
        F.gelu(lamina.ones(2), approximate="exact")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(lamina.ones(2), 2.0, 1.0)
    with pytest.raises(AssertionError, match="must be greater than min_val"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(lamina.ones(2), alpha=0.0)
    for call in (lambda: torch.nn.functional.gelu(torch.ones(2), approximate="exact"),
                 lambda: torch.nn.functional.celu(torch.ones(2), alpha=0.0)):
        with pytest.raises(RuntimeError):
            call()


def test_relu_keeps_integer_dtype_like_torch():
    out = F.relu(lamina.tensor([-1, 2]))
    assert out.dtype == lamina.int64
    assert out.tolist() == torch.nn.functional.relu(torch.tensor([-1, 2])).tolist()


def test_gelu_normal_cdf_is_accurate_in_float64():
    import math

    from lamina.nn._functional._special import normal_cdf

    x = np.concatenate([np.linspace(-12, 12, 2001), [-30.0, 30.0, 0.0]])
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(normal_cdf(x), expected, rtol=1e-12, atol=1e-300)


def test_gelu_normal_cdf_is_accurate_in_float32():
    import math

    from lamina.nn._functional._special import normal_cdf

    x = np.concatenate([np.linspace(-12, 12, 4001), [-30.0, 30.0, 0.0]]).astype(np.float32)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    got = normal_cdf(x)
    assert got.dtype == np.float32
    # relative in the lower tail (torch's own float32 GELU loses all digits there), and to
    # within a few float32 ulps of 1 in the upper half
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("dim", [-1, 1, 0])
def test_glu_matches_torch_and_rejects_odd_sizes(dim):
    ours, theirs = nn.GLU(dim), torch.nn.GLU(dim)
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, _input((4, 6, 2), np.float64, 0))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        ours(lamina.ones(3, 3, 3))
    with pytest.raises(RuntimeError):
        theirs(torch.ones(3, 3, 3))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_softmax2d_matches_torch(shape):
    ours, theirs = nn.Softmax2d(), torch.nn.Softmax2d()
    _compare(ours, theirs, _input(shape, np.float32, 1))
    with pytest.raises(ValueError, match="expected input to be 3D or 4D, got 2D"):
        ours(lamina.ones(2, 3))


def test_shrink_reprs_and_negative_lambda():
    for name, args in [("Softshrink", ()), ("Hardshrink", (0.3,)), ("LogSigmoid", ())]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    with pytest.raises(RuntimeError, match="lambda must be non-negative"):
        F.softshrink(lamina.ones(2), -1.0)
    with pytest.raises(RuntimeError):
        torch.nn.functional.softshrink(torch.ones(2), -1.0)


def test_class_hierarchy_matches_torch():
    # code that dispatches on isinstance must take the same branch as with torch
    names = sorted({name for name, _ in ACTIVATIONS} | {"PReLU", "GLU", "Softmax2d", "RReLU"})
    for name in names:
        for other in names:
            ours = issubclass(getattr(nn, name), getattr(nn, other))
            assert ours == issubclass(getattr(torch.nn, name), getattr(torch.nn, other)), \
                (name, other)


@pytest.mark.parametrize("args", [(), (0.1, 0.3), (0.2, 0.2)])
def test_rrelu_in_eval_matches_torch(args):
    ours, theirs = nn.RReLU(*args).eval(), torch.nn.RReLU(*args).eval()
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, _input((4, 5), np.float32, 2))


def test_rrelu_in_training_draws_slopes_between_the_bounds():
    lamina.manual_seed(0)
    array = np.random.default_rng(0).standard_normal((200, 100)).astype(np.float32)
    x = lamina.tensor(array, requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    out.sum().backward()
    values, grads = out.detach().numpy(), x.grad.numpy()
    assert out.dtype == lamina.float32
    positive = array > 0
    np.testing.assert_array_equal(values[positive], array[positive])
    np.testing.assert_array_equal(grads[positive], 1)
    slopes = values[~positive] / array[~positive]
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert abs(slopes.mean() - 0.2) < 0.005  # uniform on [0.1, 0.3]
    np.testing.assert_allclose(grads[~positive], slopes, rtol=1e-5)  # the same draws
    # torch draws from the same distribution
    expected = torch.nn.functional.rrelu(torch.from_numpy(array), 0.1, 0.3, training=True)
    torch_slopes = expected.numpy()[~positive] / array[~positive]
    assert abs(torch_slopes.mean() - slopes.mean()) < 0.005


def test_rrelu_bounds_in_the_wrong_order_raise_runtime_error():
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        nn.RReLU(0.5, 0.1)(lamina.randn(3))
    with pytest.raises(RuntimeError):
        torch.nn.RReLU(0.5, 0.1)(torch.randn(3))
