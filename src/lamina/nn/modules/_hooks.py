"""Module hooks: the handles `register_*_hook` return, and the call path that runs them.

`Module.__call__` comes here only when a module has hooks, so the common path stays a bare
`forward` call. Full backward hooks work as torch's: the tensors entering and leaving the
module pass through an identity op whose backward hands their gradients to the hooks.
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import Primitive
from lamina.autograd.grad_mode import _enabled
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
    if not (module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
            or module._backward_pre_hooks):
        module._has_hooks = False  # every handle was removed: back to the bare path
    called = set()
    output = None
    backward = None
    if (module._backward_hooks or module._backward_pre_hooks) and _enabled[0]:
        backward = _BackwardHooks(module)
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
        if backward is not None:
            args = backward.wrap_inputs(args)
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
        if backward is not None:
            output = backward.wrap_outputs(output)
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


class _BackwardHookBoundary(Primitive):
    """Identity on the tensors entering or leaving a hooked module; backward reports their
    gradients through `on_backward`, which may replace them."""

    grad_fn_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, *arrays, on_backward):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(False)  # hooks see None for an output that got no gradient
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        return ctx.on_backward(grads)


class _BackwardHooks:
    """One call's link between the gradients of a module's outputs and those of its inputs."""

    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions = None  # where the recorded tensors sit among the arguments
        self.constant_inputs = ()  # tensor arguments that need no gradient
        self.n_outputs = 0
        self.output_positions = None

    @staticmethod
    def _wrap_tensors(values, on_backward):
        positions = [i for i, v in enumerate(values)
                     if isinstance(v, Tensor) and v.requires_grad]
        if not positions:
            return values, None
        wrapped = _BackwardHookBoundary.apply(*(values[i] for i in positions),
                                              on_backward=on_backward)
        values = list(values)
        for i, tensor in zip(positions, wrapped):
            values[i] = tensor
        return tuple(values), positions

    def wrap_inputs(self, args):
        self.n_inputs = len(args)
        args, self.input_positions = self._wrap_tensors(args, self._on_input_grads)
        if self.input_positions is not None:
            self.constant_inputs = [(i, a) for i, a in enumerate(args)
                                    if isinstance(a, Tensor) and not a.requires_grad]
        return args

    def wrap_outputs(self, output):
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        self.n_outputs = len(outputs)
        outputs, self.output_positions = self._wrap_tensors(outputs, self._on_output_grads)
        return outputs[0] if single else outputs

    @staticmethod
    def _pack(positions, grads, size):
        packed = [None] * size
        for i, grad in zip(positions, grads):
            packed[i] = None if grad is None else _wrap(grad)
        return tuple(packed)

    @staticmethod
    def _unpack(positions, values):
        return tuple(None if values[i] is None else values[i]._array for i in positions)

    def _on_output_grads(self, grads):
        module = self.module
        self.grad_outputs = self._pack(self.output_positions, grads, self.n_outputs)
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, self.grad_outputs)
            if result is None:
                continue
            result = (result,) if isinstance(result, Tensor) else tuple(result)
            if len(result) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(result)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = result
        grad_outputs = self.grad_outputs
        if self.input_positions is None:
            # no input needs a gradient, so the hooks fire now, with grad_input all None
            if module._backward_hooks:
                warnings.warn("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs since no inputs require gradients",
                              stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in list(module._backward_hooks.values()):
                result = hook(module, grad_inputs, grad_outputs)
                if result is not None and any(g is not None for g in result):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return self._unpack(self.output_positions, grad_outputs)

    def _on_input_grads(self, grads):
        if self.grad_outputs is None:
            return grads
        module = self.module
        grad_inputs = self._pack(self.input_positions, grads, self.n_inputs)
        if self.constant_inputs:
            # torch hands zeros, not None, for a tensor argument that needs no gradient
            grad_inputs = list(grad_inputs)
            for i, tensor in self.constant_inputs:
                grad_inputs[i] = _wrap(np.zeros_like(tensor._array))
            grad_inputs = tuple(grad_inputs)
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_inputs, self.grad_outputs)
            if result is None:
                continue
            result = (result,) if isinstance(result, Tensor) else tuple(result)
            if len(result) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(result)}, but expected {len(grad_inputs)}")
            grad_inputs = result
        self.grad_outputs = None
        return self._unpack(self.input_positions, grad_inputs)
