"""Grad mode: the one process-wide switch, changed only through these context managers."""

from __future__ import annotations

import functools

# A one-element list so the hot path reads it without a function call.
_enabled = [True]


def is_grad_enabled() -> bool:
    return _enabled[0]


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that also decorates functions."""

    _mode: bool

    def __enter__(self):
        self._previous = _enabled[0]
        _enabled[0] = self._mode

    def __exit__(self, *exc_info):
        _enabled[0] = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Record no graph inside the block: results have requires_grad=False."""

    _mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a no_grad block."""

    _mode = True


class inference_mode(_GradModeContext):
    """Like no_grad (lamina has no separate inference tensors); `mode=False` is a no-op."""

    def __init__(self, mode: bool = True):
        self._flag = mode

    def __enter__(self):
        self._previous = _enabled[0]
        if self._flag:
            _enabled[0] = False

    def __call__(self, function):
        flag = self._flag

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with inference_mode(flag):
                return function(*args, **kwargs)

        return wrapper


class set_grad_enabled:
    """Set grad mode to `mode` now; as a context manager it is restored on exit."""

    def __init__(self, mode: bool):
        self._previous = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        _enabled[0] = self._previous
        return False


def is_inference_mode_enabled() -> bool:
    return not _enabled[0]
