"""Process-wide switches torch scripts set: thread count, determinism, matmul precision, compile.

lamina records them so the getters answer what was set, but none changes a result: lamina's ops
are deterministic already, and NumPy's BLAS thread pool can only be resized before NumPy loads
(OMP_NUM_THREADS and friends) or with a third-party package, so `set_num_threads` does not
touch it.
"""

from __future__ import annotations

import os

_state = {"num_threads": None, "deterministic": False, "warn_only": False,
          "matmul_precision": "highest"}


def get_num_threads() -> int:
    """The value last given to set_num_threads, else the CPUs this process may run on."""
    if _state["num_threads"] is not None:
        return _state["num_threads"]
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def set_num_threads(num: int) -> None:
    """Record `num`; NumPy's BLAS threads are not changed (see the module docstring)."""
    if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _state["num_threads"] = num


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the mode: every lamina op is deterministic whatever it is."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"use_deterministic_algorithms expects a bool, but got "
                           f"{type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record the precision; lamina's float32 matmuls are always full float32."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or "
                           "'medium'")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False, **kwargs):
    """Return `model` unchanged: lamina has no compiler, and eager results are what torch's
    compiled model computes too. Used as `@lamina.compile(...)` it returns an identity
    decorator."""
    if model is None:
        return lambda function: function
    return model
