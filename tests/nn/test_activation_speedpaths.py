"""The fast paths of GELU, SiLU, erf, the hard and ELU families, softplus and Mish against torch
and float64 references: special values, signed zeros, random shapes, and the fits' accuracy."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close

import lamina
import lamina.nn.functional as F
from lamina.nn._functional._special import erf_float32, exp2_, normal_cdf

OPS = {
    "gelu": (F.gelu, torch.nn.functional.gelu),
    "silu": (F.silu, torch.nn.functional.silu),
    "erf": (lamina.erf, torch.erf),
    "hardswish": (F.hardswish, torch.nn.functional.hardswish),
    "hardsigmoid": (F.hardsigmoid, torch.nn.functional.hardsigmoid),
    # these share the exp2 sigmoid/softplus helpers and the clip-for-max/min passes
    "mish": (F.mish, torch.nn.functional.mish),
    "softplus": (F.softplus, torch.nn.functional.softplus),
    "softplus-beta": (lambda t: F.softplus(t, 2.0, 5.0),
                      lambda t: torch.nn.functional.softplus(t, 2.0, 5.0)),
    "logsigmoid": (F.logsigmoid, torch.nn.functional.logsigmoid),
    "elu": (F.elu, torch.nn.functional.elu),
    "selu": (F.selu, torch.nn.functional.selu),
    "celu": (lambda t: F.celu(t, 0.5), lambda t: torch.nn.functional.celu(t, 0.5)),
}
DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
SPECIAL = [0.0, -0.0, 1e-40, -1e-40, 1e-3, -1e-3, 1.0, -1.0, 3.0, -3.0, 5.5, -5.5, 6.0, -6.0,
           13.5, -13.5, 50.0, -50.0, 87.5, -87.5, 88.0, -88.0, 100.0, -100.0, 1e4, -1e4,
           3e38, -3e38, np.nan, -np.inf, np.inf]
# torch's float32 GELU is nan at +inf and inf at 3e38 in its vectorised loop (but inf and 3e38
# in its scalar tail and in float64): we give inf and 3e38, so those two are left out for GELU.
# torch's Hardswish gradient at nan is 1 (nan fails both of its comparisons), and its ELU-family
# gradients at nan are 1 in the vector loop but nan in the scalar tail; ours are nan, as they
# always were: making nan give 1 would cost two slow passes (fmin/fmax) on every call
SKIP = {"gelu": {np.inf, 3e38}, "hardswish": {np.nan}, "elu": {np.nan}, "selu": {np.nan},
        "celu": {np.nan}}


def _run(name, array, upstream):
    ours, theirs = OPS[name]
    leaf = lamina.tensor(array, requires_grad=True)
    torch_leaf = torch.tensor(array, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # overflow stays inside, silently
        out = ours(leaf)
        out.backward(lamina.tensor(upstream))
    expected = theirs(torch_leaf)
    expected.backward(torch.from_numpy(upstream))
    return out.detach().numpy(), expected.detach().numpy(), leaf.grad.numpy(), torch_leaf.grad


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", OPS)
def test_special_values_match_torch(name, dtype):
    skip = SKIP.get(name, set())
    values = [v for v in SPECIAL if v not in skip and not (np.isnan(v) and np.nan in skip)]
    # repeated so torch takes its vectorised loop, as it does for real tensors
    array = np.array(values * 3, dtype=DTYPES[dtype][0])
    out, expected, grad, expected_grad = _run(name, array, np.ones_like(array))
    assert out.dtype == expected.dtype and grad.dtype == array.dtype
    assert_close(out, expected)
    assert_close(grad, expected_grad)
    zeros = expected == 0
    np.testing.assert_array_equal(np.signbit(out[zeros]), np.signbit(expected[zeros]))


@pytest.mark.parametrize("name", OPS)
def test_float16_goes_through_float32(name):
    array = np.array([-6.0, -3.0, -1.5, -0.25, 0.0, 0.5, 2.0, 3.0, 7.0], dtype=np.float16)
    ours, theirs = OPS[name]
    out = ours(lamina.tensor(array))
    assert out.dtype == lamina.float16
    assert_close(out, theirs(torch.from_numpy(array)), rtol=1e-3, atol=1e-3)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(OPS)), dtype=st.sampled_from(sorted(DTYPES)),
       shape=st.lists(st.integers(0, 6), max_size=3), scale=st.sampled_from([0.1, 3.0, 30.0]),
       seed=st.integers(0, 2**16), transpose=st.booleans())
def test_random_inputs_match_torch(name, dtype, shape, scale, seed, transpose):
    rng = np.random.default_rng(seed)
    array = (rng.standard_normal(shape) * scale).astype(DTYPES[dtype][0])
    if transpose:  # a non-contiguous view
        array = array.T
    upstream = rng.standard_normal(array.shape).astype(array.dtype)
    out, expected, grad, expected_grad = _run(name, array, upstream)
    assert out.shape == expected.shape
    assert_close(out, expected)
    # float32 gradients that cancel to ~0 carry rounding noise of the gradient's scale
    scale = float(np.abs(expected_grad.numpy()).max()) if array.size else 0.0
    assert_close(grad, expected_grad, atol=1e-5 * max(scale, 1.0) if dtype == "float32" else None)


def test_logsigmoid_has_no_softplus_threshold_in_float64():
    x = np.array([-20.5, -25.0, -40.0, -700.0], dtype=np.float64)
    out, expected, grad, expected_grad = _run("logsigmoid", x, np.ones_like(x))
    assert_close(out, expected)
    assert_close(grad, expected_grad)


def test_erf_float32_is_within_four_ulps():
    x = np.concatenate([np.linspace(-8, 8, 400_001), np.geomspace(1e-30, 1.0, 20_001)])
    x = np.concatenate([x, -x]).astype(np.float32)
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    got = erf_float32(x).astype(np.float64)
    nonzero = expected != 0
    ulp = np.spacing(np.abs(expected[nonzero]).astype(np.float32))
    assert (np.abs(got - expected)[nonzero] / ulp).max() <= 4


def test_normal_cdf_float32_is_within_eight_ulps_above_a_tenth():
    x = np.linspace(-14, 14, 400_001).astype(np.float32)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    got = normal_cdf(x).astype(np.float64)
    error = np.abs(got - expected)
    upper = expected >= 0.1
    ulps = error[upper] / np.spacing(expected[upper].astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 8
    assert error[~upper].max() <= 6e-8  # absolute in the lower tail, as torch's own float32 GELU


@pytest.mark.parametrize("extremes", [[], [-1000.0, -140.0, 200.0, np.inf, -np.inf, np.nan]],
                         ids=["in-range", "with-extremes"])
def test_exp2_inplace_matches_float64_quietly(extremes):
    # in range: NumPy's exp2; with a subnormal, overflowing or nan result: exp(a ln 2)
    a = np.array([-126.0, -100.5, -1.0, -1e-3, 0.0, 0.25, 3.0, 100.0, 127.5] + extremes,
                 dtype=np.float32)
    with np.errstate(over="ignore"):
        expected = np.exp2(a.astype(np.float64)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = exp2_(a)
    assert out is a and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-44)  # subnormals: ~1 ulp
