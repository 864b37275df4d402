"""lamina.save / lamina.load: PyTorch's zip checkpoint format, read and written without torch.

The format (what `torch.save` writes since 1.6): a stored (uncompressed) zip archive whose
entries sit under one folder, `<name>/data.pkl` holding a protocol-2 pickle of the object,
`<name>/data/<key>` holding each storage's raw little-endian bytes, plus small `version` and
`byteorder` records. Tensors appear in the pickle as
`torch._utils._rebuild_tensor_v2(<persistent storage id>, offset, size, stride, requires_grad,
OrderedDict())`, where the persistent id is `('storage', torch.FloatStorage, key, 'cpu', numel)`.

Loading never imports torch. By default (`weights_only=True`) it never runs code from the
file either: the unpickler resolves only the handful of globals a weights file needs (an
allow-list) and refuses everything else. `weights_only=False`, as in torch, loads whole
objects for files the user trusts, torch's layer classes mapped to lamina's.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import tempfile
import zipfile

import numpy as np

from lamina import _dtype
from lamina._tensor import Tensor, _wrap

# storage class name in torch  <->  NumPy dtype
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype(np.float32),
    "DoubleStorage": np.dtype(np.float64),
    "HalfStorage": np.dtype(np.float16),
    "LongStorage": np.dtype(np.int64),
    "IntStorage": np.dtype(np.int32),
    "ShortStorage": np.dtype(np.int16),
    "CharStorage": np.dtype(np.int8),
    "ByteStorage": np.dtype(np.uint8),
    "BoolStorage": np.dtype(np.bool_),
}
_STORAGE_NAMES = {dtype: name for name, dtype in _STORAGE_DTYPES.items()}
_DTYPE_NAMES = {"float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                "bool", "float", "double", "half", "long", "int", "short"}


# ---------------------------------------------------------------------------------- writing
class _TorchGlobal:
    """Stands for a torch global (class or function) in a pickle we write without torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists the callable be callable
        raise TypeError("placeholder for a torch global; only meaningful inside a pickle")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")


class _Pickler(pickle._Pickler):  # the pure-Python pickler lets us emit foreign globals
    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self._storages = storages  # id(base ndarray) -> (key, base ndarray)

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_TorchGlobal] = _save_torch_global

    def _save_dtype(self, obj):  # torch pickles a dtype as the global torch.<name>
        self._save_torch_global(_TorchGlobal("torch", obj.name))

    dispatch[_dtype.dtype] = _save_dtype

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _TorchGlobal("torch", _STORAGE_NAMES[obj.array.dtype]), obj.key,
                    "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        return NotImplemented

    def _reduce_tensor(self, tensor: Tensor):
        array = tensor._array
        if array.dtype not in _STORAGE_NAMES:
            raise TypeError(f"lamina.save: cannot save a tensor of dtype {array.dtype}")
        root, base, offset = _storage_of(array)
        entry = self._storages.get(id(root))
        if entry is None:
            entry = self._storages[id(root)] = (str(len(self._storages)), base, root)
        itemsize = array.itemsize
        stride = tuple(s // itemsize for s in array.strides)
        ordered = _TorchGlobal("collections", "OrderedDict")
        args = (_StorageRef(entry[0], base), offset, tuple(array.shape), stride,
                bool(tensor.requires_grad and tensor.grad_fn is None), _Call(ordered))
        from lamina.nn.parameter import Parameter

        if isinstance(tensor, Parameter):
            inner = (_REBUILD_TENSOR, args[:4] + (False, _Call(ordered)))
            return (_REBUILD_PARAMETER, (_Reduced(*inner), tensor.requires_grad, _Call(ordered)))
        return (_REBUILD_TENSOR, args)


class _StorageRef:
    __slots__ = ("key", "array")

    def __init__(self, key, array):
        self.key, self.array = key, array


class _Call:
    """`callable()` with no arguments, inside a pickle (torch writes OrderedDict() this way)."""

    def __init__(self, function):
        self.function = function

    def __reduce__(self):
        return (self.function, ())


class _Reduced:
    def __init__(self, function, args):
        self.function, self.args = function, args

    def __reduce__(self):
        return (self.function, self.args)


def _storage_of(array: np.ndarray):
    """(root array, its flat 1-D view, the element offset of `array` in it).

    Views of one NumPy buffer share one storage in the file, as they do in torch.
    """
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.c_contiguous and root.dtype == array.dtype):
        contiguous = np.ascontiguousarray(array)
        return contiguous, contiguous.reshape(-1), 0
    flat = root.reshape(-1)
    start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return root, flat, start // array.itemsize


def _convert_arrays(obj):
    """NumPy arrays inside the object are saved as tensors, as torch users would expect."""
    if isinstance(obj, np.ndarray):
        return _wrap(obj)
    if isinstance(obj, collections.OrderedDict):
        out = collections.OrderedDict((k, _convert_arrays(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            out._metadata = obj._metadata
        return out
    if isinstance(obj, dict):
        return type(obj)((k, _convert_arrays(v)) for k, v in obj.items()) if type(obj) is dict \
            else {k: _convert_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_convert_arrays(v) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_convert_arrays(v) for v in obj)
    return obj


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Write `obj` in PyTorch's checkpoint format; `f` is a path or a writable binary file.

    Tensors, numbers, strings and containers of them (a state_dict) make a file torch loads
    with `weights_only=True`. Any other picklable object (a whole model) is saved too, as
    torch does; loading it takes `lamina.load(f, weights_only=False)` and the same classes.

    Writing to a path is atomic: the data goes to a temporary file in the same folder, is
    flushed and fsynced, then renamed over `f`, so a crash mid-save leaves the old file intact.
    """
    obj = _convert_arrays(obj)
    storages: dict = {}
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, storages).dump(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise TypeError(
            f"lamina.save: could not pickle the object ({error}). Hint: save "
            "model.state_dict() (tensors only: any torch or lamina can load it) rather than "
            "the model object."
        ) from None
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        name = os.path.splitext(os.path.basename(path))[0] or "archive"
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(prefix=".lamina-save-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                _write_archive(out, name, buffer.getvalue(), storages)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    else:
        _write_archive(f, "archive", buffer.getvalue(), storages)


def _write_archive(out, name, pickled: bytes, storages):
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/data.pkl", pickled)
        archive.writestr(f"{name}/.format_version", "1")
        archive.writestr(f"{name}/byteorder", "little")
        for key, base, _root in storages.values():
            archive.writestr(f"{name}/data/{key}", np.ascontiguousarray(base).astype(
                base.dtype.newbyteorder("<"), copy=False).tobytes())
        archive.writestr(f"{name}/version", "3\n")


# ---------------------------------------------------------------------------------- loading
class UnpicklingError(pickle.UnpicklingError):
    """A checkpoint asked for something a weights file never needs; nothing was executed."""


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None,
                    metadata=None):
    array, _ = storage
    size, stride = tuple(size), tuple(stride)
    needed = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if offset < 0 or offset + needed > array.size or any(s < 0 for s in stride):
        raise RuntimeError(
            f"a tensor of size {list(size)} and stride {list(stride)} at offset {offset} does "
            f"not fit in its storage of {array.size} elements: the file is corrupt"
        )
    view = np.lib.stride_tricks.as_strided(
        array[offset:], shape=size, strides=tuple(s * array.itemsize for s in stride),
        writeable=True,
    )
    t = _wrap(view)
    if requires_grad:
        t.requires_grad = True
    return t


def _rebuild_parameter(data, requires_grad, hooks=None, *extra):
    from lamina.nn.parameter import Parameter

    return Parameter(data, requires_grad=requires_grad)


def _torch_size(values=()):
    from lamina._tensor import Size

    return Size(values)


class _StorageType:
    def __init__(self, dtype):
        self.dtype = dtype


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "Size"): _torch_size,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix, source):
        super().__init__(file, encoding="utf-8")
        self._archive, self._prefix, self._source = archive, prefix, source
        self._loaded: dict = {}

    def find_class(self, module, name):
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "torch" and name in _DTYPE_NAMES:
            return getattr(_dtype, "bool_" if name == "bool" else name)
        raise UnpicklingError(
            f"{self._source}: refusing to load the global '{module}.{name}': weights files "
            "only need tensors, containers and numbers, and loading anything else could run "
            "code from the file. Nothing was executed. If you trust this file and it holds "
            "more than weights, it cannot be loaded by lamina."
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise UnpicklingError(f"{self._source}: unknown persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        if key not in self._loaded:
            record = f"{self._prefix}data/{key}"
            try:
                raw = self._archive.read(record)
            except KeyError:
                raise RuntimeError(f"{self._source}: the storage record '{record}' is missing; "
                                   "the file is truncated or corrupt") from None
            dtype = storage_type.dtype.newbyteorder("<")
            if len(raw) < numel * dtype.itemsize:
                raise RuntimeError(
                    f"{self._source}: storage '{key}' holds {len(raw)} bytes but needs "
                    f"{numel * dtype.itemsize}; the file is truncated or corrupt"
                )
            array = np.frombuffer(raw, dtype=dtype, count=numel).astype(
                storage_type.dtype, copy=True)
            self._loaded[key] = (array, storage_type)
        return self._loaded[key]


class _ObjectUnpickler(_Unpickler):
    """`weights_only=False`: any global the pickle names, torch's classes mapped to lamina's."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except UnpicklingError:
            pass
        if module == "torch" or module.startswith("torch."):
            counterpart = _lamina_counterpart(module, name)
            if counterpart is not None:
                return counterpart
        return pickle.Unpickler.find_class(self, module, name)


def _lamina_counterpart(module: str, name: str):
    """lamina's class or function for torch's `module.name` (torch.nn.modules.linear.Linear
    is lamina.nn.modules.linear.Linear, or at least lamina.nn.Linear), or None."""
    import importlib

    candidates = ["lamina" + module[len("torch"):]]
    if module.startswith("torch.nn."):
        candidates.append("lamina.nn")
    for candidate in candidates:
        try:
            found = getattr(importlib.import_module(candidate), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Read a checkpoint written by `torch.save` or `lamina.save`; torch is not needed.

    By default (`weights_only=True`, as in torch) only weights-style content is accepted
    (tensors, containers, numbers, strings); any other global in the pickle raises
    `lamina.serialization.UnpicklingError` before anything runs. `weights_only=False` loads
    whole objects (a model saved with `save(model, f)`), importing the classes the file
    names, which can run code from the file: only for files you trust, as torch warns too.
    torch's own layer classes (`torch.nn.modules.linear.Linear`, ...) load as lamina's.
    """
    source = repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "the checkpoint"
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as handle:
                data = handle.read()
        else:
            data = f.read()
    except OSError as error:
        raise error
    if not data.startswith(b"PK"):
        raise RuntimeError(
            f"{source} is not a PyTorch zip checkpoint (it does not start with a zip header): "
            "lamina reads the format torch.save writes since PyTorch 1.6. Old-format files can "
            "be re-saved with a current torch."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if not pickles:
            raise RuntimeError(f"{source}: no data.pkl record found; not a torch checkpoint")
        prefix = pickles[0][: -len("data.pkl")]
        payload = archive.read(pickles[0])
        unpickler = _Unpickler if weights_only else _ObjectUnpickler
        return unpickler(io.BytesIO(payload), archive, prefix, source).load()
    except (UnpicklingError, RuntimeError):
        raise
    except zipfile.BadZipFile as error:
        raise RuntimeError(f"{source} is corrupt or truncated: {error}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, OverflowError, MemoryError, zipfile.LargeZipFile, OSError) as error:
        raise RuntimeError(
            f"{source} could not be read as a checkpoint ({type(error).__name__}: {error}); "
            "the file is corrupt or not in PyTorch's format"
        ) from None
