"""EmbeddingBag and F.embedding_bag against torch."""

import numpy as np
import pytest
import torch
import torchinfo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, copy_module_weights

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

ROWS, DIM = 7, 3


def _run(input, offsets, dtype, seed=0, with_samples=False, **options):
    """F.embedding_bag in lamina and torch on the same arrays: output, then all gradients."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((ROWS, DIM)).astype(dtype)
    samples = rng.standard_normal(input.shape).astype(dtype) if with_samples else None
    ours_w = lamina.tensor(weight, requires_grad=True)
    theirs_w = torch.tensor(weight, requires_grad=True)
    ours_s = None if samples is None else lamina.tensor(samples, requires_grad=True)
    theirs_s = None if samples is None else torch.tensor(samples, requires_grad=True)
    ours = F.embedding_bag(lamina.tensor(input), ours_w,
                           None if offsets is None else lamina.tensor(offsets),
                           per_sample_weights=ours_s, **options)
    theirs = torch.nn.functional.embedding_bag(
        torch.tensor(input), theirs_w, None if offsets is None else torch.tensor(offsets),
        per_sample_weights=theirs_s, **options)
    assert_close(ours, theirs)
    upstream = rng.standard_normal(tuple(theirs.shape)).astype(dtype)
    ours.backward(lamina.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    assert_close(ours_w.grad, theirs_w.grad)
    if samples is not None:
        assert_close(ours_s.grad, theirs_s.grad)


@st.composite
def _bags(draw):
    lengths = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    indices = draw(st.lists(st.integers(0, ROWS - 1), min_size=sum(lengths),
                            max_size=sum(lengths)))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return np.array(indices, dtype=np.int64), offsets


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@settings(max_examples=12, deadline=None)
@given(bags=_bags(), include_last_offset=st.booleans(),
       padding_idx=st.sampled_from([None, 0, 3, -1]), with_samples=st.booleans())
def test_flat_input_with_offsets_matches_torch(dtype, mode, bags, include_last_offset,
                                               padding_idx, with_samples):
    indices, offsets = bags
    if not include_last_offset:
        offsets = offsets[:-1]  # bag starts only: the last bag runs to the end
    _run(indices, offsets, dtype, with_samples=with_samples and mode == "sum", mode=mode,
         include_last_offset=include_last_offset, padding_idx=padding_idx)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_fixed_length_bags_match_torch(dtype, mode, padding_idx):
    indices = np.array([[1, 2, 2, 5], [2, 2, 2, 2], [0, 6, 3, 1]])
    _run(indices, None, dtype, mode=mode, padding_idx=padding_idx,
         with_samples=mode == "sum")
    _run(indices.astype(np.int32), None, dtype, mode=mode, padding_idx=padding_idx)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_matches_torch(mode):
    # torch 2.13's CPU kernel divides some rows by another index's count (pytorch#190063);
    # on these inputs (every index equally often) it is right; below, the own count is used
    _run(np.array([0, 1, 0, 1, 4, 4]), np.array([0, 2]), np.float64, mode=mode,
         scale_grad_by_freq=True)
    _run(np.array([[5, 3], [2, 6]]), None, np.float64, mode=mode, scale_grad_by_freq=True)
    weight = lamina.ones(4, 3, requires_grad=True)
    F.embedding_bag(lamina.tensor([1, 1, 3]), weight, lamina.tensor([0]), mode="sum",
                    scale_grad_by_freq=True).sum().backward()
    assert weight.grad[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_max_norm_renormalises_the_rows_used_like_torch():
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((ROWS, DIM)).astype(np.float32) * 3
    ours, theirs = lamina.tensor(weight), torch.tensor(weight)
    input = np.array([[1, 4], [4, 6]])
    out = F.embedding_bag(lamina.tensor(input), ours, max_norm=1.0, norm_type=2.0)
    expected = torch.nn.functional.embedding_bag(torch.tensor(input), theirs, max_norm=1.0)
    assert_close(out, expected)
    assert_close(ours, theirs)


def test_gradcheck():
    rng = np.random.default_rng(4)
    weight = lamina.tensor(rng.standard_normal((ROWS, DIM)), requires_grad=True)
    samples = lamina.tensor(rng.standard_normal(6), requires_grad=True)
    indices, offsets = lamina.tensor([0, 2, 2, 5, 6, 1]), lamina.tensor([0, 1, 1, 4])
    for mode in ("sum", "mean", "max"):
        assert gradcheck(lambda w, mode=mode: F.embedding_bag(
            indices, w, offsets, mode=mode, padding_idx=6), (weight,))
    assert gradcheck(lambda w, s: F.embedding_bag(indices, w, offsets, mode="sum",
                                                  per_sample_weights=s), (weight, samples))


def test_module_matches_torch_and_trains_the_same():
    ours = nn.EmbeddingBag(ROWS, DIM, mode="sum", padding_idx=1)
    theirs = torch.nn.EmbeddingBag(ROWS, DIM, mode="sum", padding_idx=1)
    copy_module_weights(theirs, ours)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert_close(ours.weight[1], theirs.weight[1])  # the padding row starts at zero
    input, offsets = np.array([1, 2, 4, 1, 0]), np.array([0, 3])
    samples = np.linspace(0.5, 1.5, 5).astype(np.float32)
    ours_optimizer = lamina.optim.SGD(ours.parameters(), lr=0.1)
    theirs_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(2):
        out = ours(lamina.tensor(input), lamina.tensor(offsets), lamina.tensor(samples))
        expected = theirs(torch.tensor(input), torch.tensor(offsets), torch.tensor(samples))
        assert_close(out, expected)
        out.square().sum().backward()
        expected.square().sum().backward()
        ours_optimizer.step()
        theirs_optimizer.step()
        ours_optimizer.zero_grad()
        theirs_optimizer.zero_grad()
    assert_close(ours.weight, theirs.weight)


def test_float32_stays_float32():
    out = nn.EmbeddingBag(5, 2, mode="max")(lamina.tensor([[0, 1], [2, 3]]))
    assert out.dtype == lamina.float32
    bag = nn.EmbeddingBag(5, 2, dtype=lamina.float64)
    assert bag(lamina.tensor([[0, 1]])).dtype == lamina.float64


def test_repr_and_from_pretrained_match_torch():
    options = dict(max_norm=1.0, norm_type=1, scale_grad_by_freq=True, mode="max",
                   padding_idx=-1, include_last_offset=True, sparse=True)
    assert repr(nn.EmbeddingBag(5, 3)) == repr(torch.nn.EmbeddingBag(5, 3))
    assert repr(nn.EmbeddingBag(5, 3, **options)) == repr(torch.nn.EmbeddingBag(5, 3, **options))
    weight = np.arange(6, dtype=np.float32).reshape(3, 2)
    ours = nn.EmbeddingBag.from_pretrained(lamina.tensor(weight), mode="sum")
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weight), mode="sum")
    assert repr(ours) == repr(theirs)
    assert ours.weight.requires_grad is theirs.weight.requires_grad is False
    assert_close(ours(lamina.tensor([[0, 2]])), theirs(torch.tensor([[0, 2]])))


@pytest.mark.parametrize("call, error", [
    (lambda m, t: m.EmbeddingBag(5, 3)(t.tensor([0, 1])), ValueError),  # no offsets
    (lambda m, t: m.EmbeddingBag(5, 3)(t.tensor([[0, 1]]), t.tensor([0])), ValueError),
    (lambda m, t: m.EmbeddingBag(5, 3)(t.zeros(2, 2, 2, dtype=t.int64)), ValueError),
    (lambda m, t: m.EmbeddingBag(5, 3)(t.tensor([[0.0, 1.0]])), RuntimeError),
    (lambda m, t: m.EmbeddingBag(5, 3)(t.tensor([[0, 5]])), RuntimeError),
    (lambda m, t: m.EmbeddingBag(5, 3)(t.tensor([0, 1]), t.tensor([1])), RuntimeError),
    (lambda m, t: m.EmbeddingBag(5, 3)(t.tensor([0, 1]), t.tensor([0, 3])), RuntimeError),
    (lambda m, t: m.EmbeddingBag(5, 3, mode="max")(t.tensor([[0, 1]]), None, t.ones(1, 2)),
     NotImplementedError),
    (lambda m, t: m.EmbeddingBag(5, 3, mode="sum")(t.tensor([[0, 1]]), None, t.ones(2)),
     ValueError),
    (lambda m, t: m.EmbeddingBag(5, 3, mode="foo")(t.tensor([[0, 1]])), ValueError),
    (lambda m, t: m.EmbeddingBag(5, 3, mode="max", scale_grad_by_freq=True)(
        t.tensor([[0, 1]])), ValueError),
    (lambda m, t: m.EmbeddingBag(5, 3, padding_idx=5), AssertionError),
])
def test_bad_input_raises_torch_type(call, error):
    with pytest.raises(error):
        call(torch.nn, torch)
    with pytest.raises(error):
        call(nn, lamina)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"EmbeddingBag\(5, 3, mode='mean'\).*offsets"):
        nn.EmbeddingBag(5, 3)(lamina.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"EmbeddingBag\(5, 3, mode='mean'\).*value 5"):
        nn.EmbeddingBag(5, 3)(lamina.tensor([[0, 5]]))


def _summary_model(nn_module):
    return nn_module.Sequential(nn_module.EmbeddingBag(10, 4, mode="sum"),
                                nn_module.Linear(4, 2))


def test_summary_matches_torchinfo():
    theirs = torchinfo.summary(_summary_model(torch.nn), input_size=(3, 5),
                               dtypes=[torch.long], verbose=0)
    ours = lamina.summary(_summary_model(nn), input_size=(3, 5), dtypes=[lamina.int64],
                          verbose=0)
    assert str(ours) == str(theirs)
