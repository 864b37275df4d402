"""Zero-copy NumPy and DLPack exchange, and safetensors files shared with torch."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors.torch
import torch

import lamina
from lamina.utils.safetensors import load_file, save_file


def test_numpy_views_share_memory_both_ways():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = lamina.from_numpy(array)
    array[0, 0] = 5.0
    assert t[0, 0].item() == 5.0
    assert np.shares_memory(np.asarray(t), array) and t.numpy() is array
    t[1, 1] = -2.0
    assert array[1, 1] == -2.0


@pytest.mark.filterwarnings("ignore:__array_wrap__")  # torch's own, on NumPy 2
@pytest.mark.parametrize("function", [
    lambda lib: np.exp(lib.tensor([1.0, 2.0])),
    lambda lib: np.add(lib.tensor([1, 2]), 0.5),
    lambda lib: np.isnan(lib.tensor([1.0, float("nan")])),  # torch gives uint8 here
    lambda lib: np.matmul(lib.ones(2, 2), lib.ones(2, 2)),
    lambda lib: lib.ones(2, 2) @ np.ones((2, 2)),  # NumPy computes it: float64, as in torch
    lambda lib: np.exp(lib.ones(2), out=np.empty(2, np.float32)),  # out= stays an ndarray
], ids=["exp", "add int", "isnan", "matmul", "tensor @ ndarray", "out"])
def test_numpy_ufuncs_on_tensors_return_what_torch_returns(function):
    ours, theirs = function(lamina), function(torch)
    assert type(ours).__name__ == type(theirs).__name__
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("library", [torch, lamina], ids=["torch", "lamina"])
def test_comparing_with_none_and_matmul_with_ndarray_like_torch(library):
    mask = library.ones(2)
    assert (mask == None) is False and (mask != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        mask < None  # noqa: B015
    with pytest.raises(TypeError):  # only the operator takes an ndarray, not matmul itself
        library.matmul(library.ones(2, 2), np.ones((2, 2), np.float32))
    with pytest.raises(TypeError):
        np.ones((2, 2), np.float32) @ library.ones(2, 2)


def test_numpy_of_tensor_requiring_grad_says_detach():
    with pytest.raises(RuntimeError, match="detach"):
        lamina.ones(2, requires_grad=True).numpy()


def test_dlpack_with_torch_shares_memory():
    theirs = torch.arange(6.0).reshape(2, 3)
    ours = lamina.from_dlpack(theirs)
    assert ours.shape == (2, 3) and ours.dtype == lamina.float32
    ours[0, 1] = 42.0
    assert theirs[0, 1].item() == 42.0

    mine = lamina.zeros(4, dtype=lamina.float64)
    back = torch.from_dlpack(mine)
    back[2] = 3.0
    assert mine[2].item() == 3.0 and back.dtype == torch.float64
    assert mine.__dlpack_device__() == back.__dlpack_device__()


def test_dlpack_refuses_tensors_that_require_grad():
    with pytest.raises(RuntimeError, match="detach"):
        torch.from_dlpack(lamina.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="from_dlpack"):
        lamina.from_dlpack(torch.ones(2, requires_grad=True))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int64,
                                   torch.uint8, torch.bool])
def test_safetensors_interchange_with_torch(tmp_path, dtype):
    theirs = {"weight": (torch.randn(3, 4) * 10).to(dtype), "bias": torch.ones(4).to(dtype)}
    safetensors.torch.save_file(theirs, tmp_path / "t.safetensors")
    ours = load_file(tmp_path / "t.safetensors")
    assert list(ours) == sorted(theirs)  # safetensors orders keys by name
    for key in theirs:
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
    save_file(ours, tmp_path / "o.safetensors")
    again = safetensors.torch.load_file(tmp_path / "o.safetensors")
    for key in theirs:
        assert torch.equal(again[key], theirs[key])


def test_safetensors_rejects_non_tensors(tmp_path):
    with pytest.raises(TypeError, match="tensors only"):
        save_file({"x": 3}, tmp_path / "bad.safetensors")


def test_load_state_dict_from_safetensors(tmp_path):
    nn = pytest.importorskip("lamina.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("layers not available")
    torch.manual_seed(0)  # unseeded, an output near 0 now and then failed rtol alone
    theirs = torch.nn.Linear(3, 2)
    safetensors.torch.save_file(theirs.state_dict(), tmp_path / "l.safetensors")
    ours = nn.Linear(3, 2)
    ours.load_state_dict(load_file(tmp_path / "l.safetensors"))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(lamina.from_numpy(x)).detach().numpy(), expected, rtol=1e-6,
                               atol=1e-7)
