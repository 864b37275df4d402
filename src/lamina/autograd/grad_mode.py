"""Grad mode: the one process-wide switch, changed only through these context managers.

Each of `no_grad`, `enable_grad`, `inference_mode` and `set_grad_enabled` works as a context
manager and as a decorator; `no_grad`, `enable_grad` and `inference_mode` also decorate without
parentheses (`@lamina.no_grad`), as in torch.
"""

from __future__ import annotations

import functools
import inspect

# One-element lists so the hot path reads them without a function call.
_enabled = [True]
_inference = [False]


def is_grad_enabled() -> bool:
    return _enabled[0]


def is_inference_mode_enabled() -> bool:
    return _inference[0]


class _GradMode:
    """Base of the switches: enter sets the mode, exit restores it; calling one decorates."""

    def _set(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        # a stack, so one instance may be entered again while already active
        self.__dict__.setdefault("_saved", []).append((_enabled[0], _inference[0]))
        self._set()

    def __exit__(self, *exc_info):
        _enabled[0], _inference[0] = self._saved.pop()
        return False

    def _fresh(self):
        """A new switch with the same settings, for one decorated call."""
        return self.__class__()

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            return self._wrap_generator(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return function(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, function):
        """A generator runs in the mode each time it resumes, not only when it is created."""

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            generator = function(*args, **kwargs)
            try:
                with self._fresh():
                    response = generator.send(None)
            except StopIteration as stop:
                return stop.value
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with self._fresh():
                        generator.close()
                    raise
                except BaseException as error:  # forwarded into the generator, as torch does
                    with self._fresh():
                        response = generator.throw(error)
                else:
                    try:
                        with self._fresh():
                            response = generator.send(request)
                    except StopIteration as stop:
                        return stop.value

        return wrapper


class _BareDecorator(_GradMode):
    """A switch that may also decorate without parentheses: `@no_grad`."""

    def __new__(cls, function=None):
        self = super().__new__(cls)
        if function is not None:
            if not callable(function):
                raise TypeError(f"{cls.__name__}() takes no arguments, got {function!r}")
            return self(function)
        return self

    def __init__(self, function=None):
        pass


class no_grad(_BareDecorator):
    """Record no graph inside the block: results have requires_grad=False."""

    def _set(self):
        _enabled[0] = False


class enable_grad(_BareDecorator):
    """Turn recording back on inside a no_grad block."""

    def _set(self):
        _enabled[0] = True


class inference_mode(_GradMode):
    """Like no_grad (lamina has no separate inference tensors); `mode=False` changes nothing."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):  # used bare: @inference_mode
            self._mode = True
            return self(mode)
        return self

    def __init__(self, mode=True):
        if not callable(mode):
            self._mode = bool(mode)

    def _set(self):
        if self._mode:
            _enabled[0] = False
            _inference[0] = True

    def _fresh(self):
        return inference_mode(self._mode)


class set_grad_enabled(_GradMode):
    """Set grad mode to `mode` at once; as a context manager or decorator it is restored after.

    Matching torch, the mode changes when the object is created, so
    `lamina.set_grad_enabled(False)` on its own line switches recording off.
    """

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._previous = _enabled[0]
        _enabled[0] = self._mode

    def _set(self):
        _enabled[0] = self._mode

    def __exit__(self, *exc_info):
        super().__exit__(*exc_info)
        _enabled[0] = self._previous
        return False

    def _fresh(self):
        return set_grad_enabled(self._mode)

    def __call__(self, function):
        _enabled[0] = self._previous  # used as a decorator: the switch applies per call only
        return super().__call__(function)
