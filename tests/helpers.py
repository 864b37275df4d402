"""Shared test helpers: the PyTorch oracle, conversions and comparisons."""

from __future__ import annotations

import numpy as np
import torch

import lamina


def to_torch(t: lamina.Tensor, requires_grad: bool | None = None) -> torch.Tensor:
    """A torch copy of a lamina tensor (same values and dtype), optionally a grad leaf."""
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    if requires_grad if requires_grad is not None else t.requires_grad:
        out.requires_grad_(True)
    return out


def to_lamina(t: torch.Tensor, requires_grad: bool | None = None) -> lamina.Tensor:
    out = lamina.tensor(t.detach().numpy().copy())
    if requires_grad if requires_grad is not None else t.requires_grad:
        out.requires_grad_(True)
    return out


def tolerance(dtype) -> dict:
    """float32: 1e-5 relative; float64: 1e-10 (the project's agreed bounds)."""
    name = str(dtype).split(".")[-1]
    if name == "float64":
        return dict(rtol=1e-10, atol=1e-12)
    if name == "float16":
        return dict(rtol=1e-3, atol=1e-3)
    return dict(rtol=1e-5, atol=1e-6)


def assert_close(ours, theirs, rtol=None, atol=None, check_dtype=True):
    """Shape, dtype, then values of a lamina result against a torch one."""
    a = ours.detach().numpy() if isinstance(ours, lamina.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, f"shape {a.shape} != torch's {b.shape}"
    if check_dtype:
        assert a.dtype == b.dtype, f"dtype {a.dtype} != torch's {b.dtype}"
    tol = tolerance(a.dtype)
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    np.testing.assert_allclose(a, b, **tol)


def copy_module_weights(torch_module: torch.nn.Module, lamina_module) -> None:
    """Load torch's parameters and buffers into the same-architecture lamina module."""
    state = {k: v.detach().numpy().copy() for k, v in torch_module.state_dict().items()}
    lamina_module.load_state_dict(state)
