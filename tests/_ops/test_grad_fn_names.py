"""Printed tensors show torch's node names: `grad_fn=<MmBackward0>`, `<SelectBackward0>`..."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lamina

CALLS = {
    "select": lambda x, lib: x[0],
    "select-column": lambda x, lib: x[:, 1],
    "slice": lambda x, lib: x[1:],
    "unsqueeze-index": lambda x, lib: x[None],
    "index": lambda x, lib: x[[0, 1]],
    "mask": lambda x, lib: x[x > 0],
    "mm": lambda x, lib: x @ x.t(),
    "dot": lambda x, lib: x[0] @ x[1],
    "mv": lambda x, lib: x @ x[0],
    "t": lambda x, lib: x.t(),
    "transpose": lambda x, lib: x.transpose(0, 1),
    "permute": lambda x, lib: x.permute(1, 0),
    "reshape": lambda x, lib: x.reshape(-1),
    "view": lambda x, lib: x.view(-1),
    "unsqueeze": lambda x, lib: x.unsqueeze(0),
    "squeeze": lambda x, lib: x.unsqueeze(0).squeeze(),
    "expand": lambda x, lib: x.expand(2, 4, 4),
    "max": lambda x, lib: x.max(),
    "max-dim": lambda x, lib: x.max(1)[0],
    "min-dim": lambda x, lib: x.min(1)[0],
    "amax": lambda x, lib: x.amax(1),
    "var": lambda x, lib: x.var(),
    "std": lambda x, lib: x.std(1),
    "clamp": lambda x, lib: x.clamp(0, 1),
    "clamp-tensor": lambda x, lib: x.clamp(min=x[0]),
    "norm": lambda x, lib: x.norm(),
    "cat": lambda x, lib: lib.cat([x, x]),
    "stack": lambda x, lib: lib.stack([x, x]),
    "pow": lambda x, lib: x**2,
    "pow-tensor": lambda x, lib: x ** x,
    "rpow": lambda x, lib: 2**x,
    "sum": lambda x, lib: x.sum(),
    "mean": lambda x, lib: x.mean(),
    "where": lambda x, lib: lib.where(x > 0, x, x * 2),
    "gather": lambda x, lib: x.gather(1, lib.tensor([[0], [1], [2], [3]])),
    "to": lambda x, lib: x.double(),
    # torch's linear ends in addmm/mm for a matrix, a reshape of one otherwise
    "linear": lambda x, lib: lib.nn.functional.linear(x, x, x[0]),
    "linear-no-bias": lambda x, lib: lib.nn.functional.linear(x, x),
    "linear-1d": lambda x, lib: lib.nn.functional.linear(x[0], x, x[0]),
    "linear-1d-no-bias": lambda x, lib: lib.nn.functional.linear(x[0], x),
    "linear-3d": lambda x, lib: lib.nn.functional.linear(x.expand(2, 4, 4).contiguous(), x,
                                                         x[0]),
    "linear-3d-strided": lambda x, lib: lib.nn.functional.linear(x.expand(2, 4, 4), x, x[0]),
    "linear-3d-no-bias": lambda x, lib: lib.nn.functional.linear(x.expand(2, 4, 4), x),
    "cross_entropy": lambda x, lib: lib.nn.functional.cross_entropy(x, lib.tensor([0, 1, 2, 3])),
    "cross_entropy-smoothing": lambda x, lib: lib.nn.functional.cross_entropy(
        x, lib.tensor([0, 1, 2, 3]), label_smoothing=0.1),
    "mse_loss": lambda x, lib: lib.nn.functional.mse_loss(x, lib.zeros(4, 4)),
    "mse_loss-none": lambda x, lib: lib.nn.functional.mse_loss(x, lib.zeros(4, 4),
                                                               reduction="none"),
    "scatter-number": lambda x, lib: x.scatter(0, lib.tensor([[1]]), 2.0),
    "scatter-tensor": lambda x, lib: x.scatter(0, lib.tensor([[1]]), x),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_grad_fn_names_match_torch(name):
    array = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    ours = CALLS[name](lamina.tensor(array, requires_grad=True), lamina)
    theirs = CALLS[name](torch.tensor(array, requires_grad=True), torch)
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
