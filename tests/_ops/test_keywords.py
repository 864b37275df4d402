"""NumPy's axis=/keepdims= spellings of dim=/keepdim=, accepted where torch accepts them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests._ops.optable import run_both

import lamina

REDUCTIONS = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
              "prod", "all", "any", "logsumexp", "cumsum", "count_nonzero", "var_mean",
              "std_mean"]
KEEPDIM = {"sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
           "prod", "all", "any", "logsumexp", "var_mean", "std_mean"}


def _x(dtype=np.float64):
    return np.random.default_rng(0).uniform(0.5, 2.0, (3, 4)).astype(dtype)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("form", ["function", "method"])
def test_axis_and_keepdims_match_torch(name, form):
    if form == "method" and name in ("var_mean", "std_mean"):
        pytest.skip("torch has no such method")
    kwargs = {"axis": 1}
    if name in KEEPDIM:
        kwargs["keepdims"] = True

    def call(library):
        if form == "function":
            return lambda t: getattr(library, name)(t, **kwargs)
        return lambda t: getattr(t, name)(**kwargs)

    grad = name not in ("argmax", "argmin", "all", "any", "count_nonzero")
    run_both(call(lamina), call(torch), [_x()], grad=grad)


@pytest.mark.parametrize("name", ["cat", "concat", "concatenate", "stack"])
def test_joins_accept_axis(name):
    run_both(lambda a, b: getattr(lamina, name)([a, b], axis=1),
             lambda a, b: getattr(torch, name)([a, b], axis=1), [_x(), _x()])


def test_dim_and_its_alias_together_is_a_type_error():
    x = lamina.ones(2, 3)
    for call in (lambda: x.sum(dim=1, axis=1), lambda: lamina.mean(x, 1, keepdim=True,
                                                                   keepdims=True)):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError):
        torch.ones(2, 3).sum(dim=1, axis=1)


def test_norm_refuses_axis_as_torch_does():
    with pytest.raises(TypeError):
        torch.ones(2, 3).norm(axis=1)
    with pytest.raises(TypeError):
        lamina.ones(2, 3).norm(axis=1)
    with pytest.raises(TypeError):
        lamina.norm(lamina.ones(2, 3), dim=1, keepdims=True)
