"""BatchNorm1d/2d and F.batch_norm against torch: outputs, gradients, running statistics."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, copy_module_weights, layer_pair, layer_step, to_torch

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

DTYPES = {np.float32: (lamina.float32, torch.float32), np.float64: (lamina.float64, torch.float64)}


def _pair(name, *args, dtype=np.float32, **kwargs):
    return layer_pair(name, *args, dtype=dtype, seed=7, **kwargs)


_step = layer_step


def _shape(name, rng_shape):
    n, c, length = rng_shape
    return {"1d2": (n, c), "1d3": (n, c, length), "2d": (n, c, length, 3)}[name]


CASES = [("BatchNorm1d", "1d2"), ("BatchNorm1d", "1d3"), ("BatchNorm2d", "2d")]


@pytest.mark.parametrize("layer,kind", CASES, ids=[k for _, k in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=10)
@given(
    sizes=st.tuples(st.integers(3, 6), st.integers(1, 4), st.integers(1, 5)),  # 2 values: grad 0
    momentum=st.sampled_from([0.1, 0.5, None]),
    affine=st.booleans(),
    track=st.booleans(),
)
def test_train_steps_then_eval_match_torch(layer, kind, dtype, sizes, momentum, affine, track):
    channels = sizes[1]
    ours, theirs = _pair(layer, channels, momentum=momentum, affine=affine,
                         track_running_stats=track, dtype=dtype)
    rng = np.random.default_rng(sum(sizes))
    shape = _shape(kind, sizes)
    for step in range(3):
        array = (rng.standard_normal(shape) * 2 + step).astype(dtype)
        _step(ours, theirs, array, seed=step)
    ours.eval()
    theirs.eval()
    _step(ours, theirs, rng.standard_normal(shape).astype(dtype), seed=9)


def test_running_stats_use_unbiased_variance_and_count_batches():
    layer = nn.BatchNorm1d(2, momentum=None)
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((5, 2)).astype(np.float32) for _ in range(3)]
    for b in batches:
        layer(lamina.tensor(b))
    # momentum=None: the running values are plain averages over the batches seen
    expected_var = np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0)
    expected_mean = np.mean([b.mean(axis=0) for b in batches], axis=0)
    np.testing.assert_allclose(layer.running_var.numpy(), expected_var, rtol=1e-5)
    np.testing.assert_allclose(layer.running_mean.numpy(), expected_mean, rtol=1e-5, atol=1e-7)
    assert layer.num_batches_tracked.item() == 3
    assert layer.num_batches_tracked.dtype == lamina.int64


def test_default_init_buffers_and_state_dict_match_torch():
    ours, theirs = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (_, value), (_, expected) in zip(ours.state_dict().items(),
                                            theirs.state_dict().items()):
        assert_close(value, expected)
    assert ours.weight.requires_grad and ours.bias.requires_grad
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert plain.weight is None and plain.running_mean is None
    assert plain.num_batches_tracked is None and list(plain.state_dict()) == []


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None, "affine": False},
                                    {"eps": 1e-3, "track_running_stats": False},
                                    {"bias": False}])
def test_repr_matches_torch(kwargs):
    assert repr(nn.BatchNorm1d(5, **kwargs)) == repr(torch.nn.BatchNorm1d(5, **kwargs))
    assert repr(nn.BatchNorm2d(5, **kwargs)) == repr(torch.nn.BatchNorm2d(5, **kwargs))


def test_one_value_per_channel_in_training_raises_like_torch():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                                         r"training, got input size .*\[1, 3\]"):
        nn.BatchNorm1d(3)(lamina.randn(1, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(3)(torch.randn(1, 3))
    layer = nn.BatchNorm1d(3)
    layer.eval()
    assert layer(lamina.randn(1, 3)).shape == (1, 3)  # eval mode uses the running statistics


def test_wrong_rank_and_channels_raise_naming_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm1d.*expected 2D or 3D input \(got 4D"):
        nn.BatchNorm1d(3)(lamina.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D"):
        nn.BatchNorm2d(3)(lamina.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(3.*channels.*\(2, 5, 4, 4\)"):
        nn.BatchNorm2d(3)(lamina.randn(2, 5, 4, 4))


def test_float32_stays_float32_and_large_offsets_are_stable():
    layer = nn.BatchNorm1d(4)
    x = lamina.tensor(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32) + 1e3)
    out = layer(x)
    assert out.dtype == lamina.float32 and layer.running_var.dtype == lamina.float32
    theirs = torch.nn.BatchNorm1d(4)(to_torch(x))
    assert_close(out, theirs, rtol=1e-4, atol=1e-4)


def test_float16_input_works():
    array = np.random.default_rng(2).standard_normal((6, 3)).astype(np.float16)
    out = F.batch_norm(lamina.tensor(array), None, None, training=True)
    expected = torch.nn.functional.batch_norm(torch.from_numpy(array).float(), None, None,
                                              training=True)
    assert out.dtype == lamina.float16
    np.testing.assert_allclose(out.numpy().astype(np.float32), expected.numpy(), atol=2e-3)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_functional(training):
    rng = np.random.default_rng(3)
    x = lamina.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    w = lamina.tensor(rng.standard_normal(3), requires_grad=True)
    b = lamina.tensor(rng.standard_normal(3), requires_grad=True)
    mean, var = lamina.tensor(rng.standard_normal(3)), lamina.tensor(rng.random(3) + 0.5)

    def run(x, w, b):
        # fresh copies: training mode updates the running statistics in place
        return F.batch_norm(x, mean.clone(), var.clone(), w, b, training=training)

    assert gradcheck(run, (x, w, b))


def test_functional_matches_torch_in_eval_with_running_stats():
    rng = np.random.default_rng(4)
    x = lamina.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    w = lamina.tensor(rng.standard_normal(3), requires_grad=True)
    b = lamina.tensor(rng.standard_normal(3), requires_grad=True)
    mean, var = lamina.tensor(rng.standard_normal(3)), lamina.tensor(rng.random(3) + 0.5)
    tx, tw, tb = to_torch(x), to_torch(w), to_torch(b)
    out = F.batch_norm(x, mean, var, w, b, eps=1e-3)
    expected = torch.nn.functional.batch_norm(tx, to_torch(mean), to_torch(var), tw, tb,
                                              eps=1e-3)
    assert_close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        assert_close(ours.grad, theirs.grad)


def _seed_mlp(library, p):
    """The BatchNorm/Dropout MLP from the seed examples (784-256-128-10 with Softmax)."""
    n = library.nn
    return n.Sequential(
        n.Linear(784, 256), n.BatchNorm1d(256), n.ReLU(), n.Dropout(p),
        n.Linear(256, 128), n.BatchNorm1d(128), n.ReLU(), n.Dropout(p),
        n.Linear(128, 10), n.Softmax(dim=1),
    )


def test_seed_batchnorm_mlp_matches_torch_in_train_and_eval():
    theirs, ours = _seed_mlp(torch, 0.0), _seed_mlp(lamina, 0.0)
    copy_module_weights(theirs, ours)
    rng = np.random.default_rng(0)
    for _ in range(3):  # train mode (dropout p=0 keeps it deterministic)
        array = rng.standard_normal((16, 784)).astype(np.float32)
        out, expected = ours(lamina.tensor(array)), theirs(torch.from_numpy(array))
        assert_close(out, expected)
        ours.zero_grad()
        theirs.zero_grad()
        (out * lamina.arange(10.0)).sum().backward()
        (expected * torch.arange(10.0)).sum().backward()
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            # 784-term BLAS sums round differently; the absolute slack covers that alone
            assert_close(p.grad, tp.grad, atol=1e-5)
    for b, tb in zip(ours.buffers(), theirs.buffers()):
        assert_close(b, tb)
    ours.eval()
    theirs.eval()
    for batch in (1, 8):
        array = rng.standard_normal((batch, 784)).astype(np.float32)
        assert_close(ours(lamina.tensor(array)), theirs(torch.from_numpy(array)))


def test_seed_example_batch_of_one_in_training_raises_like_torch():
    # the seed runs torch.randn(1, 784) through a freshly built (training) model: torch raises
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        _seed_mlp(torch, 0.5)(torch.randn(1, 784))
    with pytest.raises(ValueError, match=r"Sequential\[1\] BatchNorm1d\(256.*more than 1 value "
                                         r"per channel when training"):
        _seed_mlp(lamina, 0.5)(lamina.randn(1, 784))


@pytest.mark.parametrize("flags", [(0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 0)])
def test_gradients_when_only_some_arguments_require_them(flags):
    rng = np.random.default_rng(8)
    arrays = (rng.standard_normal((5, 3, 4)), rng.standard_normal(3), rng.standard_normal(3))
    ours = [lamina.tensor(a, requires_grad=bool(f)) for a, f in zip(arrays, flags)]
    theirs = [torch.tensor(a, requires_grad=bool(f)) for a, f in zip(arrays, flags)]
    (F.batch_norm(ours[0], None, None, ours[1], ours[2], training=True) ** 2).sum().backward()
    (torch.nn.functional.batch_norm(theirs[0], None, None, theirs[1], theirs[2],
                                    training=True) ** 2).sum().backward()
    for mine, expected, flag in zip(ours, theirs, flags):
        if flag:
            assert_close(mine.grad, expected.grad)
        else:
            assert mine.grad is None
