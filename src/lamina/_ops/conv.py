"""Convolution and transposed convolution as GEMMs over im2col columns.

Layout. The columns of an input (N, C, H, W) form one matrix (C*kh*kw, N*Ho*Wq): a row per
(input channel, kernel offset), a column per output pixel of every sample. A convolution is
then one GEMM weight(O, C*kh*kw) @ columns, and each gradient is one GEMM too (per group),
which keeps BLAS busy with a few big products instead of many small ones.

Wide rows. When the stride along the width is 1, every output row is computed Wq = Wp wide
(the padded input width) instead of Wo. Then, for one (channel, offset, sample), the window
positions are one contiguous run of Ho*Wp elements of the padded input, so building the columns
and scattering them back (col2im) copy long runs rather than Wo-long pieces. The Wp - Wo
extra columns of each output row are thrown away, and their gradient is zero. The padded input
gets one spare row so that the last run never reads past the end of its plane.

A transposed convolution is the input-gradient of a convolution (and the other way round), so
both layers share the same three GEMMs and the same im2col/col2im.
"""

from __future__ import annotations

import numpy as np

from lamina.autograd.function import Primitive


class _Geometry:
    """Sizes of one convolution: input (n, c, h, w), kernel, stride, padding, dilation, output."""

    __slots__ = ("n", "c", "h", "w", "kh", "kw", "sh", "sw", "top", "left", "dh", "dw",
                 "hp", "wp", "rows", "ho", "wo", "wq")

    def __init__(self, shape, kernel, stride, padding, dilation, output=None):
        self.n, self.c, self.h, self.w = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.top, bottom, self.left, right = padding
        self.dh, self.dw = dilation
        self.hp = self.h + self.top + bottom
        self.wp = self.w + self.left + right
        if output is None:
            output = ((self.hp - self.dh * (self.kh - 1) - 1) // self.sh + 1,
                      (self.wp - self.dw * (self.kw - 1) - 1) // self.sw + 1)
        self.ho, self.wo = output
        wide = self.sw == 1
        self.wq = self.wp if wide else self.wo
        # the spare row: wide windows of the last output row run past the end of its row
        self.rows = max(self.hp + (wide and self.kw > 1),
                        self.dh * (self.kh - 1) + self.sh * (self.ho - 1) + 1)


def _padded(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """x placed in a zeroed, C-contiguous (n, c, rows, wp) buffer (x itself if it fits)."""
    if g.rows == g.h and g.wp == g.w and x.flags.c_contiguous:
        return x
    buffer = np.zeros((g.n, g.c, g.rows, g.wp), dtype=x.dtype)
    buffer[:, :, g.top:g.top + g.h, g.left:g.left + g.w] = x
    return buffer


def _im2col(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """The columns (c*kh*kw, n*ho*wq) of x (n, c, h, w); see the module docstring."""
    buffer = _padded(x, g)
    item = buffer.itemsize
    plane = g.rows * g.wp * item
    windows = np.ndarray(
        (g.c, g.kh, g.kw, g.n, g.ho, g.wq), buffer.dtype, buffer, 0,
        (plane, g.dh * g.wp * item, g.dw * item, g.c * plane, g.sh * g.wp * item, g.sw * item),
    )
    return windows.reshape(g.c * g.kh * g.kw, g.n * g.ho * g.wq)  # the one copy


def _col2im(columns: np.ndarray, g: _Geometry) -> np.ndarray:
    """Sum columns (c*kh*kw, n*ho*wq) back onto the input (n, c, h, w): im2col's adjoint."""
    buffer = np.zeros((g.n, g.c, g.rows, g.wp), dtype=columns.dtype)
    item = buffer.itemsize
    plane = g.rows * g.wp * item
    strides = (plane, g.c * plane, g.sh * g.wp * item, g.sw * item)
    pieces = columns.reshape(g.c, g.kh, g.kw, g.n, g.ho, g.wq)
    for i in range(g.kh):
        for j in range(g.kw):
            offset = (i * g.dh * g.wp + j * g.dw) * item
            target = np.ndarray((g.c, g.n, g.ho, g.wq), buffer.dtype, buffer, offset, strides)
            target += pieces[:, i, j]
    return buffer[:, :, g.top:g.top + g.h, g.left:g.left + g.w]


def _to_columns(y: np.ndarray, g: _Geometry) -> np.ndarray:
    """An output-shaped (n, o, ho, wo) array as (o, n*ho*wq), zero in the wide columns."""
    n, o = y.shape[:2]
    if g.wq == g.wo:
        return np.ascontiguousarray(y.transpose(1, 0, 2, 3)).reshape(o, n * g.ho * g.wq)
    out = np.zeros((o, n, g.ho, g.wq), dtype=y.dtype)
    out[..., :g.wo] = y.transpose(1, 0, 2, 3)
    return out.reshape(o, n * g.ho * g.wq)


def _from_columns(columns: np.ndarray, g: _Geometry, bias) -> np.ndarray:
    """(o, n*ho*wq) back to a C-contiguous (n, o, ho, wo), adding bias on the way."""
    o = columns.shape[0]
    view = columns.reshape(o, g.n, g.ho, g.wq)[..., :g.wo].transpose(1, 0, 2, 3)
    out = np.empty((g.n, o, g.ho, g.wo), dtype=columns.dtype)
    if bias is None:
        np.copyto(out, view)
    else:
        np.add(view, bias.reshape(o, 1, 1), out=out)
    return out


# The three GEMMs, per group: y = W @ cols, dW = dy @ cols.T, dcols = W.T @ dy.
def _weight_times(weight2: np.ndarray, columns: np.ndarray, groups: int) -> np.ndarray:
    if groups == 1:
        return weight2 @ columns
    o, k = weight2.shape
    return np.matmul(weight2.reshape(groups, o // groups, k),
                     columns.reshape(groups, k, -1)).reshape(o, -1)


def _weight_gradient(grad_columns: np.ndarray, columns: np.ndarray, groups: int) -> np.ndarray:
    # computed transposed, (k, o): OpenBLAS runs this orientation about twice as fast here
    if groups == 1:
        return (columns @ grad_columns.T).T
    o, k = grad_columns.shape[0], columns.shape[0] // groups
    product = np.matmul(columns.reshape(groups, k, -1),
                        grad_columns.reshape(groups, o // groups, -1).transpose(0, 2, 1))
    return product.transpose(0, 2, 1).reshape(o, k)


def _weight_transposed_times(weight2: np.ndarray, grad_columns: np.ndarray,
                             groups: int) -> np.ndarray:
    if groups == 1:
        return weight2.T @ grad_columns
    o, k = weight2.shape
    return np.matmul(weight2.reshape(groups, o // groups, k).transpose(0, 2, 1),
                     grad_columns.reshape(groups, o // groups, -1)).reshape(groups * k, -1)


def _as_2d(x: np.ndarray, weight: np.ndarray):
    """Batched 2-D views of a 1-D or unbatched convolution's input and weight."""
    if weight.ndim == 3:  # 1-D convolution: a 2-D one over a height of 1
        weight = weight[:, :, None, :]
        x = x[..., None, :]
    if x.ndim == 3:
        x = x[None]
    return x, weight


def _restore(out: np.ndarray, x_shape: tuple, weight_shape: tuple) -> np.ndarray:
    """Undo _as_2d on a batched 2-D result."""
    if len(weight_shape) == 3:
        out = out.reshape(out.shape[:2] + out.shape[3:])
    return out[0] if len(x_shape) == len(weight_shape) - 1 else out


class Convolution(Primitive):
    """y = conv(x, weight) + bias; x (N, C, H, W) or (C, H, W) (or 1-D), weight (O, C/g, kh, kw).

    stride, dilation: pairs; padding: (top, bottom, left, right). 1-D convolutions arrive
    with a kernel height of 1 and stride/dilation/padding for that height.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        x_shape, weight_shape = x.shape, weight.shape
        x, weight = _as_2d(x, weight)
        g = _Geometry(x.shape, weight.shape[2:], stride, padding, dilation)
        columns = _im2col(x, g)
        weight2 = weight.reshape(weight.shape[0], -1)
        out = _from_columns(_weight_times(weight2, columns, groups), g, bias)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geometry, ctx.groups, ctx.shapes = g, groups, (x_shape, weight_shape)
            ctx.save_for_backward(weight2 if needs[0] else None, columns if needs[1] else None)
        return _restore(out, x_shape, weight_shape)

    @staticmethod
    def backward(ctx, grad):
        weight2, columns = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g, groups, (x_shape, weight_shape) = ctx.geometry, ctx.groups, ctx.shapes
        grad = grad.reshape(g.n, -1, g.ho, g.wo)
        grad_columns = _to_columns(grad, g) if need_x or need_w else None
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _col2im(_weight_transposed_times(weight2, grad_columns, groups), g)
            grad_x = grad_x.reshape(x_shape)
        if need_w:
            grad_w = _weight_gradient(grad_columns, columns, groups).reshape(weight_shape)
        if need_b:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None


class TransposedConvolution(Primitive):
    """y = conv_transpose(x, weight) + bias; x (N, C_in, H, W), weight (C_in, C_out/g, kh, kw).

    The adjoint of Convolution: its forward is Convolution's input gradient. `output` is the
    spatial size of y, already including output_padding.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, output):
        x_shape, weight_shape = x.shape, weight.shape
        x, weight = _as_2d(x, weight)
        n, c_in, h, w = x.shape
        c_out = weight.shape[1] * groups
        g = _Geometry((n, c_out) + tuple(output), weight.shape[2:], stride, padding, dilation,
                      output=(h, w))
        weight2 = weight.reshape(c_in, -1)
        x_columns = _to_columns(x, g)
        y = _col2im(_weight_transposed_times(weight2, x_columns, groups), g)
        out = np.empty(y.shape, dtype=y.dtype)
        if bias is None:
            np.copyto(out, y)
        else:
            np.add(y, bias.reshape(-1, 1, 1), out=out)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geometry, ctx.groups, ctx.shapes = g, groups, (x_shape, weight_shape)
            ctx.save_for_backward(weight2 if needs[0] else None, x_columns if needs[1] else None)
        return _restore(out, x_shape, weight_shape)

    @staticmethod
    def backward(ctx, grad):
        weight2, x_columns = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g, groups, (x_shape, weight_shape) = ctx.geometry, ctx.groups, ctx.shapes
        grad = grad.reshape(g.n, g.c, g.h, g.w)
        grad_x = grad_w = grad_b = None
        if need_x or need_w:
            columns = _im2col(grad, g)
            if need_x:
                grad_x = _from_columns(_weight_times(weight2, columns, groups), g, None)
                grad_x = grad_x.reshape(x_shape)
            if need_w:
                grad_w = _weight_gradient(x_columns, columns, groups).reshape(weight_shape)
        if need_b:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None, None
