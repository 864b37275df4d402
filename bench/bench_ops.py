"""Core op overhead: small elementwise ops, a dense layer forward+backward, a batch-1 MLP,
and `import` time. Each case builds identical inputs for both libraries outside the timing."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from bench.harness import Case

import lamina

rng = np.random.default_rng(0)


def arrays(*shapes):
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def both(array, requires_grad=False):
    return (lamina.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


# ---------------------------------------------------------------- elementwise on (2, 20)
(x, tx), (y, ty) = (both(a) for a in arrays((2, 20), (2, 20)))

# ---------------------------------------------------------------- dense layer, fwd + bwd
a, w, b = arrays((64, 784), (784, 128), (128,))
(la, ta), (lw, tw), (lb, tb) = both(a), both(w, True), both(b, True)


def dense_lamina():
    lw.grad = lb.grad = None
    (la @ lw + lb).relu().sum().backward()


def dense_torch():
    tw.grad = tb.grad = None
    (ta @ tw + tb).relu().sum().backward()


# ---------------------------------------------------------------- MLP 784-128-64-10, batch 1
shapes = [(784, 128), (128,), (128, 64), (64,), (64, 10), (10,)]
params = [both(p, True) for p in arrays(*shapes)]
lparams, tparams = [p[0] for p in params], [p[1] for p in params]
(one, tone) = both(arrays((1, 784))[0])


def mlp(input, w1, b1, w2, b2, w3, b3):
    h = (input @ w1 + b1).relu()
    h = (h @ w2 + b2).relu()
    return h @ w3 + b3


def mlp_backward(input, parameters):
    for p in parameters:
        p.grad = None
    mlp(input, *parameters).sum().backward()


def mlp_no_grad(library, input, parameters):
    with library.no_grad():
        return mlp(input, *parameters)


# ---------------------------------------------------------------- import time
# Bytecode caching on, as on a user's machine: with PYTHONDONTWRITEBYTECODE set (as in some
# sandboxes) every `import lamina` would recompile its sources, while torch's wheel ships
# compiled. The cache goes to a temporary folder, filled by a first, untimed import.
_PYCACHE = tempfile.mkdtemp(prefix="lamina-bench-pyc-")
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["PYTHONPYCACHEPREFIX"] = _PYCACHE


def import_seconds(module: str) -> float:
    code = (f"import time; start = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - start)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=_ENV).stdout
    return float(output)


for _module in ("lamina", "torch"):
    import_seconds(_module)  # compiles into the cache


CASES = [
    Case("add (2, 20)", lambda: x + y, lambda: tx + ty),
    Case("mul (2, 20)", lambda: x * y, lambda: tx * ty),
    Case("relu (2, 20)", lambda: x.relu(), lambda: tx.relu()),
    Case("x * y + 1 (2, 20)", lambda: x * y + 1, lambda: tx * ty + 1),
    # BLAS threads of the other library may still spin after its block: longer blocks
    Case("matmul+bias+relu fwd+bwd (64,784)x(784,128)", dense_lamina, dense_torch, block=0.05,
         repeats=21),
    Case("MLP 784-128-64-10 fwd, batch 1, grad on", lambda: mlp(one, *lparams),
         lambda: mlp(tone, *tparams)),
    Case("MLP 784-128-64-10 fwd+bwd, batch 1", lambda: mlp_backward(one, lparams),
         lambda: mlp_backward(tone, tparams)),
    Case("MLP 784-128-64-10 fwd, batch 1, no_grad", lambda: mlp_no_grad(lamina, one, lparams),
         lambda: mlp_no_grad(torch, tone, tparams)),
    Case("import (subprocess)", lambda: import_seconds("lamina"),
         lambda: import_seconds("torch"), repeats=5, self_timed=True),
]
