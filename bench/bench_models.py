"""The seeds' models side by side with torch: inference at batch 1 and 256, a training step at
batch 64 (zero_grad, forward, loss, backward, SGD step).

Models (../shared/seeds): the 2-20-12-1 sigmoid MLP, the 784-128-64-10 softmax MLP, the CNN on
3x32x32 (conv-relu-pool twice, flatten, linear, softmax) and the BatchNorm/Dropout MLP. Each
lamina model starts from the torch model's weights; inference runs in eval mode under no_grad,
training in train mode. Targets: batch-1 inference at most 0.3 of torch's time, the rest at
most 1.0. For the MLPs a last row times the same inference written by hand in NumPy against
torch: the floor any NumPy library can reach (its "lamina" column is that NumPy code).
"""

from __future__ import annotations

import numpy as np
import torch
from bench.harness import Case

import lamina
import lamina.nn
import lamina.optim

rng = np.random.default_rng(0)


def build(library, name):
    nn = library.nn
    if name == "MLP 2-20-12-1":
        return nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 12), nn.ReLU(),
                             nn.Linear(12, 1), nn.Sigmoid())
    if name == "MLP 784-128-64-10":
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                             nn.Linear(64, 10), nn.Softmax(dim=1))
    if name == "CNN 3x32x32":
        return nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(kernel_size=2, stride=2),
                             nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(kernel_size=2, stride=2), nn.Flatten(),
                             nn.Linear(32 * 8 * 8, 10), nn.Softmax(dim=1))
    return nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(128, 10), nn.Softmax(dim=1))


INPUTS = {"MLP 2-20-12-1": (2,), "MLP 784-128-64-10": (784,), "CNN 3x32x32": (3, 32, 32),
          "BatchNorm/Dropout MLP": (784,)}


def pair(name):
    """A torch model and a lamina model holding the same weights."""
    reference = build(torch, name)
    model = build(lamina, name)
    model.load_state_dict({k: v.detach().numpy().copy()
                           for k, v in reference.state_dict().items()})
    return model, reference


def inference_case(name, batch):
    model, reference = pair(name)
    model.eval()
    reference.eval()
    x = rng.standard_normal((batch,) + INPUTS[name]).astype(np.float32)
    x_ours, x_theirs = lamina.tensor(x), torch.tensor(x)

    def ours():
        with lamina.no_grad():
            return model(x_ours)

    def theirs():
        with torch.no_grad():
            return reference(x_theirs)

    return Case(f"{name} inference, batch {batch}", ours, theirs)


def training_case(name, batch=64):
    model, reference = pair(name)
    x = rng.standard_normal((batch,) + INPUTS[name]).astype(np.float32)
    if name == "MLP 2-20-12-1":
        y = rng.integers(0, 2, (batch, 1)).astype(np.float32)
        loss_ours, loss_theirs = lamina.nn.BCELoss(), torch.nn.BCELoss()
    else:
        y = rng.integers(0, 10, batch)
        loss_ours, loss_theirs = lamina.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    x_ours, y_ours, x_theirs, y_theirs = (lamina.tensor(x), lamina.tensor(y), torch.tensor(x),
                                          torch.tensor(y))
    optimizer_ours = lamina.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    optimizer_theirs = torch.optim.SGD(reference.parameters(), lr=1e-3, momentum=0.9)

    def ours():
        optimizer_ours.zero_grad()
        loss_ours(model(x_ours), y_ours).backward()
        optimizer_ours.step()

    def theirs():
        optimizer_theirs.zero_grad()
        loss_theirs(reference(x_theirs), y_theirs).backward()
        optimizer_theirs.step()

    return Case(f"{name} training step, batch {batch}", ours, theirs)


def numpy_steps(reference):
    """The eval-mode MLP written by hand in NumPy, from the torch model's weights: the fewest
    NumPy calls per layer (in place where possible, batch norm folded into one scale and shift).
    No library on NumPy can be faster than this; it shows where the batch-1 floor is."""
    steps = []
    for layer in reference:
        kind = type(layer).__name__
        if kind == "Linear":
            weight_t = layer.weight.detach().numpy().T.copy()
            bias = layer.bias.detach().numpy().copy()
            steps.append(lambda h, w=weight_t, b=bias: np.add(np.dot(h, w), b))
        elif kind == "BatchNorm1d":
            scale = (layer.weight / torch.sqrt(layer.running_var + layer.eps)).detach().numpy()
            shift = (layer.bias - layer.running_mean * torch.tensor(scale)).detach().numpy()
            steps.append(lambda h, a=scale, b=shift: np.add(np.multiply(h, a, out=h), b, out=h))
        elif kind == "ReLU":
            steps.append(lambda h: np.maximum(h, 0, out=h))
        elif kind == "Sigmoid":
            steps.append(lambda h: np.reciprocal(np.add(np.exp(np.negative(h, out=h), out=h), 1,
                                                        out=h), out=h))
        elif kind == "Softmax":
            def softmax(h):
                h = np.exp(h - h.max(1, keepdims=True))
                return np.divide(h, h.sum(1, keepdims=True), out=h)
            steps.append(softmax)
        elif kind != "Dropout":
            raise ValueError(f"no NumPy form for {kind}")
    return steps


def numpy_floor_case(name, batch=1):
    _, reference = pair(name)
    reference.eval()
    steps = numpy_steps(reference)
    x = rng.standard_normal((batch,) + INPUTS[name]).astype(np.float32)
    x_theirs = torch.tensor(x)
    expected = reference(x_theirs).detach().numpy()

    def by_hand():
        h = x
        for step in steps:
            h = step(h)
        return h

    np.testing.assert_allclose(by_hand(), expected, rtol=1e-4, atol=1e-6)

    def theirs():
        with torch.no_grad():
            return reference(x_theirs)

    # the "lamina" column of this row is NumPy by hand, not lamina
    return Case(f"{name} inference, batch {batch}: NumPy by hand (floor)", by_hand, theirs)


CASES = []
for _name in INPUTS:
    CASES += [inference_case(_name, 1), inference_case(_name, 256), training_case(_name)]
    if _name != "CNN 3x32x32":
        CASES.append(numpy_floor_case(_name))
