"""nn.functional: signatures against torch's, and the forms without a Module of their own
(normalize, cosine_similarity, pairwise_distance, linear, bilinear)."""

import inspect

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, to_torch

import lamina
import lamina.nn.functional as F
from lamina.autograd import gradcheck

OWNED = [
    "linear", "bilinear", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu",
    "elu_", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh", "hardtanh_",
    "hardsigmoid", "hardswish", "softplus", "logsigmoid", "softsign", "tanhshrink", "threshold",
    "threshold_", "softmax", "log_softmax", "softmin", "dropout", "dropout1d", "dropout2d",
    "alpha_dropout", "dropout3d", "rrelu", "embedding", "one_hot", "normalize", "cosine_similarity",
    "pairwise_distance",
]


def _parameters(function):
    try:
        return inspect.signature(function).parameters
    except ValueError:  # a builtin without a signature
        return None


@pytest.mark.parametrize("name", OWNED)
def test_signature_defaults_match_torch(name):
    ours = _parameters(getattr(F, name))
    theirs = _parameters(getattr(torch.nn.functional, name))
    if theirs is None:
        pytest.skip(f"torch.nn.functional.{name} is a builtin without a signature")
    for parameter_name, parameter in theirs.items():
        assert parameter_name in ours, f"{name} lacks argument {parameter_name}"
        if parameter.default is not inspect.Parameter.empty:
            assert ours[parameter_name].default == parameter.default, parameter_name


def _pair(array, requires_grad=True):
    x = lamina.tensor(array, requires_grad=requires_grad)
    return x, to_torch(x)


def _check_grads(out, expected, pairs, seed=0):
    assert_close(out, expected)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(
        out.detach().numpy().dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    for ours, theirs in pairs:
        assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("dim", [1, -1, 0])
def test_normalize_matches_torch(p, dim, dtype):
    array = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(dtype)
    array[0, :, 0] = 0  # a zero vector: the eps clamp and a finite gradient
    x, tx = _pair(array)
    _check_grads(F.normalize(x, p, dim), torch.nn.functional.normalize(tx, p, dim), [(x, tx)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@settings(max_examples=10)
@given(shape=st.sampled_from([((4, 5), (4, 5)), ((3, 1, 6), (1, 4, 6)), ((6,), (2, 6))]),
       dim=st.sampled_from([-1, 0]), eps=st.sampled_from([1e-8, 0.5]))
def test_cosine_similarity_matches_torch(shape, dim, eps, dtype):
    rng = np.random.default_rng(len(shape[0]))
    a = rng.standard_normal(shape[0]).astype(dtype) * 0.3
    b = rng.standard_normal(shape[1]).astype(dtype)
    if len(shape[0]) != len(shape[1]) and dim == 0:
        dim = -1  # dim 0 of the shorter input would be a different axis after broadcasting
    x1, t1 = _pair(a)
    x2, t2 = _pair(b)
    _check_grads(F.cosine_similarity(x1, x2, dim, eps),
                 torch.nn.functional.cosine_similarity(t1, t2, dim, eps), [(x1, t1), (x2, t2)])


def test_cosine_similarity_of_zero_vectors_is_zero_with_finite_gradients():
    x1, t1 = _pair(np.zeros((2, 3), np.float32))
    x2, t2 = _pair(np.ones((2, 3), np.float32))
    _check_grads(F.cosine_similarity(x1, x2), torch.nn.functional.cosine_similarity(t1, t2),
                 [(x1, t1), (x2, t2)])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(p, keepdim):
    rng = np.random.default_rng(1)
    x1, t1 = _pair(rng.standard_normal((4, 5)))
    x2, t2 = _pair(rng.standard_normal((4, 5)))
    _check_grads(F.pairwise_distance(x1, x2, p, keepdim=keepdim),
                 torch.nn.functional.pairwise_distance(t1, t2, p, keepdim=keepdim),
                 [(x1, t1), (x2, t2)])


def test_distance_gradchecks():
    rng = np.random.default_rng(2)
    a = lamina.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = lamina.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x: F.normalize(x, dim=1), (a,))
    assert gradcheck(lambda x: F.normalize(x, p=3.0, dim=0), (a,))
    assert gradcheck(lambda x, y: F.cosine_similarity(x, y), (a, b))
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y), (a, b))


def test_cosine_similarity_bad_input():
    with pytest.raises(RuntimeError, match=r"shapes \(2, 3\) and \(4, 3\) cannot be broadcast"):
        F.cosine_similarity(lamina.ones(2, 3), lamina.ones(4, 3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.cosine_similarity(torch.ones(2, 3), torch.ones(4, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.cosine_similarity(lamina.ones(2, 3), lamina.ones(2, 3, dtype=lamina.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(), (3,), (2, 4)])
def test_functional_linear_matches_torch(lead, bias, dtype):
    rng = np.random.default_rng(3)
    x, tx = _pair(rng.standard_normal(lead + (5,)).astype(dtype))
    w, tw = _pair(rng.standard_normal((2, 5)).astype(dtype))
    pairs = [(x, tx), (w, tw)]
    b = tb = None
    if bias:
        b, tb = _pair(rng.standard_normal(2).astype(dtype))
        pairs.append((b, tb))
    _check_grads(F.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb), pairs)


def test_functional_linear_shape_mismatch_raises_runtime_error():
    with pytest.raises(RuntimeError, match=r"cannot multiply shapes \(3, 4\) and \(5, 2\)"):
        F.linear(lamina.ones(3, 4), lamina.ones(2, 5))
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.ones(3, 4), torch.ones(2, 5))


def test_functional_bilinear_matches_torch():
    rng = np.random.default_rng(4)
    x1, t1 = _pair(rng.standard_normal((3, 2)))
    x2, t2 = _pair(rng.standard_normal((3, 4)))
    w, tw = _pair(rng.standard_normal((5, 2, 4)))
    b, tb = _pair(rng.standard_normal(5))
    _check_grads(F.bilinear(x1, x2, w, b), torch.nn.functional.bilinear(t1, t2, tw, tb),
                 [(x1, t1), (x2, t2), (w, tw), (b, tb)])
    with pytest.raises(RuntimeError, match="expected a 3-D weight"):
        F.bilinear(x1, x2, lamina.ones(2, 4))


def test_functional_dropout_in_eval_returns_the_input():
    x = lamina.randn(3, 3)
    for function in (F.dropout, F.dropout1d, F.alpha_dropout):
        assert function(x, 0.5, training=False) is x


@pytest.mark.parametrize("args", [(), (0, 1e-3)])
def test_cosine_similarity_module_matches_torch(args):
    ours, theirs = lamina.nn.CosineSimilarity(*args), torch.nn.CosineSimilarity(*args)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(5)
    x1, t1 = _pair(rng.standard_normal((4, 3)).astype(np.float32))
    x2, t2 = _pair(rng.standard_normal((4, 3)).astype(np.float32))
    _check_grads(ours(x1, x2), theirs(t1, t2), [(x1, t1), (x2, t2)])


@pytest.mark.parametrize("args", [(), (1.0, 1e-3, True), (3.0,)])
def test_pairwise_distance_module_matches_torch(args):
    ours, theirs = lamina.nn.PairwiseDistance(*args), torch.nn.PairwiseDistance(*args)
    assert repr(ours) == repr(theirs) and ours.norm == theirs.norm
    rng = np.random.default_rng(6)
    x1, t1 = _pair(rng.standard_normal((5, 4)))
    x2, t2 = _pair(rng.standard_normal((5, 4)))
    _check_grads(ours(x1, x2), theirs(t1, t2), [(x1, t1), (x2, t2)])
