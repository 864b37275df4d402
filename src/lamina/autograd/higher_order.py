"""`create_graph=True`: the backward pass itself recorded, so gradients can be differentiated.

The first-order engine (`engine.py`) runs each node's backward on bare arrays and records
nothing. Here every gradient is a Tensor and each node's backward is computed with lamina's
own recorded ops, by the function's `graph_backward(ctx, *grads)`: the same formula as its
`backward`, written on Tensors. `ctx.saved_tensors` then hands out graph-connected tensors:
a saved input is that input (a leaf itself, or a tensor at the node that made it), a saved
output is this node's own output, so the recorded formula reaches back through the forward
graph. A primitive without `graph_backward` raises NotImplementedError naming it, never a
wrong gradient; user `Function`s run their own backward with recording on, as in torch.
"""

from __future__ import annotations

import numpy as np

from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import Tensor, _wrap
from lamina.autograd.engine import _topological_order
from lamina.autograd.grad_mode import enable_grad


def run_graph_backward(outputs, grad_outputs, retain_graph: bool, inputs=None):
    """`engine.run_backward` with recorded gradients: returns Tensors for `inputs`, or (with
    `inputs=None`) accumulates into the leaves' `.grad` out of place, as torch does."""
    token = quiet_fp()
    try:
        with enable_grad():
            return _propagate(outputs, grad_outputs, retain_graph, inputs)
    finally:
        restore_fp(token)


def _propagate(outputs, grad_outputs, retain_graph, inputs):
    pending: dict[int, list] = {}
    capture = capture_at = None
    if inputs is not None:
        capture = {id(t): None for t in inputs}
        capture_at = {(id(t.grad_fn), t._out_index): id(t)
                      for t in inputs if t.grad_fn is not None}
    leaf_grads: dict[int, list] = {}
    roots = []
    for tensor, grad in zip(outputs, grad_outputs):
        grad = grad if isinstance(grad, Tensor) else _wrap(np.asarray(grad))
        node = tensor.grad_fn
        if node is None:
            _deliver_leaf(tensor, grad, capture, leaf_grads)
            continue
        slots = pending.setdefault(id(node), [None] * len(node.output_meta))
        _add_into(slots, tensor._out_index, grad)
        roots.append(node)

    for node in _topological_order(roots):
        slots = pending.pop(id(node), None)
        if slots is None:
            continue
        if node.hooks:
            for index, functions in node.hooks.items():
                for hook in functions:
                    if slots[index] is not None:
                        result = hook(slots[index])
                        if result is not None:
                            slots[index] = result
        if node.retained:
            for index, tensor in node.retained.items():
                if slots[index] is not None:
                    _deliver_leaf(tensor, slots[index], capture, leaf_grads, non_leaf=True)
        if capture_at:
            for index, grad in enumerate(slots):
                key = capture_at.get((id(node), index))
                if key is not None and grad is not None:
                    capture[key] = grad if capture[key] is None else capture[key] + grad
        for edge, grad in zip(node.edges, _node_backward(node, slots, retain_graph)):
            if not edge or grad is None:
                continue
            parent, index, leaf = edge[0], edge[1], edge[2]
            if parent is None:
                _deliver_leaf(leaf, grad, capture, leaf_grads)
            else:
                parent_slots = pending.get(id(parent))
                if parent_slots is None:
                    parent_slots = pending[id(parent)] = [None] * len(parent.output_meta)
                _add_into(parent_slots, index, grad)

    if capture is not None:
        return [capture[id(t)] for t in inputs]
    for tensor, grad in leaf_grads.values():
        for hook in tensor._hooks or ():
            result = hook(grad)
            if result is not None:
                grad = result
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad
    return None


def _add_into(slots, index, grad):
    slots[index] = grad if slots[index] is None else slots[index] + grad


def _deliver_leaf(tensor, grad, capture, leaf_grads, non_leaf=False):
    if capture is not None:
        if id(tensor) in capture and not non_leaf:
            old = capture[id(tensor)]
            capture[id(tensor)] = grad if old is None else old + grad
        return
    entry = leaf_grads.get(id(tensor))
    if entry is None:
        leaf_grads[id(tensor)] = [tensor, grad]
    else:
        entry[1] = entry[1] + grad


def _node_backward(node, grads, retain_graph):
    """One node's input gradients as recorded Tensors, each fitted to its input's shape."""
    function = node.function
    if node.materialize_grads:
        grads = [_wrap(np.zeros(shape, dtype)) if g is None else g
                 for g, (shape, dtype) in zip(grads, node.output_meta)]
    if function._on_arrays:
        backward = getattr(function, "graph_backward", None)
        if backward is None:
            raise NotImplementedError(
                f"create_graph=True: lamina cannot differentiate the backward of "
                f"{node.name()} yet (its gradient formula is not written on tensors). "
                "Hint: first-order gradients work; second derivatives exist for linear, "
                "matmul, + - * / ** and neg, exp/log/log1p/sqrt/rsqrt, tanh/sigmoid/relu, "
                "sin/cos/abs, softmax/log_softmax, sum/mean/norm, mse_loss, reshape/permute/"
                "expand/repeat and basic indexing."
            )
        result = backward(_GraphContext(node, _saved_tensors(node)), *grads)
    else:
        result = function.backward(node, *grads)  # a user Function: Tensors already
    if type(result) is not tuple:
        result = (result,)
    if not retain_graph and node._saved is not None:
        node._saved = None
        node._freed = True
    fitted = []
    for edge, grad in zip(node.edges, result):
        if not edge or grad is None:
            fitted.append(None)
            continue
        if not isinstance(grad, Tensor):
            grad = _wrap(np.asarray(grad, dtype=edge[4]))
        if tuple(grad.shape) != edge[3]:
            grad = sum_to_shape(grad, edge[3])
        fitted.append(grad)
    return fitted


def sum_to_shape(grad: Tensor, shape: tuple) -> Tensor:
    """`engine.sum_to_shape` on a recorded Tensor: sum the axes broadcasting added."""
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad


def _saved_tensors(node):
    """What the node's forward saved, as tensors joined to the graph (see module docstring)."""
    arrays = node.saved_tensors  # raises for freed graphs and in-place changes, as usual
    sources = {record[4]: record[3] for record in node._saved_versions}
    tensors = []
    for value in arrays:
        if type(value) is not np.ndarray:
            tensors.append(value)
            continue
        source = sources.get(id(value))
        if source is None:
            tensors.append(_wrap(value))  # a constant of the forward
            continue
        if source < 0:  # output -1 - source of this node
            parent, index, leaf = node, -1 - source, None
        else:
            edge = node.edges[source]
            if not edge:
                tensors.append(_wrap(value))  # an input that needs no gradient
                continue
            parent, index, leaf = edge[0], edge[1], edge[2]
        if parent is None:
            tensors.append(leaf)
            continue
        t = _wrap(value)
        t._requires_grad = True
        t.grad_fn = parent
        t._out_index = index
        tensors.append(t)
    return tuple(tensors)


class _GraphContext:
    """The ctx `graph_backward` sees: the node's attributes, saved tensors joined to the graph."""

    __slots__ = ("_node", "saved_tensors")

    def __init__(self, node, saved):
        self._node = node
        self.saved_tensors = saved

    def __getattr__(self, name):
        return getattr(self._node, name)
