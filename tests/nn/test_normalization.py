"""LayerNorm, GroupNorm and InstanceNorm2d (and their functional forms) against torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, layer_pair, layer_step

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

DTYPES = {np.float32: (lamina.float32, torch.float32), np.float64: (lamina.float64, torch.float64)}


def _pair(name, *args, dtype=np.float32, **kwargs):
    return layer_pair(name, *args, dtype=dtype, seed=5, **kwargs)


_step = layer_step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=10)
@given(
    lead=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    normalized=st.lists(st.integers(3, 5), min_size=1, max_size=2),  # ill-conditioned below 3
    affine=st.booleans(),
    bias=st.booleans(),
)
def test_layer_norm_matches_torch(dtype, lead, normalized, affine, bias):
    ours, theirs = _pair("LayerNorm", normalized, elementwise_affine=affine, bias=bias,
                         dtype=dtype, eps=1e-4)
    shape = tuple(lead) + tuple(normalized)
    array = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype) * 3 + 1
    _step(ours, theirs, array)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=10)
@given(
    groups_channels=st.sampled_from([(1, 3), (2, 4), (3, 6), (4, 4)]),
    spatial=st.lists(st.integers(3, 4), min_size=1, max_size=2),  # 2 values: the grad is 0
    affine=st.booleans(),
)
def test_group_norm_matches_torch(dtype, groups_channels, spatial, affine):
    groups, channels = groups_channels
    ours, theirs = _pair("GroupNorm", groups, channels, affine=affine, dtype=dtype)
    shape = (3, channels) + tuple(spatial)
    array = np.random.default_rng(channels).standard_normal(shape).astype(dtype)
    _step(ours, theirs, array)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("unbatched", [False, True])
def test_instance_norm_train_then_eval_matches_torch(dtype, affine, track, unbatched):
    ours, theirs = _pair("InstanceNorm2d", 3, affine=affine, track_running_stats=track,
                         dtype=dtype, momentum=0.3)
    rng = np.random.default_rng(1)
    shape = (3, 4, 5) if unbatched else (2, 3, 4, 5)
    for step in range(2):
        _step(ours, theirs, (rng.standard_normal(shape) + step).astype(dtype), seed=step)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), seed=5)


def test_default_init_and_repr_match_torch():
    pairs = [
        (nn.LayerNorm(4), torch.nn.LayerNorm(4)),
        (nn.LayerNorm([2, 3], eps=1e-3, bias=False), torch.nn.LayerNorm([2, 3], eps=1e-3,
                                                                        bias=False)),
        (nn.LayerNorm(3, elementwise_affine=False), torch.nn.LayerNorm(3,
                                                                       elementwise_affine=False)),
        (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (nn.GroupNorm(1, 3, affine=False), torch.nn.GroupNorm(1, 3, affine=False)),
        (nn.InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)),
        (nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
         torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for value, expected in zip(ours.state_dict().values(), theirs.state_dict().values()):
            assert_close(value, expected)


def test_layer_norm_wrong_shape_raises_naming_the_layer():
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(4,\).*\(\*, 4\).*\(2, 3\)"):
        nn.LayerNorm(4)(lamina.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"layer_norm.*normalized_shape=\[4\].*\(2, 3\)"):
        F.layer_norm(lamina.randn(2, 3), (4,))


def test_group_norm_bad_arguments_raise():
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4.*channels.*\(2, 6, 3\)"):
        nn.GroupNorm(2, 4)(lamina.randn(2, 6, 3))
    with pytest.raises(RuntimeError, match=r"divisible by num_groups \(4\)"):
        F.group_norm(lamina.randn(2, 6, 3), 4)


def test_instance_norm_bad_input_raises_like_torch():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D"):
        nn.InstanceNorm2d(3)(lamina.randn(2, 3))
    with pytest.raises(ValueError, match=r"dim=1 to match num_features \(3\), but got: 4"):
        nn.InstanceNorm2d(3, affine=True)(lamina.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm2d(3)(lamina.randn(2, 3, 1, 1))


def test_gradcheck_layer_group_instance():
    rng = np.random.default_rng(6)
    x = lamina.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w = lamina.tensor(rng.standard_normal(4), requires_grad=True)
    b = lamina.tensor(rng.standard_normal(4), requires_grad=True)
    lw = lamina.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    lb = lamina.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4, 3), w, b), (x, lw, lb))
    assert gradcheck(lambda x: F.layer_norm(x, 3), (x,))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))


def test_results_keep_float32():
    x = lamina.randn(2, 4, 3, 3)
    assert nn.LayerNorm(3)(x).dtype == lamina.float32
    assert nn.GroupNorm(2, 4)(x).dtype == lamina.float32
    assert nn.InstanceNorm2d(4)(x).dtype == lamina.float32


INTEGER_INPUT_LAYERS = {
    "BatchNorm1d": (lambda nn: nn.BatchNorm1d(2), (3, 2)),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(2), (1, 2, 2, 2)),
    "InstanceNorm1d": (lambda nn: nn.InstanceNorm1d(2, affine=True), (1, 2, 3)),
    "LayerNorm": (lambda nn: nn.LayerNorm(2), (3, 2)),  # torch: "mixed dtype" RuntimeError
    "LayerNorm no affine": (lambda nn: nn.LayerNorm(2, elementwise_affine=False), (3, 2)),
    "GroupNorm": (lambda nn: nn.GroupNorm(1, 2), (3, 2, 1)),
    "GroupNorm no affine": (lambda nn: nn.GroupNorm(1, 2, affine=False), (3, 2, 1)),
    "RMSNorm": (lambda nn: nn.RMSNorm(2), (3, 2)),
}


@pytest.mark.filterwarnings("ignore:Mismatch dtype")  # torch's RMSNorm warns first
@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("build, shape", INTEGER_INPUT_LAYERS.values(),
                         ids=INTEGER_INPUT_LAYERS.keys())
def test_integer_input_raises_torchs_type_naming_the_layer(build, shape, dtype):
    values = np.arange(np.prod(shape)).reshape(shape) % 3
    with pytest.raises(RuntimeError) as theirs:
        build(torch.nn)(torch.tensor(values).to(getattr(torch, dtype)))
    layer = build(nn)
    with pytest.raises(type(theirs.value)) as ours:  # NotImplementedError or RuntimeError
        layer(lamina.tensor(values).to(getattr(lamina, dtype)))
    assert type(layer).__name__ in str(ours.value) and "float" in str(ours.value)
    assert isinstance(ours.value, NotImplementedError) == isinstance(
        theirs.value, NotImplementedError)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True),
    lambda lib, x: lib.nn.functional.layer_norm(x, (2,)),
    lambda lib, x: lib.nn.functional.layer_norm(x, (2,), lib.ones(2)),
    lambda lib, x: lib.nn.functional.group_norm(x.view(3, 2, 1), 1),
    lambda lib, x: lib.nn.functional.instance_norm(x.view(3, 2, 1).repeat(1, 1, 3)),
], ids=["batch_norm", "layer_norm", "layer_norm weight", "group_norm", "instance_norm"])
def test_functional_norms_refuse_integer_input_like_torch(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch, torch.tensor([[1, 2], [3, 4], [5, 7]]))
    with pytest.raises(type(theirs.value)):
        call(lamina, lamina.tensor([[1, 2], [3, 4], [5, 7]]))
