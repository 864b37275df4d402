"""Reductions against torch over random shapes, dims (negative, tuples) and keepdim."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests._ops.optable import DOMAINS, DTYPES, dims, run_both, seeds, shapes

import lamina


class Reduction:
    """A reduction called as f(x, dim, keepdim, **kwargs) in both libraries.

    `dim_kind` is "multi" (int, tuple or None), "single" (int or None) or "required" (int).
    """

    def __init__(self, name, dim_kind="multi", domain="real", keepdim=True, grad=True,
                 **kwargs):
        self.name, self.dim_kind, self.domain = name, dim_kind, domain
        self.keepdim, self.grad, self.kwargs = keepdim, grad, kwargs

    def __repr__(self):
        return self.name + "".join(f"[{k}={v}]" for k, v in self.kwargs.items())

    def call(self, module, x, dim, keepdim, method):
        kwargs = dict(self.kwargs)
        if dim is not None:
            kwargs["dim"] = dim
        if self.keepdim and dim is not None:
            kwargs["keepdim"] = keepdim
        if method:
            return getattr(x, self.name)(**kwargs)
        return getattr(module, self.name)(x, **kwargs)


REDUCTIONS = [
    Reduction("sum"),
    Reduction("mean"),
    Reduction("var"),
    Reduction("var", unbiased=False),
    Reduction("var", correction=0),
    Reduction("var", correction=2),
    Reduction("std"),
    Reduction("std", unbiased=False),
    Reduction("std", correction=0),
    Reduction("amax"),
    Reduction("amin"),
    Reduction("max", dim_kind="single"),
    Reduction("min", dim_kind="single"),
    Reduction("prod", dim_kind="single"),
    Reduction("cumsum", dim_kind="required", keepdim=False),
    Reduction("logsumexp", dim_kind="required-multi"),
    Reduction("norm"),
    Reduction("norm", p=1),
    Reduction("norm", p=3),
    Reduction("norm", p=math.inf),
    Reduction("norm", p=-math.inf),
    Reduction("norm", domain="nonzero", p=0.5),
    Reduction("argmax", dim_kind="single", grad=False),
    Reduction("argmin", dim_kind="single", grad=False),
]


@pytest.mark.parametrize("method", [False, True], ids=["function", "method"])
@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
@settings(max_examples=10)
@given(data=st.data(), shape=shapes(), dtype=DTYPES, seed=seeds, keepdim=st.booleans())
def test_reduction_matches_torch(op, method, data, shape, dtype, seed, keepdim):
    if op.dim_kind.startswith("required"):
        dim = data.draw(dims(len(shape), multiple=op.dim_kind.endswith("multi"),
                             allow_none=False))
    else:
        dim = data.draw(dims(len(shape), multiple=op.dim_kind == "multi"))
    if op.name == "norm" and isinstance(dim, tuple) and len(dim) > 2:
        dim = dim[:2]  # torch.norm reads 3 dims as a (refused) matrix norm
    if op.kwargs.get("correction", 1) > 1:
        reduced = math.prod(shape) if dim is None else math.prod(
            shape[d] for d in ((dim,) if isinstance(dim, int) else dim)) if shape else 1
        # with too few elements torch's results differ between its own code paths
        assume(reduced > op.kwargs["correction"])
    x = DOMAINS[op.domain](np.random.default_rng(seed), shape).astype(dtype)
    run_both(lambda t: op.call(lamina, t, dim, keepdim, method),
             lambda t: op.call(torch, t, dim, keepdim, method), [x], grad=op.grad, seed=seed)


@pytest.mark.parametrize("op", [r for r in REDUCTIONS if r.grad], ids=repr)
def test_gradcheck(op):
    x = lamina.tensor(DOMAINS[op.domain](np.random.default_rng(1), (3, 4)),
                      requires_grad=True)
    assert lamina.autograd.gradcheck(lambda t: op.call(lamina, t, 1, False, False), [x])
    if op.dim_kind == "multi":
        assert lamina.autograd.gradcheck(lambda t: op.call(lamina, t, (0, -1), True, False), [x])


def test_max_min_with_dim_return_named_tuples():
    x = lamina.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    out = x.max(dim=1)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == lamina.int64
    low = lamina.min(x, 0, keepdim=True)
    assert low.values.shape == (1, 3) and low.indices.tolist() == [[0, 1, 0]]
    assert type(out).__name__ == "max" and type(low).__name__ == "min"
    t = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    for ours, theirs in ((out, t.max(dim=1)), (lamina.min(x, 1), torch.min(t, 1))):
        assert repr(ours).replace("lamina", "torch") == repr(theirs)


def test_extremes_with_ties_match_torch():
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    for fn in ("amax", "amin"):
        run_both(lambda t, f=fn: getattr(t, f)(1), lambda t, f=fn: getattr(t, f)(1), [x])
    run_both(lambda t: t.max(), lambda t: t.max(), [x])  # shared evenly among the ties
    run_both(lambda t: t.min(), lambda t: t.min(), [x])
    run_both(lambda t: t.max(1), lambda t: t.max(1), [x])  # the first index gets it
    run_both(lambda t: t.argmax(1), lambda t: t.argmax(1), [x], grad=False)
    run_both(lambda t: t.argmin(), lambda t: t.argmin(), [x], grad=False)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [0.0] * 4])
def test_prod_gradient_with_zeros(values):
    x = np.array(values, np.float64).reshape(2, 2)
    run_both(lambda t: t.prod(), lambda t: t.prod(), [x])
    run_both(lambda t: t.prod(1, keepdim=True), lambda t: t.prod(1, keepdim=True), [x])
    run_both(lambda t: t.prod(0), lambda t: t.prod(0), [x.astype(np.float32)])


def test_logsumexp_is_stable():
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [-np.inf, -np.inf, -np.inf]], np.float32)
    out = run_both(lambda t: lamina.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), [x],
                   grad=False)
    assert out[0].dtype == lamina.float32
    # torch's float32 gradient, exp(x - result), inherits the rounding of a result near 1e4
    # (float32 spacing 1e-3 there); in float64 both are exact
    run_both(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), [x[:1].astype(np.float64)])
    x32 = lamina.tensor(x[:1], requires_grad=True)
    x32.logsumexp(1).sum().backward()
    softmax = np.exp(x[:1].astype(np.float64) - x[:1].max()) / np.exp(x[:1] - x[:1].max()).sum()
    np.testing.assert_allclose(x32.grad.numpy(), softmax, rtol=1e-6)


def test_norm_of_zero_vector_has_zero_gradient():
    x = np.zeros((2, 3), np.float32)
    run_both(lambda t: t.norm(), lambda t: t.norm(), [x])
    run_both(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), [x])


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_integer_reductions_give_int64(name, dtype):
    x = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
    run_both(lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(1), [x], grad=False)
    if name != "cumsum":
        run_both(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x], grad=False)


def test_sum_mean_with_dtype_and_empty_dims():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    run_both(lambda t: t.sum(dtype=lamina.float64), lambda t: t.sum(dtype=torch.float64), [x])
    run_both(lambda t: t.mean(dim=()), lambda t: t.mean(dim=()), [x])
    run_both(lambda t: t.sum(dim=[]), lambda t: t.sum(dim=[]), [x])
    ints = np.arange(6).reshape(2, 3)
    run_both(lambda t: t.sum(1, dtype=lamina.float32), lambda t: t.sum(1, dtype=torch.float32),
             [ints], grad=False)


def test_reductions_of_empty_tensors():
    x = np.zeros((0, 3), np.float32)
    for fn in (lambda t: t.sum(), lambda t: t.sum(0), lambda t: t.prod(0), lambda t: t.amax(1),
               lambda t: t.max(1).values, lambda t: t.logsumexp(0), lambda t: t.cumsum(0)):
        run_both(fn, fn, [x], grad=False)


@pytest.mark.parametrize("name", ["max", "argmax", "amax"])
def test_reducing_an_empty_dim_is_an_error(name):
    x = lamina.zeros(0, 3)
    with pytest.raises((RuntimeError, IndexError)) as ours:
        getattr(x, name)(0)
    with pytest.raises((RuntimeError, IndexError)) as theirs:
        getattr(torch.zeros(0, 3), name)(0)
    assert ours.type is theirs.type and "(0, 3)" in str(ours.value)


def test_var_std_forms():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    forms = [lambda t: t.var(1, True), lambda t: t.var(0, False, True), lambda t: t.var(False),
             lambda t: t.std(1, keepdim=True, correction=0), lambda t: t.std(unbiased=True),
             lambda t: t.var(dim=(0, 1), correction=5)]
    for fn in forms:
        run_both(fn, fn, [x])
    for fn in (lambda t, lib: lib.var_mean(t, 1), lambda t, lib: lib.std_mean(t, 0, True)):
        run_both(lambda t, f=fn: f(t, lamina), lambda t, f=fn: f(t, torch), [x])


@pytest.mark.parametrize("values", [[1.5], [1.0, 2.0], [1.0, 2.0, 4.0]])
@pytest.mark.filterwarnings("ignore:var")
def test_var_with_too_few_elements_matches_torch(values):
    x = np.array(values, np.float32)
    for fn in (lambda t: t.var(), lambda t: t.var(correction=2), lambda t: t.std(correction=5)):
        run_both(fn, fn, [x], grad=False)  # torch's infinite gradients here have odd signs


def test_all_any_count_nonzero():
    x = np.array([[True, False, True], [True, True, True]])
    for fn in (lambda t: t.all(), lambda t: t.any(1), lambda t: t.all(1, keepdim=True),
               lambda t: t.count_nonzero(), lambda t: t.count_nonzero(0)):
        run_both(fn, fn, [x], grad=False)


def test_mean_of_integers_is_an_error():
    with pytest.raises(RuntimeError, match=r"mean\(\).*int64.*Hint"):
        lamina.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).mean()


@pytest.mark.parametrize("call", [lambda t: t.sum(2), lambda t: t.max(-3),
                                  lambda t: t.cumsum(5), lambda t: t.mean((0, 0))])
def test_bad_dim_is_an_error(call):
    with pytest.raises((IndexError, RuntimeError)) as ours:
        call(lamina.zeros(2, 3))
    with pytest.raises((IndexError, RuntimeError)) as theirs:
        call(torch.zeros(2, 3))
    assert ours.type is theirs.type
    assert "dim" in str(ours.value).lower()


def test_reductions_keep_float32():
    x = lamina.randn(3, 4)
    for out in (x.sum(), x.mean(1), x.var(), x.std(0), x.prod(), x.cumsum(1), x.logsumexp(1),
                x.norm(), x.norm(p=3), x.amax(), x.max(1).values):
        assert out.dtype == lamina.float32
