"""InstanceNorm1d/3d, BatchNorm3d, RMSNorm and LocalResponseNorm against torch."""

import warnings

import numpy as np
import pytest
import torch
import torchinfo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import (
    assert_close,
    compare_with_torch,
    copy_module_weights,
    layer_pair,
    layer_step,
)

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

DTYPES = {np.float32: (lamina.float32, torch.float32), np.float64: (lamina.float64, torch.float64)}


def _pair(name, *args, dtype=np.float32, **kwargs):
    return layer_pair(name, *args, dtype=dtype, seed=5, **kwargs)


_step = layer_step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, shape", [("InstanceNorm1d", (2, 3, 5)),
                                         ("InstanceNorm1d", (3, 5)),
                                         ("InstanceNorm3d", (2, 3, 3, 2, 4)),
                                         ("InstanceNorm3d", (3, 3, 2, 4))])
@pytest.mark.parametrize("affine, track", [(False, False), (True, True), (True, False)])
def test_instance_norm_train_then_eval_matches_torch(dtype, name, shape, affine, track):
    ours, theirs = _pair(name, 3, affine=affine, track_running_stats=track, dtype=dtype,
                         momentum=0.3)
    rng = np.random.default_rng(1)
    for step in range(2):
        _step(ours, theirs, (rng.standard_normal(shape) + step).astype(dtype), seed=step)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), seed=5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine, track", [(True, True), (False, True), (True, False)])
def test_batch_norm_3d_train_then_eval_matches_torch(dtype, momentum, affine, track):
    ours, theirs = _pair("BatchNorm3d", 3, affine=affine, track_running_stats=track,
                         momentum=momentum, dtype=dtype)
    rng = np.random.default_rng(2)
    for step in range(2):
        _step(ours, theirs, (rng.standard_normal((2, 3, 2, 3, 2)) * 2 + step).astype(dtype),
              seed=step)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rng.standard_normal((2, 3, 2, 3, 2)).astype(dtype), seed=3)
    if track:
        assert_close(ours.num_batches_tracked, theirs.num_batches_tracked)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=8, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       normalized=st.lists(st.integers(1, 4), min_size=1, max_size=2),
       affine=st.booleans(), eps=st.sampled_from([None, 1e-3]))
def test_rms_norm_matches_torch(dtype, lead, normalized, affine, eps):
    ours, theirs = _pair("RMSNorm", normalized, eps=eps, elementwise_affine=affine, dtype=dtype)
    shape = tuple(lead) + tuple(normalized)
    array = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    _step(ours, theirs, array)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 4, 3, 2), (1, 3, 2, 2, 2)])
def test_local_response_norm_matches_torch(dtype, size, shape):
    ours, theirs = nn.LocalResponseNorm(size, 0.5, 0.75, 1.5), torch.nn.LocalResponseNorm(
        size, 0.5, 0.75, 1.5)
    array = np.random.default_rng(size).standard_normal(shape).astype(dtype)
    compare_with_torch(ours, theirs, array)


def test_gradcheck():
    rng = np.random.default_rng(6)

    def leaf(*shape):
        return lamina.tensor(rng.standard_normal(shape), requires_grad=True)

    x3, x5, w = leaf(2, 3, 4), leaf(2, 3, 2, 2, 3), leaf(3)
    b = leaf(3)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x3, w, b))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x5, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                     (x5, w, b))
    weight = leaf(3, 4)
    assert gradcheck(lambda x, w: F.rms_norm(x, (3, 4), w), (x3, weight))
    assert gradcheck(lambda x: F.rms_norm(x, 4, eps=1e-3), (x3,))
    assert gradcheck(lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.0), (x5,))


def test_float32_stays_float32():
    x = lamina.randn(2, 3, 4)
    for layer in (nn.InstanceNorm1d(3), nn.RMSNorm(4), nn.LocalResponseNorm(2),
                  nn.InstanceNorm3d(3)):
        assert layer(x if not isinstance(layer, nn.InstanceNorm3d) else
                     lamina.randn(1, 3, 2, 2, 2)).dtype == lamina.float32
    assert nn.BatchNorm3d(3)(lamina.randn(2, 3, 2, 2, 2)).dtype == lamina.float32


def test_repr_state_dict_and_init_match_torch():
    pairs = [
        (nn.InstanceNorm1d(3), torch.nn.InstanceNorm1d(3)),
        (nn.InstanceNorm3d(4, affine=True, track_running_stats=True, eps=1e-3),
         torch.nn.InstanceNorm3d(4, affine=True, track_running_stats=True, eps=1e-3)),
        (nn.BatchNorm3d(3), torch.nn.BatchNorm3d(3)),
        (nn.BatchNorm3d(3, momentum=None, affine=False, bias=False),
         torch.nn.BatchNorm3d(3, momentum=None, affine=False, bias=False)),
        (nn.RMSNorm(4), torch.nn.RMSNorm(4)),
        (nn.RMSNorm([2, 3], eps=1e-3, elementwise_affine=False),
         torch.nn.RMSNorm([2, 3], eps=1e-3, elementwise_affine=False)),
        (nn.LocalResponseNorm(2), torch.nn.LocalResponseNorm(2)),
        (nn.LocalResponseNorm(3, 1e-3, 0.5, 2.0), torch.nn.LocalResponseNorm(3, 1e-3, 0.5, 2.0)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for value, expected in zip(ours.state_dict().values(), theirs.state_dict().values()):
            assert_close(value, expected)


@pytest.mark.parametrize("make, shape, error", [
    (lambda m: m.InstanceNorm1d(3), (2, 3, 4, 5), ValueError),
    (lambda m: m.InstanceNorm1d(3, affine=True), (2, 4, 5), ValueError),
    (lambda m: m.InstanceNorm3d(3), (2, 3, 4), ValueError),
    (lambda m: m.InstanceNorm1d(3), (2, 3, 1), ValueError),  # one position: no variance
    (lambda m: m.BatchNorm3d(3), (2, 3, 4, 4), ValueError),
    (lambda m: m.BatchNorm3d(3), (2, 4, 2, 2, 2), RuntimeError),
    (lambda m: m.RMSNorm(4), (2, 3), RuntimeError),
    (lambda m: m.RMSNorm([2, 4]), (3, 4), RuntimeError),
    (lambda m: m.LocalResponseNorm(2), (3, 4), ValueError),
])
def test_bad_input_raises_torch_type_naming_the_layer(make, shape, error):
    with pytest.raises(error):
        make(torch.nn)(torch.randn(shape))
    layer = make(nn)
    with pytest.raises(error, match=type(layer).__name__):
        layer(lamina.randn(*shape))


def test_instance_norm_warns_on_channel_mismatch_without_affine():
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(lamina.randn(2, 4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm3d(3)(lamina.randn(3, 2, 2, 2))


def _summary_model(nn_module):
    return nn_module.Sequential(
        nn_module.Conv1d(2, 4, 3), nn_module.InstanceNorm1d(4, affine=True),
        nn_module.RMSNorm([4, 6]), nn_module.Unflatten(2, (1, 2, 3)),
        nn_module.BatchNorm3d(4), nn_module.InstanceNorm3d(4, track_running_stats=True),
        nn_module.LocalResponseNorm(2))


def test_summary_matches_torchinfo():
    theirs = torchinfo.summary(_summary_model(torch.nn), input_size=(2, 2, 8), verbose=0)
    ours = lamina.summary(_summary_model(nn), input_size=(2, 2, 8), verbose=0)
    assert str(ours) == str(theirs)


def test_batch_norm_3d_in_eval_sequential_under_no_grad_matches_torch():
    # Sequential's no_grad path runs BatchNorm's array form: it must accept 5-D input too
    ours, theirs = _pair("BatchNorm3d", 3)
    theirs.running_mean.uniform_(-1, 1)
    theirs.running_var.uniform_(0.5, 2)
    copy_module_weights(theirs, ours)
    ours_model, theirs_model = nn.Sequential(ours).eval(), torch.nn.Sequential(theirs).eval()
    array = np.random.default_rng(7).standard_normal((2, 3, 2, 2, 3)).astype(np.float32)
    with lamina.no_grad(), torch.no_grad():
        assert_close(ours_model(lamina.tensor(array)), theirs_model(torch.tensor(array)))
