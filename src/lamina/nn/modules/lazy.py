"""Lazy layers: the first input fixes in_features / in_channels / num_features.

`LazyLinear(10)` holds uninitialised parameters until its first call. A forward pre-hook,
registered in `__init__` so it runs before any hook added later (a user's, or the ones
`lamina.summary` adds), reads the input's size, builds the weights with the ordinary layer's
initialisation and turns the module into that layer: afterwards `type(layer) is Linear`, as in
PyTorch. A lazy layer built under `with lamina.device("meta"):` materialises on meta.
"""

from __future__ import annotations

import numpy as np

import lamina
from lamina import _device, _dtype
from lamina._tensor import Tensor, _init
from lamina.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from lamina.nn.modules.conv import Conv1d, Conv2d
from lamina.nn.modules.linear import Linear
from lamina.nn.parameter import Parameter

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyConv1d", "LazyConv2d", "LazyLinear",
           "UninitializedBuffer", "UninitializedParameter"]


def _empty(shape, numpy_dtype, meta: bool) -> np.ndarray:
    if meta:
        from lamina._meta import meta_array

        return meta_array(shape, numpy_dtype)
    return np.empty(tuple(shape), dtype=numpy_dtype)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; `materialize(shape)` makes it a Parameter."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(None, requires_grad=requires_grad)
        self._array = np.empty((0,), dtype=_dtype.to_numpy_dtype(
            dtype or _dtype.get_default_dtype()))
        self._meta = _device.check_available(device).type == "meta"

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the parameter its shape (uninitialised values) and make it a Parameter."""
        numpy_dtype = self._array.dtype if dtype is None else _dtype.to_numpy_dtype(dtype)
        meta = self._meta if device is None else _device.check_available(device).type == "meta"
        self._array = _empty(shape, numpy_dtype, meta)
        del self._meta
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet; the lazy layer replaces it when it materialises."""

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        _init(self, np.empty((0,), dtype=_dtype.to_numpy_dtype(
            dtype or _dtype.get_default_dtype())))

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"


class LazyModuleMixin:
    """Materialise on the first call, then become `cls_to_become`.

    Subclasses implement `initialize_parameters(input)`.
    """

    cls_to_become = None

    def _start_lazy(self) -> None:
        self._lazy_meta = _device.default_device().type == "meta"
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(t, (UninitializedParameter, UninitializedBuffer))
                   for t in list(self._parameters.values()) + list(self._buffers.values()))

    def _uninitialized(self, dtype) -> UninitializedParameter:
        return UninitializedParameter(device="meta" if self._lazy_meta else None, dtype=dtype)

    def _new_buffer(self, factory, size: int, dtype):
        return factory(size, dtype=dtype, device="meta" if self._lazy_meta else None)


def _infer_parameters(module, args):
    if not args:
        raise RuntimeError(f"{type(module).__name__} needs a positional input to infer its "
                           "parameters' shapes")
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook, module._lazy_meta
    module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is the last dim of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, bias=False, dtype=dtype)
        self._start_lazy()
        self.out_features = out_features
        self.weight = self._uninitialized(dtype)
        if bias:
            self.bias = self._uninitialized(dtype)

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        if input.dim() == 0:
            raise RuntimeError(f"LazyLinear needs an input with at least one dim, got shape "
                               f"{tuple(input.shape)}")
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    def _make_lazy(self, out_channels: int, bias: bool, dtype) -> None:
        self._start_lazy()
        self.out_channels = out_channels
        self.weight = self._uninitialized(dtype)
        if bias:
            self.bias = self._uninitialized(dtype)

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        batched = len(self.kernel_size) + 2
        if input.dim() not in (batched - 1, batched):
            raise RuntimeError(
                f"Expected {batched - 1}D (unbatched) or {batched}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {list(input.shape)}")
        self.in_channels = input.shape[1] if input.dim() == batched else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError(f"in_channels must be divisible by groups: {type(self).__name__} "
                             f"got {self.in_channels} input channels for groups={self.groups}")
        self.weight.materialize(
            (self.out_channels, self.in_channels // self.groups, *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvMixin, Conv1d):
    """Conv1d whose in_channels is the channel count of its first input."""

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, dtype=dtype)
        self._make_lazy(out_channels, bias, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """Conv2d whose in_channels is the channel count of its first input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, dtype=dtype)
        self._make_lazy(out_channels, bias, dtype)


class _LazyNormMixin(LazyModuleMixin):
    def _make_lazy(self, dtype) -> None:
        self._start_lazy()
        if self.affine:
            self.weight = self._uninitialized(dtype)
            self.bias = self._uninitialized(dtype)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        if input.dim() < 2:
            raise ValueError(f"{type(self).__name__} needs an input of shape (N, C, ...) to "
                             f"infer num_features, got {list(input.shape)}")
        self.num_features = features = input.shape[1]
        if self.affine:
            self.weight.materialize((features,))
            self.bias.materialize((features,))
        if self.track_running_stats:
            dtype = self.running_mean.dtype
            self.running_mean = self._new_buffer(lamina.zeros, features, dtype)
            self.running_var = self._new_buffer(lamina.ones, features, dtype)
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """BatchNorm1d whose num_features is dim 1 of its first input."""

    cls_to_become = BatchNorm1d

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None):
        super().__init__(0, eps, momentum, affine, track_running_stats, dtype=dtype)
        self._make_lazy(dtype)


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """BatchNorm2d whose num_features is dim 1 of its first input."""

    cls_to_become = BatchNorm2d

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None):
        super().__init__(0, eps, momentum, affine, track_running_stats, dtype=dtype)
        self._make_lazy(dtype)
