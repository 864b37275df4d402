"""Samplers: which dataset indices a DataLoader visits, in which order, in which batches.

The built-in index samplers can also hand over a whole epoch's order as one int64 array
(`_index_array`), which lets the DataLoader slice batches without a Python loop per sample.
"""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor
from lamina.random import _rng


class Sampler:
    """Base class: iterating a sampler yields dataset indices (or lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class _IndexSampler(Sampler):
    """A sampler whose whole epoch can be drawn at once as an array of indices."""

    def _index_array(self) -> np.ndarray:
        raise NotImplementedError

    def __iter__(self):
        return iter(self._index_array().tolist())


class SequentialSampler(_IndexSampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source))

    def __len__(self) -> int:
        return len(self.data_source)


def _epoch_rng(generator) -> np.random.Generator:
    """The stream for one epoch. Without a generator, a fresh one seeded from the default
    generator (as torch does), so `manual_seed` makes shuffling repeat."""
    if generator is not None:
        return _rng(generator)
    seed = int(_rng(None).integers(0, 2**63 - 1))
    return np.random.default_rng(seed)


class RandomSampler(_IndexSampler):
    """A random permutation of the indices, or `num_samples` draws with replacement."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None,
                 generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self) -> np.ndarray:
        n, rng = len(self.data_source), _epoch_rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, self.num_samples)
        # more samples than the dataset holds: whole permutations, then part of one more
        parts = [rng.permutation(n) for _ in range(self.num_samples // n)]
        parts.append(rng.permutation(n)[: self.num_samples % n])
        return np.concatenate(parts)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_IndexSampler):
    """The given indices in a random order, without replacement."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        order = _epoch_rng(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[order]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_IndexSampler):
    """`num_samples` indices drawn with probabilities proportional to `weights`."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        array = weights._array if isinstance(weights, Tensor) else np.asarray(weights)
        array = array.astype(np.float64)
        if array.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(array.shape)}"
            )
        self.weights = array
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        if np.any(self.weights < 0) or not np.isfinite(self.weights).all():
            raise RuntimeError("invalid multinomial distribution: weights must be finite and >= 0")
        if not self.replacement and self.num_samples > np.count_nonzero(self.weights):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                f"(num_samples={self.num_samples}, {np.count_nonzero(self.weights)} non-zero "
                "weights)"
            )
        p = self.weights / self.weights.sum()
        return _epoch_rng(self.generator).choice(len(p), self.num_samples,
                                                 replace=self.replacement, p=p)

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size` (the last may be short
    unless `drop_last`)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _index_batches(self):
        """The batches as int64 arrays (slices of one epoch array), for index samplers."""
        order = self.sampler._index_array()
        size = self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        return [order[start:start + size] for start in range(0, stop, size)]

    def __iter__(self):
        if isinstance(self.sampler, _IndexSampler):
            for batch in self._index_batches():
                yield batch.tolist()
            return
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
