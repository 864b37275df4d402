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


def compare_with_torch(lamina_fn, torch_fn, *arrays, rtol=None, atol=None, seed=0):
    """Run lamina_fn and torch_fn on copies of the same arrays and compare, as the oracle.

    Floating arrays become grad leaves (None passes through as None). The first output is
    compared (shape, dtype, values), then both are backpropagated with the same random
    gradient and every input gradient is compared. Returns (ours, theirs).
    """
    ours_in = [None if a is None else to_lamina(torch.from_numpy(a.copy()),
                                                requires_grad=a.dtype.kind == "f")
               for a in arrays]
    theirs_in = [None if a is None else torch.from_numpy(a.copy()).requires_grad_(
        a.dtype.kind == "f") for a in arrays]
    ours, theirs = lamina_fn(*ours_in), torch_fn(*theirs_in)
    ours_out = ours[0] if isinstance(ours, tuple) else ours
    theirs_out = theirs[0] if isinstance(theirs, tuple) else theirs
    assert_close(ours_out, theirs_out, rtol=rtol, atol=atol)
    if not theirs_out.requires_grad:
        return ours, theirs
    grad = np.random.default_rng(seed).standard_normal(tuple(theirs_out.shape))
    grad = grad.astype(theirs_out.detach().numpy().dtype)
    ours_out.backward(lamina.tensor(grad))
    theirs_out.backward(torch.from_numpy(grad))
    for index, (mine, reference) in enumerate(zip(ours_in, theirs_in)):
        if reference is None or not reference.requires_grad:
            continue
        assert mine.grad is not None, f"no gradient for input {index}"
        assert_close(mine.grad, reference.grad, rtol=rtol, atol=atol)
    return ours, theirs


_DTYPE_PAIRS = {np.dtype(np.float32): (lamina.float32, torch.float32),
                np.dtype(np.float64): (lamina.float64, torch.float64)}


def layer_pair(name, *args, dtype=np.float32, seed=5, **kwargs):
    """The same nn layer in lamina and torch, with random (non-trivial) parameters copied over."""
    ours_dtype, theirs_dtype = _DTYPE_PAIRS[np.dtype(dtype)]
    import lamina.nn

    ours = getattr(lamina.nn, name)(*args, dtype=ours_dtype, **kwargs)
    theirs = getattr(torch.nn, name)(*args, dtype=theirs_dtype, **kwargs)
    rng = np.random.default_rng(seed)
    with torch.no_grad():  # non-trivial affine parameters, so their gradients matter
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(p.shape).astype(dtype)))
    copy_module_weights(theirs, ours)
    return ours, theirs


def layer_step(ours, theirs, array, seed=0):
    """One forward and backward on both; compare output, every gradient and every buffer."""
    x = lamina.tensor(array, requires_grad=True)
    tx = to_torch(x)
    out, expected = ours(x), theirs(tx)
    assert_close(out, expected)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(array.dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(x.grad, tx.grad)
    # a parameter's gradient sums O(1) terms that largely cancel: float32 rounding of that sum
    # is about 1e-6 absolute, so give it that much slack (float64 keeps the strict bound)
    slack = {"atol": 1e-5} if array.dtype == np.float32 else {}
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.grad is not None, name
        assert_close(p.grad, tp.grad, **slack)
    ours_buffers = dict(ours.named_buffers())
    for name, tb in theirs.named_buffers():
        assert_close(ours_buffers[name], tb)
