"""Datasets and random_split against torch.utils.data."""

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from tests.helpers import assert_close

import lamina
import lamina.utils.data as ldata


def test_tensor_dataset_items_match_torch():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([1, 0, 1, 1])
    ours = ldata.TensorDataset(lamina.from_numpy(x), lamina.from_numpy(y))
    theirs = tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert len(ours) == len(theirs) == 4
    for i in (0, 3, -1):
        assert isinstance(ours[i], tuple) and len(ours[i]) == 2
        for a, b in zip(ours[i], theirs[i]):
            assert_close(a, b)


def test_tensor_dataset_size_mismatch_raises_like_torch():
    with pytest.raises(AssertionError):
        tdata.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError, match=r"\(3,\), \(4,\)"):
        ldata.TensorDataset(lamina.zeros(3), lamina.zeros(4))
    with pytest.raises(TypeError, match="from_numpy"):
        ldata.TensorDataset(np.zeros(3))


def test_concat_dataset_and_add():
    a = ldata.TensorDataset(lamina.arange(3))
    b = ldata.TensorDataset(lamina.arange(10, 15))
    both = a + b
    assert isinstance(both, ldata.ConcatDataset)
    assert len(both) == 8 and both.cumulative_sizes == [3, 8]
    assert [both[i][0].item() for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert both[-1][0].item() == 14
    with pytest.raises(ValueError, match="should not exceed"):
        both[-9]
    with pytest.raises(ValueError, match="empty"):
        ldata.ConcatDataset([])
    batches = [b[0].tolist() for b in ldata.DataLoader(both, batch_size=5)]
    assert batches == [[0, 1, 2, 10, 11], [12, 13, 14]]


def test_subset():
    data = ldata.TensorDataset(lamina.arange(10) * 3)
    sub = ldata.Subset(data, [9, 0, 4])
    assert len(sub) == 3 and [sub[i][0].item() for i in range(3)] == [27, 0, 12]


@pytest.mark.parametrize("lengths", [[3, 7], [0.25, 0.75], [0.3, 0.3, 0.4], [1 / 3] * 3])
def test_random_split_sizes_match_torch(lengths):
    n = 10
    ours = ldata.random_split(ldata.TensorDataset(lamina.arange(n)), lengths,
                              generator=lamina.Generator().manual_seed(0))
    theirs = tdata.random_split(tdata.TensorDataset(torch.arange(n)), lengths,
                                generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    indices = sorted(i for s in ours for i in s.indices)
    assert indices == list(range(n))
    assert all(isinstance(s, ldata.Subset) for s in ours)


def test_random_split_is_seeded():
    data = ldata.TensorDataset(lamina.arange(20))

    def split(seed):
        return [s.indices for s in ldata.random_split(
            data, [0.5, 0.5], generator=lamina.Generator().manual_seed(seed))]

    assert split(1) == split(1) and split(1) != split(2)


def test_random_split_bad_lengths_raise_like_torch():
    with pytest.raises(ValueError):
        tdata.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="sum to 6, the dataset has 10"):
        ldata.random_split(ldata.TensorDataset(lamina.arange(10)), [3, 3])


def test_stack_dataset():
    ours = ldata.StackDataset(image=ldata.TensorDataset(lamina.arange(3)), label=[7, 8, 9])
    assert ours[1]["label"] == 8 and ours[1]["image"][0].item() == 1 and len(ours) == 3


def test_base_dataset_needs_getitem():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        ldata.Dataset()[0]
