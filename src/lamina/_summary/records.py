"""LayerRecord: one candidate row of the summary table, and the size rules for its shapes.

A record is a module plus what one call of it showed (shapes, output bytes, mult-adds), or a
placeholder for a container that never ran. The arithmetic follows torchinfo 1.8.0 exactly,
quirks included, because users compare our table with the one they already know.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from lamina._tensor import Tensor


def product(values) -> int:
    """The product of a (possibly nested) list of ints; 1 for an empty list."""
    result = 1
    for value in values:
        result *= product(value) if isinstance(value, Iterable) else value
    return result


def _is_lazy(param) -> bool:
    from lamina.nn.modules.lazy import UninitializedParameter  # nn imports lamina: import late

    return isinstance(param, UninitializedParameter)


def kernel_size_of(module):
    """The module's `kernel_size` as shown in the table: a list, an int, or None."""
    try:
        kernel = module.kernel_size
    except AttributeError:
        return None
    if isinstance(kernel, Iterable):
        return list(kernel)
    if isinstance(kernel, int):
        return int(kernel)
    raise TypeError(f"kernel_size has an unexpected type: {type(kernel)}")


class LayerRecord:
    """A module and the facts gathered about one call of it (or its place in the tree)."""

    def __init__(self, module, var_name: str, depth: int, parent: LayerRecord | None):
        self.module = module
        self.layer_id = id(module)
        self.class_name = type(module).__name__
        self.var_name = var_name
        self.depth = depth
        self.parent_info = parent
        self.depth_index: int | None = None
        self.children: list[LayerRecord] = []  # all descendants in the final list
        # truthiness, as torchinfo tests it: an empty Sequential child counts as "no children"
        self.is_leaf_layer = not any(module.children())
        self.is_recursive = False
        self.executed = False
        self.failed = False
        self.call_args = None  # the arguments of a call still running (for the failure table)
        self.contains_lazy_param = False
        self.input_size: list = []
        self.output_size: list = []
        self.output_bytes = 0
        self.macs = 0
        self.kernel_size = kernel_size_of(module)
        self.num_params = 0
        self.trainable_params = 0
        self.param_bytes = 0
        self.inner_layers: dict[str, tuple[str, str]] = {}  # name -> (kernel cell, count cell)
        self._parameters: list = []  # (name, parameter) pairs, as last counted

    def __repr__(self) -> str:
        return f"{self.class_name}: {self.depth}"

    # ------------------------------------------------------------------ facts
    def calculate_num_params(self) -> None:
        """Count parameters (each Parameter once per module) and prepare verbose=2 rows."""
        self.num_params = self.trainable_params = self.param_bytes = 0
        rows = {}
        self._parameters = list(self.module.named_parameters())  # reused by calculate_macs
        for name, param in self._parameters:
            if _is_lazy(param):
                self.contains_lazy_param = True
                continue
            count = param.numel()
            self.num_params += count
            self.param_bytes += count * param.element_size()
            if param.requires_grad:
                self.trainable_params += count
            # the root lists only its own parameters; every other row lists all of them
            if self.parent_info is not None or "." not in name:
                shape = list(param.shape)
                if name == "weight" and len(shape) > 1:
                    # shown as [in, out, ...], torchinfo's convention
                    shape[0], shape[1] = shape[1], shape[0]
                rows[name] = (str(shape), f"├─{count:,}")
        if rows:
            last = next(reversed(rows))
            rows[last] = (rows[last][0], "└─" + rows[last][1][2:])
        self.inner_layers = rows

    def calculate_macs(self) -> None:
        """Mult-adds from the parameter counts and the output shape (torchinfo's rule)."""
        out = self.output_size
        for name, param in self._parameters:
            count = param.numel()
            if name in ("weight", "bias"):
                if "Conv" in self.class_name:  # batch x spatial positions; channels skipped
                    self.macs += int(count * product(out[:1] + out[2:]))
                else:  # only the first output axis counts, whatever the rank
                    self.macs += out[0] * count
            elif "weight" in name or "bias" in name:
                self.macs += product(out[:2]) * count

    def check_recursive(self, seen: set) -> None:
        if self.layer_id in seen:
            self.is_recursive = True

    # ------------------------------------------------------------------ derived values
    @property
    def trainable(self) -> str:
        if self.num_params == 0:
            return "--"
        if self.trainable_params == 0:
            return "False"
        if self.num_params == self.trainable_params:
            return "True"
        return "Partial"

    def leftover_params(self) -> int:
        """Parameters this record owns that no non-recursive descendant row accounts for."""
        return self.num_params - sum(
            child.num_params if child.is_leaf_layer else child.leftover_params()
            for child in self.children if not child.is_recursive)

    def leftover_trainable_params(self) -> int:
        return self.trainable_params - sum(
            child.trainable_params if child.is_leaf_layer else child.leftover_trainable_params()
            for child in self.children if not child.is_recursive)

    def layer_name(self, show_var_name: bool, show_depth: bool) -> str:
        name = self.class_name
        if show_var_name and self.var_name:
            name += f" ({self.var_name})"
        if show_depth and self.depth > 0:
            name += f": {self.depth}"
            if self.depth_index is not None:
                name += f"-{self.depth_index}"
        return name


# ---------------------------------------------------------------------- sizes of values
def size_of(value, batch_dim: int | None) -> tuple[list, int]:
    """(shape list, bytes per element) recorded for a call's inputs or output."""
    if value is None:
        return [], 0
    if isinstance(value, (list, tuple)) and value and _has_sized_data(value[0]):
        data = value[0].data
        size = list(data.size())
        if batch_dim is not None:
            size = size[:batch_dim] + [1] + size[batch_dim + 1:]
        return size, data.element_size()
    if isinstance(value, dict):
        size, element = _nested_size(list(value.values())[-1])
        if batch_dim is not None:
            size = [size[:batch_dim] + [1] + size[batch_dim + 1:]]  # torchinfo wraps it
        return size, element
    if isinstance(value, Tensor):
        return list(value.shape), value.element_size()
    if isinstance(value, np.ndarray):
        return list(value.shape), value.itemsize
    if isinstance(value, (list, tuple)):
        size, element = _nested_size(value)
        if batch_dim is not None and batch_dim < len(size):
            size[batch_dim] = 1
        return size, element
    raise TypeError(
        "Model contains a layer with an unsupported input or output type: "
        f"{value}, type: {type(value)}"
    )


def _has_sized_data(item) -> bool:
    data = getattr(item, "data", None)
    return data is not None and hasattr(data, "size") and callable(data.size)


def _nested_size(value) -> tuple[list, int]:
    if hasattr(value, "tensors"):
        return _nested_size(value.tensors)
    if isinstance(value, Tensor):
        return list(value.shape), value.element_size()
    if isinstance(value, np.ndarray):
        return list(value.shape), value.itemsize
    if not hasattr(value, "__getitem__") or not value:
        return [], 0
    if isinstance(value, dict):
        return _nested_size(list(value.values()))
    size, element_size = getattr(value, "size", None), getattr(value, "element_size", None)
    if callable(size) and callable(element_size):
        return list(size()), element_size()
    if isinstance(value, (list, tuple)):
        return _nested_size(value[0])
    return [], 0
