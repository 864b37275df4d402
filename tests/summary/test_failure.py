"""When the model does not fit its input: the table up to the failing layer, that row marked,
then the layer's own error; `summary` re-raises that error with its type unchanged."""

from __future__ import annotations

import pytest
import torch
import torchinfo

import lamina
import lamina.nn

COLUMNS = ("input_size", "output_size", "num_params")


def mlp_after_flatten(nn, in_features):
    return nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Flatten(), nn.Linear(in_features, 10))


def cnn(nn, in_channels):
    return nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.Conv2d(in_channels, 4, 3),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 2))


def failure_lines(model, input_size, capsys):
    with pytest.raises(Exception) as raised:
        lamina.summary(model, input_size=input_size, col_names=COLUMNS)
    return capsys.readouterr().out.rstrip("\n").split("\n"), raised.value


def direct_error(model, input_size):
    with pytest.raises(Exception) as raised:
        model(lamina.rand(*input_size))
    return raised.value


def torchinfo_lines(model, input_size):
    return str(torchinfo.summary(model, input_size=input_size, col_names=COLUMNS,
                                 verbose=0)).split("\n")


def test_misfit_linear_after_flatten(capsys):
    model = mlp_after_flatten(lamina.nn, 512)
    lines, error = failure_lines(model, (2, 4, 8, 8), capsys)
    fitting = torchinfo_lines(mlp_after_flatten(torch.nn, 256), (2, 4, 8, 8))
    assert isinstance(error, RuntimeError)
    assert type(error) is type(direct_error(model, (2, 4, 8, 8)))
    divider = fitting[0]
    assert lines[:3] == fitting[:3]  # divider, header, divider: same widths as torchinfo
    # the root is still running: its input is known, its output is not
    assert lines[3].split() == ["Sequential", "[2,", "4,", "8,", "8]", "--", "--"]
    assert lines[4:7] == fitting[4:7]  # the layers that ran print exactly as torchinfo's
    failing = lines[7]
    assert failing.startswith("├─Linear: 1-4") and "[2, 256]" in failing
    assert "5,130" in failing  # this model's Linear(512, 10)
    assert failing.endswith(f"<-- {type(error).__name__} raised here")
    assert lines[8] == divider
    message = "\n".join(lines[9:])
    assert message == f"{type(error).__name__}: {error}"
    assert "Linear(in_features=512" in message and "(2, 256)" in message
    assert "Flatten" in message  # the layer whose output did not fit
    assert len(lines) == 9 + str(error).count("\n") + 1


def test_wrong_in_channels_for_conv2d(capsys):
    try:
        model = cnn(lamina.nn, 5)
    except AttributeError as missing:
        pytest.skip(f"lamina lacks a layer: {missing}")
    lines, error = failure_lines(model, (1, 3, 8, 8), capsys)
    fitting = torchinfo_lines(cnn(torch.nn, 6), (1, 3, 8, 8))
    assert isinstance(error, RuntimeError)
    assert type(error) is type(direct_error(model, (1, 3, 8, 8)))
    assert lines[:3] == fitting[:3]
    assert lines[3].split()[:5] == ["Sequential", "[1,", "3,", "8,", "8]"]
    assert lines[4:6] == fitting[4:6]
    failing = lines[6]
    assert failing.startswith("├─Conv2d: 1-3") and "[1, 6, 6, 6]" in failing
    assert failing.endswith(f"<-- {type(error).__name__} raised here")
    assert lines[7] == fitting[0]
    message = "\n".join(lines[8:])
    assert message == f"{type(error).__name__}: {error}"
    assert "Conv2d(5, 4" in message and "6" in message


def test_quiet_failure_prints_nothing_and_keeps_the_type(capsys):
    model = mlp_after_flatten(lamina.nn, 512)
    with pytest.raises(RuntimeError) as raised:
        lamina.summary(model, input_size=(2, 4, 8, 8), verbose=0)
    assert capsys.readouterr().out == ""
    assert "executed layers up to: [Linear: 1, ReLU: 1, Flatten: 1]" in raised.value.__notes__[0]


def test_failure_restores_mode_and_removes_hooks():
    model = mlp_after_flatten(lamina.nn, 512)
    model.train()
    with pytest.raises(RuntimeError):
        lamina.summary(model, input_size=(2, 4, 8, 8), verbose=0)
    assert model.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_batchnorm_in_train_mode_with_one_sample_keeps_value_error(capsys):
    model = lamina.nn.Sequential(lamina.nn.Linear(4, 3), lamina.nn.BatchNorm1d(3))
    with pytest.raises(ValueError) as raised:
        lamina.summary(model, input_size=(1, 4), mode="train")
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert lines[-1].startswith("ValueError: ") or "ValueError" in "\n".join(lines)
    assert any(line.startswith("├─BatchNorm1d: 1-2") and line.endswith("raised here")
               for line in lines)
    assert "Linear: 1" in raised.value.__notes__[0]


def test_error_between_layers_marks_the_module_whose_forward_raised(capsys):
    class Reshaper(lamina.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = lamina.nn.Linear(6, 6)
            self.second = lamina.nn.Linear(4, 2)

        def forward(self, x):
            return self.second(self.first(x).view(-1, 4))  # 6 values do not split into rows of 4

    with pytest.raises(RuntimeError) as raised:
        lamina.summary(Reshaper(), input_size=(1, 6), col_names=("input_size", "output_size"))
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert lines[3].startswith("Reshaper") and lines[3].endswith("raised here")
    assert lines[4].split() == ["├─Linear:", "1-1", "[1,", "6]", "[1,", "6]"]
    assert lines[-1].startswith(f"{type(raised.value).__name__}: ")
    assert "view" in lines[-1] or "shape" in lines[-1]
