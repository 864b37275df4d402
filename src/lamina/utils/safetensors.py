"""safetensors files for lamina state_dicts, through the `safetensors` package's NumPy API.

`safetensors` is an optional extra (`pip install lamina[safetensors]`); files interchange with
`safetensors.torch`. `model.load_state_dict(load_file(path))` works as it does in torch.
"""

from __future__ import annotations

import os

import numpy as np

from lamina._tensor import Tensor, _wrap


def _backend():
    try:
        import safetensors.numpy as backend
    except ImportError:
        raise ImportError(
            "lamina.utils.safetensors needs the 'safetensors' package: "
            "pip install 'lamina[safetensors]' (or pip install safetensors)"
        ) from None
    return backend


def _arrays(tensors: dict) -> dict:
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors keys must be strings, got {type(name).__name__}")
        if isinstance(value, Tensor):
            value = value._array
        elif not isinstance(value, np.ndarray):
            raise TypeError(
                f"save_file: '{name}' is a {type(value).__name__}; safetensors stores tensors only"
            )
        arrays[name] = np.ascontiguousarray(value)
    return arrays


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write a dict of tensors (a state_dict) to `filename` in the safetensors format."""
    _backend().save_file(_arrays(tensors), os.fspath(filename), metadata=metadata)


def load_file(filename, device="cpu") -> dict:
    """Read a safetensors file into a dict of lamina tensors (in file order)."""
    return {name: _wrap(array) for name, array in _backend().load_file(os.fspath(filename)).items()}


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes for a dict of tensors."""
    return _backend().save(_arrays(tensors), metadata=metadata)


def load(data: bytes) -> dict:
    return {name: _wrap(array) for name, array in _backend().load(data).items()}
