"""Matrix products: matmul in all of torch's rank combinations, and a fused linear layer."""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.function import Primitive, graph_view


def _shape_error(op, a, b, detail):
    return RuntimeError(
        f"{op}: cannot multiply shapes {tuple(a.shape)} and {tuple(b.shape)}: {detail}"
    )


def _product(a, b):
    """a @ b; np.dot for matrices, because np.matmul leaves BLAS for a transposed operand
    with a dimension of 1 (the weight gradient at batch size 1 ran ~8x slower)."""
    if a.ndim == 2 and b.ndim == 2:
        return np.dot(a, b)
    return np.matmul(a, b)


# torch's node name for matmul by operand ranks (it dispatches to mm, dot, mv...)
_MATMUL_NAMES = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0",
                 (1, 2): "SqueezeBackward4"}


class Matmul(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if ctx.needs_input_grad:
            ctx.grad_fn_name = _MATMUL_NAMES.get((a.ndim, b.ndim), "UnsafeViewBackward0")
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # a dot product: grad is 0-d
            return grad * b if need_a else None, grad * a if need_b else None
        # Treat 1-D operands as the matrices matmul made of them: a (k,) as (1, k), b (k,) as
        # (k, 1). A row of ones left on grad_a is a leading axis the engine sums away.
        if a.ndim == 1:
            a, grad = a[None, :], np.expand_dims(grad, -2)
        vector_b = b.ndim == 1
        if vector_b:
            b, grad = b[:, None], np.expand_dims(grad, -1)
        grad_a = _product(grad, np.swapaxes(b, -1, -2)) if need_a else None
        grad_b = None
        if need_b:
            grad_b = _product(np.swapaxes(a, -1, -2), grad)
            if vector_b:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def _matmul_graph_backward(ctx, grad):
    """Matmul's backward on recorded tensors (create_graph=True), 1-D operands as matrices."""
    a, b = ctx.saved_tensors
    need_a, need_b = ctx.needs_input_grad
    if a.ndim == 1 and b.ndim == 1:
        return grad * b if need_a else None, grad * a if need_b else None
    if a.ndim == 1:
        a, grad = a.unsqueeze(0), grad.unsqueeze(-2)
    vector_b = b.ndim == 1
    if vector_b:
        b, grad = b.unsqueeze(-1), grad.unsqueeze(-1)
    grad_a = matmul(grad, b.transpose(-1, -2)) if need_a else None
    grad_b = None
    if need_b:
        grad_b = matmul(a.transpose(-1, -2), grad)
        if vector_b:
            grad_b = grad_b[..., 0]
    return grad_a, grad_b


Matmul.graph_backward = staticmethod(_matmul_graph_backward)


def matmul(input, other):
    """Matrix product with torch's rank rules: 1-D operands are vectors, batch dims broadcast."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(
            f"matmul: both arguments must be tensors, got {type(input).__name__} and "
            f"{type(other).__name__}"
        )
    a, b = input, other
    if a._array.dtype != b._array.dtype:
        raise RuntimeError(
            f"matmul: expected both operands to have the same dtype, got {a.dtype} and "
            f"{b.dtype} (shapes {tuple(a.shape)} and {tuple(b.shape)}). "
            f"Hint: convert one with .to({a.dtype})."
        )
    try:
        return Matmul.apply(a, b)
    except ValueError:  # NumPy's message names gufunc signatures; say it in the op's terms
        raise _matmul_error(a, b) from None


def _matmul_error(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got {a.ndim}D and {b.ndim}D. "
            "Hint: use * for multiplication by a scalar."
        )
    k_a = a._array.shape[-1]
    k_b = b._array.shape[-2] if b.ndim > 1 else b._array.shape[0]
    if k_a != k_b:
        return _shape_error("matmul", a, b, f"{k_a} != {k_b}")
    return _shape_error("matmul", a, b, "the batch dimensions cannot be broadcast together")


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(
            f"mm: expected 2-D matrices, got {input.ndim}D and {mat2.ndim}D tensors"
        )
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            f"bmm: expected 3-D tensors, got {input.ndim}D and {mat2.ndim}D tensors"
        )
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(
            f"bmm: batch sizes differ: {tuple(input.shape)} and {tuple(mat2.shape)}"
        )
    return matmul(input, mat2)


def mv(input, vec):
    return matmul(input, vec)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)


def linear_array(x, weight, bias):
    """x @ weight.T + bias on arrays (bias may be None): Linear's forward, and nn.Linear's on
    Sequential's inference path."""
    out = np.dot(x, weight.T) if x.ndim == 2 else np.matmul(x, weight.T)
    if bias is not None:
        out += bias
    return out


class Linear(Primitive):
    """y = x @ W.T + b with x of shape (*, in), W (out, in), b (out,) or None."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        if ctx.needs_input_grad:
            ctx.grad_fn_name = _linear_node_name(x, bias is not None)
        return linear_array(x, weight, bias)

    @staticmethod
    def torch_next_functions(node, pairs):
        """torch computes a matrix's linear as addmm(bias, x, weight.t()) or mm(x, weight.t()):
        walking the graph shows those edges, weight's behind a TBackward0."""
        name = type(node).__name__
        if name not in ("AddmmBackward0", "MmBackward0"):
            return pairs
        x, weight = pairs[0], pairs[1]
        if weight[0] is not None:
            weight = (graph_view("TBackward0", (weight,)), 0)
        return (pairs[2], x, weight) if name == "AddmmBackward0" else (x, weight)

    @staticmethod
    def graph_backward(ctx, grad):
        """backward on recorded tensors (create_graph=True)."""
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = matmul(grad, weight) if need_x else None
        grad_w = grad_b = None
        if need_w or need_b:
            g2 = grad.reshape(-1, grad.shape[-1])
            if need_w:
                grad_w = matmul(g2.t(), x.reshape(-1, x.shape[-1]))
            if need_b:
                grad_b = g2.sum(0)
        return grad_x, grad_w, grad_b

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = _product(grad, weight) if need_x else None
        grad_w = grad_b = None
        if need_w or need_b:
            g2 = grad.reshape(-1, grad.shape[-1])
            if need_w:
                grad_w = np.dot(g2.T, x.reshape(-1, x.shape[-1]))
            if need_b:
                grad_b = g2.sum(0)
        return grad_x, grad_w, grad_b


def _linear_node_name(x: np.ndarray, has_bias: bool) -> str:
    """The node torch's linear ends in: addmm or mm on a matrix, a reshape of one otherwise
    (a non-contiguous batch with bias: matmul, then an add)."""
    if x.ndim == 2:
        return "AddmmBackward0" if has_bias else "MmBackward0"
    if x.ndim == 1:
        return "ViewBackward0" if has_bias else "SqueezeBackward4"
    if not has_bias:
        return "UnsafeViewBackward0"
    return "ViewBackward0" if x.flags.c_contiguous else "AddBackward0"


def linear(input, weight, bias=None):
    """Fused x @ weight.T + bias; input of shape (*, in_features)."""
    if input._array.dtype != weight._array.dtype or (
        bias is not None and bias._array.dtype != weight._array.dtype
    ):
        raise RuntimeError(
            f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}. "
            f"Hint: convert the input with .to({weight.dtype}) or the model with .to(...)."
        )
    if input.ndim == 0 or input._array.shape[-1] != weight._array.shape[-1]:
        raise RuntimeError(
            f"linear: cannot multiply shapes {tuple(input.shape)} and "
            f"{tuple(weight.shape[::-1])}: "
            f"{input._array.shape[-1] if input.ndim else 'scalar'} != {weight._array.shape[-1]}"
        )
    return Linear.apply(input, weight, bias)
