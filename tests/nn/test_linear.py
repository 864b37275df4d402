"""Linear, Bilinear, Identity, Flatten and Unflatten against torch."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, copy_module_weights, to_torch

import lamina
import lamina.nn as nn
from lamina.autograd import gradcheck

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
LAMINA_DTYPES = {np.float32: lamina.float32, np.float64: lamina.float64}


def _pair(name, *args, dtype=np.float32, **kwargs):
    ours = getattr(nn, name)(*args, dtype=LAMINA_DTYPES[dtype], **kwargs)
    theirs = getattr(torch.nn, name)(*args, dtype=TORCH_DTYPES[dtype], **kwargs)
    copy_module_weights(theirs, ours)
    return ours, theirs


def _check(ours, theirs, arrays, seed=0):
    """Forward values, then the gradients of every input and parameter, against torch."""
    xs = [lamina.tensor(a, requires_grad=True) for a in arrays]
    txs = [to_torch(x) for x in xs]
    out, expected = ours(*xs), theirs(*txs)
    assert_close(out, expected)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(arrays[0].dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    for x, tx in zip(xs, txs):
        assert_close(x.grad, tx.grad)
    ours_params = dict(ours.named_parameters())
    for name, tp in theirs.named_parameters():
        assert_close(ours_params[name].grad, tp.grad)


# ---------------------------------------------------------------- Linear
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@settings(max_examples=12)
@given(lead=st.lists(st.integers(1, 4), min_size=0, max_size=3), in_features=st.integers(1, 6),
       out_features=st.integers(1, 6), bias=st.booleans())
def test_linear_matches_torch(dtype, lead, in_features, out_features, bias):
    ours, theirs = _pair("Linear", in_features, out_features, bias=bias, dtype=dtype)
    array = np.random.default_rng(in_features).standard_normal(
        tuple(lead) + (in_features,)).astype(dtype)
    _check(ours, theirs, [array])


def test_linear_state_dict_and_repr_match_torch():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    assert repr(ours) == repr(theirs)
    ours, theirs = nn.Linear(3, 2, bias=False), torch.nn.Linear(3, 2, bias=False)
    assert list(ours.state_dict()) == ["weight"] and ours.bias is None
    assert repr(ours) == repr(theirs)


def test_linear_gradcheck():
    layer = nn.Linear(3, 2, dtype=lamina.float64)
    x = lamina.randn(4, 3, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), (x, layer.weight, layer.bias))


def _uniform_stats_match(ours: np.ndarray, theirs: np.ndarray, bound: float):
    """Both samples lie in [-bound, bound] and have U(-bound, bound)'s mean and std."""
    for sample in (ours, theirs):
        assert np.abs(sample).max() <= bound
        assert np.abs(sample).max() > 0.9 * bound
        assert abs(sample.mean()) < 0.05 * bound
        assert abs(sample.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_linear_default_init_matches_torch_distribution():
    ours, theirs = nn.Linear(200, 300), torch.nn.Linear(200, 300)
    bound = 1 / math.sqrt(200)
    _uniform_stats_match(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), bound)
    # the bias has only 300 values: looser statistics, same bounds
    assert np.abs(ours.bias.detach().numpy()).max() <= bound
    assert ours.weight.dtype == lamina.float32
    assert nn.Linear(2, 3, dtype=lamina.float64).weight.dtype == lamina.float64


def test_linear_with_zero_in_features_is_empty_like_torch():
    ours = nn.Linear(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        theirs = torch.nn.Linear(0, 3)
    out, expected = ours(lamina.zeros(2, 0)), theirs(torch.zeros(2, 0))
    assert_close(out, expected)


def test_linear_wrong_width_names_the_layer():
    model = nn.Sequential(nn.Flatten(), nn.Linear(2048, 10))
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=2048.*expected input \(\*, "
                                           r"2048\), got \(1, 512\)"):
        model(lamina.zeros(1, 512))
    with pytest.raises(RuntimeError):
        torch.nn.Linear(2048, 10)(torch.zeros(1, 512))


def test_linear_wrong_dtype_raises_runtime_error():
    with pytest.raises(RuntimeError, match="dtype"):
        nn.Linear(2, 3)(lamina.zeros(1, 2, dtype=lamina.float64))


# ---------------------------------------------------------------- Bilinear
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("lead", [(), (5,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(dtype, lead, bias):
    ours, theirs = _pair("Bilinear", 3, 4, 2, bias=bias, dtype=dtype)
    rng = np.random.default_rng(len(lead))
    x1 = rng.standard_normal(lead + (3,)).astype(dtype)
    x2 = rng.standard_normal(lead + (4,)).astype(dtype)
    _check(ours, theirs, [x1, x2])


def test_bilinear_default_init_repr_and_gradcheck():
    ours, theirs = nn.Bilinear(100, 30, 40), torch.nn.Bilinear(100, 30, 40)
    assert repr(ours) == repr(theirs)
    _uniform_stats_match(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), 0.1)
    layer = nn.Bilinear(2, 3, 2, dtype=lamina.float64)
    x1 = lamina.randn(2, 2, dtype=lamina.float64, requires_grad=True)
    x2 = lamina.randn(2, 3, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(lambda a, b, w, c: nn.functional.bilinear(a, b, w, c),
                     (x1, x2, layer.weight, layer.bias))


def test_bilinear_bad_input_raises():
    layer = nn.Bilinear(3, 4, 2)
    with pytest.raises(RuntimeError, match=r"expected input \(\*, 4\), got \(5, 3\)"):
        layer(lamina.zeros(5, 3), lamina.zeros(5, 3))
    with pytest.raises(RuntimeError, match="batch dims"):
        layer(lamina.zeros(5, 3), lamina.zeros(4, 4))


# ---------------------------------------------------------------- Identity, Flatten, Unflatten
def test_identity_returns_its_input_and_ignores_arguments():
    x = lamina.randn(2, 3)
    layer = nn.Identity(54, unused_argument1=0.1)
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Identity(54, unused_argument1=0.1)) == "Identity()"


@pytest.mark.parametrize("start_dim,end_dim", [(1, -1), (0, -1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start_dim, end_dim):
    ours, theirs = nn.Flatten(start_dim, end_dim), torch.nn.Flatten(start_dim, end_dim)
    assert repr(ours) == repr(theirs)
    array = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    _check(ours, theirs, [array])


def test_flatten_bad_dims_raise_like_torch():
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.Flatten(1, 5)(lamina.zeros(2, 3))
    with pytest.raises(IndexError):
        torch.nn.Flatten(1, 5)(torch.zeros(2, 3))


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (-1, (3, -1)), (0, [2, 1])])
def test_unflatten_matches_torch(dim, sizes):
    ours, theirs = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    assert repr(ours) == repr(theirs)
    array = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float64)
    _check(ours, theirs, [array])


def test_unflatten_bad_arguments_raise_like_torch():
    for bad in (5, (2.0, 3)):
        with pytest.raises(TypeError, match="unflattened_size must be"):
            nn.Unflatten(1, bad)
        with pytest.raises(TypeError):
            torch.nn.Unflatten(1, bad)
    with pytest.raises(RuntimeError, match="don't multiply up"):
        nn.Unflatten(1, (4, 2))(lamina.zeros(2, 6))


def test_flatten_and_unflatten_gradcheck():
    x = lamina.randn(2, 3, 4, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(nn.Flatten(), (x,))
    assert gradcheck(nn.Unflatten(2, (2, 2)), (x,))


@pytest.mark.parametrize("make", [lambda d: nn.Linear(3000, 3000, device=d),
                                  lambda d: nn.Bilinear(40, 50, 60, device=d),
                                  lambda d: nn.Embedding(20000, 300, padding_idx=0, device=d),
                                  lambda d: nn.PReLU(64, device=d)])
def test_layers_on_the_meta_device_hold_no_data_and_cuda_is_refused(make):
    layer = make("meta")
    assert all(p.is_meta for p in layer.parameters())
    with pytest.raises(AssertionError, match="CPU only"):
        make("cuda")


def test_init_functions_skip_meta_tensors():
    weight = lamina.empty(5000, 5000, device="meta")
    for fn in (nn.init.orthogonal_, nn.init.trunc_normal_, nn.init.eye_, nn.init.sparse_):
        args = (0.5,) if fn is nn.init.sparse_ else ()
        assert fn(weight, *args) is weight and weight.is_meta
