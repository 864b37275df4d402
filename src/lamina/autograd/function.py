"""Function: one differentiable op, forward and backward side by side.

lamina's own primitives subclass `Primitive` and work on plain ndarrays; users subclass
`Function` exactly as in PyTorch and see Tensors. Both go through the one `apply` below, which
is also the single place where every op is dispatched (a tracer or the meta device hooks in
through `dispatch_hook`).
"""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor, _wrap
from lamina.autograd.grad_mode import _enabled, no_grad

# When set (by a tracer such as ONNX export or by the meta device), every op is handed to this
# callable as hook(function_class, args, kwargs, run) where run() performs the op normally.
dispatch_hook: list = [None]


class _NoContext:
    """The context handed to forward when nothing is recorded: every write is dropped."""

    __slots__ = ()
    needs_input_grad = ()

    def __setattr__(self, name, value):
        pass

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *values):
        pass

    def mark_dirty(self, *values):
        pass

    def set_materialize_grads(self, value):
        pass


_NO_CONTEXT = _NoContext()


class Node:
    """One recorded call of a Function: the `ctx` its forward saw, and `grad_fn` of its outputs."""

    def __init__(self, function, edges, needs_input_grad, inputs):
        self.function = function
        self.edges = edges  # per argument: None or (parent node or None, output index, leaf)
        self.needs_input_grad = needs_input_grad
        self._inputs = inputs  # the Tensor arguments, for matching saved arrays to versions
        self._saved = None
        self._saved_versions = ()
        self._non_differentiable = ()
        self.n_outputs = 1
        self.output_meta = ()
        self.retained = None
        self.materialize_grads = True
        self._freed = False

    def __repr__(self):
        return f"<{self.name()} object>"

    def name(self) -> str:
        return self.function.__name__ + "Backward"

    # -- what forward may call on ctx -------------------------------------------------------
    def save_for_backward(self, *values):
        self._saved = values

    def mark_non_differentiable(self, *values):
        self._non_differentiable = tuple(id(v) for v in values)

    def mark_dirty(self, *values):
        pass

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE.format(name=self.name()))
        self._check_versions()
        return self._saved if self._saved is not None else ()

    # -- used by the engine ----------------------------------------------------------------
    def next_nodes(self):
        return [edge[0] for edge in self.edges if edge is not None and edge[0] is not None]

    @property
    def next_functions(self):
        return tuple((None if e is None else (e[0] if e[0] is not None else "AccumulateGrad"), 0 if e is None else e[1]) for e in self.edges)

    def _record_versions(self, outputs):
        """Remember the version of every tensor whose array was saved for backward."""
        if not self._saved:
            return
        candidates = list(self._inputs) + list(outputs)
        records = []
        for value in self._saved:
            target = value._array if isinstance(value, Tensor) else value
            for tensor in candidates:
                if tensor._array is target:
                    records.append((tuple(tensor._array.shape), tensor._vc, tensor._vc[0]))
                    break
        self._saved_versions = records

    def _check_versions(self):
        for shape, counter, version in self._saved_versions:
            if counter[0] != version:
                raise RuntimeError(
                    "one of the tensors needed for gradient computation has been modified by an "
                    f"in-place operation: a tensor of shape {shape} used by "
                    f"{self.name()} is at version {counter[0]}; expected version {version}. "
                    "Hint: replace the in-place op (x += ..., x.add_(...), x[...] = ...) with its "
                    "out-of-place form, or .clone() the tensor before modifying it."
                )

    def run_backward(self, grads, retain_graph):
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE.format(name=self.name()))
        self._check_versions()
        function = self.function
        if self.materialize_grads:
            grads = [
                np.zeros(shape, dtype) if g is None else g
                for g, (shape, dtype) in zip(grads, self.output_meta)
            ]
        if function._on_arrays:
            result = function.backward(self, *grads)
        else:
            with no_grad():
                result = function.backward(
                    self, *[None if g is None else _wrap(g) for g in grads]
                )
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < len(self.edges):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {len(self.edges)}, got {len(result)})"
            )
        if not retain_graph:
            self._saved = None
            self._freed = True
        input_grads = []
        for edge, grad in zip(self.edges, result):
            if edge is None or grad is None:
                input_grads.append(None)
                continue
            if isinstance(grad, Tensor):
                grad = grad._array
            grad = self._fit_gradient(edge, grad)
            input_grads.append(grad)
        return input_grads

    def _fit_gradient(self, edge, grad):
        """Reduce a broadcast gradient to its input's shape and check shape and dtype."""
        from lamina.autograd.engine import sum_to_shape

        shape, dtype = edge[3], edge[4]
        if type(grad) is not np.ndarray:
            grad = np.asarray(grad, dtype=dtype)
        if grad.shape != shape:
            try:
                grad = sum_to_shape(grad, shape)
            except (ValueError, IndexError):
                grad = None
            if grad is None or grad.shape != shape:
                raise RuntimeError(
                    f"{self.name()} returned a gradient of shape {tuple(grad.shape) if grad is not None else '?'} "
                    f"for an input of shape {shape}"
                )
        if grad.dtype != dtype:
            if self.function._on_arrays:
                raise RuntimeError(
                    f"{self.name()} returned a {grad.dtype} gradient for a {dtype} input"
                )
            grad = grad.astype(dtype)
        return grad


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved tensors after they "
    "were freed) in {name}. Saved intermediate values are freed after the first .backward() "
    "or autograd.grad(); pass retain_graph=True to the first call if you need to backward "
    "through the graph again."
)


class Function:
    """Base class for differentiable operations, used the PyTorch way.

    Subclass it with static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` and call
    `MyFunction.apply(*args)`. forward runs with grad mode off.
    """

    _on_arrays = False  # lamina's primitives see ndarrays; user Functions see Tensors
    is_view = False  # outputs share memory (and so the version counter) with input 0

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom Function")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        if dispatch_hook[0] is not None:
            return dispatch_hook[0](cls, args, kwargs, lambda: _apply(cls, args, kwargs))
        return _apply(cls, args, kwargs)


class Primitive(Function):
    """A lamina op: forward and backward take and return ndarrays."""

    _on_arrays = True


def _apply(cls, args, kwargs):
    if _enabled[0]:
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                return _record(cls, args, kwargs)
    if cls._on_arrays:
        out = cls.forward(
            _NO_CONTEXT, *[a._array if isinstance(a, Tensor) else a for a in args], **kwargs
        )
        if type(out) is tuple:
            return tuple(_wrap_output(o, args, cls) for o in out)
        return _wrap_output(out, args, cls)
    with no_grad():
        return cls.forward(_NO_CONTEXT_USER(), *args, **kwargs)


def _wrap_output(out, args, cls):
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    t = _wrap(out)
    if cls.is_view:
        t._vc = args[0]._vc
    return t


class _UserContext:
    """ctx for a user Function's forward when nothing is recorded."""

    needs_input_grad = ()

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *values):
        pass

    def mark_dirty(self, *values):
        pass

    def set_materialize_grads(self, value):
        pass


_NO_CONTEXT_USER = _UserContext


def _record(cls, args, kwargs):
    edges = []
    needs = []
    inputs = []
    for a in args:
        if isinstance(a, Tensor):
            inputs.append(a)
            if a._requires_grad:
                leaf = a if a.grad_fn is None else None
                edges.append((a.grad_fn, a._out_index, leaf, a._array.shape, a._array.dtype))
                needs.append(True)
                continue
        edges.append(None)
        needs.append(False)
    node = Node(cls, edges, tuple(needs), inputs)
    if cls._on_arrays:
        out = cls.forward(node, *[a._array if isinstance(a, Tensor) else a for a in args], **kwargs)
    else:
        with no_grad():
            out = cls.forward(node, *args, **kwargs)
    multiple = type(out) is tuple
    outs = out if multiple else (out,)
    results = []
    for index, o in enumerate(outs):
        if isinstance(o, Tensor):
            array = o._array
            t = _wrap(array) if any(o is a for a in inputs) else o
        else:
            array = o if type(o) is np.ndarray else np.asarray(o)
            t = _wrap(array)
        if cls.is_view:
            t._vc = args[0]._vc
        if id(o) not in node._non_differentiable and array.dtype.kind == "f":
            t._requires_grad = True
            t.grad_fn = node
            t._out_index = index
        results.append(t)
    node.n_outputs = len(results)
    node.output_meta = tuple((t._array.shape, t._array.dtype) for t in results)
    node._record_versions(results)
    node._inputs = ()
    return tuple(results) if multiple else results[0]
