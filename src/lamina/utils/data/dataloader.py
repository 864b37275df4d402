"""DataLoader: batches of samples from a dataset, with torch's collation rules.

Workers are accepted for compatibility and run in-process: NumPy releases the GIL in the heavy
kernels, and an in-memory dataset is gathered with one fancy index per tensor anyway.
"""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from lamina._tensor import Tensor, _wrap
from lamina.utils.data.dataset import IterableDataset, Subset, TensorDataset
from lamina.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    _IndexSampler,
)

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def default_convert(data):
    """NumPy arrays (and arrays inside tuples, lists and dicts) become Tensors; the rest stays."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "USO" else _wrap(data)
    if isinstance(data, np.generic):
        return _wrap(np.asarray(data)) if data.dtype.kind not in "USO" else data
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Stack a list of samples into a batch, recursively, as torch's default_collate does.

    Tensors and NumPy arrays are stacked on a new first dimension; Python floats become a
    float64 tensor and ints an int64 tensor (torch's choice, kept so results match); strings
    are left as grouped, as in torch: a batch of bare strings stays a list, a string field of
    the samples comes back as a tuple; dicts, namedtuples and sequences are collated field by
    field (a tuple of fields comes back as a list, as in torch).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        arrays = [sample._array for sample in batch]
        _check_same_shape(arrays)
        if any(sample._requires_grad for sample in batch):
            from lamina._ops.shape import stack

            return stack(batch, 0)
        return _wrap(np.stack(arrays))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        _check_same_shape(batch)
        return _wrap(np.stack(batch))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "USO":
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _wrap(np.asarray(batch))
    if isinstance(elem, bool):
        return _wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return _wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return _wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError(
                "each element in list of batch should be of equal size (sizes "
                f"{sorted({len(sample) for sample in batch})})"
            )
        fields = [default_collate(field) for field in zip(*batch)]  # each field a tuple
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _check_same_shape(arrays) -> None:
    shape = arrays[0].shape
    for index, array in enumerate(arrays):
        if array.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(array.shape)} at entry {index}. Hint: pad the samples to one size "
                "or pass a collate_fn that handles ragged samples."
            )


class DataLoader:
    """Iterate over `dataset` in batches (torch's arguments and errors).

    A TensorDataset (or a Subset of one) with the default collation is gathered with one
    fancy index per tensor and batch: no Python loop per sample, no copy beyond the batch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. Let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value}"
                    )
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.generator = generator
        self.batch_size = batch_size
        self.drop_last = drop_last
        self._iterable = isinstance(dataset, IterableDataset)
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._custom_collate = collate_fn is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return -(-length // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if self._iterable:
            return self._iter_stream()
        tensors, base = self._fast_source()
        if tensors is not None:
            return self._iter_tensors(tensors, base)
        return self._iter_map()

    def _fast_source(self):
        """(arrays, base indices) when batches can be gathered by fancy indexing, else None."""
        if not self._auto_collation or self._custom_collate:
            return None, None
        dataset, base = self.dataset, None
        if type(dataset) is Subset:
            dataset, base = dataset.dataset, np.asarray(dataset.indices, dtype=np.int64)
        if type(dataset) is not TensorDataset:
            return None, None
        if any(t._requires_grad for t in dataset.tensors):
            return None, None
        return [t._array for t in dataset.tensors], base

    def _index_batches(self):
        sampler = self.batch_sampler
        if type(sampler) is BatchSampler and isinstance(sampler.sampler, _IndexSampler):
            return sampler._index_batches()
        return (np.asarray(batch, dtype=np.int64) for batch in sampler)

    def _iter_tensors(self, arrays, base):
        for batch in self._index_batches():
            if base is not None:
                batch = base[batch]
            yield [_wrap(array[batch]) for array in arrays]

    def _iter_map(self):
        dataset, collate = self.dataset, self.collate_fn
        if not self._auto_collation:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        getitems = getattr(type(dataset), "__getitems__", None)
        for batch in self.batch_sampler:
            if getitems is not None:
                samples = getitems(dataset, batch)
            else:
                samples = [dataset[index] for index in batch]
            yield collate(samples)

    def _iter_stream(self):
        collate = self.collate_fn
        if self.batch_size is None:
            for sample in self.dataset:
                yield collate(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)
