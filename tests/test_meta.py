"""The meta device: tensors with shape and dtype but no data, shapes propagated by every op,
and `lamina.summary(..., device="meta")` giving the same table as on real weights."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
import torch
import torchinfo
from tests.summary.models import CASES

import lamina
import lamina.nn

INPUT_CASES = [case for case in CASES if case.meta and case.args(lamina)]


def test_factories_build_data_less_tensors():
    tracemalloc.start()
    try:
        with lamina.device("meta"):
            big = lamina.empty(20000, 20000)
            others = [lamina.zeros(3, 4), lamina.ones(2, dtype=lamina.float64),
                      lamina.randn(5, 5), lamina.rand(2, 2), lamina.full((2, 3), 1.5)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # a 1.6 GB float32 tensor costs nothing
    assert big.is_meta and big.device == lamina.device("meta") and big.shape == (20000, 20000)
    assert big.dtype == lamina.float32 and others[1].dtype == lamina.float64
    assert all(t.is_meta for t in others)
    assert not lamina.zeros(2).is_meta  # outside the block: ordinary tensors
    assert lamina.zeros(2, device="meta").is_meta
    assert "device='meta'" in repr(big)


def test_ops_propagate_shapes_and_dtypes_like_real_tensors():
    def program(lib_x, lib_w):
        h = lamina.nn.functional.linear(lib_x, lib_w)
        h = (h.relu() * 2 + 1).reshape(3, 2, 7).transpose(0, 1)
        pieces = [h.sum(-1), h.mean(0, keepdim=True).squeeze(0), (h @ h.transpose(1, 2))[:, 0]]
        softmax = lamina.nn.functional.softmax(h, -1)
        return pieces + [lamina.cat([h, h], dim=1), softmax, h.to(lamina.float64)]

    x, w = lamina.randn(6, 4), lamina.randn(7, 4)
    real = program(x, w)
    with lamina.device("meta"):
        mx, mw = lamina.empty(6, 4), lamina.empty(7, 4)
    meta = program(mx, mw)
    for ours, reference in zip(meta, real):
        assert ours.is_meta
        assert ours.shape == reference.shape and ours.dtype == reference.dtype


def test_in_place_ops_and_init_leave_meta_tensors_data_less():
    with lamina.device("meta"):
        layer = lamina.nn.Linear(3000, 3000)
    assert layer.weight.is_meta and layer.bias.is_meta
    with lamina.no_grad():
        layer.weight.add_(1.0)
        layer.weight.zero_()
        layer.weight.uniform_(-1, 1)
    assert layer.weight.is_meta and layer.weight.shape == (3000, 3000)


def test_meta_matmul_does_not_compute_the_contraction():
    with lamina.device("meta"):
        a, b = lamina.empty(64, 20000), lamina.empty(20000, 64)
    start = time.perf_counter()
    out = a @ b
    assert time.perf_counter() - start < 0.05
    assert out.is_meta and out.shape == (64, 64)


@pytest.mark.parametrize("case", INPUT_CASES, ids=lambda case: case.name)
def test_meta_summary_matches_torchinfo_on_real_weights(case):
    try:
        model = case.build(lamina.nn, lamina)
    except AttributeError as missing:
        pytest.skip(f"lamina lacks a layer: {missing}")
    torch.manual_seed(0)
    theirs = torchinfo.summary(case.build(torch.nn, torch), **{"verbose": 0, **case.args(torch)})
    weights = {name: p._array for name, p in model.named_parameters()}
    on_meta = lamina.summary(model, **{"verbose": 0, **case.args(lamina), "device": "meta"})
    assert str(on_meta) == str(theirs)
    # the real weights are untouched: same arrays, still real
    assert all(p._array is weights[name] and not p.is_meta
               for name, p in model.named_parameters())
    with lamina.device("meta"):
        built_on_meta = case.build(lamina.nn, lamina)
    assert all(p.is_meta for p in built_on_meta.parameters())
    args = case.args(lamina)
    if "input_data" not in args:  # made-up inputs only: data from the user is real
        assert str(lamina.summary(built_on_meta, **{"verbose": 0, **args})) == str(theirs)


@pytest.mark.slow
def test_billion_parameter_summary_is_fast_and_small():
    tracemalloc.start()
    try:
        start = time.perf_counter()
        with lamina.device("meta"):
            layers = []
            for _ in range(40):
                layers += [lamina.nn.Linear(5000, 5000), lamina.nn.ReLU()]
            model = lamina.nn.Sequential(*layers)
        result = lamina.summary(model, input_size=(1, 5000), device="meta", verbose=0)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.total_params == 40 * (5000 * 5000 + 5000) > 10**9
    assert seconds < 5, f"{seconds:.2f} s"
    assert peak < 500e6, f"peak {peak / 1e6:.0f} MB"
    with torch.device("meta"):
        reference = torch.nn.Sequential(*[layer for _ in range(40) for layer in
                                          (torch.nn.Linear(5000, 5000), torch.nn.ReLU())])
    theirs = torchinfo.summary(reference, input_size=(1, 5000), device="meta", verbose=0)
    assert str(result) == str(theirs)


def test_unknown_device_is_refused():
    model = lamina.nn.Linear(2, 2)
    with pytest.raises((RuntimeError, AssertionError), match="cuda"):
        lamina.summary(model, input_size=(1, 2), device="cuda", verbose=0)
    assert np.isfinite(model.weight.detach().numpy()).all()


def test_meta_convolutions_match_real_shapes_without_the_work():
    nn = lamina.nn
    layers = [nn.Conv2d(64, 128, 3, padding=1), nn.Conv1d(8, 4, 5, stride=2),
              nn.ConvTranspose2d(64, 32, 2, stride=2), nn.Conv2d(64, 64, 3, groups=8)]
    inputs = [(2, 64, 20, 20), (3, 8, 31), (2, 64, 20, 20), (2, 64, 20, 20)]
    for layer, shape in zip(layers, inputs):
        real = layer(lamina.randn(*shape))
        with lamina.device("meta"):
            x = lamina.empty(*shape)
        out = lamina.summary(layer, input_data=x, device="meta", verbose=0)
        assert out.summary_list[0].output_size == list(real.shape)
        assert layer(x).is_meta and layer(x).shape == real.shape


def test_dispatch_hook_is_only_installed_while_meta_tensors_live():
    import gc

    from lamina.autograd import function

    lamina._summary.clear_cached_forward_pass()  # cached records keep earlier meta models
    gc.collect()
    x = lamina.randn(3)
    x.relu()  # drops the hook if an earlier test left no meta tensor alive
    meta = lamina.zeros(4, device="meta")
    assert function.dispatch_hook[0] is not None
    x.relu()
    assert function.dispatch_hook[0] is not None  # `meta` still lives
    out = meta.relu() + 1
    assert out.is_meta
    del meta, out
    x.relu()
    assert function.dispatch_hook[0] is None  # ordinary ops are hook-free again


def test_keyword_tensors_go_to_meta_too():
    class Gated(lamina.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lamina.nn.Linear(3, 3)

        def forward(self, x, gate=None):
            assert gate.is_meta == x.is_meta  # both on the model's device
            return self.lin(x) * gate

    model = Gated()
    on_meta = lamina.summary(model, input_size=(2, 3), device="meta", verbose=0,
                             gate=lamina.ones(2, 3))
    on_cpu = lamina.summary(model, input_size=(2, 3), verbose=0, gate=lamina.ones(2, 3))
    assert str(on_meta) == str(on_cpu)


def test_tensor_and_module_to_meta_like_torch():
    t = lamina.randn(3, 4, requires_grad=True)
    moved = t.to("meta")
    reference = torch.randn(3, 4, requires_grad=True).to("meta")
    assert moved.is_meta and not t.is_meta
    assert (moved.shape, moved.requires_grad, str(moved.device)) == (
        tuple(reference.shape), reference.requires_grad, str(reference.device))
    assert t.to("meta", lamina.float64).dtype == lamina.float64
    case = [case for case in CASES if case.name == "seed_bn_mlp"][0]
    model = case.build(lamina.nn, lamina).to("meta")
    assert all(t.is_meta for t in [*model.parameters(), *model.buffers()])
    theirs = torchinfo.summary(case.build(torch.nn, torch), verbose=0, **case.args(torch))
    assert str(lamina.summary(model, verbose=0, **case.args(lamina))) == str(theirs)
