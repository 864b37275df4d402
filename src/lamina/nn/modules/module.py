"""nn.Module: the base class of every layer and model, with torch.nn.Module's behaviour.

A Module keeps its state in three insertion-ordered dicts (`_parameters`, `_buffers`,
`_modules`) filled by attribute assignment, so traversal orders, `state_dict` keys and `repr`
match torch's. Each dict also mirrors its entries into the instance `__dict__` (see
_members.py), so reading `self.weight` in forward is a plain attribute read.

Split out: the hook call path (_hooks.py), load_state_dict and its diagnoses
(_state_dict.py), and the errors that name the layer (_errors.py).
"""

from __future__ import annotations

from collections import OrderedDict

from lamina import _dtype
from lamina._device import check_available
from lamina._tensor import Tensor
from lamina.nn.modules import _errors
from lamina.nn.modules._hooks import RemovableHandle, call_with_hooks
from lamina.nn.modules._members import MemberDict
from lamina.nn.parameter import Parameter

__all__ = ["Module"]

_MEMBER_DICTS = ("_parameters", "_buffers", "_modules")


def _typename(value) -> str:
    """The name torch puts in its 'cannot assign ...' messages."""
    if isinstance(value, Tensor):
        return value.type()  # "lamina.FloatTensor", as torch.typename gives "torch.FloatTensor"
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _add_indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class for all layers and models: subclass it, assign layers in `__init__`, write
    `forward`, and call the instance."""

    training: bool
    _version = 1
    call_super_init = False  # torch's flag; kept so code that sets it still runs

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        # written straight into __dict__: our __setattr__ expects these dicts to exist already
        state = self.__dict__
        for kind in _MEMBER_DICTS:  # a second __init__ starts empty, as in torch
            if kind in state:
                state[kind].forget_mirror()
        state["training"] = True
        state["_parameters"] = MemberDict(state)
        state["_buffers"] = MemberDict(state)
        state["_non_persistent_buffers_set"] = set()
        state["_modules"] = MemberDict(state)
        state["_forward_pre_hooks"] = OrderedDict()
        state["_forward_pre_hooks_with_kwargs"] = {}
        state["_forward_hooks"] = OrderedDict()
        state["_forward_hooks_with_kwargs"] = {}
        state["_forward_hooks_always_called"] = {}
        state["_backward_hooks"] = OrderedDict()
        state["_backward_pre_hooks"] = OrderedDict()
        state["_has_hooks"] = False  # set by register_*_hook; cleared once all are removed

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # Inference fast path (used by Sequential under no_grad): a layer may define
    # `_array_forward(self, x: ndarray) -> ndarray` computing exactly what `forward` computes,
    # with the same primitive, on a bare array; it returns NotImplemented where it cannot
    # (training-mode randomness, unusual dtypes), and the normal path takes over.
    _array_forward = None

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if self._has_hooks:  # one flag, not four dict checks: ~0.2 us per call on busy cores
            return call_with_hooks(self, args, kwargs)
        try:
            return self.forward(*args, **kwargs)
        except _errors._RELABELLED_TYPES as error:
            raise _errors.locate(error, self)  # noqa: B904 (locate sets __cause__ itself)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) -> None or new args, called before `forward`.

        With `with_kwargs=True`: hook(module, args, kwargs) -> None or (new_args, new_kwargs).
        """
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._has_hooks = True
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """hook(module, args, output) -> None or a new output, called after `forward`.

        With `with_kwargs=True`: hook(module, args, kwargs, output).
        """
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        self._has_hooks = True
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> None or new grad_input, called once the
        gradients with respect to the module's inputs are computed (tuples, None for inputs
        that get no gradient)."""
        handle = RemovableHandle(self._backward_hooks)
        self._has_hooks = True
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_output) -> None or new grad_output, called when the gradients with
        respect to the module's outputs are computed, before they flow further back."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._has_hooks = True
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ registration
    def _check_member_name(self, kind: str, name) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (e.g. BatchNorm's running_mean)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_member_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter (or None, which keeps the name and its place in the order)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_member_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{_typename(param)}' object to parameter "
                                f"'{name}' (torch.nn.Parameter or None required)")
            if param.grad_fn is not None:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                    f"must be created explicitly. To express '{name}' as a function of another "
                    "Tensor, compute the value in the forward() method."
                )
        self._parameters[name] = param

    def add_module(self, name: str, module) -> None:
        """Add a child module, reachable as an attribute `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError("module name can't be empty string \"\"")
        self._modules[name] = module

    def register_module(self, name: str, module) -> None:
        """Alias of `add_module`."""
        self.add_module(name, module)

    # No __getattr__: parameters, buffers and children are mirrored into __dict__ (see
    # _members.py), and Python's own AttributeError text is torch's ("'Net' object has no
    # attribute 'x'"). Without it CPython can specialise `self.weight` reads in forward. A
    # subclass's `try: super().__getattr__(name) except AttributeError:` still works (the
    # lookup raises AttributeError), only its message differs from torch's.

    def __setattr__(self, name: str, value) -> None:
        state = self.__dict__
        params = state.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(
                    "cannot assign parameters before Module.__init__() call "
                    f"(call super().__init__() first in {type(self).__name__}.__init__)"
                )
            self._forget(name, state, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = state.get("_modules")
            if modules is None:
                raise AttributeError(
                    "cannot assign module before Module.__init__() call "
                    f"(call super().__init__() first in {type(self).__name__}.__init__)"
                )
            self._forget(name, state, self._parameters, self._buffers)
            modules[name] = value
        elif params is not None and name in state["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            state["_modules"][name] = value
        elif params is not None and name in state["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            state["_buffers"][name] = value
        elif name in _MEMBER_DICTS and params is not None:
            # e.g. Sequential.__delitem__ renumbering: mirror the new dict, drop the old one's
            state[name].forget_mirror()
            state[name] = MemberDict(state, value)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, *places) -> None:
        for place in places:
            if name in place:
                del place[name]
        self._non_persistent_buffers_set.discard(name)

    def __delattr__(self, name: str) -> None:
        state = self.__dict__
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in state.get(kind, ()):
                del state[kind][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        attrs = set(dir(type(self))) | set(self.__dict__)
        attrs |= set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(a for a in attrs if not a[:1].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        # pickles from before backward hooks existed lack these
        for kind in ("_backward_hooks", "_backward_pre_hooks"):
            self.__dict__.setdefault(kind, OrderedDict())
        self.__dict__.setdefault("_has_hooks", True)  # the hook path clears it if none
        for kind in _MEMBER_DICTS:
            self.__dict__[kind] = MemberDict(self.__dict__, state[kind])

    # ------------------------------------------------------------------ lookup by path
    def get_submodule(self, target: str) -> Module:
        """The module at dotted path `target` ("" is self), or AttributeError naming the gap."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path `target` (e.g. "0.weight")."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path `target` (e.g. "1.running_mean")."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return getattr(module, name)

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put module at dotted path target, replacing what is there (strict: it must exist)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError("`" + name + "` is not an nn.Module")
        setattr(parent, name, module)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True):
        """(dotted name, module) for self and every descendant, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, kind: str, prefix: str, recurse: bool, remove_duplicate: bool):
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in module.__dict__[kind].items():
                if value is None or id(value) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """(dotted name, parameter) in registration order; a shared parameter is listed once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ modes and state
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:  # zero the same tensor in place, as torch does
                param.grad.detach_()
                param.grad._array[...] = 0

    def apply(self, fn) -> Module:
        """Call fn(module) on every child (recursively), then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert) -> Module:
        """Replace every parameter's and buffer's data by convert(array), recursively."""
        for module in self.modules():
            for param in module._parameters.values():
                if param is None:
                    continue
                param._array = convert(param._array)
                if param.grad is not None:
                    param.grad._array = convert(param.grad._array)
            for buffer in module._buffers.values():
                if buffer is not None:
                    buffer._array = convert(buffer._array)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Convert floating-point parameters and buffers to a dtype; devices other than the CPU
        are refused. Integer buffers (num_batches_tracked) keep their dtype, as in torch."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)  # NumPy arrays have no channels-last layout to choose
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for arg in args:
            if isinstance(arg, _dtype.dtype):
                dtype = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            else:
                device = arg
        if device is not None:
            # AssertionError for CUDA, as torch built without it
            if check_available(device).type == "meta":  # keep shapes and dtypes, drop the data
                from lamina._meta import meta_array

                self._apply_to_tensors(lambda a: meta_array(a.shape, a.dtype))
        if dtype is None:
            return self
        if not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, "
                            f"but got desired dtype={dtype}")
        target = _dtype.to_numpy_dtype(dtype)
        return self._apply_to_tensors(
            lambda a: a.astype(target) if a.dtype.kind == "f" and a.dtype != target else a
        )

    def type(self, dst_type) -> Module:
        """Cast every parameter and buffer (integer ones too) to dst_type."""
        target = _dtype.to_numpy_dtype(dst_type)
        return self._apply_to_tensors(lambda a: a if a.dtype == target else a.astype(target))

    def float(self) -> Module:
        return self.to(_dtype.float32)

    def double(self) -> Module:
        return self.to(_dtype.float64)

    def half(self) -> Module:
        return self.to(_dtype.float16)

    def cpu(self) -> Module:
        return self

    def compile(self, *args, **kwargs) -> None:
        """No-op: lamina runs eagerly; kept so `model.compile()` in torch code still runs."""

    def share_memory(self) -> Module:
        """No-op: NumPy arrays are already plain process memory."""
        return self

    def cuda(self, device=None) -> Module:
        check_available("cuda")
        return self

    # ------------------------------------------------------------------ state_dict
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An OrderedDict of every parameter and persistent buffer, by dotted name.

        Values are detached tensors sharing storage with the module (keep_vars=True gives the
        Parameters themselves), in torch's order: a module's parameters, then its buffers, then
        its children's, depth first.
        """
        if args:  # torch's deprecated positional form: (destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters and persistent buffers into destination."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """Copy this module's own entries from state_dict (torch's per-module protocol)."""
        from lamina.nn.modules._state_dict import load_from_state_dict

        load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                             unexpected_keys, error_msgs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from state_dict (lamina tensors or NumPy arrays) into this module.

        Returns `(missing_keys, unexpected_keys)`. With strict=True, raises RuntimeError listing
        every missing, unexpected and wrongly shaped key at once, with a diagnosis of the usual
        causes (a `module.` prefix, renumbered Sequential keys) when one fits.
        """
        from lamina.nn.modules._state_dict import load_state_dict

        return load_state_dict(self, state_dict, strict, assign)

    # ------------------------------------------------------------------ repr
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra_lines = []
        extra = self.extra_repr()
        if extra:
            extra_lines = extra.split("\n")
        child_lines = []
        for name, module in self._modules.items():
            child_lines.append(f"({name}): " + _add_indent(repr(module), 2))
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
