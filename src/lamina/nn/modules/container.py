"""Containers: Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict.

Behaviour, including which error type each misuse raises, follows torch 2.x's containers. The one
addition is that Sequential also takes string keys (`seq["conv1"]`), which torch refuses with a
TypeError, so no working torch code changes meaning.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import chain

from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import Tensor, _wrap
from lamina.autograd.function import dispatch_hook
from lamina.autograd.grad_mode import _enabled
from lamina.nn.modules import _errors
from lamina.nn.modules.module import Module, _add_indent
from lamina.nn.parameter import Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _absolute_index(index, size: int) -> int:
    index = operator.index(index)  # TypeError for floats and strings, as in torch
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range")
    return index % size


def _not_a_sequential(other) -> ValueError:
    return ValueError("add operator supports only objects of Sequential class, but "
                      f"{type(other)} is given.")


def _check_factor(container, factor) -> None:
    if not isinstance(factor, int):
        raise TypeError(f"unsupported operand type(s) for *: {type(container)} and "
                        f"{type(factor)}")
    if factor <= 0:
        raise ValueError(f"Non-positive multiplication factor {factor} for {type(container)}")


class Sequential(Module):
    """Feeds its input to the first module and each output to the next; returns the last.

    Built from modules (named "0", "1", ...) or from one OrderedDict of named modules.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input):
        modules = self._modules.values()
        if not _enabled[0] and type(input) is Tensor and dispatch_hook[0] is None:
            # Inference: run the layers on bare arrays, wrapping only the result. Any layer
            # without an array form (or failing on its input) hands over to the normal path
            # from that layer on, which computes the same numbers or raises the layer's error.
            array, done = input._array, 0
            if array.dtype.kind == "f" and array.dtype.itemsize >= 4:
                token = quiet_fp()  # silent inf and nan, as in every op (see lamina._quiet)
                try:
                    for module in modules:
                        step = module._array_forward
                        if step is None or module._has_hooks:
                            break
                        try:
                            result = step(array)
                        except Exception:  # noqa: BLE001 (the normal path re-raises it)
                            break
                        if result is NotImplemented:
                            break
                        array, done = result, done + 1
                finally:
                    restore_fp(token)
            if done:
                input = _wrap(array)
                if done == len(modules):
                    return input
                modules = list(modules)[done:]
        try:
            for module in modules:
                input = module(input)
        except _errors._RELABELLED_TYPES as error:
            raise _errors.note_source(error, self, module)  # noqa: B904 (same object re-raised)
        return input

    def _key(self, index) -> str:
        if isinstance(index, str):  # beyond torch: seq["conv1"]
            if index not in self._modules:
                raise KeyError(f"Sequential has no module named '{index}'; its modules are "
                               f"{list(self._modules)}")
            return index
        keys = list(self._modules)
        return keys[_absolute_index(index, len(keys))]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index, module) -> None:
        setattr(self, self._key(index), module)

    def __delitem__(self, index) -> None:
        if isinstance(index, slice):
            for key in list(self._modules)[index]:
                delattr(self, key)
        else:
            delattr(self, self._key(index))
        # torch renumbers every remaining module, even ones that had names from an OrderedDict.
        self._modules = OrderedDict(
            (str(i), module) for i, module in enumerate(self._modules.values())
        )

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise _not_a_sequential(other)
        combined = Sequential()
        for layer in chain(self, other):
            combined.append(layer)
        return combined

    def __iadd__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise _not_a_sequential(other)
        offset = len(self)
        for i, module in enumerate(other):
            self.add_module(str(i + offset), module)
        return self

    def __mul__(self, factor: int) -> Sequential:
        _check_factor(self, factor)
        combined = Sequential()
        for _ in range(factor):
            for module in self:
                combined.append(module)  # the same module objects, repeated, as in torch
        return combined

    def __rmul__(self, factor: int) -> Sequential:
        return self.__mul__(factor)

    def __imul__(self, factor: int) -> Sequential:
        _check_factor(self, factor)
        size = len(self)
        offset = size
        for _ in range(factor - 1):
            for i in range(size):
                # torch looks the modules up as "0".."n-1", so a Sequential whose keys are not
                # (a slice, an OrderedDict) raises KeyError here; we keep that on purpose
                self.add_module(str(i + offset), self._modules[str(i)])
            offset += size
        return self

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module: Module) -> Sequential:
        """Add module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put module at position index, shifting the ones after it; returns self."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        size = len(self._modules)
        if not -size <= index <= size:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += size
        # As in torch, this assumes the keys are "0".."n-1" (true unless built from an OrderedDict).
        for i in range(size, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential: Iterable[Module]) -> Sequential:
        """Append every module of an iterable; returns self."""
        for layer in sequential:
            self.append(layer)
        return self

    def pop(self, key):
        """Remove the module at key (int or slice) and return it."""
        value = self[key]
        del self[key]
        return value


class ModuleList(Module):
    """A list of modules, each registered, so parameters() and state_dict() see them."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self += modules

    def _string_index(self, index) -> str:
        return str(_absolute_index(index, len(self)))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.__class__(list(self._modules.values())[index])
        return self._modules[self._string_index(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._string_index(index), module)

    def __delitem__(self, index) -> None:
        if isinstance(index, slice):
            for i in range(len(self._modules))[index]:
                delattr(self, str(i))
        else:
            delattr(self, self._string_index(index))
        self._modules = OrderedDict(
            (str(i), module) for i, module in enumerate(self._modules.values())
        )

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        combined = ModuleList()
        for i, module in enumerate(chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __repr__(self) -> str:
        # torch folds runs of identical children: "(0-2): 3 x Linear(...)".
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            if first == last:
                line = f"({first}): {text}"
            else:
                line = f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(_add_indent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def insert(self, index: int, module: Module) -> None:
        """Put module before position index (no bounds check, as in torch)."""
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self


def _check_pair(owner: str, index: int, item) -> None:
    if not isinstance(item, Iterable):
        raise TypeError(f"{owner} update sequence element #{index} should be Iterable; is"
                        + type(item).__name__)
    if len(item) != 2:
        raise ValueError(f"{owner} update sequence element #{index} has length {len(item)}; "
                         "2 is required")


class ModuleDict(Module):
    """An ordered dict of modules, each registered under its key."""

    def __init__(self, modules: Mapping[str, Module] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        value = self[key]
        del self[key]
        return value

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add modules from a mapping (in its order) or from an iterable of (key, module)."""
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got " + type(modules).__name__)
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
        else:
            for j, item in enumerate(modules):
                _check_pair("ModuleDict", j, item)
                self[item[0]] = item[1]


def _describe_member(key, value, by_dtype: bool) -> str:
    # torch names the dtype in ParameterList ("float32") but the tensor type in ParameterDict
    # ("FloatTensor"); we copy the inconsistency so reprs match.
    if isinstance(value, Tensor):
        size = "x".join(str(s) for s in value.shape)
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        described = value.dtype if by_dtype else value.type()
        return f"  ({key}): {kind} containing: [{described} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of parameters, each registered; plain Tensors are wrapped in Parameter."""

    def __init__(self, values: Iterable | None = None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _string_index(self, index) -> str:
        return str(_absolute_index(index, len(self)))

    def __getitem__(self, index):
        if isinstance(index, slice):
            out = self.__class__()
            for i in range(*index.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._string_index(index))

    def __setitem__(self, index: int, value) -> None:
        key = self._string_index(index)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable) -> ParameterList:
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value) -> ParameterList:
        index = len(self)
        self._size += 1
        self[index] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_describe_member(i, value, True) for i, value in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters, each registered under its key."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _attribute(key) -> str:
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a "
                            f"string (type is '{type(key).__name__}'). Open an issue on github "
                            "if you need non-string keys.")
        return key

    def __getitem__(self, key: str):
        return getattr(self, self._attribute(key))

    def __setitem__(self, key: str, value) -> None:
        self._keys[key] = None
        attribute = self._attribute(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attribute, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._attribute(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        key, _ = self._keys.popitem()  # KeyError when empty, as dict's
        self._keys[key] = None
        value = self[key]
        del self[key]
        return key, value

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default=None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters) -> None:
        """Add from an OrderedDict/ParameterDict (in order), a mapping (sorted by key, as torch
        does), or an iterable of (key, value) pairs."""
        if not isinstance(parameters, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, value in parameters.items():
                self[key] = value
        elif isinstance(parameters, Mapping):
            for key, value in sorted(parameters.items()):
                self[key] = value
        else:
            for j, item in enumerate(parameters):
                _check_pair("ParameterDict", j, item)
                self[item[0]] = item[1]

    def extra_repr(self) -> str:
        return "\n".join(_describe_member(k, v, False) for k, v in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        combined = self.copy()
        combined.update(other)
        return combined

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        combined = other.copy()
        combined.update(self)
        return combined

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self
