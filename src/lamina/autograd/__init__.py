"""lamina.autograd: reverse-mode differentiation, grad-mode switches and custom Functions."""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd import functional  # torch.autograd.functional.jacobian after import torch
from lamina.autograd.engine import run_backward, sum_to_shape
from lamina.autograd.function import Function
from lamina.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from lamina.autograd.gradcheck import gradcheck
from lamina.autograd.higher_order import run_graph_backward
from lamina.autograd.variable import Variable

__all__ = [
    "Function", "backward", "grad", "gradcheck", "no_grad", "enable_grad",
    "set_grad_enabled", "inference_mode", "is_grad_enabled", "sum_to_shape", "Variable",
    "functional",
]


def _as_tuple(values):
    if values is None:
        return ()
    return (values,) if isinstance(values, Tensor) else tuple(values)


def _initial_grads(outputs, grad_outputs):
    grads = []
    grad_outputs = list(_as_tuple(grad_outputs)) if grad_outputs is not None else []
    grad_outputs += [None] * (len(outputs) - len(grad_outputs))
    for output, given in zip(outputs, grad_outputs):
        if not output.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn. "
                "Hint: the output was computed under no_grad, from tensors that don't require "
                "grad, or after .detach()."
            )
        if given is None:
            if output._array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this output has "
                    f"shape {tuple(output.shape)}. Hint: call .sum() or .mean() first, or pass "
                    "gradient=<tensor of the output's shape> to backward()."
                )
            grads.append(np.ones(output._array.shape, dtype=output._array.dtype))
            continue
        array = given._array if isinstance(given, Tensor) else np.asarray(given)
        if array.shape != output._array.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[0] has a shape of {tuple(array.shape)} and "
                f"output[0] has a shape of {tuple(output._array.shape)}."
            )
        grads.append(array.astype(output._array.dtype, copy=False))
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every reached leaf's `.grad`.

    With `create_graph=True` the gradients are recorded (see `higher_order`), so `.grad` can
    itself be differentiated; the graph is then kept unless `retain_graph=False` is given.
    """
    outputs = _as_tuple(tensors)
    grads = _initial_grads(outputs, grad_tensors)
    if create_graph:
        retain = True if retain_graph is None else bool(retain_graph)
        grads = _graph_grads(grads, grad_tensors)
        if inputs is not None:
            inputs = _as_tuple(inputs)
            results = run_graph_backward(outputs, grads, retain, inputs=inputs)
            for tensor, g in zip(inputs, results):
                if g is not None:
                    tensor._grad = g if tensor._grad is None else tensor._grad + g
            return
        run_graph_backward(outputs, grads, retain)
        return
    if inputs is not None:
        inputs = _as_tuple(inputs)
        results = run_backward(outputs, grads, bool(retain_graph), inputs=inputs)
        from lamina.autograd.engine import _store_grad

        for tensor, g in zip(inputs, results):
            if g is not None:
                _store_grad(tensor, g.copy())
        return
    run_backward(outputs, grads, bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (no `.grad` is touched).

    With `create_graph=True` they are recorded tensors that can be differentiated again
    (gradient penalties, Hessian-vector products, PDE residuals); see `higher_order`.
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    initial = _initial_grads(outputs, grad_outputs)
    if create_graph:
        retain = True if retain_graph is None else bool(retain_graph)
        results = run_graph_backward(outputs, _graph_grads(initial, grad_outputs), retain,
                                     inputs=inputs)
    else:
        results = run_backward(outputs, initial, bool(retain_graph), inputs=inputs)
    from lamina._tensor import _wrap

    out = []
    for t, g in zip(inputs, results):
        if g is None:
            if materialize_grads:
                out.append(_wrap(np.zeros(t._array.shape, t._array.dtype)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            out.append(None)
        else:
            out.append(g if isinstance(g, Tensor) else _wrap(g))
    return tuple(out)


def _graph_grads(initial, grad_outputs):
    """The starting gradients for create_graph: the caller's tensors themselves where given
    (a gradient may depend on parameters too), the default ones otherwise."""
    given = list(_as_tuple(grad_outputs)) if grad_outputs is not None else []
    grads = []
    for position, array in enumerate(initial):
        tensor = given[position] if position < len(given) else None
        usable = (isinstance(tensor, Tensor) and tensor.requires_grad
                  and tensor._array.dtype == array.dtype)
        grads.append(tensor if usable else array)
    return grads
