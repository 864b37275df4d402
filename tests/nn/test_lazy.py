"""Lazy layers against torch: repr before and after, inferred shapes, state_dict, values and
gradients once materialised, errors, summaries, and materialising on the meta device."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchinfo
from tests.helpers import assert_close, copy_module_weights, to_lamina

import lamina
import lamina.nn as nn

CASES = [
    ("LazyLinear", lambda m: m.LazyLinear(7), (4, 5)),
    ("LazyLinear_no_bias_3d", lambda m: m.LazyLinear(3, bias=False), (2, 6, 5)),
    ("LazyConv1d", lambda m: m.LazyConv1d(4, 3, stride=2, padding=1), (2, 3, 11)),
    ("LazyConv1d_unbatched", lambda m: m.LazyConv1d(4, 3), (3, 11)),
    ("LazyConv2d", lambda m: m.LazyConv2d(6, (3, 2), padding=1), (2, 3, 7, 6)),
    ("LazyConv2d_groups", lambda m: m.LazyConv2d(4, 3, groups=2, bias=False), (1, 4, 6, 6)),
    ("LazyBatchNorm1d", lambda m: m.LazyBatchNorm1d(), (5, 6)),
    ("LazyBatchNorm1d_3d", lambda m: m.LazyBatchNorm1d(momentum=0.3), (4, 3, 5)),
    ("LazyBatchNorm2d", lambda m: m.LazyBatchNorm2d(affine=False), (3, 4, 5, 5)),
    ("LazyBatchNorm2d_untracked", lambda m: m.LazyBatchNorm2d(track_running_stats=False),
     (3, 4, 2, 2)),
]


@pytest.mark.parametrize("name, make, shape", CASES, ids=[c[0] for c in CASES])
def test_lazy_layer_matches_torch(name, make, shape):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    torch_x = torch.from_numpy(x).requires_grad_(True)
    theirs.train()
    expected = theirs(torch_x)
    ours_x = to_lamina(torch_x.detach(), requires_grad=True)
    ours(ours_x)  # materialise, then load torch's values (its init is random too)
    assert type(ours).__name__ == type(theirs).__name__ and type(ours) is getattr(
        nn, type(theirs).__name__)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (key, value), (_, reference) in zip(ours.state_dict().items(),
                                            theirs.state_dict().items()):
        assert tuple(value.shape) == tuple(reference.shape), key
        assert value.dtype == to_lamina(reference).dtype, key
    copy_module_weights(theirs, ours)
    # one more step each from the same state: values and every gradient agree
    theirs_out, ours_out = theirs(torch_x), ours(ours_x)
    assert_close(ours_out, theirs_out)
    theirs_out.square().sum().backward()
    ours_out.square().sum().backward()
    assert_close(ours_x.grad, torch_x.grad, rtol=1e-4, atol=1e-5)
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-4)
    assert expected.shape == theirs_out.shape


def test_materialised_weights_use_the_layer_init():
    layer = nn.LazyLinear(200)
    layer(lamina.randn(3, 50))
    bound = 1 / math.sqrt(50)
    values = layer.weight.detach().numpy()
    assert values.dtype == np.float32 and values.shape == (200, 50)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    norm = nn.LazyBatchNorm1d()
    norm(lamina.randn(4, 9))
    assert (norm.weight.detach().numpy() == 1).all() and norm.running_var.shape == (9,)


def test_float64_lazy_layer_keeps_its_dtype():
    layer = nn.LazyLinear(3, dtype=lamina.float64)
    out = layer(lamina.randn(2, 4, dtype=lamina.float64))
    assert layer.weight.dtype == lamina.float64 and out.dtype == lamina.float64


def test_gradcheck_after_materialising():
    layer = nn.LazyConv1d(2, 3, dtype=lamina.float64)
    x = lamina.randn(1, 2, 6, dtype=lamina.float64, requires_grad=True)
    layer(x)
    assert lamina.autograd.gradcheck(lambda t: layer(t), (x,))


@pytest.mark.parametrize("make, shape, error", [
    (lambda m: m.LazyConv2d(4, 3), (2, 3), RuntimeError),
    (lambda m: m.LazyConv2d(4, 3, groups=2), (1, 3, 5, 5), ValueError),
    (lambda m: m.LazyConv1d(4, 3), (1, 2, 3, 8, 8), RuntimeError),
])
def test_bad_first_input_raises_like_torch(make, shape, error):
    with pytest.raises(error):
        make(torch.nn)(torch.zeros(shape))
    with pytest.raises(error) as ours:
        make(nn)(lamina.zeros(*shape))
    assert type(make(nn)).__name__ in str(ours.value) or "groups" in str(ours.value)


def test_summary_with_input_size_materialises_like_torchinfo():
    def build(m):
        return m.Sequential(m.LazyConv2d(8, 3), m.LazyBatchNorm2d(), m.ReLU(), m.Flatten(),
                            m.LazyLinear(10), m.LazyBatchNorm1d())

    ours, theirs = build(nn), build(torch.nn)
    assert str(lamina.summary(ours, verbose=0)) == str(torchinfo.summary(theirs, verbose=0))
    columns = ("input_size", "output_size", "num_params", "kernel_size", "mult_adds")
    expected = str(torchinfo.summary(theirs, input_size=(2, 3, 10, 10), col_names=columns,
                                     verbose=0))
    assert str(lamina.summary(ours, input_size=(2, 3, 10, 10), col_names=columns,
                              verbose=0)) == expected
    assert repr(ours) == repr(theirs)
    assert not any(isinstance(p, nn.modules.lazy.UninitializedParameter)
                   for p in ours.parameters())


def test_lazy_layers_built_on_meta_materialise_on_meta():
    with lamina.device("meta"):
        model = nn.Sequential(nn.LazyLinear(4000), nn.ReLU(), nn.LazyLinear(4000))
    result = lamina.summary(model, input_size=(1, 3000), verbose=0)
    assert all(p.is_meta for p in model.parameters())
    assert result.total_params == 3000 * 4000 + 4000 + 4000 * 4000 + 4000


def test_lazy_layer_in_a_meta_summary_is_materialised_for_real():
    model = nn.Sequential(nn.LazyLinear(5), nn.Tanh())
    lamina.summary(model, input_size=(2, 3), device="meta", verbose=0)
    assert type(model[0]) is nn.Linear and not model[0].weight.is_meta
    assert model[0].weight.shape == (5, 3)


def test_uninitialized_classes_are_exported_like_torch():
    assert nn.UninitializedParameter is nn.modules.lazy.UninitializedParameter
    assert hasattr(torch.nn, "UninitializedParameter") and hasattr(torch.nn, "UninitializedBuffer")
    layer = nn.LazyBatchNorm1d()
    assert isinstance(layer.weight, nn.UninitializedParameter)
    assert isinstance(layer.running_mean, nn.UninitializedBuffer)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
