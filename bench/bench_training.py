"""A full training epoch, lamina against torch: the digits CNN and the seeds' CNN.

Each case is one epoch of the usual hand-written loop (DataLoader with shuffling, zero_grad,
forward, CrossEntropyLoss, backward, Adam step) from identical initial weights, the
library's own DataLoader feeding it:
- "digits CNN": the demo's CNN (lamina.examples.digits) on the 1,437 8x8 training digits at
  batch 32 (random pixels of the same shape, so scikit-learn is not needed here);
- "seeds' CNN": the nn.Sequential seed's CNN (Conv-ReLU-MaxPool x2, Flatten, Linear(2048, 10),
  Softmax) on 1,024 random 3x32x32 images at batch 64.

Each runs twice: with both libraries' default threads, and with one thread each (torch's
`set_num_threads(1)`, NumPy's OpenBLAS limited through threadpoolctl). Then the parts of
the loop alone: optimizer steps over the digits CNN's parameters and a DataLoader epoch.
On a busy 2-core machine the default thread pools of both libraries spin and stall on these
small products, so the one-thread rows are the steadier comparison.

    python bench/run.py training
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from bench.harness import Case

import lamina
from lamina.examples.digits import build_cnn as build_digits_cnn
from lamina.utils.data import DataLoader as LaminaLoader
from lamina.utils.data import TensorDataset as LaminaDataset

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # the one-thread rows then limit torch only
    ThreadpoolController = None

# one controller for the whole run: creating one per call costs ~2 ms, using it ~10 us
_BLAS = ThreadpoolController() if ThreadpoolController is not None else None


def seeds_cnn(nn):
    """Example 2 of the nn.Sequential seed, verbatim but for the module namespace."""
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(32 * 8 * 8, 10),
        nn.Softmax(dim=1),
    )


def digits_cnn_torch():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(),
                         nn.Dropout(0.25), nn.Linear(64, 10))


def _epoch(library, model, loader, optimizer, loss_fn):
    def run():
        model.train()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
    return run


def _pair(name, ours_model, torch_model, images, labels, batch_size):
    """Epoch callables for both libraries, from the same weights and data."""
    torch_model.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in ours_model.state_dict().items()})
    ours_loader = LaminaLoader(LaminaDataset(lamina.from_numpy(images), lamina.from_numpy(labels)),
                               batch_size=batch_size, shuffle=True)
    torch_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels)),
        batch_size=batch_size, shuffle=True)
    ours = _epoch(lamina, ours_model, ours_loader,
                  lamina.optim.Adam(ours_model.parameters(), lr=1e-3),
                  lamina.nn.CrossEntropyLoss())
    theirs = _epoch(torch, torch_model, torch_loader,
                    torch.optim.Adam(torch_model.parameters(), lr=1e-3),
                    torch.nn.CrossEntropyLoss())
    return name, ours, theirs


@contextlib.contextmanager
def _torch_threads(count):
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _one_thread(function, library):
    def run():
        if library == "torch":
            with _torch_threads(1):
                return function()
        if _BLAS is None:
            return function()
        with _BLAS.limit(limits=1, user_api="blas"):
            return function()
    return run


rng = np.random.default_rng(0)
lamina.manual_seed(0)
PAIRS = [
    _pair("digits CNN epoch (1437 x 1x8x8, batch 32)", build_digits_cnn(), digits_cnn_torch(),
          rng.random((1437, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, 1437), 32),
    _pair("seeds' CNN epoch (1024 x 3x32x32, batch 64)", seeds_cnn(lamina.nn),
          seeds_cnn(torch.nn), rng.standard_normal((1024, 3, 32, 32), dtype=np.float32),
          rng.integers(0, 10, 1024), 64),
]

CASES = []
for name, ours, theirs in PAIRS:
    CASES.append(Case(name + ", default threads", lamina=ours, torch=theirs, number=1,
                      repeats=7))
    CASES.append(Case(name + ", 1 thread", lamina=_one_thread(ours, "lamina"),
                      torch=_one_thread(theirs, "torch"), number=1, repeats=7))


# ---------------------------------------------------------------- the parts of the loop
def _with_grads(ours_model, torch_model):
    for p in ours_model.parameters():
        p.grad = lamina.from_numpy(rng.standard_normal(tuple(p.shape), dtype=np.float32))
    for p, q in zip(ours_model.parameters(), torch_model.parameters()):
        q.grad = torch.from_numpy(p.grad.numpy().copy())
    return list(ours_model.parameters()), list(torch_model.parameters())


_ours_params, _torch_params = _with_grads(build_digits_cnn(), digits_cnn_torch())
for label, make_ours, make_torch in [
    ("SGD(momentum=0.9)", lambda ps: lamina.optim.SGD(ps, 0.01, momentum=0.9),
     lambda ps: torch.optim.SGD(ps, 0.01, momentum=0.9)),
    ("Adam", lamina.optim.Adam, torch.optim.Adam),
    ("AdamW(amsgrad=True)", lambda ps: lamina.optim.AdamW(ps, amsgrad=True),
     lambda ps: torch.optim.AdamW(ps, amsgrad=True)),
    ("RMSprop(centered=True)", lambda ps: lamina.optim.RMSprop(ps, centered=True),
     lambda ps: torch.optim.RMSprop(ps, centered=True)),
]:
    # lamina's steps and loader make no BLAS calls, so only torch needs its threads limited
    CASES.append(Case(f"{label}.step(), digits CNN's 10 parameters, 1 thread",
                      lamina=make_ours(_ours_params).step,
                      torch=_one_thread(make_torch(_torch_params).step, "torch")))

_images = rng.random((1437, 1, 8, 8), dtype=np.float32)
_labels = rng.integers(0, 10, 1437)
_ours_loader = LaminaLoader(LaminaDataset(lamina.from_numpy(_images), lamina.from_numpy(_labels)),
                            batch_size=32, shuffle=True)
_torch_loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(torch.from_numpy(_images), torch.from_numpy(_labels)),
    batch_size=32, shuffle=True)
CASES.append(Case("DataLoader epoch, TensorDataset 1437 x 1x8x8, batch 32, shuffled, 1 thread",
                  lamina=lambda: list(_ours_loader),
                  torch=_one_thread(lambda: list(_torch_loader), "torch")))
