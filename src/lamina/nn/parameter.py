"""nn.Parameter: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor, _init


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that Modules register on assignment.

    `Parameter(t)` shares `t`'s storage (no copy), like torch; `Parameter()` is empty.
    Unlike Tensor, a Parameter has a `__dict__`, so user code may tag it with attributes.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._array
        else:
            array = np.asarray(data)
        _init(self, array)
        if requires_grad:
            self.requires_grad = True  # the setter refuses integer dtypes, as torch does

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._array, self._requires_grad, self.__dict__))


def _rebuild_parameter(array, requires_grad, attributes):
    param = Parameter(array, requires_grad=requires_grad)
    param.__dict__.update(attributes)
    return param
