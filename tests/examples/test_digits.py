"""The `make demo` job: a short run trains, saves, reloads identically, and torch reads it."""

import numpy as np
import pytest
import torch

from lamina.examples import digits

pytest.importorskip("sklearn")


def _torch_twin(name):
    """The same architecture in torch, to read the checkpoint lamina wrote."""
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64),
                             nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(),
                         nn.Dropout(0.25), nn.Linear(64, 10))


def test_short_run_trains_saves_and_reloads_identically(tmp_path, capsys):
    results = digits.main(["--epochs", "2", "--no-progress", "--save-dir", str(tmp_path),
                           "--seed", "3"])
    out = capsys.readouterr().out
    assert "Total params" in out and "test accuracy" in out  # summary tables and results
    assert [r["model"] for r in results] == ["mlp", "cnn"]
    _, _, test_x, test_y = digits.load_digits(3)
    for result in results:
        assert result["identical_after_reload"] is True
        assert result["test_accuracy"] > 0.8  # two epochs already beat chance by far
        assert len(result["history"]["loss"]) == 2
        assert result["history"]["loss"][1] < result["history"]["loss"][0]
        # the checkpoint is PyTorch's format: torch loads it and predicts the same
        twin = _torch_twin(result["model"])
        twin.load_state_dict(torch.load(result["path"], weights_only=True))
        twin.eval()
        with torch.no_grad():
            theirs = torch.softmax(twin(torch.from_numpy(test_x)), dim=1).numpy()
        assert np.mean(theirs.argmax(1) == test_y) == pytest.approx(result["test_accuracy"])


def test_split_is_seeded_disjoint_and_float32():
    train_x, train_y, test_x, test_y = digits.load_digits(0)
    assert train_x.shape == (1438, 1, 8, 8) and test_x.shape == (359, 1, 8, 8)
    assert train_x.dtype == np.float32 and train_y.dtype == np.int64
    assert 0.0 <= train_x.min() and train_x.max() <= 1.0
    again = digits.load_digits(0)
    np.testing.assert_array_equal(again[2], test_x)
    other = digits.load_digits(1)
    assert not np.array_equal(other[2], test_x)
    train_rows = {row.tobytes() for row in train_x}
    overlap = sum(row.tobytes() in train_rows for row in test_x)
    assert overlap < 10  # only the few digits that occur twice in the data set


def test_bad_arguments_exit_with_a_message(capsys):
    with pytest.raises(SystemExit):
        digits.main(["--epochs", "0"])
    assert "--epochs must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        digits.main(["--model", "resnet"])


@pytest.mark.slow
def test_default_run_reaches_97_percent_with_the_cnn(tmp_path):
    results = digits.main(["--model", "cnn", "--no-progress", "--save-dir", str(tmp_path)])
    assert results[0]["test_accuracy"] >= 0.97


def test_same_seed_same_run(tmp_path):
    def run():
        result = digits.main(["--epochs", "1", "--model", "cnn", "--no-progress", "--save-dir",
                              str(tmp_path), "--seed", "4"])[0]
        return result["history"], result["test_accuracy"]

    assert run() == run()
