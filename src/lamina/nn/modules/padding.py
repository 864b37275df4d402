"""Padding layers: zero, constant, reflection, replication and circular, in 1, 2 and 3 dims.

Each is a thin Module around `F.pad`; the number in the name is how many trailing dims it pads
(1d: (C, W) or (N, C, W); 2d: (C, H, W) or (N, C, H, W); 3d: (C, D, H, W) or (N, C, D, H, W)).
`padding` is an int (the same amount on every side) or a tuple
(left, right[, top, bottom[, front, back]]), stored as given, as torch does.

Not supported yet, because `F.pad` lacks it: negative amounts with reflect, replicate or
circular padding (torch crops there; lamina raises RuntimeError).
"""

from __future__ import annotations

from lamina._tensor import Tensor
from lamina.nn._functional.pool import pad
from lamina.nn.modules._errors import describe
from lamina.nn.modules.module import Module
from lamina.nn.modules.utils import _ntuple

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d",
]


class _PadNd(Module):
    """One padding mode over `_dims` trailing dims; the subclasses only name the two."""

    _mode = "constant"
    _dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self._dims)(padding)

    def forward(self, input: Tensor) -> Tensor:
        dims, odd = divmod(len(self.padding), 2)
        if not odd and (dims > 3 or input.ndim not in (dims + 1, dims + 2)):
            # F.pad raises this too, but a NotImplementedError is not relabelled on its way
            # out of the layer, so name the layer here
            raise NotImplementedError(
                f"{describe(self)}: {self._mode} padding of the last {dims} dims needs a "
                f"{dims + 1}D or {dims + 2}D input, got input of shape {tuple(input.shape)}")
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        # torch checks the rank here (a ValueError), before F.pad sees the input
        ndim = input.ndim
        if ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got "
                             f"{ndim}D input of shape {tuple(input.shape)})")
        return pad(input, self.padding, "circular")


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim of (C, W) or (N, C, W) with `value`."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) with `value`."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims of (C, D, H, W) or (N, C, D, H, W) with `value`."""

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image, edge excluded: amounts at most W - 1."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims with their mirror images, edges excluded."""

    _mode, _dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pad the last three dims with their mirror images, edges excluded."""

    _mode, _dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating their edge values."""

    _mode, _dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating their edge values."""

    _mode, _dims = "replicate", 3


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around: amounts at most W."""


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around."""

    _dims = 3
