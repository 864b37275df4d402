"""In-place arithmetic for optimizers: add_, sub_, mul_, div_, addcmul_, addcdiv_, clamp_, copy_.

When autograd has nothing to record (grad mode off, as in an optimizer step, or no tensor
involved requires grad) the result is written straight into the tensor's array by a NumPy
ufunc with `out=`: no temporary tensor, no graph, a version bump. Otherwise each op runs out
of place and `Tensor._assign` writes the result back and takes over its history.

torch's rules hold on both paths: the result dtype (from type promotion) must cast to the
tensor's dtype within its kind, and the result must keep the tensor's shape.
"""

from __future__ import annotations

import numpy as np

from lamina._ops import elementwise, selection, shape
from lamina._quiet import quiet_fp, restore_fp
from lamina._tensor import Tensor
from lamina.autograd.function import dispatch_hook
from lamina.autograd.grad_mode import _enabled


def _direct(input, *others) -> bool:
    """True when the op may write into input's array without involving autograd."""
    if dispatch_hook[0] is not None:  # a tracer or the meta device must see every op
        return False
    if not _enabled[0]:
        return True
    if input._requires_grad:
        return False
    return not any(isinstance(o, Tensor) and o._requires_grad for o in others)


def _operand(value):
    if isinstance(value, Tensor):
        return value._array
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return elementwise.binary(value, 0)[0]  # raises the usual TypeError for anything else


def _write(op, input, ufunc, a, b):
    """ufunc(a, b) into input's array, with torch's errors for dtype and shape."""
    token = quiet_fp()  # as every op: inf and nan arrive silently (an optimizer step on inf)
    try:
        ufunc(a, b, out=input._array, casting="same_kind")
    except TypeError:  # NumPy's casting error is a TypeError subclass
        raise RuntimeError(
            f"{op}: result type {np.result_type(a, b)} can't be cast to the desired output "
            f"type {input.dtype.name}. Hint: use the out-of-place op, or convert the tensor."
        ) from None
    except ValueError:
        raise RuntimeError(
            f"{op}: output with shape {tuple(input.shape)} doesn't match the broadcast shape "
            f"{np.broadcast_shapes(np.shape(a), np.shape(b))} of the operation. Hint: the "
            "result of an in-place op must keep the tensor's shape."
        ) from None
    finally:
        restore_fp(token)
    input._vc[0] += 1
    return input


def add_(input, other, *, alpha=1):
    if not _direct(input, other):
        return input._assign(elementwise.add(input, other, alpha=alpha))
    b = _operand(other)
    if alpha != 1:
        b = b * alpha
    return _write("add_", input, np.add, input._array, b)


def sub_(input, other, *, alpha=1):
    if not _direct(input, other) or input._array.dtype == np.bool_ or elementwise._is_bool(other):
        return input._assign(elementwise.sub(input, other, alpha=alpha))
    b = _operand(other)
    if alpha != 1:
        b = b * alpha
    return _write("sub_", input, np.subtract, input._array, b)


def _saved(input, *others):
    """Operands for an out-of-place op whose backward keeps them: input's current values are
    cloned, since the write-back would overwrite what backward reads (torch keeps a copy too)."""
    original = shape.clone(input)
    return [original if o is input else o for o in others]


def mul_(input, other):
    if not _direct(input, other):
        return input._assign(elementwise.mul(*_saved(input, input, other)))
    return _write("mul_", input, np.multiply, input._array, _operand(other))


def div_(input, other, *, rounding_mode=None):
    if rounding_mode is not None or not _direct(input, other):
        return input._assign(
            elementwise.div(*_saved(input, input, other), rounding_mode=rounding_mode))
    if input._array.dtype.kind != "f":
        raise RuntimeError(
            f"div_: result type Float can't be cast to the desired output type "
            f"{input.dtype.name}. Hint: use the out-of-place div, or .float() the tensor first."
        )
    return _write("div_", input, np.true_divide, input._array, _operand(other))


def addcmul_(input, tensor1, tensor2, *, value=1):
    """input += value * tensor1 * tensor2."""
    if not _direct(input, tensor1, tensor2):
        return input._assign(input + elementwise.mul(*_saved(input, tensor1, tensor2)) * value)
    with np.errstate(all="ignore"):
        product = np.multiply(_operand(tensor1), _operand(tensor2))
        if value != 1:
            product *= value
    return _write("addcmul_", input, np.add, input._array, product)


def addcdiv_(input, tensor1, tensor2, *, value=1):
    """input += value * tensor1 / tensor2."""
    if not _direct(input, tensor1, tensor2):
        return input._assign(input + elementwise.div(*_saved(input, tensor1, tensor2)) * value)
    with np.errstate(all="ignore"):
        quotient = np.true_divide(_operand(tensor1), _operand(tensor2))
        if value != 1:
            quotient *= value
    return _write("addcdiv_", input, np.add, input._array, quotient)


def clamp_(input, min=None, max=None):
    numbers = not isinstance(min, Tensor) and not isinstance(max, Tensor)
    keeps_kind = input._array.dtype.kind == "f" or not (
        isinstance(min, float) or isinstance(max, float))
    if (min is None and max is None) or not (numbers and keeps_kind and _direct(input)):
        return input._assign(elementwise.clamp(input, min, max))
    selection.clip_array(input._array, min, max, out=input._array)
    input._vc[0] += 1
    return input


def copy_(input, src):
    """Copy src's values into input, broadcasting and converting dtype as needed."""
    src = shape.as_tensor_like(src, input)
    if not _direct(input, src):
        result = shape.expand(src, input._array.shape)
        if result._array.dtype != input._array.dtype:
            result = shape.to_dtype(result, input._array.dtype)
        return input._assign(result)
    token = quiet_fp()  # a float16 copy of 1e30 is inf, silently
    try:
        np.copyto(input._array, src._array, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {tuple(src.shape)} cannot be broadcast to the "
            f"destination of shape {tuple(input.shape)}"
        ) from None
    finally:
        restore_fp(token)
    input._vc[0] += 1
    return input
