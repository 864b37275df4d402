"""Embedding (and F.embedding) against torch: lookups, gradients, padding_idx, init."""

import numpy as np
import pytest
import torch
from tests.helpers import assert_close, copy_module_weights

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck


def _pair(*args, dtype=np.float32, **kwargs):
    ours = nn.Embedding(*args, dtype=lamina.float64 if dtype == np.float64 else None, **kwargs)
    theirs = torch.nn.Embedding(*args, dtype=torch.float64 if dtype == np.float64 else None,
                                **kwargs)
    copy_module_weights(theirs, ours)
    return ours, theirs


def _check(ours, theirs, indices, seed=0):
    out = ours(lamina.tensor(indices))
    expected = theirs(torch.from_numpy(indices))
    assert_close(out, expected)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(
        out.detach().numpy().dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(ours.weight.grad, theirs.weight.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 5)])
def test_embedding_matches_torch(shape, index_dtype, dtype):
    ours, theirs = _pair(10, 4, dtype=dtype)
    # repeated indices: their gradients must accumulate
    indices = np.asarray(np.random.default_rng(1).integers(0, 10, shape), dtype=index_dtype)
    _check(ours, theirs, indices)


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_padding_idx_row_is_zero_and_gets_no_gradient(padding_idx):
    ours, theirs = _pair(6, 3, padding_idx=padding_idx)
    fresh = nn.Embedding(6, 3, padding_idx=padding_idx)
    np.testing.assert_array_equal(fresh.weight.detach().numpy()[padding_idx], np.zeros(3))
    indices = np.array([[0, 3, 5, 5], [1, 3, 0, 2]])
    _check(ours, theirs, indices)
    np.testing.assert_array_equal(ours.weight.grad.numpy()[padding_idx], np.zeros(3))
    assert ours.padding_idx == theirs.padding_idx
    assert repr(ours) == repr(theirs)


def test_scale_grad_by_freq_matches_torch():
    ours, theirs = _pair(5, 2, scale_grad_by_freq=True)
    _check(ours, theirs, np.array([0, 0, 0, 1, 4, 4]))


def test_max_norm_renormalises_looked_up_rows_like_torch():
    ours, theirs = _pair(6, 4, max_norm=1.0)
    indices = np.array([1, 2, 2, 5])
    _check(ours, theirs, indices)
    assert_close(ours.weight, theirs.weight)  # rows 1, 2, 5 rescaled in place, others untouched


def test_reprs_match_torch():
    for args, kwargs in [((10, 3), {}), ((10, 3), dict(padding_idx=-1, max_norm=1.0,
                                                     norm_type=1.0, scale_grad_by_freq=True)),
                         ((4, 2), dict(sparse=True))]:
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))


def test_default_init_is_standard_normal_like_torch():
    ours = nn.Embedding(400, 300).weight.detach().numpy()
    theirs = torch.nn.Embedding(400, 300).weight.detach().numpy()
    for sample in (ours, theirs):
        # 120000 samples: standard errors 0.003 (mean) and 0.002 (std); torch's are unseeded
        assert abs(sample.mean()) < 0.02 and abs(sample.std() - 1) < 0.015
    assert ours.dtype == np.float32


def test_from_pretrained_freezes_by_default():
    weights = lamina.randn(5, 3)
    layer = nn.Embedding.from_pretrained(weights)
    assert not layer.weight.requires_grad
    assert nn.Embedding.from_pretrained(weights, freeze=False).weight.requires_grad
    assert_close(layer(lamina.tensor([4, 0])), torch.from_numpy(weights.numpy()[[4, 0]]))
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(lamina.randn(5))


def test_bad_indices_raise_torch_types():
    layer = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index out of range in self: embedding index 5"):
        layer(lamina.tensor([1, 5]))
    with pytest.raises(IndexError, match="index -1"):
        layer(lamina.tensor([-1]))
    with pytest.raises(RuntimeError, match="integer dtype"):
        layer(lamina.tensor([1.0]))
    with pytest.raises(IndexError):
        torch.nn.Embedding(5, 2)(torch.tensor([1, 5]))
    with pytest.raises(RuntimeError):
        torch.nn.Embedding(5, 2)(torch.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(AssertionError):
        torch.nn.Embedding(5, 2, padding_idx=5)


def test_functional_embedding_gradcheck():
    weight = lamina.randn(6, 3, dtype=lamina.float64, requires_grad=True)
    indices = lamina.tensor([[0, 2, 2], [5, 1, 0]])
    # (not with padding_idx, whose row's zero gradient is deliberately not the derivative)
    assert gradcheck(lambda w: F.embedding(indices, w), (weight,))


def test_one_hot_matches_torch():
    indices = np.array([[0, 3], [2, 1]])
    assert_close(F.one_hot(lamina.tensor(indices)), torch.nn.functional.one_hot(
        torch.from_numpy(indices)))
    assert_close(F.one_hot(lamina.tensor(indices), 6), torch.nn.functional.one_hot(
        torch.from_numpy(indices), 6))
