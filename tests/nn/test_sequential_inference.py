"""Sequential's inference path (layers run on bare arrays under no_grad) changes nothing but
speed: the same numbers as the recorded path, the same errors, hooks and training behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
import lamina.nn as nn


def _models():
    lamina.manual_seed(0)
    bn = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                       nn.Linear(32, 8), nn.Softmax(dim=1))
    bn.train()
    bn(lamina.randn(10, 16))  # move the running statistics off their initial values
    bn.eval()
    return {
        "mlp": (nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 12), nn.ReLU(),
                              nn.Linear(12, 1), nn.Sigmoid()), (5, 2)),
        "bn-dropout": (bn, (4, 16)),
        "cnn": (nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(4 * 4 * 4, 3), nn.Tanh()), (2, 3, 8, 8)),
        "nested": (nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(12, 6), nn.Identity()),
                                 nn.Softmax(dim=-1)), (3, 3, 4)),
    }


@pytest.mark.parametrize("name", ["mlp", "bn-dropout", "cnn", "nested"])
@pytest.mark.parametrize("dtype", [lamina.float32, lamina.float64])
def test_inference_path_gives_the_recorded_paths_numbers(name, dtype):
    model, shape = _models()[name]
    model.to(dtype)
    x = lamina.randn(*shape, dtype=dtype)
    recorded = model(x)  # grad mode on: every layer through Module.__call__ and autograd
    assert recorded.requires_grad
    with lamina.no_grad():
        fast = model(x)
    assert not fast.requires_grad and fast.dtype == dtype and fast.shape == recorded.shape
    np.testing.assert_array_equal(fast.numpy(), recorded.detach().numpy())


def test_hooks_still_fire_under_no_grad():
    model, shape = _models()["mlp"]
    seen = []
    model[2].register_forward_hook(lambda module, args, output: seen.append(output.shape))
    with lamina.no_grad():
        model(lamina.randn(*shape))
    assert seen == [lamina.Size([5, 12])]


def test_training_mode_dropout_still_drops():
    model = nn.Sequential(nn.Linear(50, 50), nn.Dropout(0.5))
    model.train()
    with lamina.no_grad():
        out = model(lamina.randn(20, 50))
    zeros = float((out == 0).float().mean())
    assert 0.3 < zeros < 0.7


def test_batch_norm_in_training_updates_its_statistics_under_no_grad():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model.train()
    before = model[1].running_mean.clone()
    with lamina.no_grad():
        model(lamina.randn(8, 4))
    assert not np.array_equal(before.numpy(), model[1].running_mean.numpy())
    assert int(model[1].num_batches_tracked) == 1


def test_a_mis_sized_layer_still_names_itself_under_no_grad():
    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Flatten(), nn.Linear(512, 10))
    with lamina.no_grad(), pytest.raises(RuntimeError) as caught:
        model(lamina.randn(1, 8))
    text = str(caught.value)
    assert "Sequential[3] Linear(in_features=512, out_features=10, bias=True)" in text
    assert "(1, 4)" in text and "Flatten" in text
