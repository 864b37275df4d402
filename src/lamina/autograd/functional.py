"""lamina.autograd.functional: derivatives of a whole function, as torch.autograd.functional.

`jacobian`, `hessian`, `vjp`, `jvp`, `hvp` and `vhp` take `func` and its `inputs` (a Tensor
or a tuple of them) and return results shaped as torch's: a Jacobian block has the output's
shape followed by the input's, a tuple (or tuple of tuples) when func has several inputs or
outputs. Built on `autograd.grad`: reverse mode, one backward per output element for
`jacobian`; second derivatives use `create_graph=True` (see `higher_order`). Inputs that do
not reach an output give zeros, or a RuntimeError with `strict=True`.
"""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor, _wrap
from lamina.autograd.grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(value, what: str, function: str) -> tuple[bool, tuple]:
    """(was it a tuple, the values as a tuple), checking every value is a Tensor."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for v in values:
        if not isinstance(v, Tensor):
            raise TypeError(f"The {what} given to {function} must be either a Tensor or a "
                            f"tuple of Tensors but the value is {type(v).__name__}.")
    return is_tuple, values


def _prepare(inputs, create_graph: bool) -> tuple:
    """Inputs func is differentiated at: detached leaves that require grad or, with
    create_graph, views of inputs that already require grad (so results reach back to them)."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad
                 else x.detach().requires_grad_(True) for x in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, function):
    """d(outputs . grad_outputs)/d(inputs): zeros (or an error if strict) for unused inputs."""
    differentiable = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if strict and len(differentiable) < len(outputs):
        index = next(i for i, o in enumerate(outputs) if not o.requires_grad)
        raise RuntimeError(
            f"Output {index} of the user-provided function does not require gradients. The "
            "outputs must be computed in a differentiable manner from the input when running "
            f"in strict mode ({function}).")
    if not differentiable:
        results = [None] * len(inputs)
    else:
        from lamina import autograd

        results = list(autograd.grad([o for o, _ in differentiable],
                                     inputs, [g for _, g in differentiable],
                                     retain_graph=True, create_graph=create_graph,
                                     allow_unused=True))
    out = []
    for index, (x, g) in enumerate(zip(inputs, results)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input "
                    f"{index}. This is not allowed in strict mode ({function}).")
            g = _wrap(np.zeros(x._array.shape, x._array.dtype))
        out.append(g if create_graph else g.detach())
    return tuple(out)


def _run(func, inputs):
    with enable_grad():
        return func(*inputs)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at `inputs`."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    outputs_tuple, outputs = _as_tuple(_run(func, inputs), "outputs of the user-provided "
                                       "function", "vjp")
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        vs = (_wrap(np.ones(outputs[0]._array.shape, outputs[0]._array.dtype)),)
    else:
        _, vs = _as_tuple(v, "v", "vjp")
        _check_like(vs, outputs, "v", "vjp")
    result = _grads(outputs, inputs, vs, create_graph, strict, "vjp")
    outputs = tuple(o if create_graph else o.detach() for o in outputs)
    return (outputs if outputs_tuple else outputs[0]), (result if inputs_tuple else result[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by differentiating a vjp (the
    "double-vjp" trick: u -> u^T J is linear in u, and its gradient along v is J v)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    vs = _input_vectors(v, inputs, "jvp")
    inputs = _prepare(inputs, True)
    outputs_tuple, outputs = _as_tuple(_run(func, inputs), "outputs of the user-provided "
                                       "function", "jvp")
    dummies = tuple(_wrap(np.zeros(o._array.shape, o._array.dtype)).requires_grad_(True)
                    for o in outputs)
    transposed = _grads(outputs, inputs, dummies, True, strict, "jvp")
    total = _contract(transposed, vs, outputs[0]._array.dtype)
    if total.requires_grad:
        result = _grads((total,), dummies, (_wrap(np.ones((), total._array.dtype)),),
                        create_graph, strict=False, function="jvp")
    else:
        result = tuple(_wrap(np.zeros(o._array.shape, o._array.dtype)) for o in outputs)
    outputs = tuple(o if create_graph else o.detach() for o in outputs)
    return (outputs if outputs_tuple else outputs[0]), (result if outputs_tuple else result[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of func at inputs: for output i and input j, a block of shape
    output_i.shape + input_j.shape (nested tuples as torch returns them)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    outputs_tuple, outputs = _as_tuple(_run(func, inputs), "outputs of the user-provided "
                                       "function", "jacobian")
    blocks = []
    for index, output in enumerate(outputs):
        rows = [[] for _ in inputs]
        flat = output.reshape(-1)
        for element in range(flat.numel()):
            if output.requires_grad:
                grads = _grads((flat[element],), inputs, (None,), create_graph, strict,
                               "jacobian")
            elif strict:
                raise RuntimeError(
                    f"Output {index} of the user-provided function does not require "
                    "gradients. The outputs must be computed in a differentiable manner from "
                    "the input when running in strict mode (jacobian).")
            else:
                grads = tuple(_wrap(np.zeros(x._array.shape, x._array.dtype)) for x in inputs)
            for row, g in zip(rows, grads):
                row.append(g)
        from lamina._ops.join import stack

        per_input = []
        for x, row in zip(inputs, rows):
            shape = tuple(output.shape) + tuple(x.shape)
            if not row:  # an empty output
                per_input.append(_wrap(np.zeros(shape, x._array.dtype)))
                continue
            block = stack(row).reshape(shape)
            per_input.append(block if create_graph else block.detach())
        blocks.append(tuple(per_input) if inputs_tuple else per_input[0])
    return tuple(blocks) if outputs_tuple else blocks[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning one element: the Jacobian of its gradient."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*values):
        output = func(*values)
        _, outputs = _as_tuple(output, "outputs of the user-provided function", "hessian")
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               f"with a single element, got shape {tuple(outputs[0].shape)}")
        return _grads(outputs, values, (None,), True, strict, "hessian")

    result = jacobian(gradient, inputs if inputs_tuple else inputs[0],
                      create_graph=create_graph, strict=strict)
    return result if inputs_tuple else result[0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a function returning one element."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a function returning one element (H is symmetric: = vhp)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, name):
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    vs = _input_vectors(v, inputs, name)
    inputs = _prepare(inputs, True)
    _, outputs = _as_tuple(_run(func, inputs), "outputs of the user-provided function", name)
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"The function given to {name} should return a single Tensor with "
                           f"a single element, got shape {tuple(outputs[0].shape)}")
    gradient = _grads(outputs, inputs, (None,), True, strict, name)
    total = _contract(gradient, vs, outputs[0]._array.dtype)
    if total.requires_grad:
        result = _grads((total,), inputs, (None,), create_graph, strict, name)
    else:
        result = tuple(_wrap(np.zeros(x._array.shape, x._array.dtype)) for x in inputs)
    output = outputs[0] if create_graph else outputs[0].detach()
    return output, (result if inputs_tuple else result[0])


def _input_vectors(v, inputs, function):
    """v as a tuple shaped like the inputs; None is allowed for a single one-element input."""
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        return (_wrap(np.ones(inputs[0]._array.shape, inputs[0]._array.dtype)),)
    _, vs = _as_tuple(v, "v", function)
    _check_like(vs, inputs, "v", function)
    return vs


def _contract(grads, vs, dtype):
    """sum_i <grads_i, vs_i>, recorded: its gradient is the directional derivative."""
    with enable_grad():
        return sum(((g * u).sum() for g, u in zip(grads, vs) if g.requires_grad),
                   start=_wrap(np.zeros((), dtype)))


def _check_like(vs, targets, what, function):
    if len(vs) != len(targets):
        raise RuntimeError(f"The given {what} should contain a single Tensor per "
                           f"{'output' if function == 'vjp' else 'input'} of the function "
                           f"({len(targets)}), got {len(vs)} ({function}).")
    for v, t in zip(vs, targets):
        if tuple(v.shape) != tuple(t.shape):
            raise RuntimeError(f"Mismatch in shape in {function}: {what} has shape "
                               f"{tuple(v.shape)} but expected {tuple(t.shape)}.")
