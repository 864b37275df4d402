"""Tensor.__repr__, character for character the text torch prints for the same values.

The rules (torch's, reimplemented): floats get 4 decimals; if every finite non-zero value is a
whole number they print as `1.` instead; scientific notation is used when the largest and
smallest finite non-zero magnitudes differ by more than 1000x, or one is above 1e8 or below
1e-4. All elements share one width (decided by the finite non-zero values only) and are right
aligned. Rows wrap at 80 characters. Above 1000 elements only the first and last 3 items of
each dimension are shown, around `...`. Suffixes follow the values: `size=` for empty
tensors, `dtype=` unless the dtype is the default float, int64 or bool, then `grad_fn=<...>`
or `requires_grad=True`. `set_printoptions` changes the numbers above, as torch's does.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lamina import _dtype


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = _PrintOptions()
_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Change how tensors print, as torch.set_printoptions (`sci_mode` is reset each call)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of "
                             f"{sorted(_PROFILES)}")
        for name, value in _PROFILES[profile].items():
            setattr(_OPTIONS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(_OPTIONS, name, value)
    _OPTIONS.sci_mode = sci_mode  # like torch: None (automatic) unless given


class _Formatter:
    """How every element of one tensor is printed: fixed, integer-valued or scientific."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            for value in values.reshape(-1).tolist():
                self.width = max(self.width, len(str(value)))
            return
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite).astype(np.float64)
        largest, smallest = float(magnitudes.max()), float(magnitudes.min())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = (largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
                         if _OPTIONS.sci_mode is None else _OPTIONS.sci_mode)
        numbers = finite.reshape(-1).tolist()
        precision = _OPTIONS.precision
        if self.sci_mode:
            self.width = max(len(f"{v:.{precision}e}") for v in numbers)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in numbers)
        else:
            self.width = max(len(f"{v:.{precision}f}") for v in numbers)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{_OPTIONS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{_OPTIONS.precision}f}"
        return " " * (self.width - len(text)) + text


def _summarized(array: np.ndarray) -> np.ndarray:
    """Only the elements a summarised print shows: the edge items of every dimension."""
    edge = _OPTIONS.edgeitems
    for axis, size in enumerate(array.shape):
        if size > 2 * edge:
            array = np.take(array, np.r_[0:edge, size - edge : size], axis=axis)
    return array


def _vector(values: list, indent: int, summarize: bool, formatter: _Formatter) -> str:
    per_line = max(1, math.floor((_OPTIONS.linewidth - indent) / (formatter.width + 2)))
    edge = _OPTIONS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(values) > 2 * edge:
        items = [formatter.format(v) for v in values[:edge]] + [" ..."] + [
            formatter.format(v) for v in values[len(values) - edge:]]
    else:
        items = [formatter.format(v) for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array.tolist(), indent, summarize, formatter)
    size, edge = array.shape[0], _OPTIONS.edgeitems
    if summarize and size > 2 * edge:
        rows = [_nested(array[i], indent + 1, summarize, formatter) for i in range(edge)]
        rows.append("...")
        rows += [_nested(array[i], indent + 1, summarize, formatter)
                 for i in range(size - edge, size)]
    else:
        rows = [_nested(array[i], indent + 1, summarize, formatter) for i in range(size)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _values_text(array: np.ndarray, indent: int) -> str:
    summarize = array.size > _OPTIONS.threshold
    formatter = _Formatter(_summarized(array) if summarize else array)
    return _nested(array, indent, summarize, formatter)


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    # like torch, a suffix moves to its own line once the last line would pass the width
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # measured as torch's text ("dtype=torch.float16"), so lines break where torch's do
        width = len(suffix) - suffix.count("lamina.") * _NAME_EXTRA
        if last_line + width + 2 > _OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + width
        else:
            parts.append(", " + suffix)
            last_line += width + 2
    return "".join(parts) + ")"


_NAME_EXTRA = len("lamina") - len("torch")


def tensor_repr(t) -> str:
    """`tensor([[0.1000, 0.2000]], requires_grad=True)`, as torch prints it."""
    from lamina._tensor import Tensor

    # torch prints its own subclasses (Parameter) as plain tensors, users' by class name
    plain = type(t) is Tensor or type(t).__module__.startswith("lamina.")
    prefix = "tensor(" if plain else type(t).__name__ + "("
    indent = len(prefix)
    default = _dtype.get_default_dtype()
    dtype = t.dtype
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if t.is_meta:
        text = "..."
        suffixes.append(f"size={tuple(t.shape)}")
        if dtype is not default:
            suffixes.append(f"dtype={dtype}")
    else:
        array = t._array
        if array.size == 0:
            text = "[]"
            if array.ndim != 1:
                suffixes.append(f"size={tuple(array.shape)}")
            if dtype is not default:
                suffixes.append(f"dtype={dtype}")
        else:
            if not _OPTIONS.edgeitems:
                suffixes.append(f"size={tuple(array.shape)}")
            text = _values_text(array, indent)
            if dtype not in (default, _dtype.int64, _dtype.bool_):
                suffixes.append(f"dtype={dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + text, suffixes, indent)
