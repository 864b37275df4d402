"""Tracing a forward pass into an ONNX graph."""

from __future__ import annotations

import os

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd import function
from lamina.autograd.grad_mode import no_grad


class GraphBuilder:
    """Collects ONNX nodes, initializers and value names while a forward pass runs."""

    def __init__(self, helper, numpy_helper, opset: int):
        self.helper, self.numpy_helper, self.opset = helper, numpy_helper, opset
        self.nodes = []
        self.initializers = []
        self.names: dict[int, str] = {}  # id(tensor) -> value name
        self.array_names: dict[int, str] = {}  # id(ndarray) -> value name, for aliases
        self.keep_alive = []  # tensors whose ids are in `names`
        self.counter = 0
        self.dynamic_batch = False

    def fresh(self, hint: str = "v") -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def name_of(self, value, like: np.dtype | None = None) -> str:
        """The graph name for a tensor or Python scalar, adding a constant if it is new."""
        if isinstance(value, Tensor):
            name = self.names.get(id(value)) or self.array_names.get(id(value._array))
            if name is None:  # a weight, buffer or constant the trace did not produce
                name = self.constant(value._array, "const")
                self.names[id(value)] = name
                self.keep_alive.append(value)
            return name
        return self.constant(np.asarray(value, dtype=like if like is not None else None),
                             "scalar")

    def constant(self, array: np.ndarray, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values, hint="ints") -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64), hint)

    def node(self, op_type: str, inputs, outputs=None, **attributes) -> list[str]:
        outputs = outputs or [self.fresh(op_type.lower())]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), list(outputs),
                                                **attributes))
        return outputs

    def bind(self, tensor: Tensor, name: str) -> None:
        """`name` is the graph value for `tensor` (and for aliases of its very array)."""
        self.names[id(tensor)] = name
        self.array_names[id(tensor._array)] = name
        self.keep_alive.append(tensor)


def _as_tuple(args):
    if isinstance(args, Tensor):
        return (args,)
    return tuple(args)


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int = 17, do_constant_folding=True, verbose=False, **unused):
    """Trace `model(*args)` and write the ONNX model to `f` (a path or a binary file).

    `dynamic_axes` maps an input or output name to the axes (a list, or a dict of axis -> name)
    that may vary, e.g. {"input": {0: "batch"}}. Returns the `onnx.ModelProto`.
    """
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError(
            "lamina.onnx.export needs the 'onnx' package: pip install 'lamina[onnx]'"
        ) from None
    from lamina.onnx import _translate

    inputs = _as_tuple(args)
    input_names = list(input_names or [f"input_{i}" if i else "input" for i in range(len(inputs))])
    builder = GraphBuilder(helper, numpy_helper, opset_version)
    dynamic_axes = dynamic_axes or {}
    builder.dynamic_batch = any(0 in _axes(v) for v in dynamic_axes.values())
    for tensor, name in zip(inputs, input_names):
        builder.bind(tensor, name)

    def hook(cls, op_args, kwargs, run):
        out = run()
        _translate.translate(builder, cls, op_args, kwargs, out)
        return out

    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    previous = function.dispatch_hook[0]
    function.dispatch_hook[0] = hook
    try:
        with no_grad():
            outputs = model(*inputs)
    finally:
        function.dispatch_hook[0] = previous
        if was_training:
            model.train()
    outputs = _as_tuple(outputs)
    output_names = list(output_names or [f"output_{i}" if i else "output"
                                         for i in range(len(outputs))])
    for tensor, name in zip(outputs, output_names):
        source = builder.name_of(tensor)
        builder.node("Identity", [source], [name])

    def value_info(name, tensor):
        shape = list(tensor.shape)
        for axis, label in _axes_named(dynamic_axes.get(name), name).items():
            shape[axis] = label
        element = helper.np_dtype_to_tensor_dtype(tensor._array.dtype)
        return helper.make_tensor_value_info(name, element, shape)

    graph = helper.make_graph(
        builder.nodes, "lamina",
        [value_info(n, t) for t, n in zip(inputs, input_names)],
        [value_info(n, t) for t, n in zip(outputs, output_names)],
        builder.initializers,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset_version)],
                              producer_name="lamina")
    proto.ir_version = min(proto.ir_version, 10)
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as handle:
            handle.write(data)
    else:
        f.write(data)
    return proto


def _axes(spec):
    if spec is None:
        return []
    return list(spec.keys()) if isinstance(spec, dict) else list(spec)


def _axes_named(spec, name):
    if spec is None:
        return {}
    if isinstance(spec, dict):
        return dict(spec)
    return {axis: f"{name}_dynamic_axes_{axis + 1}" for axis in spec}
