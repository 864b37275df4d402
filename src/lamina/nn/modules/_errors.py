"""Errors that name the layer: what a layer expected, what it got, and where it sits in the model.

For layer authors
-----------------
Check the input at the top of `forward` with one of these helpers; each costs one or two
attribute reads and a comparison when the input is fine, and raises otherwise:

    expect_last_dim(self, input, self.in_features, hint="add nn.Flatten() before this layer?")
    expect_dim(self, input, -3, self.in_channels, name="channels")   # dim may be negative
    expect_ndim(self, input, (3, 4))                                 # allowed numbers of dims
    expect_dtype(self, input, self.weight.dtype)
    expect_last_dim(self, input, n, hint=lambda: f"... {input.shape[-1]} ...")  # lazy hint

They raise `ShapeError` or `DtypeError`, both subclasses of `RuntimeError` (the type torch
raises for the same mistakes, so user code catching `RuntimeError` still works). Raise them
directly for other checks: `ShapeError(module, expected="(N, C, H, W)", got=shape, hint="...")`
reads "expected input (N, C, H, W), got (2, 3)"; `got` may be a shape tuple or any text.

How the path is built
---------------------
`Module.__call__` wraps `forward` in a bare `try:` (free in CPython 3.11 until something
raises). When a layer's forward raises, each module the error passes through on its way out
calls `locate(error, self)`: the module that raised is recorded, and every parent that owns
it adds the child's name (or the names down to it, for a layer inside a ModuleList or
ModuleDict that forward loops over), so the message reads
`Sequential[7] Linear(in_features=2048, out_features=10, bias=True): expected input (*, 2048),
got (1, 512) — the output of Sequential[6] Flatten()`. `Sequential.forward` calls
`note_source(error, self, failed_child)` to add the "output of" part.

Errors that are not ours (a RuntimeError from a matmul, a ValueError from a functional) are
re-raised as a new exception of exactly the same type, whose message starts with the same
path, chained (`__cause__`) to the original. Only those exact builtin types are relabelled:
subclasses (NotImplementedError, user-defined exceptions) and other types (KeyError) pass
through untouched, since we cannot rebuild them faithfully.
"""

from __future__ import annotations

__all__ = [
    "LayerError",
    "ShapeError",
    "DtypeError",
    "expect_last_dim",
    "expect_dim",
    "expect_ndim",
    "expect_dtype",
    "expect_floating",
    "IntegerInputError",
    "locate",
    "note_source",
]

# Builtin exception types whose constructor takes a single message, so that a relabelled copy
# can be made with exactly the original type.
_RELABELLED_TYPES = (RuntimeError, ValueError, TypeError, IndexError)


class _Trace:
    """Where in a model an error happened: the failing module and the names leading to it."""

    __slots__ = ("module", "head", "names", "source", "detail")

    def __init__(self, module, detail: str = ""):
        self.module = module  # the module whose forward raised
        self.head = module  # the outermost module the error has passed through so far
        self.names: list[str] = []  # child names from `head` down to `module`
        self.source = None  # (depth, names, module): the layer whose output was the input
        self.detail = detail  # the original message, for errors that are not LayerErrors

    def where(self) -> str:
        """`Sequential[7] Linear(in_features=2048, ...)`: the path, then the failing layer."""
        if not self.names:
            return describe(self.module)
        return f"{_join(self.head, self.names)} {describe(self.module)}"

    def came_from(self) -> str:
        if self.source is None:
            return ""
        depth, source_names, module = self.source
        names = self.names[: len(self.names) - depth] + source_names
        return f" — the output of {_join(self.head, names)} {describe(module)}"


def _join(root, names: list[str]) -> str:
    parts = [type(root).__name__]
    for name in names:
        parts.append(f"[{name}]" if name.isdigit() else f".{name}")
    return "".join(parts)


def describe(module) -> str:
    """`Linear(in_features=2, out_features=20, bias=True)`: one line, even for containers."""
    return f"{type(module).__name__}({module.extra_repr()})"


def _format_shape(shape) -> str:
    if isinstance(shape, tuple):
        return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    return str(shape)


class LayerError(RuntimeError):
    """A layer refused its input: carries `module`, `expected`, `got`, `hint` and a `path`."""

    def __init__(self, module, expected, got, hint: str | None = None):
        super().__init__(expected, got)
        self.module = module
        self.expected = expected
        self.got = got
        self.hint = hint
        self._lamina_trace = _Trace(module)

    @property
    def path(self) -> str:
        """`Sequential[7]`: where the failing layer sits, from the outermost module seen."""
        trace = self._lamina_trace
        return _join(trace.head, trace.names) if trace.names else type(self.module).__name__

    def _problem(self) -> str:
        return f"expected {self.expected}, got {self.got}"

    def __str__(self) -> str:
        trace = self._lamina_trace
        text = f"{trace.where()}: {self._problem()}{trace.came_from()}."
        return f"{text} Hint: {self.hint}" if self.hint else text


class ShapeError(LayerError):
    """The input's shape does not fit the layer; `got` is the input's shape."""

    def _problem(self) -> str:
        return f"expected input {self.expected}, got {_format_shape(self.got)}"


class DtypeError(LayerError):
    """The input's dtype differs from the layer's parameters; `expected`/`got` are dtypes."""

    def _problem(self) -> str:
        return f"expected input of dtype {self.expected}, got {self.got}"


class IntegerInputError(LayerError, NotImplementedError):
    """The layer has no kernel for an integer or bool input: torch raises NotImplementedError
    (`"batch_norm" not implemented for 'Long'`), so this is one too; `got` is the dtype."""

    def _problem(self) -> str:
        return f"expected a floating point input, got {self.got}"


# ------------------------------------------------------------------------ checks for layers
# Each reads the ndarray's own shape (lamina.Size would cost an allocation per call); `hint` may
# be a callable, called only when the check fails, so a formatted hint costs nothing otherwise.
def expect_last_dim(module, input, size: int, hint=None) -> None:
    """Raise ShapeError unless input has shape (*, size)."""
    try:
        shape = input._array.shape
    except AttributeError:
        raise _not_a_tensor(input) from None
    if not shape or shape[-1] != size:
        raise ShapeError(module, f"(*, {size})", shape, _resolve(hint))


def expect_dim(module, input, dim: int, size: int, name: str | None = None, hint=None) -> None:
    """Raise ShapeError unless input.shape[dim] == size (dim may be negative)."""
    try:
        shape = input._array.shape
    except AttributeError:
        raise _not_a_tensor(input) from None
    if -len(shape) <= dim < len(shape) and shape[dim] == size:
        return
    ndim = max(len(shape), dim + 1 if dim >= 0 else -dim)
    pattern = ["*"] * ndim
    pattern[dim] = str(size)
    expected = "(" + ", ".join(pattern) + ")"
    if name is not None:
        expected += f" with {size} {name} at dim {dim % ndim}"
    raise ShapeError(module, expected, shape, _resolve(hint))


def expect_ndim(module, input, allowed_ndims, hint=None) -> None:
    """Raise ShapeError unless input.ndim is one of allowed_ndims (an int or a tuple)."""
    try:
        shape = input._array.shape
    except AttributeError:
        raise _not_a_tensor(input) from None
    ndim = len(shape)
    if ndim == allowed_ndims or (isinstance(allowed_ndims, tuple) and ndim in allowed_ndims):
        return
    allowed = allowed_ndims if isinstance(allowed_ndims, tuple) else (allowed_ndims,)
    expected = "with " + " or ".join(str(n) for n in allowed) + " dimensions"
    raise ShapeError(module, expected, shape, _resolve(hint))


def expect_dtype(module, input, dtype, hint=None) -> None:
    """Raise DtypeError unless input's dtype is dtype (a lamina dtype)."""
    try:
        array_dtype = input._array.dtype
    except AttributeError:
        raise _not_a_tensor(input) from None
    if array_dtype != dtype.numpy:
        hint = _resolve(hint)
        if hint is None:
            hint = (f"convert the input with .to({dtype}), or the model with "
                    f".to({input.dtype})")
        raise DtypeError(module, dtype, input.dtype, hint)


def expect_floating(module, input, parameters_dtype=None) -> None:
    """Raise unless input is floating point, with the type torch raises for the layer.

    IntegerInputError (a NotImplementedError) by default; with `parameters_dtype`, a
    DtypeError (RuntimeError), as torch's layer and group norm first refuse to mix an integer
    input with their float parameters.
    """
    try:
        array_dtype = input._array.dtype
    except AttributeError:
        raise _not_a_tensor(input) from None
    if array_dtype.kind == "f":
        return
    hint = "convert the input with .float() (integer columns from a dataset are int64)"
    if parameters_dtype is not None:
        raise DtypeError(module, parameters_dtype, input.dtype, hint)
    raise IntegerInputError(module, "a floating point dtype", input.dtype, hint)


def _resolve(hint):
    return hint() if callable(hint) else hint


def _not_a_tensor(input) -> TypeError:
    # Module.__call__ prefixes the layer's name, as for any TypeError raised in forward.
    return TypeError(f"expected a Tensor as input, got {type(input).__name__}")


# ------------------------------------------------------------------------ used by Module/containers
def locate(error: BaseException, module) -> BaseException:
    """The exception to re-raise from `module.__call__`, its path extended by one step.

    The first module to see an error records itself as the failing layer; each later one
    (its parent, grandparent...) prepends the child's name. Foreign errors of a relabelled
    type are replaced once, by a same-type copy chained to the original.
    """
    trace = getattr(error, "_lamina_trace", None)
    if trace is None:
        if type(error) not in _RELABELLED_TYPES:
            return error
        trace = _Trace(module, str(error))
        relabelled = type(error)(f"{trace.where()}: {trace.detail}")
        relabelled._lamina_trace = trace
        relabelled.__cause__ = error
        return relabelled
    if trace.head is module:
        return error
    names = _path_to(module, trace.head)
    if names is not None:
        trace.names[:0] = names
        trace.head = module
        if not isinstance(error, LayerError):
            error.args = (f"{trace.where()}: {trace.detail}{trace.came_from()}",)
    return error


def _path_to(module, target) -> list[str] | None:
    """Child names from module down to target: usually one step; deeper when target sits in a
    container whose own forward is not called (a ModuleList or ModuleDict looped over)."""
    for name, child in module._modules.items():
        if child is target:
            return [name]
    for path, descendant in module.named_modules():
        if descendant is target and path:
            return path.split(".")
    return None


def note_source(error: BaseException, container, failed) -> BaseException:
    """Record, for the message, which sibling produced the input `failed` choked on."""
    trace = getattr(error, "_lamina_trace", None)
    if trace is None or trace.source is not None:
        return error
    previous = None
    for name, child in container._modules.items():
        if child is failed:
            break
        previous = (name, child)
    else:
        return error
    if previous is not None:
        name, source = previous
        names = [name]
        # a Sequential's output is its last layer's: name that layer, not the container
        while (type(source).forward is type(container).forward and source._modules
               and next(reversed(source._modules.values())) is not None):
            name, source = next(reversed(source._modules.items()))
            names.append(name)
        trace.source = (len(trace.names) + 1, names, source)
    return error
