"""Tensor.__repr__, character for character the text torch prints for the same values.

The rules (torch's, reimplemented): floats get 4 decimals; if every finite non-zero value is a
whole number they print as `1.` instead; scientific notation is used when the largest and
smallest finite non-zero magnitudes differ by more than 1000x, or one is above 1e8 or below
1e-4. All elements share one width (decided by the finite non-zero values only) and are right
aligned. Rows wrap at 80 characters. Above 1000 elements only the first and last 3 items of
each dimension are shown, around `...`. Suffixes follow the values: `size=` for empty tensors,
`dtype=` unless the dtype is the default float, int64 or bool, then `grad_fn=<...>` or
`requires_grad=True`.
"""

from __future__ import annotations

import math

import numpy as np

from lamina import _dtype

PRECISION = 4
THRESHOLD = 1000
EDGE_ITEMS = 3
LINE_WIDTH = 80


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
        self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        numbers = finite.reshape(-1).tolist()
        if self.sci_mode:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in numbers)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in numbers)
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in numbers)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{PRECISION}f}"
        return " " * (self.width - len(text)) + text


def _summarized(array: np.ndarray) -> np.ndarray:
    """Only the elements a summarised print shows: the edge items of every dimension."""
    for axis, size in enumerate(array.shape):
        if size > 2 * EDGE_ITEMS:
            keep = np.r_[0:EDGE_ITEMS, size - EDGE_ITEMS : size]
            array = np.take(array, keep, axis=axis)
    return array


def _vector(values: list, indent: int, summarize: bool, formatter: _Formatter) -> str:
    per_line = max(1, math.floor((LINE_WIDTH - indent) / (formatter.width + 2)))
    if summarize and len(values) > 2 * EDGE_ITEMS:
        items = [formatter.format(v) for v in values[:EDGE_ITEMS]] + [" ..."] + [
            formatter.format(v) for v in values[-EDGE_ITEMS:]]
    else:
        items = [formatter.format(v) for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array.tolist(), indent, summarize, formatter)
    size = array.shape[0]
    if summarize and size > 2 * EDGE_ITEMS:
        rows = [_nested(array[i], indent + 1, summarize, formatter) for i in range(EDGE_ITEMS)]
        rows.append("...")
        rows += [_nested(array[i], indent + 1, summarize, formatter)
                 for i in range(size - EDGE_ITEMS, size)]
    else:
        rows = [_nested(array[i], indent + 1, summarize, formatter) for i in range(size)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _values_text(array: np.ndarray, indent: int) -> str:
    summarize = array.size > THRESHOLD
    formatter = _Formatter(_summarized(array) if summarize else array)
    return _nested(array, indent, summarize, formatter)


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    # like torch, a suffix moves to its own line once the last line would pass the width
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # measured as torch's text ("dtype=torch.float16"), so lines break where torch's do
        width = len(suffix) - suffix.count("lamina.") * _NAME_EXTRA
        if last_line + width + 2 > LINE_WIDTH:
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
            text = _values_text(array, indent)
            if dtype not in (default, _dtype.int64, _dtype.bool_):
                suffixes.append(f"dtype={dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + text, suffixes, indent)
