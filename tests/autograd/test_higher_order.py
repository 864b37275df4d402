"""create_graph=True (lamina/autograd/higher_order.py): gradients that can be differentiated.

Oracles: torch's double backward (Hessian-vector products on the same inputs), and finite
differences of lamina's own first gradient in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lamina

# name -> f(lib, x, w): x (3, 4) requires grad; w (4, 4) a second input that requires grad
FUNCTIONS = {
    "exp": lambda lib, x, w: x.exp(),
    "log": lambda lib, x, w: (x * x + 1).log(),
    "log1p": lambda lib, x, w: (x * x).log1p(),
    "sqrt": lambda lib, x, w: (x * x + 1).sqrt(),
    "rsqrt": lambda lib, x, w: (x * x + 1).rsqrt(),
    "tanh": lambda lib, x, w: x.tanh(),
    "sigmoid": lambda lib, x, w: x.sigmoid(),
    "relu": lambda lib, x, w: x.relu() * x,
    "sin cos": lambda lib, x, w: x.sin() * x.cos(),
    "abs": lambda lib, x, w: x.abs() * x,
    "reciprocal": lambda lib, x, w: (x * x + 1).reciprocal(),
    "add sub neg": lambda lib, x, w: -(x + 2.0) * (x - w[0]) - (1 - x),
    "mul div": lambda lib, x, w: x * w[1] / (x * x + 1),
    "pow scalar": lambda lib, x, w: x ** 3 + (x * x + 1) ** 0.5,
    "pow tensor": lambda lib, x, w: (x * x + 1) ** w[2],
    "matmul": lambda lib, x, w: x @ w @ w.t(),
    "matmul vectors": lambda lib, x, w: lib.matmul(x[0], w) * lib.matmul(w, x[1]).sum()
    + lib.matmul(x[2], x[1]),
    "batched matmul": lambda lib, x, w: lib.matmul(x.reshape(3, 1, 4), w.expand(3, 4, 4)),
    "linear": lambda lib, x, w: lib.nn.functional.linear(x.tanh(), w, w[0]),
    "sum mean dims": lambda lib, x, w: (x * x).sum(1, keepdim=True) * x.mean(0)
    + (x ** 3).sum(),
    "reshape permute": lambda lib, x, w: (x.reshape(2, 6).t().reshape(12, 1)
                                          * x.reshape(12, 1)).permute(1, 0),
    "expand repeat": lambda lib, x, w: x[:1].expand(3, 4) * x.repeat(1, 2)[:, :4],
    "norm": lambda lib, x, w: x.norm(2, dim=1) * x.sum(),
    "mse": lambda lib, x, w: lib.nn.functional.mse_loss(x.tanh(), w[:3], reduction="none"),
    "to float64": lambda lib, x, w: (x.double() ** 2).float() * x,
    "softmax": lambda lib, x, w: lib.softmax(x * w[0], dim=1) * x,
    "log_softmax": lambda lib, x, w: lib.log_softmax(x @ w, dim=0) * x.sigmoid(),
}


def _inputs(library, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype(dtype)
    w = rng.uniform(0.5, 1.5, (4, 4)).astype(dtype)
    return (library.tensor(x, requires_grad=True), library.tensor(w, requires_grad=True))


def _hessian_vector(library, name, dtype):
    x, w = _inputs(library, dtype)
    out = FUNCTIONS[name](library, x, w)
    v = library.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype))
    gx, gw = library.autograd.grad(out, (x, w), grad_outputs=v, create_graph=True,
                                   allow_unused=True)
    gw = gw if gw is not None else library.zeros_like(w)
    second = (gx * gx).sum() + (gw.tanh() * w).sum()
    hx, hw = library.autograd.grad(second, (x, w), allow_unused=True)
    return [t.detach().numpy() if t is not None else None for t in (gx, gw, hx, hw)]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_second_derivatives_match_torch(name):
    ours = _hessian_vector(lamina, name, np.float64)
    theirs = _hessian_vector(torch, name, np.float64)
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["tanh", "matmul", "linear", "norm", "mul div", "pow tensor"])
def test_second_derivatives_by_finite_differences(name):
    """d/dx of <grad f(x), u> by central differences of lamina's own first gradient."""
    rng = np.random.default_rng(1)
    u = rng.standard_normal((3, 4))

    def first(x_array):
        x, w = _inputs(lamina, np.float64)
        x = lamina.tensor(x_array, requires_grad=True)
        (g,) = lamina.autograd.grad(FUNCTIONS[name](lamina, x, w).sum(), x, create_graph=True)
        return x, g

    x0 = _inputs(lamina, np.float64)[0].detach().numpy()
    x, g = first(x0)
    (analytic,) = lamina.autograd.grad((g * lamina.tensor(u)).sum(), x, allow_unused=True,
                                       materialize_grads=True)  # linear in x: no 2nd derivative
    numeric = np.zeros_like(x0)
    eps = 1e-6
    for index in np.ndindex(x0.shape):
        step = np.zeros_like(x0)
        step[index] = eps
        plus = (first(x0 + step)[1].detach().numpy() * u).sum()
        minus = (first(x0 - step)[1].detach().numpy() * u).sum()
        numeric[index] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-5, atol=1e-6)


def test_gradient_penalty_and_pde_residual_train_like_torch():
    results = []
    for library in (torch, lamina):
        torch.manual_seed(0)
        reference = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(),
                                        torch.nn.Linear(8, 1))
        net = reference
        if library is lamina:
            net = lamina.nn.Sequential(lamina.nn.Linear(1, 8), lamina.nn.Tanh(),
                                       lamina.nn.Linear(8, 1))
            net.load_state_dict({k: v.detach().numpy().copy()
                                 for k, v in reference.state_dict().items()})
        optimizer = library.optim.SGD(net.parameters(), lr=0.05)
        x = library.tensor(np.linspace(-1, 1, 7, dtype=np.float32).reshape(7, 1),
                           requires_grad=True)
        for _ in range(3):  # u'' + u = 0 with a gradient penalty on u'
            u = net(x)
            (u_x,) = library.autograd.grad(u, x, library.ones_like(u), create_graph=True)
            (u_xx,) = library.autograd.grad(u_x, x, library.ones_like(u_x), create_graph=True)
            loss = ((u_xx + u) ** 2).mean() + ((u_x.norm(2, dim=1) - 1) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        results.append([loss.item()] + [p.detach().numpy().copy() for p in net.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_backward_with_create_graph_leaves_differentiable_grads():
    for library in (lamina, torch):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.requires_grad and x.grad.grad_fn is not None
        first = x.grad.detach().clone()
        x.grad.sum().backward()  # accumulates d(3x^2)/dx = 6x into the same .grad
        np.testing.assert_allclose(first.numpy(), [3.0, 12.0])
        np.testing.assert_allclose(x.grad.detach().numpy(), [3.0 + 6.0, 12.0 + 12.0])


def test_a_custom_function_is_differentiated_through_its_own_backward():
    class Cube(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = lamina.tensor([2.0], requires_grad=True)
    (g,) = lamina.autograd.grad(Cube.apply(x), x, create_graph=True)
    (h,) = lamina.autograd.grad(g, x)
    assert g.item() == 12.0 and h.item() == 12.0


def test_unsupported_ops_say_so_and_first_order_still_works():
    x = lamina.randn(2, 3, requires_grad=True)
    out = lamina.nn.functional.cross_entropy(x, lamina.tensor([0, 2]))
    with pytest.raises(NotImplementedError, match="create_graph=True.*backward of"):
        lamina.autograd.grad(out, x, create_graph=True)
    (g,) = lamina.autograd.grad(lamina.nn.functional.cross_entropy(x, lamina.tensor([0, 2])), x)
    assert g.shape == (2, 3) and not g.requires_grad


def test_freed_graph_and_in_place_changes_are_still_caught():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh()
    y.sum().backward()  # frees the graph
    with pytest.raises(RuntimeError, match="second time"):
        lamina.autograd.grad(y.sum(), x, create_graph=True)
    z = x * 2
    out = z.exp()
    out.mul_(1)  # exp saved its output: changed in place
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        lamina.autograd.grad(out.sum(), x, create_graph=True)


def test_zero_dim_intermediates_keep_their_graph():
    # x[1] * x[0] multiplies 0-d arrays, which NumPy returns as scalars: the recorded
    # node still knows which inputs its saved values were
    results = []
    for library in (torch, lamina):
        x = library.tensor([0.3, -1.2, 0.7], dtype=library.float64, requires_grad=True)
        (g,) = library.autograd.grad(x[1] * x[0] + (x ** 3).sum() * x[2], x, create_graph=True)
        results.append([library.autograd.grad(g[i], x, retain_graph=True)[0].tolist()
                        for i in range(3)])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)
