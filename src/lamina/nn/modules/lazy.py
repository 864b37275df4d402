"""Lazy layers: the first input fixes in_features / in_channels / num_features.

`LazyLinear(10)` holds uninitialised parameters until its first call; a forward pre-hook
(registered first, so it runs before any hook a user or `lamina.summary` adds) reads the input's
size, builds the weights with the ordinary layer's initialisation, and turns the module into
that layer: afterwards `type(layer) is Linear`, exactly as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from lamina.nn.parameter import Parameter


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; `materialize(shape)` makes it a Parameter."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, dtype=None):
        super().__init__(None, requires_grad=requires_grad)
        if dtype is not None:
            from lamina import _dtype

            self._array = np.empty((0,), dtype=_dtype.to_numpy_dtype(dtype))

    def materialize(self, shape, dtype=None) -> None:
        from lamina import _dtype

        numpy_dtype = self._array.dtype if dtype is None else _dtype.to_numpy_dtype(dtype)
        self._array = np.empty(tuple(shape), dtype=numpy_dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"
