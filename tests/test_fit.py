"""The training loop end to end (hand-written and lamina.fit), against torch, and fit's API."""

import io
import sys

import numpy as np
import pytest
import torch
from tests.helpers import copy_module_weights

import lamina
import lamina.nn as nn
from lamina.utils.data import DataLoader, TensorDataset

# torch's intra-op pool spins when the cores are busy (tests run two at a time): a small
# backward takes ~40 ms with 2 threads and under 1 ms with one.
torch.set_num_threads(1)


def _two_moons(n=400, noise=0.1, seed=0):
    """Two interleaved half circles (not linearly separable), float32 points, 0/1 labels."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], 1) + rng.normal(0, noise, (n, 2))
    return points.astype(np.float32), upper.astype(np.float32)[:, None]


def _xor(n=400, seed=0):
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return points, (points[:, 0] * points[:, 1] > 0).astype(np.float32)[:, None]


def _seed_mlp(module):
    """The seeds' 2-20-12-1 network, under lamina.nn or torch.nn."""
    return module.Sequential(module.Linear(2, 20), module.ReLU(), module.Linear(20, 12),
                             module.ReLU(), module.Linear(12, 1), module.Sigmoid())


@pytest.mark.parametrize("problem", [_two_moons, _xor])
def test_hand_written_loop_learns_a_non_linear_problem(problem):
    points, labels = problem()
    lamina.manual_seed(0)
    model = _seed_mlp(nn)
    optimizer = lamina.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.BCELoss()
    loader = DataLoader(TensorDataset(lamina.from_numpy(points), lamina.from_numpy(labels)),
                        batch_size=32, shuffle=True)
    for _ in range(60):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
    test_points, test_labels = problem(seed=1)
    with lamina.no_grad():
        predicted = model(lamina.from_numpy(test_points)).numpy() > 0.5
    assert predicted.dtype == bool
    assert np.mean(predicted == (test_labels > 0.5)) >= 0.95


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_same_loop_follows_torchs_loss_curve(optimizer):
    points, labels = _two_moons(256)
    torch.manual_seed(0)
    theirs = _seed_mlp(torch.nn)
    ours = _seed_mlp(nn)
    copy_module_weights(theirs, ours)
    if optimizer == "sgd":
        opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        opt_ours = lamina.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    else:
        opt_theirs = torch.optim.Adam(theirs.parameters(), lr=0.01)
        opt_ours = lamina.optim.Adam(ours.parameters(), lr=0.01)
    sched_theirs = torch.optim.lr_scheduler.StepLR(opt_theirs, step_size=40, gamma=0.5)
    sched_ours = lamina.optim.lr_scheduler.StepLR(opt_ours, step_size=40, gamma=0.5)
    order = np.random.default_rng(0).permutation(len(points))
    curve_ours, curve_theirs = [], []
    for step in range(120):
        index = order[(step * 32) % 256:(step * 32) % 256 + 32]
        for model, opt, sched, module, curve in (
                (theirs, opt_theirs, sched_theirs, torch, curve_theirs),
                (ours, opt_ours, sched_ours, lamina, curve_ours)):
            x, y = module.from_numpy(points[index]), module.from_numpy(labels[index])
            opt.zero_grad()
            loss = module.nn.functional.binary_cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            curve.append(loss.item())
    np.testing.assert_allclose(curve_ours, curve_theirs, rtol=0, atol=1e-4)
    assert curve_ours[-1] < 0.5 * curve_ours[0]  # it did learn
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert a.dtype == lamina.float32
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-4)


def _loaders(n=200, batch_size=25):
    points, labels = _xor(n)
    data = TensorDataset(lamina.from_numpy(points), lamina.from_numpy(labels))
    return DataLoader(data, batch_size=batch_size, shuffle=True), DataLoader(data, batch_size=50)


def test_fit_learns_and_returns_a_history():
    lamina.manual_seed(1)
    model = _seed_mlp(nn)
    train, val = _loaders(400, 32)
    history = lamina.fit(model, train, nn.BCELoss(), lamina.optim.Adam(model.parameters(), 0.01),
                         epochs=60, val_loader=val, metrics=["accuracy"], progress=False)
    assert set(history) == {"loss", "accuracy", "lr", "val_loss", "val_accuracy"}
    assert all(len(v) == 60 for v in history.values())
    assert history["val_accuracy"][-1] >= 0.95
    assert history["loss"][-1] < history["loss"][0]
    assert model.training


class _Spy(nn.Module):
    """Records the training flag and grad mode of every forward call."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, lamina.is_grad_enabled()))
        return self.linear(x).sigmoid()


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_grad():
    model = _Spy()
    model.eval()
    train, val = _loaders()
    lamina.fit(model, train, nn.BCELoss(), lamina.optim.SGD(model.parameters(), 0.1), epochs=2,
               val_loader=val, progress=False)
    assert set(model.calls[:8]) == {(True, True)}  # 8 training batches of the first epoch
    assert set(model.calls[8:12]) == {(False, False)}  # then 4 validation batches
    assert not model.training  # the mode it had before fit


def test_early_stopping_restores_the_best_weights():
    model = _seed_mlp(nn)
    train, val = _loaders()
    stopper = lamina.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # a learning rate this large makes the loss blow up after the first steps
    history = lamina.fit(model, train, nn.MSELoss(), lamina.optim.SGD(model.parameters(), 5.0),
                         epochs=50, val_loader=val, callbacks=[stopper], progress=False)
    assert len(history["loss"]) < 50 and stopper.stopped_epoch == len(history["loss"]) - 1
    assert history["val_loss"][stopper.best_epoch] == min(history["val_loss"])
    with lamina.no_grad():
        restored = np.mean([nn.MSELoss()(model(x), y).item() for x, y in val])
    assert restored == pytest.approx(min(history["val_loss"]), rel=1e-5)


def test_model_checkpoint_saves_and_restores_the_best(tmp_path):
    model = _seed_mlp(nn)
    train, val = _loaders()
    path = tmp_path / "best.pt"
    checkpoint = lamina.ModelCheckpoint(path, monitor="val_accuracy")
    history = lamina.fit(model, train, nn.BCELoss(), lamina.optim.Adam(model.parameters(), 0.05),
                         epochs=5, val_loader=val, metrics=["accuracy"], callbacks=[checkpoint],
                         progress=False)
    assert checkpoint.mode == "max"
    assert history["val_accuracy"][checkpoint.best_epoch] == max(history["val_accuracy"])
    saved = lamina.load(path)
    assert list(saved) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(saved[key].numpy(), value.numpy())


def test_fit_steps_schedulers_per_epoch_or_per_batch():
    model = _seed_mlp(nn)
    train, val = _loaders()
    optimizer = lamina.optim.SGD(model.parameters(), lr=1.0)
    scheduler = lamina.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = lamina.fit(model, train, nn.BCELoss(), optimizer, epochs=3, scheduler=scheduler,
                         progress=False)
    assert history["lr"] == [1.0, 0.5, 0.25]
    optimizer = lamina.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    one_cycle = lamina.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=2,
                                                     steps_per_epoch=len(train))
    lamina.fit(model, train, nn.BCELoss(), optimizer, epochs=2, scheduler=one_cycle,
               scheduler_step="batch", progress=False)
    assert one_cycle.last_epoch == 2 * len(train)
    plateau = lamina.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    lamina.fit(model, train, nn.BCELoss(), optimizer, epochs=2, val_loader=val,
               scheduler=plateau, progress=False)
    assert plateau.last_epoch == 2


def test_plain_progress_lines_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `import tqdm.auto` fail
    model = _seed_mlp(nn)
    train, val = _loaders()
    stream = io.StringIO()
    lamina.fit(model, train, nn.BCELoss(), lamina.optim.SGD(model.parameters(), 0.1), epochs=2,
               val_loader=val, metrics=["accuracy"], stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2") and "val_accuracy=" in lines[1]


def test_fit_bad_input_raises_clear_errors():
    model = _seed_mlp(nn)
    optimizer = lamina.optim.SGD(model.parameters(), 0.1)
    train, _ = _loaders()
    points = DataLoader(TensorDataset(lamina.zeros(4, 2)), batch_size=2)
    with pytest.raises(ValueError, match=r"\(inputs, targets\), got a list of length 1"):
        lamina.fit(model, points, nn.BCELoss(), optimizer, progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        lamina.fit(model, train, nn.BCELoss(), optimizer, metrics=["f1"], progress=False)
    with pytest.raises(ValueError, match="epochs"):
        lamina.fit(model, train, nn.BCELoss(), optimizer, epochs=-1, progress=False)
    with pytest.raises(KeyError, match="'val_loss'.*need a val_loader"):
        lamina.fit(model, train, nn.BCELoss(), optimizer, callbacks=[lamina.EarlyStopping()],
                   progress=False)
    with pytest.raises(ValueError, match="targets of shape"):
        lamina.fit(model, train, nn.BCELoss(), optimizer, progress=False,
                   metrics={"accuracy": lambda out, y: lamina._fit.accuracy(out, y[:3])})


def test_digits_style_cnn_follows_torchs_loss_curve():
    """Conv, max-pool and batch-norm layers through our DataLoader and SGD: same losses.

    (Adam is left out here on purpose: it divides by the root of the squared gradient, so
    elements whose gradient is float32 rounding noise take full-size steps whose sign is
    noise too, and two correct implementations drift apart after a few steps.)
    """
    rng = np.random.default_rng(0)
    images = rng.random((96, 1, 8, 8), dtype=np.float32)
    labels = rng.integers(0, 10, 96)

    def cnn(module):
        return module.Sequential(
            module.Conv2d(1, 8, 3, padding=1), module.ReLU(), module.MaxPool2d(2, 2),
            module.Conv2d(8, 16, 3, padding=1), module.ReLU(), module.MaxPool2d(2, 2),
            module.Flatten(), module.Linear(64, 32), module.BatchNorm1d(32), module.ReLU(),
            module.Linear(32, 10))

    theirs, ours = cnn(torch.nn), cnn(nn)
    copy_module_weights(theirs, ours)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    opt_ours = lamina.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(TensorDataset(lamina.from_numpy(images), lamina.from_numpy(labels)),
                        batch_size=32)  # no shuffle: torch sees the same batches in order
    curves = ([], [])
    for _ in range(4):
        for x, y in loader:
            for model, opt, module, curve, inputs in (
                    (theirs, opt_theirs, torch, curves[1], (torch.from_numpy(x.numpy()),
                                                           torch.from_numpy(y.numpy()))),
                    (ours, opt_ours, lamina, curves[0], (x, y))):
                opt.zero_grad()
                loss = module.nn.functional.cross_entropy(model(inputs[0]), inputs[1])
                loss.backward()
                opt.step()
                curve.append(loss.item())
    np.testing.assert_allclose(curves[0], curves[1], rtol=0, atol=1e-4)
    assert curves[0][-1] < curves[0][0]


def test_fit_over_a_stream_without_length_shows_progress(tmp_path):
    points, labels = _xor(64)

    class Stream(lamina.utils.data.IterableDataset):
        def __iter__(self):
            return zip(lamina.from_numpy(points), lamina.from_numpy(labels))

    model = _seed_mlp(nn)
    stream = io.StringIO()
    history = lamina.fit(model, DataLoader(Stream(), batch_size=16), nn.BCELoss(),
                         lamina.optim.SGD(model.parameters(), 0.1), epochs=2, stream=stream)
    assert len(history["loss"]) == 2
    assert "Epoch 2/2" in stream.getvalue()  # tqdm's bar, or the plain line without tqdm
