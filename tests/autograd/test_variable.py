"""autograd.Variable, torch's deprecated wrapper: it returns a plain Tensor."""

from __future__ import annotations

import pytest
import torch

import lamina


@pytest.mark.parametrize("requires_grad", [False, True])
def test_variable_returns_a_detached_alias(requires_grad):
    for library in (torch, lamina):
        data = library.ones(2)
        variable = library.autograd.Variable(data, requires_grad=requires_grad)
        assert type(variable) is library.Tensor
        assert variable is not data and variable.requires_grad is requires_grad
        assert data.requires_grad is False
        variable.data[0] = 5.0  # the storage is shared
        assert data[0].item() == 5.0


def test_variable_gradient_and_errors():
    x = lamina.autograd.Variable(lamina.ones(2), requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.warns(UserWarning, match="volatile"):
        lamina.autograd.Variable(lamina.ones(1), volatile=True)
    with pytest.raises(TypeError):
        torch.autograd.Variable([1.0])
    with pytest.raises(TypeError):
        lamina.autograd.Variable([1.0])
    assert tuple(lamina.autograd.Variable().shape) == tuple(torch.autograd.Variable().shape)
