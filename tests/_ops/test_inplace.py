"""In-place ops (the optimizer's toolkit) against torch, on the direct path and through autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from tests._ops.optable import broadcastable_pairs, run_both, seeds
from tests.helpers import assert_close

import lamina

# each writes into its first argument; arrays: (target, a, b) with b > 0
STEPS = {
    "add_": lambda p, a, b: p.add_(a),
    "add_-alpha": lambda p, a, b: p.add_(a, alpha=-0.1),
    "add_-scalar": lambda p, a, b: p.add_(2.5),
    "sub_": lambda p, a, b: p.sub_(a, alpha=2),
    "mul_": lambda p, a, b: p.mul_(a),
    "mul_-scalar": lambda p, a, b: p.mul_(0.9),
    "div_": lambda p, a, b: p.div_(b),
    "div_-floor": lambda p, a, b: p.div_(b, rounding_mode="floor"),
    "addcmul_": lambda p, a, b: p.addcmul_(a, b, value=0.25),
    "addcdiv_": lambda p, a, b: p.addcdiv_(a, b, value=-0.5),
    "clamp_": lambda p, a, b: p.clamp_(-0.3, 0.3),
    "clamp_-min": lambda p, a, b: p.clamp_(min=0.0),
    "clamp_-tensor": lambda p, a, b: p.clamp_(min=a),
    "copy_": lambda p, a, b: p.copy_(a),
    "operators": lambda p, a, b: _operators(p, a, b),
}


def _operators(p, a, b):
    p += a
    p -= 1
    p *= b
    p /= 2
    return p


@pytest.mark.parametrize("name", list(STEPS))
@given(pair=broadcastable_pairs(max_dims=3), seed=seeds)
@settings(max_examples=10)
def test_inplace_under_no_grad_matches_torch(name, pair, seed):
    target_shape, other_shape = pair
    if np.broadcast_shapes(target_shape, other_shape) != tuple(target_shape):
        target_shape = np.broadcast_shapes(target_shape, other_shape)
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(target_shape).astype(np.float32),
              rng.standard_normal(other_shape).astype(np.float32),
              rng.uniform(0.5, 2.0, other_shape).astype(np.float32)]

    def step(lib, p, a, b):
        p = p.detach().clone()
        with lib.no_grad():
            out = STEPS[name](p, a, b)
        assert out is p
        return p

    run_both(lambda *t: step(lamina, *t), lambda *t: step(torch, *t), arrays, grad=False)


def test_direct_writes_keep_memory_dtype_and_bump_the_version():
    p = lamina.zeros(2, 3)
    row = p[0]  # a view: must see the writes
    array = p.numpy()
    version = p._vc[0]
    with lamina.no_grad():
        p.add_(lamina.ones(3)).mul_(2).addcmul_(p, p, value=0.5)
    assert p.numpy() is array and p.dtype == lamina.float32
    assert row.tolist() == [4.0, 4.0, 4.0] and p._vc[0] > version
    p.add_(lamina.tensor([1.0, 1.0, 1.0], dtype=lamina.float64))  # cast back like torch
    assert p.dtype == lamina.float32 and p[1, 0].item() == 5.0


@pytest.mark.parametrize("step, error", [
    (lambda lib: lib.tensor([1, 2]).mul_(2.5), RuntimeError),
    (lambda lib: lib.tensor([1, 2]).div_(2), RuntimeError),
    (lambda lib: lib.tensor([1, 2]).add_(lib.tensor([0.5, 0.5])), RuntimeError),
    (lambda lib: lib.zeros(3).add_(lib.ones(2, 3)), RuntimeError),
    (lambda lib: lib.zeros(3).copy_(lib.ones(2)), RuntimeError),
    (lambda lib: lib.tensor([True]).sub_(lib.tensor([True])), RuntimeError),
    (lambda lib: lib.zeros(3).clamp_(), RuntimeError),
], ids=["int-mul-float", "int-div", "int-add-float-tensor", "shape", "copy-shape", "bool-sub",
        "clamp-no-bounds"])
def test_inplace_errors_match_torch(step, error):
    with pytest.raises(error):
        step(torch)
    with pytest.raises(error) as ours:
        step(lamina)
    text = str(ours.value)
    assert any(word in text for word in ("_", "clamp", "sub")), text


def test_integer_inplace_ops_keep_integers():
    def step(lib, p):
        p = p.clone()
        p.add_(2).mul_(3).sub_(1).clamp_(0, 20)
        return p

    run_both(lambda p: step(lamina, p), lambda p: step(torch, p), [np.arange(6)], grad=False)


def test_inplace_with_grad_goes_through_autograd():
    x = lamina.tensor([0.5, -1.0, 2.0], requires_grad=True)
    t = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    outs = []
    for leaf in (x, t):
        y = leaf * leaf
        y.add_(leaf, alpha=2).addcmul_(leaf, leaf, value=0.5).clamp_(-1, 3).div_(2).copy_(y * 3)
        y.sum().backward()
        outs.append((y, leaf.grad))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])


def test_leaf_requiring_grad_refuses_inplace_outside_no_grad():
    w = lamina.ones(2, requires_grad=True)
    for step in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.copy_(lamina.zeros(2)),
                 lambda: w.clamp_(0, 1), lambda: w.addcdiv_(w, w)):
        with pytest.raises(RuntimeError, match="leaf"):
            step()
