"""The op table: every lamina op declared once with its torch twin and its input domain.

Test files sweep these tables with hypothesis (shapes, broadcasting, dims, keepdim) and run
`run_both`, which compares shape, dtype, values and every input gradient with real torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.helpers import assert_close

import lamina

# ---------------------------------------------------------------- input domains
# Each draws float64 values; the test casts them to the dtype under test. Domains keep
# inputs away from points where the op is not differentiable (0 for abs, bounds for clamp).


def _real(rng, shape):
    return rng.standard_normal(shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _nonzero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


DOMAINS = {"real": _real, "positive": _positive, "nonzero": _nonzero, "unit": _unit}


@dataclass(frozen=True)
class Op:
    """One op: `name` is looked up on lamina/torch and on Tensor unless functions are given."""

    name: str
    domains: tuple = ("real",)
    kwargs: dict = field(default_factory=dict)
    lamina_fn: object = None
    torch_fn: object = None
    method: bool = True
    differentiable: bool = True
    rtol: float | None = None

    @property
    def arity(self):
        return len(self.domains)

    def forms(self):
        """(form name, lamina callable, torch callable) for the function and method forms."""
        ours = self.lamina_fn or _function(lamina, self.name, self.kwargs)
        theirs = self.torch_fn or _function(torch, self.name, self.kwargs)
        yield "function", ours, theirs
        if self.method and self.lamina_fn is None:
            yield "method", _method(self.name, self.kwargs), _method(self.name, self.kwargs)

    def inputs(self, rng, shapes, dtype):
        return [DOMAINS[d](rng, s).astype(dtype) for d, s in zip(self.domains, shapes)]


def _function(module, name, kwargs):
    target = getattr(module, name)
    return lambda *args: target(*args, **kwargs)


def _method(name, kwargs):
    return lambda first, *args: getattr(first, name)(*args, **kwargs)


def forms(table):
    """pytest params: one per (op, form)."""
    import pytest

    return [
        pytest.param(op, ours, theirs, id=f"{op.name}{_kw(op)}-{form}")
        for op in table
        for form, ours, theirs in op.forms()
    ]


def _kw(op):
    return "".join(f"[{k}={v}]" for k, v in op.kwargs.items())


UNARY_OPS = [
    Op("exp"),
    Op("log", ("positive",)),
    Op("log1p", ("positive",)),
    Op("sqrt", ("positive",)),
    Op("rsqrt", ("positive",)),
    Op("abs", ("nonzero",)),
    Op("neg"),
    Op("sign", ("nonzero",)),
    Op("sin"),
    Op("cos"),
    Op("tanh"),
    Op("sigmoid"),
    Op("relu", ("nonzero",)),
    Op("reciprocal", ("nonzero",)),
    Op("square"),
    Op("floor"),
    Op("ceil"),
    Op("round"),
    Op("trunc"),
    Op("frac"),
    Op("pow", kwargs={"exponent": 2}),
    Op("pow", ("positive",), kwargs={"exponent": 0.5}),
    Op("pow", ("nonzero",), kwargs={"exponent": -1.5}, lamina_fn=lambda x: x.abs() ** -1.5,
       torch_fn=lambda x: x.abs() ** -1.5),
    Op("clamp", kwargs={"min": -0.5, "max": 0.7}),
    Op("clamp", kwargs={"min": 0.1}),
    Op("clamp", kwargs={"max": 0.1}),
    Op("clamp_min", kwargs={"min": 0.2}, method=False),
    Op("rsub_scalar", lamina_fn=lambda x: 2.5 - x, torch_fn=lambda x: 2.5 - x),
    Op("rdiv_scalar", ("nonzero",), lamina_fn=lambda x: 2 / x, torch_fn=lambda x: 2 / x),
    Op("rpow_scalar", lamina_fn=lambda x: 2**x, torch_fn=lambda x: 2**x),
    Op("scalar_ops", lamina_fn=lambda x: (x * 3 - 1.5) / 4 + 2,
       torch_fn=lambda x: (x * 3 - 1.5) / 4 + 2),
]

BINARY_OPS = [
    Op("add", ("real", "real")),
    Op("add", ("real", "real"), kwargs={"alpha": 0.5}),
    Op("sub", ("real", "real")),
    Op("sub", ("real", "real"), kwargs={"alpha": 2}),
    Op("mul", ("real", "real")),
    Op("div", ("real", "nonzero")),
    Op("div", ("real", "nonzero"), kwargs={"rounding_mode": "floor"}),
    Op("div", ("real", "nonzero"), kwargs={"rounding_mode": "trunc"}),
    Op("pow", ("positive", "real")),
    Op("maximum", ("real", "real")),
    Op("minimum", ("real", "real")),
    Op("remainder", ("real", "nonzero")),
    Op("fmod", ("real", "nonzero")),
    Op("floor_divide", ("real", "nonzero"), differentiable=False),  # torch: not implemented
    Op("operators", ("real", "nonzero"),
       lamina_fn=lambda a, b: (a + b) * a - b / a + a**2 - (-b),
       torch_fn=lambda a, b: (a + b) * a - b / a + a**2 - (-b)),
    Op("clamp_tensor_bounds", ("real", "real"),
       lamina_fn=lambda a, b: lamina.clamp(a, min=b, max=b + 0.5),
       torch_fn=lambda a, b: torch.clamp(a, min=b, max=b + 0.5)),
    Op("clamp_min_tensor", ("real", "real"),
       lamina_fn=lambda a, b: a.clamp(min=b), torch_fn=lambda a, b: a.clamp(min=b)),
    Op("clamp_crossed_bounds", ("real", "real"),
       lamina_fn=lambda a, b: a.clamp(b + 0.5, b), torch_fn=lambda a, b: a.clamp(b + 0.5, b)),
    Op("where", ("real", "real"),
       lamina_fn=lambda a, b: lamina.where(a > b, a, b * 2),
       torch_fn=lambda a, b: torch.where(a > b, a, b * 2)),
    Op("where_method", ("real", "real"),
       lamina_fn=lambda a, b: a.where(b > 0, b), torch_fn=lambda a, b: a.where(b > 0, b)),
]

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]


# ---------------------------------------------------------------- hypothesis strategies
DTYPES = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**32 - 1)


def shapes(min_dims=0, max_dims=4, min_side=1, max_side=5):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_pairs(max_dims=4):
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                             max_side=4).map(lambda s: s.input_shapes)


@st.composite
def dims(draw, ndim, multiple=False, allow_none=True):
    """A valid dim for a tensor of `ndim` dims: int (maybe negative), tuple, or None."""
    size = max(ndim, 1)
    choices = [None] if allow_none else []
    one = draw(st.integers(-size, size - 1))
    if multiple and ndim:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        negate = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
        choices.append(tuple(a - ndim if n else a for a, n in zip(axes, negate)))
    choices.append(one)
    return draw(st.sampled_from(choices))


# ---------------------------------------------------------------- the torch oracle
def _outputs(result):
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def run_both(ours_fn, theirs_fn, arrays, grad=True, seed=0, rtol=None):
    """Run both libraries on copies of `arrays`; compare outputs, then every input gradient.

    Returns the lamina outputs so callers can assert more.
    """
    ours_in = [lamina.tensor(a.copy()) for a in arrays]
    theirs_in = [torch.tensor(a.copy()) for a in arrays]
    if grad:
        for t in ours_in + theirs_in:
            if t.is_floating_point():
                t.requires_grad_(True)
    ours = _outputs(ours_fn(*ours_in))
    theirs = _outputs(theirs_fn(*theirs_in))
    assert len(ours) == len(theirs), f"{len(ours)} outputs, torch gives {len(theirs)}"
    for o, t in zip(ours, theirs):
        assert isinstance(o, lamina.Tensor), f"got {type(o).__name__}, torch gives a Tensor"
        assert_close(o, t, rtol=rtol)
    if not grad:
        return ours
    assert [o.requires_grad for o in ours] == [t.requires_grad for t in theirs], (
        "requires_grad of the outputs differs from torch's")
    pairs = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad]
    if not pairs:
        return ours
    rng = np.random.default_rng(seed + 1)
    projections = [rng.standard_normal(t.shape).astype(o.numpy(force=True).dtype)
                   for o, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(p) for p in projections])
    lamina.autograd.backward([o for o, _ in pairs], [lamina.tensor(p) for p in projections])
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert o.grad is None or not o.grad.numpy().any(), f"input {i}: torch has no grad"
        else:
            assert o.grad is not None, f"input {i}: no gradient, torch has one"
            assert_close(o.grad, t.grad, rtol=rtol)
    return ours
