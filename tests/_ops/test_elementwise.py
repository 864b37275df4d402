"""Elementwise, selection and comparison ops against torch (values, gradients), gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from tests._ops.optable import (
    BINARY_OPS,
    COMPARISONS,
    DTYPES,
    UNARY_OPS,
    broadcastable_pairs,
    forms,
    run_both,
    seeds,
    shapes,
)
from tests.helpers import assert_close

import lamina


@pytest.mark.parametrize("op, ours, theirs", forms(UNARY_OPS))
@settings(max_examples=8)
@given(shape=shapes(), dtype=DTYPES, seed=seeds)
def test_unary_matches_torch(op, ours, theirs, shape, dtype, seed):
    arrays = op.inputs(np.random.default_rng(seed), [shape], dtype)
    run_both(ours, theirs, arrays, grad=op.differentiable, seed=seed)


@pytest.mark.parametrize("op, ours, theirs", forms(BINARY_OPS))
@settings(max_examples=8)
@given(pair=broadcastable_pairs(), dtype=DTYPES, seed=seeds)
def test_binary_matches_torch(op, ours, theirs, pair, dtype, seed):
    arrays = op.inputs(np.random.default_rng(seed), pair, dtype)
    run_both(ours, theirs, arrays, grad=op.differentiable, seed=seed)


@pytest.mark.parametrize("op", [op for op in UNARY_OPS + BINARY_OPS if op.differentiable],
                         ids=lambda op: op.name)
def test_gradcheck(op):
    rng = np.random.default_rng(0)
    shapes_ = [(2, 3), (3,)][: op.arity]
    arrays = op.inputs(rng, shapes_, np.float64)
    inputs = [lamina.tensor(a, requires_grad=True) for a in arrays]
    ours = next(op.forms())[1]
    assert lamina.autograd.gradcheck(ours, inputs)


@pytest.mark.parametrize("name", COMPARISONS)
@given(pair=broadcastable_pairs(), seed=seeds)
@settings(max_examples=5)
def test_comparisons_match_torch(name, pair, seed):
    rng = np.random.default_rng(seed)
    # small integers so that equality actually happens
    arrays = [rng.integers(-2, 3, s).astype(np.float32) for s in pair]
    out = run_both(getattr(lamina, name), getattr(torch, name), arrays, grad=False)
    assert out[0].dtype == lamina.bool


def test_comparison_operators_and_scalars():
    a = np.array([[0.1, 1.0, 2.0], [3.0, -1.0, 0.1]], np.float32)
    for fn in (lambda x: x == 0.1, lambda x: x != 1, lambda x: x < 1, lambda x: x <= 1.0,
               lambda x: 1 < x, lambda x: x >= 2, lambda x: (x > 0) & (x < 2),
               lambda x: (x > 0) | (x < -0.5), lambda x: ~(x > 0), lambda x: (x > 0) ^ (x > 1)):
        run_both(fn, fn, [a], grad=False)


def test_bitwise_on_floats_is_an_error():
    x = lamina.ones(2)
    with pytest.raises(RuntimeError, match="bitwise_and.*float32"):
        x & x
    with pytest.raises(RuntimeError):
        torch.ones(2) & torch.ones(2)
    with pytest.raises(RuntimeError, match="bitwise_not"):
        _ = ~x


def test_maximum_minimum_ties_split_the_gradient():
    a = np.array([1.0, 2.0, 3.0, 2.0], np.float32)
    b = np.array([1.0, 1.0, 3.0, 5.0], np.float32)
    run_both(lamina.maximum, torch.maximum, [a, b])
    run_both(lamina.minimum, torch.minimum, [a, b])
    run_both(lambda x, y: x.max(y), lambda x, y: x.max(y), [a, b])


def test_clamp_on_the_bounds_and_crossed_bounds():
    a = np.array([-1.0, 0.0, 0.5, 1.0, 2.0], np.float32)
    run_both(lambda x: x.clamp(0.0, 1.0), lambda x: x.clamp(0.0, 1.0), [a])
    run_both(lambda x: x.clamp(1.0, 0.0), lambda x: x.clamp(1.0, 0.0), [a])
    low = np.array([0.0, 0.0, 1.0, 1.0, 3.0], np.float32)
    high = np.array([1.0, -1.0, 2.0, 1.0, 2.5], np.float32)
    run_both(lambda x, lo, hi: x.clamp(lo, hi), lambda x, lo, hi: x.clamp(lo, hi), [a, low, high])
    run_both(lambda x, hi: torch_or_lamina(x).clamp(max=hi),
             lambda x, hi: x.clamp(max=hi), [a, high])


def torch_or_lamina(x):
    return x


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="clamp.*min.*max"):
        lamina.ones(2).clamp()


def test_clamp_of_ints_with_float_bound_gives_float():
    a = np.array([1, 2, 3])
    run_both(lambda x: x.clamp(min=1.5), lambda x: x.clamp(min=1.5), [a], grad=False)
    run_both(lambda x: x.clamp(0, 2), lambda x: x.clamp(0, 2), [a], grad=False)


@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
def test_integer_division_is_exact(mode):
    a = np.array([7, -7, 7, -7, 2**53 + 1, 0], np.int64)
    b = np.array([2, 2, -2, -2, 1, 3], np.int64)
    run_both(lambda x, y: lamina.div(x, y, rounding_mode=mode),
             lambda x, y: torch.div(x, y, rounding_mode=mode), [a, b], grad=False)
    run_both(lambda x: x // 3, lambda x: x // 3, [a], grad=False)
    run_both(lambda x, y: x % y, lambda x, y: x % y, [a, b], grad=False)


def test_div_rejects_an_unknown_rounding_mode():
    with pytest.raises(ValueError, match="rounding_mode.*'round'"):
        lamina.div(lamina.ones(2), 2, rounding_mode="round")


def test_pow_edge_cases():
    base = np.array([0.0, 0.0, 2.0, 3.0], np.float64)
    exponent = np.array([0.0, 2.0, 0.0, -1.0], np.float64)
    run_both(lamina.pow, torch.pow, [base, exponent])
    run_both(lambda x: x**0, lambda x: x**0, [base])
    run_both(lambda x: x.pow(1), lambda x: x.pow(1), [base])
    ints = np.array([1, 2, 3])
    run_both(lambda x: x**2, lambda x: x**2, [ints], grad=False)
    run_both(lambda x: x**0.5, lambda x: x**0.5, [ints], grad=False)
    run_both(lambda x: 2**x, lambda x: 2**x, [ints], grad=False)
    with pytest.raises(RuntimeError, match="negative"):
        lamina.tensor(ints) ** -1
    with pytest.raises(RuntimeError):
        torch.tensor(ints) ** -1


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_does_not_overflow(dtype):
    a = np.array([-1e4, -100.0, -20.0, -12.0, 0.0, 3.0, 100.0, 1e4]).astype(dtype)
    with np.errstate(over="raise", invalid="raise"):
        run_both(lamina.sigmoid, torch.sigmoid, [a], grad=dtype != np.float16)


def test_sub_and_neg_of_bool_are_errors():
    mask = lamina.tensor([True, False])
    with pytest.raises(RuntimeError, match="logical_xor"):
        mask - mask
    with pytest.raises(RuntimeError, match="logical_not"):
        _ = -mask


@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "maximum", "pow", "eq"])
def test_broadcast_error_names_op_and_shapes(op):
    a, b = lamina.ones(2, 3), lamina.ones(4)
    with pytest.raises(RuntimeError, match=rf"{op}: shapes \(2, 3\) and \(4,\) cannot be "):
        getattr(lamina, op)(a, b)
    with pytest.raises(RuntimeError):
        getattr(torch, op)(torch.ones(2, 3), torch.ones(4))


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        lamina.ones(2) + "a"
    with pytest.raises(TypeError):
        torch.ones(2) + "a"


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "logical_not"])
def test_predicates(name):
    a = np.array([0.0, np.nan, np.inf, -np.inf, 1.5], np.float32)
    run_both(getattr(lamina, name), getattr(torch, name), [a], grad=False)


def test_isclose_allclose_equal():
    a = lamina.tensor([1.0, 2.0])
    b = lamina.tensor([1.0, 2.00001])
    assert lamina.allclose(a, b) and lamina.equal(a, a) and not lamina.equal(a, b)
    assert not lamina.allclose(a, b * 1.01)
    assert_close(lamina.isclose(a, b * 1.01), torch.isclose(torch.tensor([1.0, 2.0]),
                                                            torch.tensor([1.0, 2.00001]) * 1.01))


@given(seed=seeds, shape=shapes(min_dims=1))
@settings(max_examples=10)
def test_inplace_arithmetic_matches_torch(seed, shape):
    rng = np.random.default_rng(seed)
    x, t1, t2 = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    t2 = np.abs(t2) + 0.5

    def steps(p, a, b, lib):
        p = p.clone().detach()
        with lib.no_grad():
            p.add_(a, alpha=-0.1).mul_(0.9).sub_(b, alpha=0.5).div_(1.5)
            p.addcmul_(a, b, value=0.25).addcdiv_(a, b, value=-0.5)
            p += 1
            p *= b
            p -= a
            p /= 2
            p.clamp_(-0.3, 0.3)
            p.copy_(p * 2)
        return p

    run_both(lambda *v: steps(*v, lamina), lambda *v: steps(*v, torch), [x, t1, t2], grad=False)


def test_inplace_keeps_dtype_and_identity():
    x = lamina.zeros(3)
    y = x.add_(1)
    assert y is x and x.dtype == lamina.float32
    x.mul_(lamina.tensor([2.0], dtype=lamina.float64))  # the result is cast back, as in torch
    assert x.dtype == lamina.float32 and x.tolist() == [2.0, 2.0, 2.0]
    ints = lamina.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.div_(2)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).div_(2)


def test_inplace_on_a_leaf_requiring_grad_is_an_error():
    w = lamina.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1)
    with lamina.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0]


def test_inplace_ops_are_differentiable_on_non_leaves():
    a = np.array([0.5, -1.0, 2.0], np.float32)

    def fn(x):
        y = x * x
        y.add_(x, alpha=2).clamp_(-1, 3).mul_(2).sub_(x).div_(3)
        return y

    run_both(fn, fn, [a])


def test_inplace_ops_whose_backward_needs_the_old_values():
    a = np.array([0.5, -1.0, 2.0], np.float32)

    def chain(step):
        def fn(x):
            y = x * 1
            step(y, x)
            return y
        return fn

    steps = [lambda y, x: y.mul_(x), lambda y, x: y.div_(x), lambda y, x: y.div_(y + 3),
             lambda y, x: y.addcdiv_(x, y + 5, value=2), lambda y, x: y.mul_(x).mul_(x)]
    for step in steps:
        run_both(chain(step), chain(step), [a])
    # torch refuses these two (the target is also an operand); lamina keeps a copy, and
    # finite differences confirm the gradient
    x = lamina.tensor(a.astype(np.float64), requires_grad=True)
    for step in (lambda y, x: y.mul_(y), lambda y, x: y.addcmul_(y, x, value=2)):
        assert lamina.autograd.gradcheck(chain(step), [x])


def test_overwriting_a_tensor_that_backward_needs_raises():
    x = lamina.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * x  # Mul saved y's values for x's gradient
    y.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


def test_copy_broadcasts_and_casts():
    dst = lamina.zeros(2, 3)
    dst.copy_(lamina.tensor([1, 2, 3]))
    assert dst.dtype == lamina.float32 and dst.tolist() == [[1, 2, 3], [1, 2, 3]]


@pytest.mark.parametrize("size", [10, 5000], ids=["small", "large"])  # two code paths
def test_relu_and_clamp_paths_agree_with_torch(size):
    a = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    a[:3] = [np.nan, 0.5, -0.5]
    with_nan = [lambda t: t.relu(), lambda t: t.clamp(-0.2, 0.3), lambda t: t.clamp(max=0.1),
                lambda t: t.clamp(0.3, -0.2), lambda t: t.clone().clamp_(-0.2, 0.3)]
    for fn in with_nan:
        run_both(fn, fn, [a], grad=False)
    finite = a.copy()
    finite[0] = 1.0
    for fn in with_nan[:4]:
        run_both(fn, fn, [finite])


@pytest.mark.filterwarnings("error")  # torch is silent here; so must lamina be
def test_inf_and_nan_results_raise_no_numpy_warnings():
    zero = np.array([0.0, 1.0, -1.0], np.float32)
    calls = [lambda t: t / 0, lambda t: 1 / t, lambda t: t.log(), lambda t: (t * 100).exp(),
             lambda t: t.reciprocal(), lambda t: t.rsqrt(), lambda t: t.sqrt(),
             lambda t: t.log1p() - 1, lambda t: t ** -1, lambda t: t % 0]
    for fn in calls:
        run_both(fn, fn, [zero], grad=False)
    positive = np.array([0.0, 1.0, 4.0], np.float32)
    for fn in (lambda t: t.sqrt(), lambda t: t / t, lambda t: t.log()):
        run_both(fn, fn, [positive])  # gradients at 0: inf or nan, quietly, in both
