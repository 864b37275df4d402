"""The backward pass: walk the recorded graph from the outputs and deliver gradients."""

from __future__ import annotations

import numpy as np

from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import _wrap


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum over the axes that broadcasting added or stretched.

    This is the only place in lamina where broadcast gradients are reduced.
    """
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad


def _topological_order(roots):
    """Nodes reachable from `roots`, each after every node that feeds it a gradient."""
    order, seen = [], set()
    for root in roots:
        if root is None or id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.edges))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if not edge or edge[0] is None or id(edge[0]) in seen:
                    continue
                child = edge[0]
                seen.add(id(child))
                stack.append((child, iter(child.edges)))
                break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(outputs, grad_outputs, retain_graph: bool, inputs=None):
    """Propagate `grad_outputs` from `outputs` back through the graph.

    With `inputs=None` gradients accumulate into the `.grad` of every leaf reached (and of
    non-leaves that asked `retain_grad()`); otherwise the gradients for `inputs` are returned
    and no `.grad` is touched. NumPy's floating-point warnings are off for the whole pass, as
    in every op (see `lamina._quiet`), tensor hooks and custom Functions' backward included.
    """
    token = quiet_fp()
    try:
        return _propagate(outputs, grad_outputs, retain_graph, inputs)
    finally:
        restore_fp(token)


def _propagate(outputs, grad_outputs, retain_graph, inputs):
    pending: dict[int, list] = {}
    capture = capture_at = None
    if inputs is not None:
        capture = {id(t): None for t in inputs}
        capture_at = {
            (id(t.grad_fn), t._out_index): id(t) for t in inputs if t.grad_fn is not None
        }
    leaf_grads: dict[int, list] = {}
    # An array handed to more than one place must not become a .grad that is later
    # accumulated into in place; count how often each array object is delivered.
    uses: dict[int, int] = {}

    roots = []
    for tensor, grad in zip(outputs, grad_outputs):
        node = tensor.grad_fn
        if node is None:
            uses[id(grad)] = 2
            _deliver_leaf(tensor, grad, capture, leaf_grads)
            continue
        uses[id(grad)] = 2  # the caller's array: never adopt it as a .grad
        slots = pending.setdefault(id(node), [None] * len(node.output_meta))
        _add_into(slots, tensor._out_index, grad)
        roots.append(node)

    for node in _topological_order(roots):
        slots = pending.pop(id(node), None)
        if slots is None:
            continue
        if node.hooks:
            _run_tensor_hooks(node.hooks, slots)
        if node.retained:
            for index, tensor in node.retained.items():
                g = slots[index]
                if g is not None:
                    uses[id(g)] = 2
                    _deliver_leaf(tensor, g, capture, leaf_grads, non_leaf=True)
        if capture_at:
            for index, grad in enumerate(slots):
                key = capture_at.get((id(node), index))
                if key is not None and grad is not None:
                    capture[key] = _accumulate(capture[key], grad)
        input_grads = node.run_backward(slots, retain_graph)
        for edge, grad in zip(node.edges, input_grads):
            if not edge or grad is None:
                continue
            parent, index, leaf = edge[0], edge[1], edge[2]
            uses[id(grad)] = uses.get(id(grad), 0) + 1
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
        owned = uses.get(id(grad), 1) == 1 and grad.base is None and grad.flags.writeable
        _store_grad(tensor, grad if owned else grad.copy())
    return None


def _run_tensor_hooks(hooks, slots):
    """Tensor hooks on a node's outputs see the gradient first and may replace it."""
    for index, functions in hooks.items():
        if slots[index] is None:
            continue
        for hook in functions:
            result = hook(_wrap(slots[index]))
            if result is not None:
                slots[index] = result._array


def _add_into(slots, index, grad):
    slots[index] = grad if slots[index] is None else slots[index] + grad


def _accumulate(old, new):
    return new if old is None else old + new


def _deliver_leaf(tensor, grad, capture, leaf_grads, non_leaf=False):
    if capture is not None:
        if id(tensor) in capture and not non_leaf:
            capture[id(tensor)] = _accumulate(capture[id(tensor)], grad)
        return
    entry = leaf_grads.get(id(tensor))
    if entry is None:
        leaf_grads[id(tensor)] = [tensor, grad]
    else:
        entry[1] = entry[1] + grad


def _store_grad(tensor, grad):
    """Accumulate into `.grad`; `grad` is an array nobody else holds."""
    if tensor._hooks:
        for hook in tensor._hooks:
            result = hook(_wrap(grad))
            if result is not None:
                grad = result._array.copy()  # the hook's tensor stays the caller's own
    if tensor._grad is None:
        tensor._grad = _wrap(grad)
    else:
        tensor._grad._array += grad
        tensor._grad._vc[0] += 1
