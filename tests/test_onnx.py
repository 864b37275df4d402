"""lamina.onnx.export: valid ONNX that onnxruntime runs to lamina's numbers."""

from __future__ import annotations

import collections

import numpy as np
import onnx
import onnxruntime
import pytest

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.onnx import UnsupportedOperatorError


def _seed_mlp():
    return nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 12), nn.ReLU(),
                         nn.Linear(12, 1), nn.Sigmoid())


def _seed_cnn():
    return nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=2, stride=2),
                         nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=2, stride=2), nn.Flatten(),
                         nn.Linear(32 * 8 * 8, 10), nn.Softmax(dim=1))


def _seed_bn_mlp():
    model = nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(128, 10), nn.Softmax(dim=1))
    model.train()
    with lamina.no_grad():  # move the running statistics away from their initial values
        model(lamina.randn(32, 784))
    return model


class _Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, stride=2, padding=1)
        self.pool = nn.AvgPool1d(2)
        self.head = nn.Linear(6 * 4, 5)

    def forward(self, x):
        x = F.gelu(self.pool(F.leaky_relu(self.conv(x), 0.1)))
        return F.log_softmax(self.head(x.flatten(1)) * 0.5 - 1.0, dim=-1)


class _Reconstruction(nn.Module):
    """mse_loss inside forward: every reduction, broadcast against the batch."""

    def __init__(self):
        super().__init__()
        self.encode, self.decode = nn.Linear(6, 2), nn.Linear(2, 6)

    def forward(self, x):
        rebuilt = self.decode(self.encode(x).tanh())
        return (F.mse_loss(rebuilt, x, reduction="none") + F.mse_loss(rebuilt, x)
                - 0.1 * F.mse_loss(rebuilt, x, reduction="sum"))


CASES = collections.OrderedDict([
    ("seed-mlp", (_seed_mlp, (3, 2))),
    ("seed-784", (lambda: nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                                        nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1)),
                  (2, 784))),
    ("seed-cnn", (_seed_cnn, (2, 3, 32, 32))),
    ("seed-bn-mlp", (_seed_bn_mlp, (4, 784))),
    ("custom", (_Custom, (2, 4, 16))),
    ("mse", (_Reconstruction, (3, 6))),
])


@pytest.mark.parametrize("name", list(CASES))
def test_exported_model_runs_in_onnxruntime_like_lamina(tmp_path, name):
    build, shape = CASES[name]
    lamina.manual_seed(0)
    model = build()
    example = lamina.randn(*shape)
    path = tmp_path / f"{name}.onnx"
    lamina.onnx.export(model, (example,), path, input_names=["input"], output_names=["output"],
                       dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    for batch in (shape[0], shape[0] + 3):  # a different batch size than the traced one
        x = lamina.randn(batch, *shape[1:])
        with lamina.no_grad():
            expected = model(x).numpy()
        (got,) = session.run(None, {"input": x.numpy()})
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_export_restores_training_mode_and_needs_no_grad(tmp_path):
    model = _seed_mlp()
    model.train()
    x = lamina.randn(2, 2)
    lamina.onnx.export(model, x, tmp_path / "m.onnx")
    assert model.training
    assert all(p.grad is None for p in model.parameters())


def test_unsupported_op_names_the_op(tmp_path):
    class Odd(nn.Module):
        def forward(self, x):
            return lamina.cumsum(x, 0)

    with pytest.raises(UnsupportedOperatorError, match="Cumsum"):
        lamina.onnx.export(Odd(), lamina.randn(3), tmp_path / "odd.onnx")
