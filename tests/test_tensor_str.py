"""Tensor.__repr__ against torch's text for the same values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lamina


def same_repr(array: np.ndarray) -> None:
    expected = repr(torch.from_numpy(array.copy()))
    got = repr(lamina.from_numpy(array.copy())).replace("lamina", "torch")
    assert got == expected


FLOAT_ELEMENTS = st.one_of(
    st.floats(-1e3, 1e3, width=32),
    st.integers(-50, 50).map(float),  # integer-valued floats print as `3.`
    st.floats(-1e12, 1e12).map(lambda v: float(np.float32(v))),  # into scientific mode
    st.sampled_from([0.0, -0.0, float("nan"), float("inf"), -float("inf"), 2.0**-24]),
)


@given(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                  hnp.array_shapes(min_dims=0, max_dims=3, max_side=7), elements=FLOAT_ELEMENTS))
def test_float_repr_matches_torch(array):
    same_repr(array)


@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8, np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=3, max_side=7)))
def test_integer_and_bool_repr_matches_torch(array):
    same_repr(array)


@pytest.mark.parametrize("shape", [(1001,), (40, 50), (3, 400), (11, 12, 13), (2, 1, 600)])
def test_summarised_repr_matches_torch(shape):
    rng = np.random.default_rng(0)
    same_repr((rng.standard_normal(shape) * 10).astype(np.float32))
    same_repr(np.arange(int(np.prod(shape))).reshape(shape))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_empty_repr_matches_torch(shape, dtype):
    same_repr(np.zeros(shape, dtype))


def test_wide_rows_wrap_at_80_columns_like_torch():
    same_repr(np.linspace(-3, 3, 50, dtype=np.float32))
    same_repr(np.linspace(-3, 3, 60, dtype=np.float32).reshape(2, 30) * 1e5)


def test_autograd_suffixes_match_torch():
    data = np.array([[0.1, 0.2], [1.5, -3.0]], np.float32)
    x, tx = lamina.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    pairs = [
        (x, tx), (x + 1, tx + 1), (x * 2, tx * 2), (x.sum(), tx.sum()), (x - x, tx - tx),
        (x.exp(), tx.exp()), (x.relu(), tx.relu()), (x.tanh(), tx.tanh()),
        (x.double(), tx.double()),
    ]
    for ours, theirs in pairs:
        assert repr(ours).replace("lamina", "torch") == repr(theirs)


def test_long_suffix_moves_to_its_own_line_like_torch():
    data = np.linspace(0, 1, 14).astype(np.float64)
    ours = repr(lamina.tensor(data, requires_grad=True) * 2).replace("lamina", "torch")
    assert ours == repr(torch.tensor(data, requires_grad=True) * 2)


def test_user_function_node_is_named_like_torch():
    class Double(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Double.apply(lamina.ones(2, requires_grad=True))
    assert repr(y) == "tensor([2., 2.], grad_fn=<DoubleBackward>)"


def test_str_and_format_of_scalars():
    x = lamina.tensor(2.5)
    assert str(x) == repr(x) == "tensor(2.5000)"
    assert f"{x:.2f}" == "2.50"
    assert repr(lamina.Size([1, 10])) == "lamina.Size([1, 10])"


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int8,
                                   np.uint8])
def test_random_scales_and_shapes_match_torch(dtype):
    rng = np.random.default_rng(np.dtype(dtype).num)
    for _ in range(150):
        shape = tuple(rng.integers(0, 6, size=rng.integers(0, 4)))
        values = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6)
        with np.errstate(over="ignore", invalid="ignore"):
            same_repr(np.asarray(values).astype(dtype))


@pytest.mark.parametrize("options", [dict(precision=2), dict(profile="short"),
                                     dict(threshold=5), dict(edgeitems=1, threshold=10),
                                     dict(linewidth=40), dict(sci_mode=True),
                                     dict(sci_mode=False), dict(profile="full")], ids=repr)
def test_set_printoptions_matches_torch(options):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((4, 30)).astype(np.float32) * 1e-3,
              np.arange(40).reshape(5, 8), rng.standard_normal(1200).astype(np.float32)]
    try:
        lamina.set_printoptions(**options)
        torch.set_printoptions(**options)
        for array in arrays:
            same_repr(array)
    finally:
        lamina.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_unknown_print_profile_is_a_value_error():
    with pytest.raises(ValueError, match="profile 'tiny'"):
        lamina.set_printoptions(profile="tiny")
