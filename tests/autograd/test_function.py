"""Custom autograd.Function the PyTorch way, and the dispatch point every op goes through."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import assert_close

import lamina
from lamina.autograd import function as function_module


def make_cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x**3 * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad * 3 * x**2 * ctx.scale, None

    return Cube


def test_custom_function_matches_torch():
    data = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    x, tx = lamina.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = make_cube(lamina).apply(x, 2.0), make_cube(torch).apply(tx, 2.0)
    assert_close(y, ty)
    assert y.grad_fn.name() == "CubeBackward"
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad)


def test_custom_function_outside_grad_mode_records_nothing():
    seen = []

    class Probe(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            seen.append(ctx.needs_input_grad)
            return x * scale

    x = lamina.ones(3, requires_grad=True)
    with lamina.no_grad():
        y = Probe.apply(x, 1.0)
    assert not y.requires_grad and y.grad_fn is None
    y = Probe.apply(lamina.ones(3), 2.0)  # nothing requires grad
    assert not y.requires_grad and y.tolist() == [2.0] * 3
    assert seen == [(False, False), (False, False)]


def test_mark_non_differentiable_and_two_outputs():
    class SortWithIndex(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            order = lamina.tensor(np.argsort(x.detach().numpy()))
            ctx.save_for_backward(order)
            ctx.mark_non_differentiable(order)
            return x[order], order

        @staticmethod
        def backward(ctx, grad, grad_order):
            (order,) = ctx.saved_tensors
            out = lamina.zeros_like(grad)
            out[order] = grad
            return out

    x = lamina.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, order = SortWithIndex.apply(x)
    assert values.requires_grad and not order.requires_grad
    (values * lamina.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.0, 2.0])


def test_wrong_gradient_shape_from_a_custom_backward_raises_naming_it():
    class Bad(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return lamina.ones(5)

    with pytest.raises(RuntimeError, match=r"BadBackward.*invalid gradient.*\[5\].*\[2, 3\]"):
        Bad.apply(lamina.ones(2, 3, requires_grad=True)).sum().backward()


def test_too_few_gradients_raise():
    class Few(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    a, b = lamina.ones(2, requires_grad=True), lamina.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Few.apply(a, b).sum().backward()


def test_missing_forward_or_backward_raise_not_implemented():
    class Nothing(lamina.autograd.Function):
        pass

    with pytest.raises(NotImplementedError):
        Nothing.apply(lamina.ones(1))


def test_no_graph_node_is_built_without_grad():
    x = lamina.ones(3)
    y = x * 2 + 1
    assert y.grad_fn is None and not y.requires_grad
    w = lamina.ones(3, requires_grad=True)
    with lamina.no_grad():
        z = (w * 2).sum()
    assert z.grad_fn is None and not z.requires_grad


def test_dispatch_hook_sees_every_primitive_call():
    seen = []

    def hook(function, args, kwargs, run):
        seen.append(function.__name__)
        return run()

    function_module.dispatch_hook[0], previous = hook, function_module.dispatch_hook[0]
    try:
        x = lamina.ones(2, 2, requires_grad=True)
        (x @ x + 1).relu().sum()
    finally:
        function_module.dispatch_hook[0] = previous
    assert {"Matmul", "Add", "Relu", "Sum"} <= set(seen)


def test_next_functions_and_node_types_describe_the_graph_like_torch():
    x, tx = lamina.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    y, ty = (x * 2).sum(), (tx * 2).sum()
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__ == "SumBackward0"
    assert repr(y.grad_fn).startswith("<SumBackward0 object at 0x")
    assert len(y.grad_fn.next_functions) == len(ty.grad_fn.next_functions) == 1
    (node, index), = y.grad_fn.next_functions
    assert type(node).__name__ == node.name() == "MulBackward0" and index == 0
    (leaf, _), = node.next_functions
    assert leaf.name() == "AccumulateGrad" and leaf.variable is x
    z = x * lamina.ones(2)  # a tensor that needs no gradient shows as (None, 0)
    assert [f is None for f, _ in z.grad_fn.next_functions] == [
        f is None for f, _ in (tx * torch.ones(2)).grad_fn.next_functions]


def test_node_names_follow_torch_and_a_forward_may_rename_its_node():
    class Pick(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.grad_fn_name = "SelectBackward0"
            return x[0]

        @staticmethod
        def backward(ctx, grad):
            return lamina.ones(2) * grad

    x, tx = lamina.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    assert Pick.apply(x).grad_fn.name() == tx[0].grad_fn.name()
    assert type(Pick.apply(x).grad_fn).__name__ == "SelectBackward0"
    for ours, theirs in [(x + 1, tx + 1), (x * 2, tx * 2), (x.sum(), tx.sum()),
                         (x.exp(), tx.exp()), (x.double(), tx.double())]:
        assert ours.grad_fn.name() == theirs.grad_fn.name()


def _walk(node, depth=3):
    """The names met walking next_functions breadth first, as torch users print them."""
    names, frontier = [], [node]
    for _ in range(depth):
        frontier = [n for f in frontier if f is not None
                    for n, _ in getattr(f, "next_functions", ())]
        names.append([None if n is None else type(n).__name__ for n in frontier])
    return names


@pytest.mark.parametrize("bias", [True, False])
def test_blitz_graph_walk_matches_torch(bias):
    # the 60-minute blitz: loss.grad_fn, then .next_functions[0][0], and so on
    import torch

    graphs = []
    for library in (lamina, torch):
        library.manual_seed(0)
        model = library.nn.Sequential(library.nn.Linear(4, 3, bias=bias), library.nn.ReLU(),
                                      library.nn.Linear(3, 2, bias=bias))
        loss = library.nn.MSELoss()(model(library.ones(5, 4)), library.zeros(5, 2))
        graphs.append([type(loss.grad_fn).__name__] + _walk(loss.grad_fn, 4))
    assert graphs[0] == graphs[1]
    leaf = loss.grad_fn.next_functions[0][0].next_functions[0][0]
    assert type(leaf).__name__ == ("AccumulateGrad" if bias else "ReluBackward0")


def test_mse_loss_of_an_empty_batch_is_nan_and_backward_works():
    x = lamina.zeros(0, 3, requires_grad=True)
    loss = lamina.nn.functional.mse_loss(x, lamina.zeros(0, 3))
    assert loss.isnan().item()
    loss.backward()
    assert x.grad.shape == (0, 3)
