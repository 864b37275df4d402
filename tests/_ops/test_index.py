"""Indexing against torch: t[...] reads and writes, gather/scatter_add, masks, one_hot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests._ops.optable import run_both, seeds

import lamina
from lamina.nn import functional as F


def _x(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _t(lib, values, dtype="int64"):
    return lib.tensor(values, dtype=getattr(lib, dtype))


# keys for a (3, 4, 5) tensor, as a function of the library (tensor indices need it)
KEYS = {
    "int": lambda lib: 1,
    "negative-int": lambda lib: -1,
    "slice": lambda lib: slice(1, None),
    "step": lambda lib: (slice(None), slice(None, None, 2)),
    "none": lambda lib: None,
    "ellipsis": lambda lib: (Ellipsis, 2),
    "mixed-basic": lambda lib: (0, slice(None), None, slice(1, 4)),
    "ellipsis-none": lambda lib: (None, Ellipsis, None),
    "int-tensor-repeats": lambda lib: _t(lib, [0, 2, 0, 0]),
    "list": lambda lib: [1, 0, 1],
    "2d-int-tensor": lambda lib: _t(lib, [[0, 1], [2, 2]]),
    "0d-int-tensor": lambda lib: _t(lib, 2),
    "int32-tensor": lambda lib: _t(lib, [2, 1], "int32"),
    "negative-tensor": lambda lib: _t(lib, [-1, -3]),
    "bool-mask-full": lambda lib: lib.tensor(np.arange(60).reshape(3, 4, 5) % 3 == 0),
    "bool-mask-first-dim": lambda lib: lib.tensor([True, False, True]),
    "bool-list": lambda lib: [False, True, True],
    "slice-and-tensor": lambda lib: (slice(None), _t(lib, [3, 0, 3])),
    "two-tensors": lambda lib: (_t(lib, [0, 2, 2]), _t(lib, [1, 1, 3])),
    "split-advanced": lambda lib: (_t(lib, [0, 2]), slice(None), _t(lib, [4, 4])),
    "tensor-and-int": lambda lib: (_t(lib, [1, 1]), 2),
    "ellipsis-tensor": lambda lib: (Ellipsis, _t(lib, [0, 0, 4])),
    "mask-and-slice": lambda lib: (lib.tensor([True, False, True]), slice(0, 2)),
    "broadcast-tensors": lambda lib: (_t(lib, [[0], [2]]), _t(lib, [1, 3, 3])),
}


@pytest.mark.parametrize("name", list(KEYS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_getitem_matches_torch(name, dtype):
    key = KEYS[name]
    run_both(lambda t: t[key(lamina)], lambda t: t[key(torch)], [_x((3, 4, 5), dtype)])


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_gradcheck(name):
    x = lamina.tensor(_x((3, 4, 5), np.float64), requires_grad=True)
    assert lamina.autograd.gradcheck(lambda t: t[KEYS[name](lamina)], [x])


def test_getitem_on_integer_and_bool_tensors():
    for dtype in (np.int64, np.bool_):
        x = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
        for key in (KEYS["int-tensor-repeats"], KEYS["slice"], KEYS["bool-mask-first-dim"]):
            run_both(lambda t, k=key: t[k(lamina)], lambda t, k=key: t[k(torch)], [x],
                     grad=False)


def test_repeated_indices_accumulate_gradients():
    x = lamina.zeros(3, requires_grad=True)
    x[lamina.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


@given(seed=seeds, data=st.data())
@settings(max_examples=15)
def test_random_integer_indices(seed, data):
    rng = np.random.default_rng(seed)
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    index = rng.integers(-shape[0], shape[0], size=data.draw(st.integers(0, 6)))
    dim_mask = rng.random(shape) > 0.5
    run_both(lambda t: t[lamina.tensor(index)] * 2, lambda t: t[torch.tensor(index)] * 2,
             [_x(shape, seed=seed)], seed=seed)
    run_both(lambda t: t[lamina.tensor(dim_mask)], lambda t: t[torch.tensor(dim_mask)],
             [_x(shape, seed=seed)], seed=seed)


# ---------------------------------------------------------------- writes
SETS = {
    "int-scalar": (lambda lib: 1, 2.5),
    "slice-tensor": (lambda lib: (slice(None), 1), "vector3"),
    "mask": (lambda lib: lib.tensor(np.arange(12).reshape(3, 4) % 2 == 0), 0.0),
    "list": (lambda lib: [0, 2], "row"),
    "ellipsis": (lambda lib: (Ellipsis, -1), "vector3"),
    "everything": (lambda lib: slice(None), "row"),
}


def _value(lib, value, requires_grad=False):
    if isinstance(value, float):
        return value
    array = {"vector3": np.array([1.0, 2.0, 3.0], np.float32),
             "row": np.array([4.0, 5.0, 6.0, 7.0], np.float32)}[value]
    return lib.tensor(array, requires_grad=requires_grad)


@pytest.mark.parametrize("name", list(SETS))
def test_setitem_without_grad(name):
    key, value = SETS[name]

    def write(t, lib):
        t = t.detach().clone()
        t[key(lib)] = _value(lib, value)
        return t

    run_both(lambda t: write(t, lamina), lambda t: write(t, torch), [_x((3, 4))], grad=False)


@pytest.mark.parametrize("name", list(SETS))
def test_setitem_with_grad(name):
    key, value = SETS[name]
    if isinstance(value, float):
        arrays = [_x((3, 4))]
    else:
        arrays = [_x((3, 4)), _value(lamina, value).numpy()]

    def write(lib, t, *values):
        y = t * 1
        y[key(lib)] = values[0] * 2 if values else value
        return y * y

    run_both(lambda *ts: write(lamina, *ts), lambda *ts: write(torch, *ts), arrays)


def test_setitem_casts_the_value_and_bumps_the_version():
    x = lamina.zeros(3)
    x[0] = lamina.tensor(2, dtype=lamina.int64)
    x[1:] = lamina.tensor([1.5, 2.5], dtype=lamina.float64)
    assert x.dtype == lamina.float32 and x.tolist() == [2.0, 1.5, 2.5]


def test_setitem_on_a_leaf_requiring_grad_is_an_error():
    w = lamina.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 1.0
    with lamina.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0, 0.0]


# ---------------------------------------------------------------- gather, scatter, masks
@given(seed=seeds, data=st.data())
@settings(max_examples=15)
def test_gather_and_scatter_add_random(seed, data):
    rng = np.random.default_rng(seed)
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = [int(rng.integers(1, n + 1)) for n in shape]
    index_shape[dim] = int(rng.integers(1, 6))  # may exceed the size: repeats must add up
    index = rng.integers(0, shape[dim], size=index_shape)
    src = _x(index_shape, seed=seed + 1)
    run_both(lambda t: t.gather(dim, lamina.tensor(index)),
             lambda t: t.gather(dim, torch.tensor(index)), [_x(shape, seed=seed)], seed=seed)
    run_both(lambda t, s: lamina.scatter_add(t, dim, lamina.tensor(index), s),
             lambda t, s: torch.scatter_add(t, dim, torch.tensor(index), s),
             [_x(shape, seed=seed), src], seed=seed)


def test_gather_scatter_gradcheck():
    index = lamina.tensor([[0, 2, 2], [1, 1, 0]])
    x = lamina.tensor(_x((2, 3), np.float64), requires_grad=True)
    src = lamina.tensor(_x((2, 3), np.float64, 1), requires_grad=True)
    assert lamina.autograd.gradcheck(lambda t: t.gather(1, index), [x])
    assert lamina.autograd.gradcheck(lambda t, s: t.scatter_add(1, index, s), [x, src])


def test_scatter_add_in_place():
    index = np.array([[0, 1, 0]])

    def fn(t, lib):
        out = lib.zeros(2, 3)
        out.scatter_add_(0, lib.tensor(index), t)
        return out

    run_both(lambda t: fn(t, lamina), lambda t: fn(t, torch), [_x((1, 3))], grad=False)


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1), (), (2, 3, 4)])
def test_masked_fill_matches_torch(mask_shape):
    mask = np.random.default_rng(0).random(mask_shape) > 0.5
    for value in (0.5, -np.inf):
        run_both(lambda t, v=value: t.masked_fill(lamina.tensor(mask), v),
                 lambda t, v=value: t.masked_fill(torch.tensor(mask), v), [_x((3, 4))])
    run_both(lambda t, v: t.masked_fill(lamina.tensor(mask), v),
             lambda t, v: t.masked_fill(torch.tensor(mask), v),
             [_x((3, 4)), np.array(2.0, np.float32)])


def test_masked_fill_in_place_and_int_tensors():
    def fn(t, lib):
        t = t.clone()
        t.masked_fill_(t > 2, 0)
        return t

    run_both(lambda t: fn(t, lamina), lambda t: fn(t, torch), [np.arange(6).reshape(2, 3)],
             grad=False)


def test_index_select_masked_select_nonzero_where():
    x = _x((3, 4))
    index = np.array([2, 0, 2])
    run_both(lambda t: t.index_select(1, lamina.tensor(index)),
             lambda t: t.index_select(1, torch.tensor(index)), [x])
    run_both(lambda t: t.masked_select(t > 0), lambda t: t.masked_select(t > 0), [x])
    run_both(lambda t: (t > 0).nonzero(), lambda t: (t > 0).nonzero(), [x], grad=False)
    run_both(lambda t: lamina.where(t > 0), lambda t: torch.where(t > 0), [x], grad=False)
    run_both(lambda t: lamina.argwhere(t), lambda t: torch.argwhere(t), [x], grad=False)


@pytest.mark.parametrize("num_classes", [-1, 5])
def test_one_hot_matches_torch(num_classes):
    labels = np.array([[0, 3], [1, 1]])
    run_both(lambda t: F.one_hot(t, num_classes),
             lambda t: torch.nn.functional.one_hot(t, num_classes), [labels], grad=False)
    assert lamina._ops.index.one_hot is not None


# ---------------------------------------------------------------- errors
INDEX_ERRORS = [
    ("out-of-range", lambda t, lib: t[5], IndexError, r"5.*\(3, 4\)"),
    ("too-many", lambda t, lib: t[0, 0, 0], IndexError, r"\(3, 4\)"),
    ("float-index", lambda t, lib: t[lib.tensor([0.5])], IndexError, "long, int, byte or bool"),
    ("mask-shape", lambda t, lib: t[lib.tensor([True, False])], IndexError, r"\(3, 4\)"),
    ("negative-step", lambda t, lib: t[::-1], ValueError, "step.*flip"),
    ("gather-range", lambda t, lib: t.gather(1, lib.tensor([[4]])), RuntimeError,
     "gather.*4.*size 4"),
    ("gather-negative", lambda t, lib: t.gather(1, lib.tensor([[-1]])), RuntimeError,
     "gather.*-1"),
    ("gather-ndim", lambda t, lib: t.gather(1, lib.tensor([1])), RuntimeError, "gather.*dim"),
    ("scatter-dtype", lambda t, lib: t.scatter_add(0, lib.tensor([[0]]), t.double()),
     RuntimeError, "scatter_add.*float32"),
    ("scatter-range", lambda t, lib: t.scatter_add(0, lib.tensor([[3]]), t), RuntimeError,
     "scatter_add.*3"),
    ("masked-fill-dtype", lambda t, lib: t.masked_fill(lib.tensor([1, 0, 1, 0]), 1.0),
     RuntimeError, "masked_fill.*bool"),
    ("masked-fill-shape", lambda t, lib: t.masked_fill(lib.ones(2, 3).bool(), 1.0),
     RuntimeError, r"masked_fill.*\(2, 3\).*\(3, 4\)"),
    ("setitem-shape", lambda t, lib: t.__setitem__(slice(0, 2), lib.ones(2, 3)), RuntimeError,
     r"setitem.*\(2, 3\).*\(2, 4\)"),
    ("index-select-2d", lambda t, lib: t.index_select(0, lib.tensor([[0]])), IndexError,
     "index_select.*1-D"),
    ("one-hot-int32", lambda t, lib: lib.nn.functional.one_hot(lib.tensor([1], dtype=lib.int32)),
     RuntimeError, "one_hot.*int64"),
    ("one-hot-negative", lambda t, lib: lib.nn.functional.one_hot(lib.tensor([-1])),
     RuntimeError, "one_hot.*negative"),
    ("one-hot-too-big", lambda t, lib: lib.nn.functional.one_hot(lib.tensor([3]), 2),
     RuntimeError, "one_hot.*num_classes=2"),
    ("where-condition", lambda t, lib: lib.where(t, t, t), RuntimeError, "where.*bool"),
    ("index-select-range", lambda t, lib: t.index_select(0, lib.tensor([5])), IndexError,
     "index_select.*5.*size 3"),
    ("masked-select-shape", lambda t, lib: t.masked_select(lib.ones(5).bool()), RuntimeError,
     r"masked_select.*\(5,\).*\(3, 4\)"),
]


@pytest.mark.parametrize("name, fn, error, pattern", INDEX_ERRORS,
                         ids=[e[0] for e in INDEX_ERRORS])
def test_index_errors_match_torch_type(name, fn, error, pattern):
    with pytest.raises(error):
        fn(torch.zeros(3, 4), torch)
    with pytest.raises(error, match=pattern):
        fn(lamina.zeros(3, 4), lamina)


@pytest.mark.parametrize("fn", [
    lambda t, v: t.masked_fill(t > 0, 0.5) * v.sum(),
    lambda t, v: t.masked_fill(lamina.tensor([True, False, True]), v[0]),
    lambda t, v: t.index_select(0, lamina.tensor([1, 1, 0])) * v,
    lambda t, v: t.masked_select(t > 0).sum() * v,
    lambda t, v: lamina.where(t > 0, t, v),
], ids=["masked_fill", "masked_fill-value-grad", "index_select", "masked_select", "where"])
def test_masks_gradcheck(fn):
    t = lamina.tensor(_x((2, 3), np.float64), requires_grad=True)
    v = lamina.tensor(_x((3,), np.float64, 1), requires_grad=True)
    assert lamina.autograd.gradcheck(fn, [t, v])


def test_setitem_gradcheck():
    def fn(t, v):
        y = t * 1
        y[:, lamina.tensor([0, 2])] = v * 3
        y[0, 1] = v[0, 0]
        return y

    t = lamina.tensor(_x((2, 3), np.float64), requires_grad=True)
    v = lamina.tensor(_x((2, 2), np.float64, 1), requires_grad=True)
    assert lamina.autograd.gradcheck(fn, [t, v])


def test_setitem_of_a_grad_value_into_a_plain_tensor():
    def build(lib, w):
        out = lib.zeros(2, 3)
        out[0] = w * 2
        out[1, 1:] = w[:2]
        out[1] = out[1] + w.reshape(1, 3)  # a value with a leading 1 the target lacks
        return out

    run_both(lambda w: build(lamina, w), lambda w: build(torch, w), [_x((3,))])


@given(seed=seeds, data=st.data())
@settings(max_examples=15)
def test_scatter_random(seed, data):
    rng = np.random.default_rng(seed)
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = [int(rng.integers(1, n + 1)) for n in shape]
    # distinct targets along dim, so that which duplicate wins cannot matter
    index = np.argsort(rng.random(index_shape[:dim % len(shape)] + [shape[dim]]
                                  + index_shape[dim % len(shape) + 1:]), axis=dim)
    index = np.take(index, np.arange(index_shape[dim]), axis=dim)
    src = _x(index_shape, seed=seed + 1)
    run_both(lambda t, s: t.scatter(dim, lamina.tensor(index), s),
             lambda t, s: t.scatter(dim, torch.tensor(index), s),
             [_x(shape, seed=seed), src], seed=seed)
    run_both(lambda t: lamina.scatter(t, dim, lamina.tensor(index), value=2.5),
             lambda t: torch.scatter(t, dim, torch.tensor(index), value=2.5),
             [_x(shape, seed=seed)], seed=seed)


def test_one_hot_by_scatter_and_index_add():
    labels = np.array([1, 2, 0, 2])

    def one_hot(lib, y):
        return lib.zeros(4, 3).scatter_(1, y.unsqueeze(1), 1)

    run_both(lambda y: one_hot(lamina, y), lambda y: one_hot(torch, y), [labels], grad=False)
    index = np.array([0, 0, 2])
    run_both(lambda t, s: t.index_add(0, lamina.tensor(index), s, alpha=2),
             lambda t, s: t.index_add(0, torch.tensor(index), s, alpha=2),
             [_x((3, 4)), _x((3, 4), seed=1)])

    def in_place(lib, t, s):
        out = t.detach().clone()
        out.index_add_(1, lib.tensor([1, 1]), s.detach()[:, :2])
        return out

    run_both(lambda t, s: in_place(lamina, t, s), lambda t, s: in_place(torch, t, s),
             [_x((3, 4)), _x((3, 4), seed=1)], grad=False)


def test_scatter_index_add_gradcheck():
    x = lamina.tensor(_x((3, 4), np.float64), requires_grad=True)
    s = lamina.tensor(_x((2, 4), np.float64, 1), requires_grad=True)
    index = lamina.tensor([[0, 1, 2, 0], [2, 0, 1, 1]])
    assert lamina.autograd.gradcheck(lambda t, v: t.scatter(0, index, v), [x, s])
    positions = lamina.tensor([2, 2])
    assert lamina.autograd.gradcheck(lambda t, v: t.index_add(0, positions, v), [x, s])


def test_scatter_errors():
    with pytest.raises(RuntimeError, match="scatter.*float32"):
        lamina.zeros(3, 4).scatter(0, lamina.tensor([[0]]), lamina.ones(1, 1, dtype=lamina.float64))
    with pytest.raises(RuntimeError, match="scatter.*out of bounds"):
        lamina.zeros(3, 4).scatter(0, lamina.tensor([[3]]), 1.0)
    with pytest.raises(RuntimeError, match=r"index_add.*\(3, 4\)"):
        lamina.zeros(3, 4).index_add(0, lamina.tensor([0]), lamina.ones(2, 4))


def test_zero_dim_index_counts_as_one_dim_like_torch():
    def one_hot(lib):  # the target transform of torch's "Transforms" tutorial
        return lib.zeros(10, dtype=lib.float).scatter_(0, lib.tensor(3), value=1)

    run_both(lambda: one_hot(lamina), lambda: one_hot(torch), [], grad=False)
    index = np.array(2)
    run_both(lambda t: t.gather(0, lamina.tensor(index)),
             lambda t: t.gather(0, torch.tensor(index)), [_x((4,))])
    run_both(lambda t, s: t.scatter(0, lamina.tensor(index), s),
             lambda t, s: t.scatter(0, torch.tensor(index), s), [_x((4,)), _x(())])
    run_both(lambda t, s: t.scatter_add(0, lamina.tensor(index), s),
             lambda t, s: t.scatter_add(0, torch.tensor(index), s), [_x((4,)), _x(())])
    run_both(lambda t: t.scatter(0, lamina.tensor(0), 1.5),
             lambda t: t.scatter(0, torch.tensor(0), 1.5), [_x(())])
    for lib in (torch, lamina):  # only 0-d and 1-d tensors mix
        with pytest.raises(RuntimeError):
            lib.zeros(2, 3).scatter(0, lib.tensor(1), 1.0)
        with pytest.raises(RuntimeError):  # src must cover the index along dim too
            lib.zeros(4).scatter(0, lib.tensor([1, 2]), lib.tensor([5.0]))


@pytest.mark.filterwarnings("ignore:The reduce argument")
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_matches_torch(reduce):
    index = np.array([[0, 0, 2], [2, 1, 1]])
    run_both(lambda t, s: t.scatter(1, lamina.tensor(index), s, reduce=reduce),
             lambda t, s: t.scatter(1, torch.tensor(index), s, reduce=reduce),
             [_x((2, 3)), _x((2, 3), seed=1)], grad=False)
    run_both(lambda t: t.scatter(1, lamina.tensor(index), 2.0, reduce=reduce),
             lambda t: t.scatter(1, torch.tensor(index), 2.0, reduce=reduce),
             [_x((2, 3))], grad=False)
    x = lamina.ones(3, requires_grad=True)
    out = x.scatter(0, lamina.tensor([1]), 2.0, reduce=reduce)
    assert type(out.grad_fn).__name__ == "NotImplemented"  # as torch: no derivative
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        out.sum().backward()
    with pytest.raises(RuntimeError, match="add or multiply"):
        lamina.ones(3).scatter(0, lamina.tensor([1]), 2.0, reduce="sum")
