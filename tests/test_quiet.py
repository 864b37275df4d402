"""NumPy's floating-point warnings stay inside lamina's ops: torch is silent about inf/nan."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn.functional as F


def _diverging_program(lib):
    big = lib.tensor([3e38])
    values = [big * 10, big + big, big - (-big), F.mse_loss(big, -big) if lib is lamina
              else torch.nn.functional.mse_loss(big, -big),
              lib.tensor([1e20, 1e20]).norm(), lib.tensor([1e30]).half(),
              lib.tensor([1e30], dtype=lib.float16), big.exp(), (big * 10 - big * 10)]
    w = lib.tensor([3e38], requires_grad=True)
    (w * w * 10).sum().backward()
    values.append(w.grad)
    inplace = lib.zeros(1)
    inplace.add_(big * 10).sub_(big * 10)
    half = lib.zeros(1, dtype=lib.float16)
    half.copy_(lib.tensor([1e30]))
    values += [inplace, half]
    parameter = lib.nn.Parameter(lib.tensor([1.0]))
    optimizer = lib.optim.Adam([parameter])
    parameter.grad = lib.tensor([float("inf")])
    optimizer.step()
    values.append(parameter.detach())
    model = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sigmoid())
    with lib.no_grad():
        values.append(model(lib.tensor([[3e38]]) * 10).shape)
    return values


def test_overflow_and_invalid_values_are_silent_like_torch():
    for lib in (torch, lamina):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            values = _diverging_program(lib)
        assert [str(w.message) for w in caught] == [], lib.__name__
        if lib is torch:
            expected = [v.tolist() if isinstance(v, torch.Tensor) else v for v in values]
    ours = [v.tolist() if isinstance(v, lamina.Tensor) else v for v in values]
    np.testing.assert_equal(ours, expected)  # nan equals nan here


def test_the_callers_numpy_settings_are_untouched():
    lamina.tensor([3e38]) * 10
    with pytest.warns(RuntimeWarning, match="overflow"):
        np.array([3e38], np.float32) * 10
    with np.errstate(over="raise"):
        lamina.tensor([3e38]) * 10  # lamina's op: silent even so, as in torch
        with pytest.raises(FloatingPointError):
            np.array([3e38], np.float32) * 10
