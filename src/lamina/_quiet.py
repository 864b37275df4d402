"""NumPy's floating-point warnings switched off while lamina computes.

torch returns inf and nan without a word (3e38 * 10, inf - inf, a float16 cast of 1e30, an
Adam step on an inf gradient); NumPy prints `RuntimeWarning: overflow encountered in multiply`
for each, which floods the log exactly when training diverges. So lamina's ops run with
NumPy's overflow, invalid, divide and underflow reports off, between `token = quiet_fp()` and
`restore_fp(token)`; the caller's own NumPy settings apply everywhere else.

Every op passes through here, so it must be cheap. NumPy >= 2 keeps its error state in a
context variable: setting it to a value built once costs ~0.2 us per op, where entering
`np.errstate` (which builds a new one on every entry) costs ~1 us.
"""

from __future__ import annotations

import functools

import numpy as np


def _switches():
    try:
        from numpy._core._ufunc_config import _extobj_contextvar as state
    except ImportError:  # NumPy 1.x keeps the state per thread, set through seterr
        return (lambda: np.seterr(all="ignore")), (lambda old: np.seterr(**old))
    with np.errstate(all="ignore"):
        silent = state.get()
    return functools.partial(state.set, silent), state.reset


quiet_fp, restore_fp = _switches()
