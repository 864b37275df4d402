"""`lamina.fit`: the usual training loop, written once, with progress, metrics and callbacks.

The hand-written PyTorch loop stays first class; `fit` is that same loop (zero_grad, forward,
loss, backward, step) for people who would rather not write it each time:

    history = lamina.fit(model, train_loader, nn.CrossEntropyLoss(), optimizer, epochs=10,
                         val_loader=val_loader, metrics=["accuracy"],
                         callbacks=[EarlyStopping(patience=3), ModelCheckpoint("best.pt")])
    history["val_accuracy"][-1]

Design:
- Batches are `(inputs, targets)` pairs; `loss_fn(model(inputs), targets)` is minimised.
- Each epoch trains in `model.train()` mode, then validates in `model.eval()` mode under
  `no_grad`; the mode the model had before `fit` is restored at the end.
- Metrics are named functions `metric(outputs, targets) -> number`, averaged over samples;
  the string "accuracy" picks a built-in. Logged names: `loss`, `<metric>`, `val_loss`,
  `val_<metric>`, and `lr` (the first param group's learning rate during the epoch).
- Callbacks see a `FitState` (model, optimizer, history, epoch, `stop_training`) after each
  epoch; `EarlyStopping` and `ModelCheckpoint` (best weights, in memory and optionally on
  disk) are provided.
- A scheduler steps after every epoch (`scheduler_step="epoch"`, ReduceLROnPlateau gets
  `val_loss`, or `loss` without validation) or after every batch (`"batch"`, for OneCycleLR).
- Progress: a tqdm bar per epoch when tqdm is installed, one printed line per epoch otherwise;
  `progress=False` silences both.
"""

from __future__ import annotations

import copy
import math
import sys
import time

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.grad_mode import no_grad
from lamina.optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["fit", "Callback", "EarlyStopping", "ModelCheckpoint", "FitState", "accuracy"]


def accuracy(outputs: Tensor, targets: Tensor) -> float:
    """Fraction of correct predictions.

    (N, C) scores with C > 1: the arg-max class is compared with integer targets (or with the
    arg-max of one-hot targets). (N,) or (N, 1) outputs are read as probabilities of the
    positive class and thresholded at 0.5 (pass a metric of your own for logits).
    """
    scores, labels = outputs._array, targets._array
    if scores.ndim >= 2 and scores.shape[1] > 1:
        predicted = scores.argmax(axis=1)
        if labels.ndim == scores.ndim:
            labels = labels.argmax(axis=1)
    else:
        predicted = scores.reshape(scores.shape[0], -1)[:, 0] > 0.5
        labels = labels.reshape(labels.shape[0], -1)[:, 0] > 0.5
    if predicted.shape != labels.shape:
        raise ValueError(
            f"accuracy: outputs of shape {tuple(scores.shape)} don't match targets of shape "
            f"{tuple(targets.shape)}. Hint: class scores (N, C) go with integer labels (N,)."
        )
    return float(np.mean(predicted == labels))


_BUILTIN_METRICS = {"accuracy": accuracy, "acc": accuracy}


def _resolve_metrics(metrics) -> dict:
    if metrics is None:
        return {}
    if isinstance(metrics, dict):
        items = list(metrics.items())
    else:
        items = []
        for metric in metrics:
            if isinstance(metric, str):
                if metric not in _BUILTIN_METRICS:
                    raise ValueError(
                        f"fit: unknown metric {metric!r}; the built-in ones are "
                        f"{sorted(_BUILTIN_METRICS)}. Hint: pass a function "
                        "metric(outputs, targets) -> float, or a dict name -> function."
                    )
                items.append(("accuracy" if metric == "acc" else metric, _BUILTIN_METRICS[metric]))
            else:
                items.append((getattr(metric, "__name__", type(metric).__name__), metric))
    resolved = {}
    for name, function in items:
        if isinstance(function, str):
            function = _BUILTIN_METRICS[function]
        if not callable(function):
            raise TypeError(f"fit: metric {name!r} is not callable (got {type(function).__name__})")
        resolved[name] = function
    return resolved


class FitState:
    """What callbacks can see and change while `fit` runs."""

    def __init__(self, model, optimizer, history: dict, epochs: int):
        self.model = model
        self.optimizer = optimizer
        self.history = history
        self.epochs = epochs
        self.epoch = 0
        self.stop_training = False


class Callback:
    """Hooks called by `fit`; override the ones you need. `logs` is this epoch's numbers."""

    def on_train_begin(self, state: FitState) -> None:
        pass

    def on_epoch_end(self, state: FitState, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, state: FitState) -> None:
        pass


class _Monitor(Callback):
    """Tracks the best value of one logged quantity."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = None

    def _value(self, logs: dict) -> float:
        if self.monitor not in logs:
            raise KeyError(
                f"{type(self).__name__} monitors {self.monitor!r}, but fit logs only "
                f"{sorted(logs)}. Hint: 'val_*' quantities need a val_loader."
            )
        return logs[self.monitor]

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    With `restore_best_weights=True` the model gets back the weights of its best epoch.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.stopped_epoch = None
        self._best_state = None

    def on_train_begin(self, state: FitState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.stopped_epoch, self._best_state = 0, None, None

    def on_epoch_end(self, state: FitState, epoch: int, logs: dict) -> None:
        value = self._value(logs)
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_state = copy.deepcopy(state.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            state.stop_training = True

    def on_train_end(self, state: FitState) -> None:
        if self.restore_best_weights and self._best_state is not None:
            state.model.load_state_dict(self._best_state)


class ModelCheckpoint(_Monitor):
    """Keep the weights of the best epoch by `monitor`: in memory (`best_state`) and, with a
    `path`, on disk via `lamina.save` each time they improve. `restore_best=True` loads them
    back into the model when training ends."""

    def __init__(self, path=None, monitor: str = "val_loss", mode: str = "auto",
                 restore_best: bool = True):
        super().__init__(monitor, mode)
        self.path = path
        self.restore_best = restore_best
        self.best_state = None

    def on_train_begin(self, state: FitState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_state = None

    def on_epoch_end(self, state: FitState, epoch: int, logs: dict) -> None:
        value = self._value(logs)
        if not self._improved(value):
            return
        self.best, self.best_epoch = value, epoch
        self.best_state = copy.deepcopy(state.model.state_dict())
        if self.path is not None:
            from lamina.serialization import save

            save(self.best_state, self.path)

    def on_train_end(self, state: FitState) -> None:
        if self.restore_best and self.best_state is not None:
            state.model.load_state_dict(self.best_state)


def _split(batch):
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    kind = f"a {type(batch).__name__}" + (f" of length {len(batch)}"
                                           if isinstance(batch, (list, tuple)) else "")
    raise ValueError(
        f"fit expects each batch to be (inputs, targets), got {kind}. Hint: use a "
        "TensorDataset(inputs, targets), or write the loop by hand for other layouts."
    )


def _batch_size(targets) -> int:
    return targets.shape[0] if isinstance(targets, Tensor) and targets.ndim else 1


class _Progress:
    """A tqdm bar over one epoch's batches, or a plain line at the end of the epoch."""

    def __init__(self, enabled: bool, loader, epoch: int, epochs: int, stream):
        self.enabled, self.stream = enabled, stream
        self.prefix = f"Epoch {epoch + 1}/{epochs}"
        self.bar = None
        self.started = time.perf_counter()
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                try:
                    total = len(loader)
                except TypeError:  # a loader over a stream has no length
                    total = None
                self.bar = tqdm(total=total, desc=self.prefix, unit="batch", leave=True,
                                file=stream, dynamic_ncols=True)

    def update(self, logs: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(_format(logs), refresh=False)
            self.bar.update(1)

    def close(self, logs: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(_format(logs), refresh=False)
            self.bar.close()
        elif self.enabled:
            text = "  ".join(f"{k}={v}" for k, v in _format(logs).items())
            seconds = time.perf_counter() - self.started
            print(f"{self.prefix}  {text}  ({seconds:.1f}s)", file=self.stream, flush=True)


def _format(logs: dict) -> dict:
    return {k: f"{v:.4g}" for k, v in logs.items()}


def _evaluate(model, loader, loss_fn, metrics: dict) -> dict:
    totals = dict.fromkeys(["loss", *metrics], 0.0)
    count = 0
    with no_grad():
        for batch in loader:
            inputs, targets = _split(batch)
            outputs = model(inputs)
            n = _batch_size(targets)
            totals["loss"] += float(loss_fn(outputs, targets)) * n
            for name, metric in metrics.items():
                totals[name] += float(metric(outputs, targets)) * n
            count += n
    if count == 0:
        raise ValueError("fit: val_loader produced no batches")
    return {f"val_{name}": total / count for name, total in totals.items()}


def fit(model, train_loader, loss_fn, optimizer, epochs: int = 1, *, val_loader=None,
        metrics=None, scheduler=None, scheduler_step: str = "epoch", callbacks=(),
        progress: bool = True, stream=None) -> dict:
    """Train `model` for `epochs` passes over `train_loader`; return the history.

    The history is a dict of per-epoch lists: `loss`, each metric, `lr`, and with a
    `val_loader` also `val_loss` and `val_<metric>`. See the module docstring for the rest.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    if scheduler_step == "batch" and isinstance(scheduler, ReduceLROnPlateau):
        raise ValueError("fit: ReduceLROnPlateau needs a metric, so it steps per epoch only")
    metrics = _resolve_metrics(metrics)
    callbacks = list(callbacks or ())
    stream = stream if stream is not None else sys.stderr
    history: dict = {}
    state = FitState(model, optimizer, history, epochs)
    was_training = model.training
    for callback in callbacks:
        callback.on_train_begin(state)
    try:
        for epoch in range(epochs):
            state.epoch = epoch
            bar = _Progress(progress, train_loader, epoch, epochs, stream)
            logs = _train_epoch(model, train_loader, loss_fn, optimizer, metrics, scheduler,
                                scheduler_step, bar)
            if val_loader is not None:
                model.eval()
                logs.update(_evaluate(model, val_loader, loss_fn, metrics))
            bar.close({k: v for k, v in logs.items() if k != "lr"})
            if scheduler is not None and scheduler_step == "epoch":
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(logs.get("val_loss", logs["loss"]))
                else:
                    scheduler.step()
            for name, value in logs.items():
                history.setdefault(name, []).append(value)
            for callback in callbacks:
                callback.on_epoch_end(state, epoch, logs)
            if state.stop_training:
                break
        for callback in callbacks:
            callback.on_train_end(state)
    finally:
        model.train(was_training)
    return history


def _train_epoch(model, loader, loss_fn, optimizer, metrics, scheduler, scheduler_step,
                 progress: _Progress) -> dict:
    model.train()
    totals = dict.fromkeys(["loss", *metrics], 0.0)
    count = 0
    lr = optimizer.param_groups[0]["lr"]
    running = {}
    for batch in loader:
        inputs, targets = _split(batch)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        if scheduler is not None and scheduler_step == "batch":
            scheduler.step()
        n = _batch_size(targets)
        totals["loss"] += loss.item() * n
        if metrics:
            with no_grad():
                for name, metric in metrics.items():
                    totals[name] += float(metric(outputs.detach(), targets)) * n
        count += n
        running = {name: total / count for name, total in totals.items()}
        progress.update(running)
    if count == 0:
        raise ValueError("fit: train_loader produced no batches")
    running["lr"] = float(lr)
    return running
