"""Matrix products against torch in every rank combination, with gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests._ops.optable import DTYPES, run_both, seeds

import lamina
from lamina._ops.linalg import linear


def _x(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def matmul_shapes(draw):
    """Two shapes matmul accepts: 1-D vectors, matrices, broadcast batch dims."""
    n, k, m = (draw(st.integers(1, 5)) for _ in range(3))
    rank_a, rank_b = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(st.lists(st.integers(1, 3), min_size=2, max_size=2))
    ones = draw(st.lists(st.booleans(), min_size=2, max_size=2))
    batch_a = [1 if o else b for o, b in zip(ones, batch)][: max(rank_a - 2, 0)]
    batch_b = batch[: max(rank_b - 2, 0)]
    a = (k,) if rank_a == 1 else tuple(batch_a[::-1]) + (n, k)
    b = (k,) if rank_b == 1 else tuple(batch_b[::-1]) + (k, m)
    return a, b


@given(pair=matmul_shapes(), dtype=DTYPES, seed=seeds)
@settings(max_examples=40)
def test_matmul_matches_torch(pair, dtype, seed):
    arrays = [_x(pair[0], dtype, seed), _x(pair[1], dtype, seed + 1)]
    run_both(lambda a, b: a @ b, lambda a, b: a @ b, arrays, seed=seed)
    run_both(lamina.matmul, torch.matmul, arrays, seed=seed)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                    ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 3), (2, 3, 4)),
                                    ((2, 1, 2, 3), (3, 3, 2))], ids=str)
def test_matmul_gradcheck(shapes):
    a, b = (lamina.tensor(_x(s, np.float64, i), requires_grad=True) for i, s in enumerate(shapes))
    assert lamina.autograd.gradcheck(lamina.matmul, [a, b])


def test_mm_bmm_mv_dot():
    a, b = _x((2, 3)), _x((3, 4), seed=1)
    run_both(lamina.mm, torch.mm, [a, b])
    run_both(lambda x, y: x.mm(y), lambda x, y: x.mm(y), [a, b])
    run_both(lamina.bmm, torch.bmm, [_x((2, 2, 3)), _x((2, 3, 4), seed=1)])
    run_both(lamina.mv, torch.mv, [a, _x((3,), seed=1)])
    run_both(lamina.dot, torch.dot, [_x((3,)), _x((3,), seed=1)])
    run_both(lambda x, y: x.matmul(y), lambda x, y: x.matmul(y), [a, b])


def test_matmul_of_integers():
    a, b = np.arange(6).reshape(2, 3), np.arange(3)
    run_both(lamina.matmul, torch.matmul, [a, b], grad=False)


@pytest.mark.parametrize("input_shape", [(4, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(input_shape, bias):
    arrays = [_x(input_shape), _x((2, 3), seed=1)] + ([_x((2,), seed=2)] if bias else [])
    run_both(linear, torch.nn.functional.linear, arrays)
    doubles = [lamina.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert lamina.autograd.gradcheck(linear, doubles)


MATMUL_ERRORS = [
    ("inner", lambda lib: lib.matmul(lib.ones(1, 512), lib.ones(2048, 10)),
     r"matmul: cannot multiply shapes \(1, 512\) and \(2048, 10\): 512 != 2048"),
    ("vector", lambda lib: lib.matmul(lib.ones(3), lib.ones(4)), r"\(3,\) and \(4,\): 3 != 4"),
    ("batch", lambda lib: lib.matmul(lib.ones(2, 2, 3), lib.ones(3, 3, 4)), "batch dim"),
    ("scalar", lambda lib: lib.matmul(lib.ones(()), lib.ones(3)), "1 dimension"),
    ("dtype", lambda lib: lib.matmul(lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64)),
     "same dtype.*float32.*float64"),
    ("mm-rank", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3)), "mm.*2-D"),
    ("bmm-rank", lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(3, 2)), "bmm.*3-D"),
    ("bmm-batch", lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 2)), "bmm.*batch"),
    ("dot", lambda lib: lib.dot(lib.ones(2, 3), lib.ones(3)), "1D"),
    ("linear", lambda lib: (linear if lib is lamina else torch.nn.functional.linear)(
        lib.ones(8, 2048), lib.ones(10, 512)), r"linear.*\(8, 2048\).*2048 != 512"),
]


@pytest.mark.parametrize("name, fn, pattern", MATMUL_ERRORS, ids=[e[0] for e in MATMUL_ERRORS])
def test_matmul_errors(name, fn, pattern):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError, match=pattern):
        fn(lamina)


def test_matmul_with_a_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="list"):
        lamina.ones(2, 2) @ [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError):
        torch.matmul(torch.ones(2, 2), [[1.0, 2.0], [3.0, 4.0]])
