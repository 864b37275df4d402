"""Function: one differentiable op, forward and backward side by side.

lamina's own primitives subclass `Primitive` and work on plain ndarrays; users subclass
`Function` exactly as in PyTorch and see Tensors. Both are dispatched by their `apply`, the
single place every op passes through: a tracer (ONNX export) or the meta device hooks in by
setting `dispatch_hook[0]`, which is then handed every call as
`hook(function_class, args, kwargs, run)`, where `run()` performs the op normally.

When grad mode is off or no argument requires grad, `apply` runs forward with a context that
drops every write and builds no graph node.
"""

from __future__ import annotations

import numpy as np

from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import Tensor, _new, _wrap
from lamina.autograd.engine import sum_to_shape
from lamina.autograd.grad_mode import _enabled, no_grad

dispatch_hook: list = [None]



class _NoContext:
    """The ctx forward sees when nothing is recorded: every write is dropped."""

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
    """One recorded call of a Function: the `ctx` its forward saw, and `grad_fn` of its outputs.

    `edges[i]` describes argument i: None if it gets no gradient, else
    (parent node or None, parent output index, the leaf Tensor or None, shape, dtype).
    """

    __slots__ = ("function", "edges", "needs_input_grad", "output_meta", "__dict__")

    # Rarely set: class-level defaults, so recording a node stays cheap.
    _saved = None
    _saved_versions = ()
    _freed = False
    _non_differentiable = ()
    materialize_grads = True
    grad_fn_name = None  # a forward may name its node per call: `ctx.grad_fn_name = "MmBackward0"`
    retained = None  # output index -> non-leaf Tensor that called retain_grad()
    hooks = None  # output index -> list of tensor hooks registered on that output
    # `_record` makes nodes without calling __init__ and sets function, edges,
    # needs_input_grad, then output_meta (a (shape, dtype) per output) once forward has run.

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def name(self) -> str:
        """torch's name for this node's class, e.g. `AddBackward0` or `MyFunctionBackward`."""
        return type(self).__name__

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
        for shape, counter, version, _, _ in self._saved_versions:
            if counter[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: a tensor of shape {list(shape)} saved by "
                    f"{self.name()} is at version {counter[0]}; expected version {version} "
                    "instead. Hint: replace the in-place op (x += ..., x.add_(...), "
                    "x[...] = ...) with its out-of-place form, or .clone() the tensor first."
                )
        return self._saved if self._saved is not None else ()

    saved_variables = saved_tensors

    # -- the graph, as torch exposes it -------------------------------------------------------
    @property
    def next_functions(self):
        """(node, output index) per tensor argument, as torch: None for a tensor that needs no
        gradient, an AccumulateGrad for a leaf. A fused op whose torch graph is laid out
        differently (linear is addmm(bias, x, weight.t()) there) rearranges them through its
        function's `torch_next_functions(node, pairs)`."""
        pairs = tuple(
            (None, 0) if edge is None else (edge[0] or AccumulateGrad(edge[2]), edge[1])
            for edge in self.edges if edge != ()
        )
        rearrange = getattr(self.function, "torch_next_functions", None)
        return pairs if rearrange is None else rearrange(self, pairs)

    def register_hook(self, hook):
        raise NotImplementedError("lamina supports hooks on Tensors, not on grad_fn nodes")

    # -- used by the engine ------------------------------------------------------------------
    def _record_versions(self, inputs, outputs):
        """Remember the version of every tensor argument or output whose array forward saved."""
        records = []
        for value in self._saved:
            target = value._array if isinstance(value, Tensor) else value
            if type(target) is not np.ndarray:
                continue
            # the source as in _record: argument index, or -1 - k for output k
            for source, tensor in [*enumerate(inputs), *((-1 - k, t) for k, t in
                                                         enumerate(outputs))]:
                if isinstance(tensor, Tensor) and tensor._array is target:
                    records.append((target.shape, tensor._vc, tensor._vc[0], source, id(target)))
                    break
        self._saved_versions = records

    def run_backward(self, grads, retain_graph):
        """The gradients for this node's arguments, each fitted to its argument's shape."""
        function = self.function
        if self.materialize_grads and _has_none(grads):
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
        if type(result) is not tuple:
            result = (result,)
        edges = self.edges
        if len(result) < len(edges):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {len(edges)}, got {len(result)})"
            )
        if not retain_graph and self._saved is not None:
            self._saved = None
            self._freed = True
        input_grads = []
        for edge, grad in zip(edges, result):
            if not edge or grad is None:
                input_grads.append(None)
                continue
            if type(grad) is not np.ndarray:
                grad = self._as_array(grad, edge[4])
            if grad.shape != edge[3] or grad.dtype != edge[4]:
                grad = self._fit_gradient(edge, grad)
            input_grads.append(grad)
        return input_grads

    def _as_array(self, grad, dtype):
        if isinstance(grad, Tensor):
            # a user's backward may hand back one of its own tensors: never adopt it as .grad
            return grad._array.copy()
        return np.asarray(grad, dtype=dtype)

    def _fit_gradient(self, edge, grad):
        """Reduce a broadcast gradient to its input's shape; raise naming the op if it can't."""
        shape, dtype = edge[3], edge[4]
        if grad.shape != shape:
            try:
                reduced = sum_to_shape(grad, shape)
            except (ValueError, IndexError):
                reduced = None
            if reduced is None or reduced.shape != shape:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient: got shape "
                    f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
                )
            grad = reduced
        if grad.dtype != dtype:
            if self.function._on_arrays:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient: got dtype "
                    f"{grad.dtype} for an input of dtype {dtype}"
                )
            grad = grad.astype(dtype)
        return grad


class AccumulateGrad:
    """Where a leaf's gradient goes, as listed in `next_functions`; `.variable` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class GraphView:
    """A node torch records that lamina fuses away (the `weight.t()` inside linear): it exists
    only to be walked through `next_functions`, and carries no gradient itself."""

    __slots__ = ("next_functions",)

    def __init__(self, next_functions):
        self.next_functions = next_functions

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"


_VIEW_TYPES: dict = {}


def graph_view(name: str, next_functions: tuple) -> GraphView:
    """A `GraphView` whose type is named `name` (e.g. `TBackward0`), as torch's node would be."""
    view_type = _VIEW_TYPES.get(name)
    if view_type is None:
        view_type = _VIEW_TYPES[name] = type(name, (GraphView,), {"__slots__": ()})
    return view_type(next_functions)


# One Node subclass per node name, so `type(y.grad_fn).__name__` reads `MulBackward0` as in
# torch. Made on first use and cached; layouts are identical, so a node can switch class.
_NODE_TYPES: dict = {}
_NAMED_TYPES: dict = {}


def _node_type(function, name=None) -> type:
    name = name or function._grad_fn_name()
    node_type = _NAMED_TYPES.get(name)
    if node_type is None:
        node_type = _NAMED_TYPES[name] = type(name, (Node,), {"__slots__": ()})
    if name == function._grad_fn_name():
        _NODE_TYPES[function] = node_type
    return node_type


def name_node(tensor, name: str):
    """Give `tensor`'s node torch's name for the composite op that just made it (mse_loss is
    a composition here, `MseLossBackward0` one node in torch); returns `tensor`."""
    node = tensor.grad_fn
    if node is not None:
        node.__class__ = _node_type(node.function, name)
    return tensor


def _has_none(values) -> bool:
    for value in values:
        if value is None:
            return True
    return False


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved tensors after they "
    "were freed) at {name}. Saved intermediate values of the graph are freed by .backward() or "
    "autograd.grad(). Hint: pass retain_graph=True to the first call if you need to backward "
    "through the graph again."
)


class Function:
    """Base class for differentiable operations, used the PyTorch way.

    Subclass it with static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` and call
    `MyFunction.apply(*args)`. forward runs with grad mode off and sees Tensors; backward
    returns one gradient (or None) per forward argument. `ctx.save_for_backward`,
    `ctx.saved_tensors`, `ctx.needs_input_grad`, `ctx.mark_non_differentiable` and
    `ctx.set_materialize_grads` behave as in torch.
    """

    _on_arrays = False  # lamina's primitives see ndarrays; user Functions see Tensors
    is_view = False  # outputs share memory (and so the version counter) with argument 0
    grad_fn_name = None  # torch's node name when it differs from the default

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
    def _grad_fn_name(cls) -> str:
        # torch names a custom Function's node `<Name>Backward`, its own ops `<Name>Backward0`
        return cls.grad_fn_name or cls.__name__ + ("Backward0" if cls._on_arrays else "Backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        if dispatch_hook[0] is not None:
            return dispatch_hook[0](cls, args, kwargs, lambda: _run_user(cls, args, kwargs))
        return _run_user(cls, args, kwargs)


class Primitive(Function):
    """A lamina op: forward and backward take and return ndarrays (or Python scalars)."""

    _on_arrays = True

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arguments' arrays; record a node only if a gradient can flow.

        Every op of a forward pass comes through here, so this body is kept flat (no helper
        calls on the common path) and one or two arguments, nearly all ops, are unpacked
        without building a list. It runs with NumPy's floating-point warnings off, as torch
        is silent about inf and nan (`lamina._quiet`: ~0.2 us per op).
        """
        if dispatch_hook[0] is not None and not _hook_bypass[0]:
            return dispatch_hook[0](cls, args, kwargs, lambda: _apply(cls, args, kwargs))
        token = quiet_fp()
        try:
            if len(args) == 2:
                a, b = args
                if isinstance(a, Tensor):
                    if a._requires_grad and _enabled[0]:
                        return _record(cls, args, kwargs)
                    a = a._array
                if isinstance(b, Tensor):
                    if b._requires_grad and _enabled[0]:
                        return _record(cls, args, kwargs)
                    b = b._array
                out = cls.forward(_NO_CONTEXT, a, b, **kwargs)
            elif len(args) == 1 and isinstance(args[0], Tensor):
                a = args[0]
                if a._requires_grad and _enabled[0]:
                    return _record(cls, args, kwargs)
                out = cls.forward(_NO_CONTEXT, a._array, **kwargs)
            else:
                arrays = []
                for a in args:
                    if isinstance(a, Tensor):
                        if a._requires_grad and _enabled[0]:
                            return _record(cls, args, kwargs)
                        arrays.append(a._array)
                    else:
                        arrays.append(a)
                out = cls.forward(_NO_CONTEXT, *arrays, **kwargs)
            if type(out) is np.ndarray and not cls.is_view:
                return _wrap(out)
            if type(out) is tuple:
                return tuple(_wrap_output(o, args, cls) for o in out)
            return _wrap_output(out, args, cls)
        finally:
            restore_fp(token)


# Set while a hook's `run()` performs one primitive, so that call skips the hook. A primitive's
# forward works on ndarrays and never reaches `apply` again, so nothing else is skipped.
_hook_bypass = [False]


def _apply(cls, args, kwargs):
    """Run any Function without consulting `dispatch_hook` (a hook's `run`, or a hook that
    adjusts the arguments first)."""
    if not cls._on_arrays:
        return _run_user(cls, args, kwargs)
    previous, _hook_bypass[0] = _hook_bypass[0], True
    try:
        return cls.apply(*args, **kwargs)
    finally:
        _hook_bypass[0] = previous


def _run_user(cls, args, kwargs):
    """Run a user Function: forward sees Tensors and runs with grad mode off."""
    if _enabled[0]:
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                return _record(cls, args, kwargs)
    with no_grad():
        return cls.forward(_UserContext(len(args)), *args, **kwargs)


def _wrap_output(out, args, cls):
    t = _wrap(out if type(out) is np.ndarray else np.asarray(out))
    if cls.is_view:
        t._vc = args[0]._vc
    return t


class _UserContext:
    """ctx for a user Function's forward when nothing is recorded: accepts and forgets."""

    def __init__(self, n_inputs: int):
        self.needs_input_grad = (False,) * n_inputs

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *values):
        pass

    def mark_dirty(self, *values):
        pass

    def set_materialize_grads(self, value):
        pass


def _record(cls, args, kwargs):
    """Run `cls` and record a graph node: one edge per argument, outputs pointing at it.

    Every op with a gradient to carry comes through here: the common case (a primitive with
    one array out) is kept flat, without helper calls.
    """
    edges = []
    needs = []
    values = []
    for a in args:
        if isinstance(a, Tensor):
            array = a._array
            values.append(array)
            if a._requires_grad:
                if a._view_version is not None and a._view_version != a._vc[1]:
                    raise _stale_view_error(cls, a)
                grad_fn = a.grad_fn
                edges.append((grad_fn, a._out_index, a if grad_fn is None else None,
                              array.shape, array.dtype))
                needs.append(True)
                continue
            edges.append(None)
        else:
            values.append(a)
            edges.append(())  # not a tensor: left out of next_functions
        needs.append(False)
    node = _new(_NODE_TYPES.get(cls) or _node_type(cls))
    node.function, node.edges, node.needs_input_grad = cls, edges, tuple(needs)
    if cls._on_arrays:
        out = cls.forward(node, *values, **kwargs)
        name = node.grad_fn_name
        if name is not None:
            node.__class__ = _NAMED_TYPES.get(name) or _node_type(cls, name)
        if type(out) is np.ndarray:  # the common case: one array out
            t = _wrap(out)
            if cls.is_view:
                t._vc = args[0]._vc
                t._view_version = t._vc[1]
            if out.dtype.kind == "f" and not node._non_differentiable:
                t._requires_grad = True
                t.grad_fn = node
            node.output_meta = ((out.shape, out.dtype),)
            saved = node._saved
            if saved:
                # per saved array: (shape, its tensor's version counter, the version now,
                # argument index or -1 for the output, id of the array: not the array, which
                # must be freed with _saved). Backward checks versions; create_graph finds
                # the tensor each saved array belongs to (ids are read only while _saved lives).
                records = []
                for value in saved:
                    if type(value) is not np.ndarray:
                        continue
                    position = 0
                    for a in args:
                        if isinstance(a, Tensor) and a._array is value:
                            records.append((value.shape, a._vc, a._vc[0], position, id(value)))
                            break
                        position += 1
                    else:
                        if value is out:
                            records.append((out.shape, t._vc, t._vc[0], -1, id(out)))
                node._saved_versions = records
            return t
        node.output_meta = ()
    else:
        with no_grad():
            out = cls.forward(node, *args, **kwargs)
        if node.grad_fn_name is not None:
            node.__class__ = _node_type(cls, node.grad_fn_name)
    multiple = type(out) is tuple
    results = []
    for index, o in enumerate(out if multiple else (out,)):
        if isinstance(o, Tensor):
            # a user forward may return an argument itself; its output is a new tensor
            t = _wrap(o._array) if any(o is a for a in args) else o
        else:
            t = _wrap(o if type(o) is np.ndarray else np.asarray(o))
        if cls.is_view:
            t._vc = args[0]._vc
            t._view_version = t._vc[1]
        if t._array.dtype.kind == "f" and id(o) not in node._non_differentiable:
            t._requires_grad = True
            t.grad_fn = node
            t._out_index = index
        results.append(t)
    node.output_meta = tuple((t._array.shape, t._array.dtype) for t in results)
    if node._saved:
        node._record_versions(args, results)
    return tuple(results) if multiple else results[0]


def _stale_view_error(cls, view):
    return RuntimeError(
        f"{cls.__name__}: an input of shape {tuple(view._array.shape)} is a view of a tensor "
        "that was modified in place (with grad recording) after the view was taken, so its "
        "gradient history is out of date. Hint: take the view again after the in-place op, "
        "or use the out-of-place form of the op."
    )
