"""Tensor.__repr__ in PyTorch's layout: `tensor([[0.1000, 0.2000]], requires_grad=True)`."""

from __future__ import annotations

import numpy as np

from lamina import _dtype


def tensor_repr(t, prefix: str = "tensor(") -> str:
    array = t._array
    body = np.array2string(array, separator=", ", prefix=prefix, precision=4,
                           floatmode="fixed", threshold=1000, edgeitems=3)
    suffixes = []
    if array.size == 0:
        suffixes.append(f"size={tuple(array.shape)}")
    if array.dtype not in (_dtype.get_default_dtype().numpy, np.int64, np.bool_):
        suffixes.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
