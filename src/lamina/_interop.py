"""Zero-copy exchange with other array libraries: DLPack in both directions."""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor, _wrap


def from_dlpack(ext_tensor) -> Tensor:
    """A lamina tensor sharing memory with any CPU DLPack producer (torch, JAX, NumPy...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    try:
        array = np.from_dlpack(ext_tensor)
    except (BufferError, TypeError, RuntimeError) as error:
        raise RuntimeError(
            f"from_dlpack: cannot import a {type(ext_tensor).__module__}."
            f"{type(ext_tensor).__name__} without copying: {error}. lamina lives on the CPU; "
            "move the array to the CPU (and detach it, for torch tensors that require grad) first."
        ) from None
    return _wrap(array)
