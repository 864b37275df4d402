"""Samplers: orders, lengths, reproducibility and errors, against torch where deterministic."""

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import lamina
import lamina.utils.data as ldata


def test_sequential_sampler_matches_torch():
    assert list(ldata.SequentialSampler(range(5))) == list(tdata.SequentialSampler(range(5)))


@pytest.mark.parametrize("replacement, num_samples", [(False, None), (True, None), (False, 13),
                                                      (True, 3)])
def test_random_sampler_lengths_and_support(replacement, num_samples):
    ours = ldata.RandomSampler(range(5), replacement=replacement, num_samples=num_samples,
                               generator=lamina.Generator().manual_seed(0))
    theirs = tdata.RandomSampler(range(5), replacement=replacement, num_samples=num_samples)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) == len(list(theirs))
    assert all(isinstance(i, int) and 0 <= i < 5 for i in drawn)
    if not replacement:
        assert sorted(drawn[:5]) == [0, 1, 2, 3, 4]


def test_random_sampler_errors_like_torch():
    with pytest.raises(TypeError):
        tdata.RandomSampler(range(3), replacement=1)
    with pytest.raises(TypeError, match="replacement"):
        ldata.RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples"):
        ldata.RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError):
        tdata.RandomSampler(range(3), num_samples=0)


def test_subset_random_sampler_is_a_permutation_of_the_indices():
    sampler = ldata.SubsetRandomSampler([2, 4, 6, 8], generator=lamina.Generator().manual_seed(1))
    assert sorted(sampler) == [2, 4, 6, 8] and len(sampler) == 4


def test_weighted_random_sampler():
    weights = [0.0, 1.0, 3.0, 0.0]
    sampler = ldata.WeightedRandomSampler(weights, 4000,
                                          generator=lamina.Generator().manual_seed(0))
    counts = np.bincount(list(sampler), minlength=4)
    assert counts[0] == counts[3] == 0
    assert 0.7 < counts[2] / counts.sum() < 0.8  # 3:1 odds
    no_repeat = ldata.WeightedRandomSampler(weights, 2, replacement=False)
    assert sorted(no_repeat) == [1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(ldata.WeightedRandomSampler(weights, 3, replacement=False))


@pytest.mark.parametrize("kwargs", [dict(num_samples=0), dict(num_samples=2, replacement=1),
                                    dict(num_samples=2, weights=[[1.0, 2.0]])])
def test_weighted_random_sampler_errors_like_torch(kwargs):
    kwargs = {"weights": [1.0, 2.0], **kwargs}
    with pytest.raises(ValueError):
        tdata.WeightedRandomSampler(**kwargs)
    with pytest.raises(ValueError, match="should be"):
        ldata.WeightedRandomSampler(**kwargs)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("source", [range(10), [5, 3, 1, 0, 2, 4, 6]])
def test_batch_sampler_matches_torch(drop_last, source):
    def sampler(module):
        if isinstance(source, range):
            return module.SequentialSampler(source)
        return source  # a plain iterable of indices

    ours = ldata.BatchSampler(sampler(ldata), 3, drop_last)
    theirs = tdata.BatchSampler(sampler(tdata), 3, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("batch_size, drop_last", [(0, False), (1.5, False), (2, 1)])
def test_batch_sampler_errors_like_torch(batch_size, drop_last):
    with pytest.raises(ValueError):
        tdata.BatchSampler(range(3), batch_size, drop_last)
    with pytest.raises(ValueError, match="should be"):
        ldata.BatchSampler(range(3), batch_size, drop_last)


def test_sampler_reproducible_with_manual_seed():
    lamina.manual_seed(7)
    first = list(ldata.RandomSampler(range(30)))
    lamina.manual_seed(7)
    assert list(ldata.RandomSampler(range(30))) == first
    torch.manual_seed(0)  # unrelated streams: torch's seed must not matter to lamina
    lamina.manual_seed(7)
    assert list(ldata.RandomSampler(range(30))) == first
