"""The backward pass: accumulation, graph shapes, retain_graph, errors, autograd.grad, hooks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.helpers import assert_close

import lamina
from lamina.autograd import sum_to_shape


def pair(shape=(2, 3), seed=0, dtype=np.float32):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return lamina.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def test_gradients_accumulate_into_grad_across_backward_calls():
    x, tx = pair()
    for _ in range(3):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
    assert_close(x.grad, tx.grad)
    assert x.grad.dtype == lamina.float32


def test_grad_tensor_is_accumulated_in_place():
    x, _ = pair()
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first
    np.testing.assert_allclose(first.numpy(), np.full((2, 3), 5.0, np.float32))


def test_diamond_graph_and_tensor_used_twice_match_torch():
    x, tx = pair(seed=1)

    def f(a, lib):
        b = lib.tanh(a)
        left, right = b * a, b.exp()
        return (left + right * b).sum() + (a * a).mean()

    f(x, lamina).backward()
    f(tx, torch).backward()
    assert_close(x.grad, tx.grad)


@given(shapes=st.sampled_from([((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()), ((1, 3), (2, 1))]))
def test_broadcast_gradients_are_reduced_to_each_input(shapes):
    (a, ta), (b, tb) = pair(shapes[0], 2), pair(shapes[1], 3)
    (a * b + b).sum().backward()
    (ta * tb + tb).sum().backward()
    assert_close(a.grad, ta.grad)
    assert_close(b.grad, tb.grad)


@given(hnp.arrays(np.float32, hnp.array_shapes(max_dims=4, max_side=4)), st.data())
def test_sum_to_shape_undoes_broadcasting(grad, data):
    # a shape that broadcasts *to* grad's: drop leading axes, shrink some axes to 1
    kept = grad.shape[data.draw(st.integers(0, grad.ndim)):]
    shape = tuple(n if data.draw(st.booleans()) else 1 for n in kept)
    out = sum_to_shape(grad, shape)
    expected = torch.from_numpy(grad).sum_to_size(shape).numpy() if shape else grad.sum()
    assert out.shape == tuple(shape)
    assert out.dtype == grad.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_retain_graph_allows_a_second_backward():
    x, tx = pair()
    y, ty = (x * x).sum(), (tx * tx).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    assert_close(x.grad, tx.grad)


def test_second_backward_through_freed_graph_raises():
    x, tx = pair()
    y, ty = (x * x).sum(), (tx * tx).sum()
    y.backward()
    ty.backward()
    with pytest.raises(RuntimeError, match="second time"):
        ty.backward()
    with pytest.raises(RuntimeError, match="second time.*MulBackward0.*retain_graph=True"):
        y.backward()


def test_graph_without_saved_tensors_backwards_twice_like_torch():
    x, tx = pair()
    y, ty = (x + 1).sum(), (tx + 1).sum()
    y.backward()
    y.backward()
    ty.backward()
    ty.backward()
    assert_close(x.grad, tx.grad)


def test_inplace_change_of_a_saved_tensor_raises_instead_of_a_wrong_gradient():
    x, tx = pair()
    a, ta = x * 1, tx * 1
    y, ty = (a * a).sum(), (ta * ta).sum()
    a.add_(1)
    ta.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    message = r"modified by an inplace operation.*\[2, 3\].*MulBackward0"
    with pytest.raises(RuntimeError, match=message):
        y.backward()


def test_inplace_change_of_a_saved_output_raises():
    x, _ = pair()
    y = x.exp()
    z = y.sum()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        z.backward()


def test_inplace_on_non_leaf_history_matches_torch():
    x, tx = pair()
    y, ty = x * 2, tx * 2
    y.mul_(3)
    ty.mul_(3)
    y.add_(x)
    ty.add_(tx)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad)


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x, tx = pair()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tx.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*no_grad"):
        x.add_(1)
    with lamina.no_grad():
        x.add_(1)  # allowed: this is how optimizers update parameters
    assert x.grad_fn is None


def test_stale_view_after_inplace_on_its_base_raises():
    x, _ = pair()
    y = x * 2
    row = y[0]
    y.mul_(3)
    with pytest.raises(RuntimeError, match="view of a tensor that was modified in place"):
        (row * 1).sum()


def test_inplace_on_a_view_that_requires_grad_raises():
    x, _ = pair()
    y = x * 2
    with pytest.raises(RuntimeError, match="view"):
        y[0].mul_(2)


def test_non_scalar_backward_needs_a_gradient():
    x, tx = pair()
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (tx * 2).backward()
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(2, 3\).*gradient="):
        (x * 2).backward()
    g = np.arange(6, dtype=np.float32).reshape(2, 3)
    (x * 2).backward(lamina.tensor(g))
    (tx * 2).backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(lamina.ones(3))


def test_backward_on_a_tensor_without_history_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        lamina.ones(2).sum().backward()


def test_autograd_grad_with_non_leaf_inputs_matches_torch():
    x, tx = pair()
    h, th = x.sigmoid(), tx.sigmoid()
    out, tout = (h * x).sum(), (th * tx).sum()
    gh, gx = lamina.autograd.grad(out, [h, x])
    tgh, tgx = torch.autograd.grad(tout, [th, tx])
    assert_close(gh, tgh)
    assert_close(gx, tgx)
    assert x.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert h.grad is None  # torch warns too: a non-leaf never gets .grad


def test_non_leaf_grad_warns_only_without_retain_grad():
    import warnings

    x = lamina.ones(2, requires_grad=True)
    kept, plain = x * 2, x * 3
    kept.retain_grad()
    (kept + plain).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kept.grad.tolist() == [1.0, 1.0] and x.grad.tolist() == [5.0, 5.0]
    with pytest.warns(UserWarning, match="retain_grad"):
        assert plain.grad is None


def test_data_has_its_own_version_counter_as_in_torch():
    results = []
    for library in (lamina, torch):
        c = library.tensor([1.0, 2.0], requires_grad=True)
        d = c.exp()
        d.data.zero_()  # torch's escape hatch: not seen by the saved-tensor check
        d.sum().backward()
        results.append(c.grad.tolist())
        e = c.exp()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            e.mul_(2)  # through the tensor itself the change is seen
            e.sum().backward()
    assert results[0] == results[1] == [0.0, 0.0]


def test_tensor_of_a_tensor_warns_as_torch():
    with pytest.warns(UserWarning, match=r"sourceTensor.detach\(\).clone\(\)"):
        copy = lamina.tensor(lamina.ones(2))
    assert copy.tolist() == [1.0, 1.0]


def test_autograd_grad_allow_unused():
    x, _ = pair()
    unused = lamina.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        lamina.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = lamina.autograd.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), 2.0)


def test_autograd_grad_with_grad_outputs_matches_torch():
    x, tx = pair()
    g = np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32)
    (gx,) = lamina.autograd.grad(x.tanh(), x, lamina.tensor(g))
    (tgx,) = torch.autograd.grad(tx.tanh(), tx, torch.tensor(g))
    assert_close(gx, tgx)


def test_retain_grad_keeps_a_non_leaf_gradient():
    x, tx = pair()
    h, th = x * 3, tx * 3
    h.retain_grad()
    th.retain_grad()
    (h * h).sum().backward()
    (th * th).sum().backward()
    assert_close(h.grad, th.grad)
    assert h.retains_grad and not x.retains_grad
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        lamina.ones(2).retain_grad()


def test_register_hook_on_leaf_and_non_leaf_matches_torch():
    x, tx = pair()
    seen = []
    h, th = x * 2, tx * 2
    h.retain_grad()
    th.retain_grad()
    h.register_hook(lambda g: g * 10)
    th.register_hook(lambda g: g * 10)
    handle = x.register_hook(lambda g: seen.append(g.shape))
    tx.register_hook(lambda g: None)
    (h * h).sum().backward()
    (th * th).sum().backward()
    assert_close(h.grad, th.grad)
    assert_close(x.grad, tx.grad)
    assert seen == [lamina.Size([2, 3])]
    handle.remove()
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lamina.ones(1).register_hook(lambda g: g)


def test_backward_inputs_restricts_accumulation():
    (x, tx), (w, tw) = pair(seed=1), pair(seed=2)
    (x * w).sum().backward(inputs=[w])
    (tx * tw).sum().backward(inputs=[tw])
    assert x.grad is None and tx.grad is None
    assert_close(w.grad, tw.grad)


def test_integer_outputs_do_not_require_grad():
    x, _ = pair()
    assert not x.argmax().requires_grad
    assert not (x > 0).requires_grad


def test_float64_graph_keeps_float64_gradients():
    x, tx = pair(dtype=np.float64)
    (x.exp() * 2.5).sum().backward()
    (tx.exp() * 2.5).sum().backward()
    assert x.grad.dtype == lamina.float64
    assert_close(x.grad, tx.grad)


def test_backward_frees_saved_arrays_while_the_graph_is_still_referenced():
    import gc
    import weakref

    w = lamina.randn(1000, requires_grad=True)
    out = (w * 3).exp().sum()  # exp saves its output: an array no tensor holds any more
    exp_node = out.grad_fn.next_functions[0][0]
    saved = weakref.ref(exp_node.saved_tensors[0])
    del exp_node
    out.backward()
    gc.collect()
    assert saved() is None  # out (and its graph) is alive; the activation must not be
