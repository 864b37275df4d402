"""DataLoader and default_collate against torch.utils.data: batching, collation, errors."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from tests.helpers import assert_close

import lamina
import lamina.utils.data as ldata


def _same(ours, theirs):
    """Recursively: same container types, keys, and tensors equal in shape, dtype, values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, lamina.Tensor), type(ours)
        assert_close(ours, theirs, rtol=0, atol=0)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for key in theirs:
            _same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (type(ours), type(theirs))
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def _both(arrays, **kwargs):
    ours = ldata.DataLoader(ldata.TensorDataset(*[lamina.from_numpy(a) for a in arrays]),
                            **kwargs)
    theirs = tdata.DataLoader(tdata.TensorDataset(*[torch.from_numpy(a) for a in arrays]),
                              **kwargs)
    return ours, theirs


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (4, False), (4, True), (10, False),
                                                   (32, False), (32, True), (3, True)])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    x = np.random.default_rng(0).standard_normal((10, 2, 3)).astype(np.float32)
    y = np.arange(10, dtype=np.int64)
    ours, theirs = _both([x, y], batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    batches = list(ours)
    assert len(batches) == len(theirs)
    for a, b in zip(batches, theirs):
        _same(a, b)


def test_uneven_last_batch():
    x = np.arange(10, dtype=np.float32)
    ours = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x)), batch_size=4)
    assert [b[0].tolist() for b in ours] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    ours = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x)), batch_size=4,
                            drop_last=True)
    assert [b[0].tolist() for b in ours] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(ours) == 2


def test_fast_path_never_indexes_single_samples(monkeypatch):
    x = lamina.randn(50, 3)
    y = lamina.arange(50)

    def refuse(self, index):
        raise AssertionError("per-sample __getitem__ called")

    monkeypatch.setattr(ldata.TensorDataset, "__getitem__", refuse)
    dataset = ldata.TensorDataset(x, y)
    for loader in (ldata.DataLoader(dataset, batch_size=8, shuffle=True),
                   ldata.DataLoader(ldata.Subset(dataset, list(range(0, 50, 2))), batch_size=8)):
        seen = []
        for xb, yb in loader:
            assert xb.dtype == lamina.float32 and yb.dtype == lamina.int64
            assert not np.shares_memory(xb.numpy(), x.numpy())  # the batch is its own copy
            np.testing.assert_array_equal(xb.numpy(), x.numpy()[yb.numpy()])
            seen += yb.tolist()
        assert sorted(seen) == sorted(loader.dataset.indices if isinstance(
            loader.dataset, ldata.Subset) else range(50))


def test_shuffle_is_a_permutation_reproducible_under_a_seed():
    data = ldata.TensorDataset(lamina.arange(100))

    def epoch(loader):
        return [i for (b,) in loader for i in b.tolist()]

    lamina.manual_seed(3)
    loader = ldata.DataLoader(data, batch_size=7, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert first != second  # a new order every epoch
    lamina.manual_seed(3)
    assert epoch(loader) == first and epoch(loader) == second
    g1, g2 = lamina.Generator().manual_seed(5), lamina.Generator().manual_seed(5)
    assert epoch(ldata.DataLoader(data, 7, shuffle=True, generator=g1)) == \
        epoch(ldata.DataLoader(data, 7, shuffle=True, generator=g2))


class _Records(ldata.Dataset):
    """A plain map-style dataset returning whatever `make(i)` builds."""

    def __init__(self, make, n=5):
        self.make, self.n = make, n

    def __getitem__(self, index):
        return self.make(index)

    def __len__(self):
        return self.n


class _TorchRecords(tdata.Dataset):
    def __init__(self, make, n=5):
        self.make, self.n = make, n

    def __getitem__(self, index):
        return self.make(index)

    def __len__(self):
        return self.n


Point = collections.namedtuple("Point", "x label")

SAMPLES = {
    "dict": lambda t, i: {"image": t.full((2, 2), float(i)), "label": i, "name": f"n{i}"},
    "tuple-of-numpy": lambda t, i: (np.full(3, i, np.float32), np.int64(i), float(i) / 2),
    "list": lambda t, i: [t.tensor([i, i + 1]), True],
    "nested": lambda t, i: {"a": (t.tensor(float(i)), {"b": [i, 2 * i]})},
    "namedtuple": lambda t, i: Point(t.tensor([float(i)]), i),
    "numpy-scalars": lambda t, i: np.float32(i) * 0.5,
}


@pytest.mark.parametrize("kind", SAMPLES)
@pytest.mark.parametrize("batch_size", [2, None])
def test_default_collation_matches_torch(kind, batch_size):
    ours = ldata.DataLoader(_Records(lambda i: SAMPLES[kind](lamina, i)), batch_size=batch_size)
    theirs = tdata.DataLoader(_TorchRecords(lambda i: SAMPLES[kind](torch, i)),
                              batch_size=batch_size)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)


def test_custom_collate_fn():
    def collate(samples):
        return len(samples), [s * 10 for s in samples]

    loader = ldata.DataLoader(_Records(lambda i: i, n=5), batch_size=2, collate_fn=collate)
    assert list(loader) == [(2, [0, 10]), (2, [20, 30]), (1, [40])]


def test_collate_errors_like_torch():
    with pytest.raises(TypeError, match="default_collate"):
        ldata.default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        ldata.default_collate([[1, 2], [1]])
    with pytest.raises(RuntimeError, match=r"\[3\] at entry 0 and \[2\] at entry 1"):
        ldata.default_collate([lamina.zeros(3), lamina.zeros(2)])
    with pytest.raises(RuntimeError):
        tdata.default_collate([torch.zeros(3), torch.zeros(2)])


def test_sampler_and_batch_sampler_arguments():
    data = _Records(lambda i: i, n=10)
    loader = ldata.DataLoader(data, batch_size=3, sampler=[9, 8, 7, 1])
    assert [b.tolist() for b in loader] == [[9, 8, 7], [1]]
    loader = ldata.DataLoader(data, batch_sampler=[[0, 5], [2]])
    assert [b.tolist() for b in loader] == [[0, 5], [2]] and len(loader) == 2
    fast = ldata.DataLoader(ldata.TensorDataset(lamina.arange(10) * 2), batch_sampler=[[3, 1]])
    assert [b[0].tolist() for b in fast] == [[6, 2]]


class _Stream(ldata.IterableDataset):
    def __iter__(self):
        return iter(range(7))


def test_iterable_dataset_batches():
    assert [b.tolist() for b in ldata.DataLoader(_Stream(), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in ldata.DataLoader(_Stream(), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]


def test_num_workers_is_accepted_and_runs_in_process():
    loader = ldata.DataLoader(_Records(lambda i: i, n=4), batch_size=2, num_workers=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]


BAD = [
    (dict(num_workers=-1), "num_workers"),
    (dict(timeout=-1), "timeout"),
    (dict(sampler=[0, 1], shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "disables auto-batching"),
    (dict(batch_size=0), "positive integer"),
    (dict(prefetch_factor=2), "prefetch_factor"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor"),
    (dict(persistent_workers=True), "persistent_workers"),
]


@pytest.mark.parametrize("kwargs, match", BAD, ids=[b[1] for b in BAD])
def test_bad_arguments_raise_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        tdata.DataLoader(_TorchRecords(lambda i: i), **kwargs)
    with pytest.raises(ValueError, match=match):
        ldata.DataLoader(_Records(lambda i: i), **kwargs)


def test_iterable_dataset_refuses_shuffle_like_torch():
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        ldata.DataLoader(_Stream(), shuffle=True)


def _structure(value):
    """Containers by type, tensors by their values: what a user unpacking a batch sees."""
    if isinstance(value, (torch.Tensor, lamina.Tensor)):
        return ("tensor", str(value.dtype).split(".")[1], value.tolist())
    if isinstance(value, dict):
        return {key: _structure(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(v) for v in value])
    return value


Named = collections.namedtuple("Named", "label name")


@pytest.mark.parametrize("samples", [
    [(np.ones(2, np.float32), "cat.jpg"), (np.zeros(2, np.float32), "dog.jpg")],
    [(np.float32(1.0), (1, "x")), (np.float32(2.0), (2, "y"))],
    [["a", 1], ["b", 2]],
    [Named(1, "x"), Named(2, "y")],
    [{"name": "a", "value": 1}, {"name": "b", "value": 2}],
    ["bare", "strings"],
], ids=["filenames", "nested", "list samples", "namedtuple", "dict", "bare"])
def test_default_collate_groups_strings_like_torch(samples):
    # a string field of the samples comes back as a tuple, a batch of bare strings as a list
    assert _structure(ldata.default_collate(samples)) == _structure(
        tdata.default_collate(samples))
