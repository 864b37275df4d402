"""Tensor: one NumPy array, plus what autograd needs to know about it.

State, metadata, conversions and the autograd surface live here; the maths methods
(`a.add(b)`, `a + b`, `a.sum()`) are one-line delegations in `_tensor_methods.py`, so that
`lamina.add`, `Tensor.add` and `+` reach the same entry point in `lamina._ops`.
"""

from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from lamina import _dtype, _ops
from lamina._device import CPU, check_available
from lamina._device import device as _device_type
from lamina._meta import is_meta_array
from lamina._tensor_methods import TensorMethods

_META = _device_type("meta")


class Size(tuple):
    """A tensor's shape: a tuple of ints printed as `lamina.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self):
        return f"lamina.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class Tensor(TensorMethods):
    """A multi-dimensional array with autograd, wrapping one `numpy.ndarray`.

    `Tensor(data)` copies data as float32 (like `torch.Tensor`); `Tensor(2, 3)` makes an
    uninitialised 2x3 float32 tensor. Prefer `lamina.tensor(...)` to infer the dtype.
    """

    __slots__ = (
        "_array",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_out_index",
        "_vc",
        "_view_version",
        "_hooks",
        "__weakref__",
    )
    __array_priority__ = 1000  # so ndarray OP tensor defers to Tensor's reflected operators

    def __init__(self, *args, dtype=None, requires_grad=False):
        numpy_dtype = _dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype())
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]
            array = np.array(data._array if isinstance(data, Tensor) else data, dtype=numpy_dtype)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            array = np.empty(tuple(int(s) for s in shape), dtype=numpy_dtype)
        _init(self, array)
        if requires_grad:
            self.requires_grad = True

    # ---------------------------------------------------------------- metadata
    @property
    def shape(self) -> Size:
        return Size(self._array.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[_normalize_dim(dim, self._array.ndim, "size")]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._array.dtype)

    @property
    def device(self):
        return _META if is_meta_array(self._array) else CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return is_meta_array(self._array)

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    def ndimension(self) -> int:
        return self._array.ndim

    def numel(self) -> int:
        return self._array.size

    def nelement(self) -> int:
        return self._array.size

    def element_size(self) -> int:
        return self._array.itemsize

    def is_floating_point(self) -> bool:
        return self._array.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return self._array.flags.c_contiguous

    def stride(self, dim=None):
        strides = tuple(s // self._array.itemsize for s in self._array.strides)
        return strides if dim is None else strides[_normalize_dim(dim, self.ndim, "stride")]

    def data_ptr(self) -> int:
        return self._array.__array_interface__["data"][0]

    # ---------------------------------------------------------------- autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._array.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The gradient backward accumulated here (leaves, and non-leaves that retain_grad());
        reading it on another non-leaf warns, as torch does: it never gets one."""
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value) -> None:
        self._grad = value

    @property
    def _version(self) -> int:
        """How many times the data was changed in place (shared with views), as torch's."""
        return self._vc[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and bool(node.retained) and self._out_index in node.retained

    def retain_grad(self) -> None:
        """Keep this non-leaf's gradient in `.grad` after backward (a no-op on leaves)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        if self.grad_fn.retained is None:
            self.grad_fn.retained = {}
        self.grad_fn.retained[self._out_index] = self

    def register_hook(self, hook) -> RemovableHandle:
        """Call hook(grad) when the gradient for this tensor is computed.

        If the hook returns a tensor, it replaces the gradient: a leaf accumulates it into
        `.grad`, a non-leaf passes it on backwards.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node.hooks is None:
                node.hooks = {}
            hooks = node.hooks.setdefault(self._out_index, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the `.grad` of the leaves it depends on."""
        from lamina.autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    @property
    def data(self) -> Tensor:
        """The same data, detached, with its own version counter, as torch's: changes made
        through it are invisible to autograd's saved-tensor checks (the escape hatch
        optimizers once used; prefer `with lamina.no_grad():`)."""
        return _wrap(self._array)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._array = value._array

    def detach(self) -> Tensor:
        t = _wrap(self._array)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ---------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._array.copy() if force else self._array

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._requires_grad:
            raise RuntimeError(
                "Can't export tensors that require gradient, use tensor.detach() first"
            )
        return self._array.__dlpack__(stream=stream)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self._array.dtype:
            return self._array.astype(dtype)
        return self._array.copy() if copy else self._array

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """What a NumPy ufunc given this tensor returns: a Tensor, as torch (np.exp(t))."""
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)  # torch's own quirk: np.isnan(t) is a uint8 tensor
        try:
            _dtype.from_numpy_dtype(array.dtype)
        except TypeError:  # complex and other dtypes lamina lacks stay NumPy arrays
            return array
        return _wrap(array)

    def item(self):
        if self._array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._array.size} elements cannot be converted to Scalar"
            )
        return self._array.item()

    def tolist(self):
        return self._array.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self._array.item())

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no' if self._array.size == 0 else 'more than one'}"
                " value is ambiguous"
            )
        return builtins.bool(self._array.item())

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    __hash__ = object.__hash__

    def __repr__(self):
        from lamina._tensor_str import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec):
        if self._array.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._array, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        out = type(self).__new__(type(self))
        _init(out, self._array.copy())
        out._requires_grad = self._requires_grad
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            import copy

            out.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = out
        return out

    # dtype conversions (differentiable between float types)
    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None:
                device = a
        if device is not None:
            # AssertionError for devices lamina lacks, as torch's
            if check_available(device).type == "meta" and not self.is_meta:
                from lamina._meta import to_meta

                return to_meta(self if dtype is None else self.to(dtype))
        if dtype is None or _dtype.to_numpy_dtype(dtype) == self._array.dtype:
            return self.clone() if copy else self
        return _ops.shape.to_dtype(self, _dtype.to_numpy_dtype(dtype))

    def type(self, dtype=None):
        """With no argument the type's name ('lamina.FloatTensor'); else converted to `dtype`:
        a dtype, a legacy type (lamina.LongTensor) or its name ('torch.LongTensor')."""
        from lamina import _legacy  # imports Tensor

        if dtype is None:
            return _legacy.type_name(self._array.dtype)
        return self.to(_legacy.dtype_of(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool_)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        check_available("cuda")  # raises: lamina has no CUDA device

    def clone(self, *, memory_format=None):
        return _ops.shape.clone(self)

    def contiguous(self, memory_format=None):
        return self if self._array.flags.c_contiguous else _ops.shape.clone(self)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        from lamina._creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        from lamina._creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        from lamina._creation import ones

        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        from lamina._creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        from lamina._creation import empty

        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # ---------------------------------------------------------------- in-place machinery
    def _check_inplace(self) -> None:
        """Refuse in-place changes autograd cannot follow, before anything is written."""
        if _enabled[0] and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation. "
                    "Hint: wrap parameter updates in `with lamina.no_grad():`, or work on "
                    "a .clone()."
                )
            if self._view_version is not None:
                raise RuntimeError(
                    f"an in-place operation on a view (shape {tuple(self._array.shape)}) of a "
                    "tensor that requires grad is not supported by lamina's autograd. "
                    "Hint: use the out-of-place op, or .clone() the view first."
                )

    def _overwrite(self) -> None:
        """Prepare for an in-place fill whose values do not depend on the old ones.

        Under grad mode a non-leaf loses its history: the old values no longer reach the
        result, so nothing flows back through them (torch gives a zero gradient instead).
        """
        self._check_inplace()
        if self._requires_grad and _enabled[0]:
            self.grad_fn = None
            self._requires_grad = False
            self._vc[1] += 1

    def _assign(self, result: Tensor) -> Tensor:
        """Write `result` (computed out of place from self) into self, taking over its history."""
        self._check_inplace()
        if result._array.dtype != self._array.dtype and not np.can_cast(
            result._array.dtype, self._array.dtype, "same_kind"
        ):
            raise RuntimeError(
                f"result type {result.dtype} can't be cast to the desired output type {self.dtype}"
            )
        if result._array.shape != self._array.shape:
            raise RuntimeError(
                f"output with shape {list(self._array.shape)} doesn't match the broadcast shape "
                f"{list(result._array.shape)}"
            )
        if not is_meta_array(self._array):  # a meta tensor has nothing to write to
            with np.errstate(all="ignore"):  # float64 1e300 into float32 is inf, silently
                np.copyto(self._array, result._array, casting="same_kind")
        self._vc[0] += 1
        if result._requires_grad and _enabled[0]:
            self._requires_grad = True
            self.grad_fn = result.grad_fn
            self._out_index = result._out_index
            self._vc[1] += 1  # views taken before this point now have stale histories
        return self

    def __setitem__(self, index, value):
        _ops.index.setitem(self, index, value)


class RemovableHandle:
    """What `register_hook` returns: `.remove()` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def _init(t: Tensor, array: np.ndarray) -> None:
    """Set every slot of a new Tensor (or subclass instance) around `array`."""
    t._array = array
    t._requires_grad = False
    t._grad = t.grad_fn = t._hooks = t._view_version = None
    t._out_index = 0
    # [data version, history version]: shared by a tensor and its views. The first counts
    # in-place writes (saved tensors check it), the second in-place changes of autograd history.
    t._vc = [0, 0]


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead."
)

_new = object.__new__


def _wrap(array: np.ndarray) -> Tensor:
    """A new leaf Tensor around `array` (no copy). The hot path: keep it flat."""
    t = _new(Tensor)
    t._array = array
    t._requires_grad = False
    t._grad = t.grad_fn = t._hooks = t._view_version = None
    t._out_index = 0
    t._vc = [0, 0]
    return t


def _rebuild(array, requires_grad):
    t = _wrap(array)
    t._requires_grad = requires_grad
    return t


def _normalize_dim(dim: int, ndim: int, op: str = "") -> int:
    """A dim in [-ndim, ndim) turned non-negative; IndexError like torch otherwise."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(
            f"{op + ': ' if op else ''}Dimension out of range (expected to be in range of "
            f"[{-size}, {size - 1}], but got {dim})"
        )
    return dim % size


# Imported last: the autograd package imports Tensor from this module.
from lamina.autograd.grad_mode import _enabled  # noqa: E402
