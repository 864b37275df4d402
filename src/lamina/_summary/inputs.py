"""The forward inputs of a summary: made-up tensors from `input_size`, or the user's data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

import lamina
from lamina._tensor import Size, Tensor

# torchinfo measures an input with sys.getsizeof(storage): the bytes plus this constant
# object overhead (on the Python/PyTorch it was checked against).
STORAGE_OVERHEAD = 64


def normalize_input_size(input_size) -> list:
    """`(2,)` -> `[(2,)]`, `[(3, 4), (3, 6)]` -> itself: one shape per model input."""
    if not isinstance(input_size, (list, tuple)):
        raise TypeError(
            "Input_size is not a recognized type. Please ensure input_size is valid.\n"
            "For multiple inputs to the network, ensure input_size is a list of tuple "
            "sizes. If you are having trouble here, please submit a GitHub issue."
        )
    if not input_size or any(size <= 0 for size in _flatten(input_size)):
        raise ValueError("Input_data is invalid, or negative size found in input_data.")
    if isinstance(input_size, list):
        return [tuple(input_size)] if isinstance(input_size[0], int) else input_size
    if isinstance(input_size[0], tuple):
        return list(input_size)
    return [input_size]


def _flatten(nested):
    for item in nested:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item


def made_up_inputs(shapes: list, batch_dim: int | None, dtypes: list, meta: bool) -> list:
    """Uniform [0, 1) tensors of exactly these shapes (an axis of 1 added at `batch_dim`)."""
    tensors = []
    for shape, dtype in zip(shapes, dtypes):
        if meta:
            with lamina.device("meta"):
                tensor = lamina.empty(*shape, dtype=dtype)
        else:
            tensor = lamina.rand(*shape).to(dtype)  # integer dtypes give zeros, as in torchinfo
        if batch_dim is not None:
            tensor = tensor.unsqueeze(batch_dim)
        tensors.append(tensor)
    return tensors


def traverse(data, action, aggregate):
    """Apply `action` to every tensor inside nested lists/tuples/dicts, rebuilding with
    `aggregate(container)` (a callable that takes the transformed items)."""
    if isinstance(data, Tensor):
        return action(data)
    if isinstance(data, np.ndarray):
        result = action(lamina.from_numpy(data))
        return data if isinstance(result, Tensor) else result
    if isinstance(data, Mapping):
        return aggregate(data)({k: traverse(v, action, aggregate) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return aggregate(data)(*(traverse(d, action, aggregate) for d in data))
    if isinstance(data, Iterable) and not isinstance(data, str):
        return aggregate(data)([traverse(d, action, aggregate) for d in data])
    return data


def input_sizes(data):
    """The same structure as `data` with each tensor replaced by its shape."""
    return traverse(data, lambda t: Size(t.shape), type)


def storage_bytes(tensor: Tensor) -> int:
    """Bytes of the whole buffer behind a tensor (a view counts its base), as torch storage."""
    array = tensor._array
    from lamina._meta import is_meta_array

    if is_meta_array(array):
        return array.size * array.itemsize
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array.nbytes


def total_input_bytes(data) -> int:
    """torchinfo's input size: storage bytes + 64 per tensor; other numbers add themselves."""
    def add_up(container):
        if isinstance(container, Mapping):
            return lambda items: sum(_number(v) for v in items.values())
        return lambda items: sum(_number(v) for v in items)

    return traverse(data, lambda t: STORAGE_OVERHEAD + storage_bytes(t), add_up)


def _number(value):
    return value if isinstance(value, (int, float)) else 0
