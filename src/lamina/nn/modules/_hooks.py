"""Forward hooks: the handles `register_forward_*_hook` return, and the call path that runs them.

`Module.__call__` comes here only when a module has hooks, so the common path stays a bare
`forward` call.
"""

from __future__ import annotations

import warnings

from lamina.nn.modules import _errors


class RemovableHandle:
    """Returned by the `register_*_hook` methods; `remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks_dict: dict, *extra_dicts: dict):
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._dicts = (hooks_dict, *extra_dicts)

    def remove(self) -> None:
        for hooks in self._dicts:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def call_with_hooks(module, args, kwargs):
    """Module.__call__ when the module has forward hooks: pre-hooks, forward, hooks."""
    called = set()
    output = None
    try:
        for hook_id, hook in list(module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        try:
            output = module.forward(*args, **kwargs)
        except _errors._RELABELLED_TYPES as error:
            raise _errors.locate(error, module)  # noqa: B904 (locate sets __cause__ itself)
        for hook_id, hook in list(module._forward_hooks.items()):
            called.add(hook_id)
            if hook_id in module._forward_hooks_with_kwargs:
                result = hook(module, args, kwargs, output)
            else:
                result = hook(module, args, output)
            if result is not None:
                output = result
    except Exception:
        _run_always_called_hooks(module, called, args, kwargs, output)
        raise
    return output


def _run_always_called_hooks(module, called, args, kwargs, output) -> None:
    """After a failure, run the `always_call=True` forward hooks that have not run yet."""
    for hook_id, hook in list(module._forward_hooks.items()):
        if hook_id not in module._forward_hooks_always_called or hook_id in called:
            continue
        try:
            if hook_id in module._forward_hooks_with_kwargs:
                hook(module, args, kwargs, output)
            else:
                hook(module, args, output)
        except Exception as error:  # the original error is the one to report
            warnings.warn("module forward hook with ``always_call=True`` raised an exception "
                          f"that was silenced as another error was raised in forward: "
                          f"{error}", stacklevel=2)
