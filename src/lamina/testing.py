"""lamina.testing: assert_close, torch's tensor comparison for tests."""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor

__all__ = ["assert_close"]

# torch's default (rtol, atol) by dtype; integers and bools must match exactly
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def _as_array(value) -> np.ndarray:
    """A tensor's or ndarray's values; a Python or NumPy scalar as torch sees a Python number
    (float64, int64 or bool), so scalars get float64's tolerances."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    if isinstance(value, np.ndarray):
        return value
    array = np.asarray(value)
    kind = {"f": np.float64, "i": np.int64, "u": np.int64, "b": np.bool_}.get(array.dtype.kind)
    return array.astype(kind) if kind is not None else array


def _fail(text: str, msg):
    if callable(msg):
        text = msg(text)
    elif msg is not None:
        text = msg
    raise AssertionError(text)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless |actual - expected| <= atol + rtol * |expected| everywhere.

    Sequences and mappings are compared item by item; the default tolerances depend on the
    dtype as in torch (float32: rtol 1.3e-6, atol 1e-5; integers: exact).
    """
    if (rtol is None) != (atol is None):
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
            f"{'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, [])
    except _Mismatch as mismatch:
        text = str(mismatch)
        if mismatch.path:
            text += "\n\nThe failure occurred for item " + "".join(
                f"[{key!r}]" for key in mismatch.path)
        _fail(text, msg)


class _Mismatch(AssertionError):
    def __init__(self, text, path):
        super().__init__(text)
        self.path = path


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path) -> None:
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            raise _Mismatch(f"The keys of the mappings do not match: "
                            f"{sorted(map(str, actual))} != {sorted(map(str, expected))}.", path)
        for key in actual:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, path + [key])
        return
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}", path)
        for position, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, path + [position])
        return
    if isinstance(actual, Tensor) != isinstance(expected, Tensor):
        raise TypeError(
            f"No comparison pair was able to handle inputs of type {type(actual)} and "
            f"{type(expected)}.")
    a, e = _as_array(actual), _as_array(expected)
    if a.shape != e.shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: {_shape(a)} != "
                        f"{_shape(e)}.", path)
    if check_dtype and isinstance(actual, Tensor) and a.dtype != e.dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                        f"{expected.dtype}.", path)
    if rtol is None:
        rtol, atol = max((_TOLERANCES.get(d, (0.0, 0.0)) for d in (a.dtype, e.dtype)),
                         key=lambda pair: pair[0])
    text = _compare_values(a, e, rtol, atol, equal_nan,
                           isinstance(actual, (Tensor, np.ndarray)))
    if text is not None:
        raise _Mismatch(text, path)


def _shape(array) -> str:
    return f"torch.Size({list(array.shape)})".replace("torch", "lamina")


def _compare_values(a, e, rtol, atol, equal_nan, is_tensor) -> str | None:
    """The mismatch report in torch's words, or None when every element is close."""
    common = np.promote_types(a.dtype, e.dtype)
    # torch computes the differences in the inputs' common dtype (relative ones of integers
    # in float32), so the reported numbers carry that precision
    work = common if common.kind == "f" and a.ndim else np.dtype(np.float64)
    a_work, e_work = a.astype(work), e.astype(work)
    with np.errstate(invalid="ignore", over="ignore"):
        difference = np.abs(a_work - e_work)
        close = difference <= atol + rtol * np.abs(e_work)
        close |= a_work == e_work  # equal infinities
        if equal_nan:
            close |= np.isnan(a_work) & np.isnan(e_work)
    if close.all():
        return None
    kind = "Tensor-likes" if is_tensor else "Scalars"
    if a.ndim == 0 or not is_tensor:
        text = ("Scalars are not close!\n\n"
                f"Expected {e.item()} but got {a.item()}.\n"
                f"Absolute difference: {difference.item()} (up to {atol} allowed)\n"
                f"Relative difference: {_relative(difference, e_work).item()} "
                f"(up to {rtol} allowed)")
        return text
    mismatched = int((~close).sum())
    exact = common.kind in "biu"
    if exact:
        difference = np.abs(a.astype(np.int64) - e.astype(np.int64))
        relative = _relative(difference.astype(np.float32), np.abs(e).astype(np.float32))
    else:
        relative = _relative(difference, e_work)
    worst_abs = np.unravel_index(int(np.argmax(np.where(close, -np.inf, difference))),
                                 a.shape)
    worst_rel = np.unravel_index(int(np.argmax(np.where(close, -np.inf, relative))), a.shape)
    lines = [f"{kind} are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {mismatched} / {a.size} "
             f"({mismatched / a.size:.1%})",
             f"Greatest absolute difference: {_number(difference[worst_abs], exact)} at index "
             f"{tuple(int(i) for i in worst_abs)}"
             + ("" if exact else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {relative[worst_rel]} at index "
             f"{tuple(int(i) for i in worst_rel)}"
             + ("" if exact else f" (up to {rtol} allowed)")]
    return "\n".join(lines)


def _number(value, exact):
    return int(value) if exact else float(value)


def _relative(difference, expected):
    with np.errstate(divide="ignore", invalid="ignore"):
        return difference / np.abs(expected)
