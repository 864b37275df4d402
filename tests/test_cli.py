"""`python -m lamina summary FILE.py:NAME --input-size ...`, run as a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
import torchinfo

import lamina.nn

MODELS = textwrap.dedent("""
    import lamina.nn as nn


    def build_model():
        return nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 12), nn.ReLU(),
                             nn.Linear(12, 1), nn.Sigmoid())


    def build_cnn():
        return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                             nn.Flatten(), nn.Linear(16 * 16 * 16, 10))


    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 4)
            self.lin = nn.Linear(3, 4)

        def forward(self, tokens, x):
            return self.embed(tokens).sum(1) + self.lin(x)


    def misfit():
        return nn.Sequential(nn.Flatten(), nn.Linear(5, 2))


    not_a_model = 3
""")


def torch_cnn():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(16 * 16 * 16, 10))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    (path / "my_models.py").write_text(MODELS)
    return path


def run(workdir, *args):
    return subprocess.run([sys.executable, "-m", "lamina", *args], cwd=workdir,
                          capture_output=True, text=True, timeout=120)


def test_summary_of_a_file_target_matches_torchinfo(workdir):
    done = run(workdir, "summary", "my_models.py:build_model", "--input-size", "2")
    assert done.returncode == 0, done.stderr
    model = torch.nn.Sequential(torch.nn.Linear(2, 20), torch.nn.ReLU(), torch.nn.Linear(20, 12),
                                torch.nn.ReLU(), torch.nn.Linear(12, 1), torch.nn.Sigmoid())
    assert done.stdout == str(torchinfo.summary(model, input_size=(2,), verbose=0)) + "\n"
    assert done.stderr == ""


def test_comma_separated_shape_columns_and_meta(workdir):
    if not hasattr(lamina.nn, "Conv2d"):
        pytest.skip("lamina lacks Conv2d")
    columns = ("input_size", "output_size", "num_params", "kernel_size", "mult_adds")
    expected = str(torchinfo.summary(torch_cnn(), input_size=(1, 3, 32, 32), col_names=columns,
                                     verbose=0)) + "\n"
    done = run(workdir, "summary", "my_models.py:build_cnn", "--input-size", "1,3,32,32",
               "--col-names", ",".join(columns), "--device", "meta")
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def in_process(workdir, monkeypatch, capsys, *args):
    """main() in this process (cheaper than a subprocess): (status, stdout, stderr)."""
    from lamina.__main__ import main

    monkeypatch.chdir(workdir)
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_several_inputs_with_dtypes_and_a_class_target(workdir, monkeypatch, capsys):
    status, out, err = in_process(workdir, monkeypatch, capsys, "summary",
                                  "my_models.py:TwoInputs", "--input-size", "2,5",
                                  "--input-size", "2,3", "--dtypes", "int64,float32",
                                  "--depth", "1")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[3].split() == ["TwoInputs", "[2,", "4]", "--"]
    assert lines[4].split() == ["├─Embedding:", "1-1", "[2,", "5,", "4]", "40"]
    assert "Total params: 56" in lines


def test_model_that_does_not_fit_exits_1_with_the_failure_table(workdir):
    done = run(workdir, "summary", "my_models.py:misfit", "--input-size", "2,3,4")
    assert done.returncode == 1
    assert "raised here" in done.stdout
    assert "Linear(in_features=5, out_features=2, bias=True)" in done.stdout
    assert "(2, 12)" in done.stdout  # what the Linear got
    assert "failed on its input" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args, message", [
    (("summary", "my_models.py:nope"), "has no attribute 'nope'"),
    (("summary", "missing.py:build"), "no such file: missing.py"),
    (("summary", "my_models.py"), "expected FILE.py:NAME"),
    (("summary", "my_models.py:not_a_model"), "gave a int, not a lamina.nn.Module"),
    (("summary", "my_models.py:build_model", "--col-names", "foo"),
     "'foo' is not a valid ColumnSettings"),
    (("summary", "my_models.py:build_model", "--input-size", "2,x"), "not a shape: '2,x'"),
])
def test_bad_targets_and_arguments_exit_2(workdir, monkeypatch, capsys, args, message):
    try:
        status, _, err = in_process(workdir, monkeypatch, capsys, *args)
    except SystemExit as stop:  # argparse rejects a bad option value itself
        status, err = stop.code, capsys.readouterr().err
    assert status == 2
    assert message in err


def test_without_input_and_without_a_command(workdir, monkeypatch, capsys):
    status, out, _ = in_process(workdir, monkeypatch, capsys, "summary",
                                "my_models.py:build_model")
    assert status == 0
    assert out.splitlines()[1].split() == ["Layer", "(type:depth-idx)", "Param", "#"]
    assert in_process(workdir, monkeypatch, capsys)[0] == 2
