"""Convolution and transposed convolution as GEMMs over im2col columns.

Layout. The columns of one sample (C, H, W) form a matrix (C*kh*kw, Ho*Wo): a row per
(input channel, kernel offset), a column per output pixel. A convolution is then one GEMM per
sample (and group), weight(O, C*kh*kw) @ columns, whose result is already in (N, O, Ho, Wo)
order; each gradient is the same kind of product. NumPy's matmul runs the per-sample GEMMs in
one C loop. Building the columns is one strided copy of the padded input (no Python loop);
scattering them back (col2im) loops over the kh*kw kernel offsets only.

(Measured on the seeds' CNN: per-sample GEMMs beat one (C*kh*kw, N*Ho*Wo) GEMM, whose result
needs a transposing copy, and computing rows Wp wide to get longer copy runs lost more in the
GEMM and the crop than it saved.)

A transposed convolution is the input-gradient of a convolution (and the other way round), so
both layers share the same three GEMMs and the same im2col/col2im.
"""

from __future__ import annotations

import numpy as np

from lamina.autograd.function import Primitive


class _Geometry:
    """Sizes of one convolution: input (n, c, h, w), kernel, stride, padding, dilation, output."""

    __slots__ = ("n", "c", "h", "w", "kh", "kw", "sh", "sw", "top", "left", "dh", "dw",
                 "wp", "rows", "ho", "wo")

    def __init__(self, shape, kernel, stride, padding, dilation, output=None):
        self.n, self.c, self.h, self.w = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.top, bottom, self.left, right = padding
        self.dh, self.dw = dilation
        hp = self.h + self.top + bottom
        self.wp = self.w + self.left + right
        if output is None:
            output = ((hp - self.dh * (self.kh - 1) - 1) // self.sh + 1,
                      (self.wp - self.dw * (self.kw - 1) - 1) // self.sw + 1)
        self.ho, self.wo = output
        self.rows = hp  # padded height


def _padded(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """x placed in a zeroed, C-contiguous (n, c, rows, wp) buffer (x itself if unpadded)."""
    if g.rows == g.h and g.wp == g.w and x.flags.c_contiguous:
        return x
    buffer = np.zeros((g.n, g.c, g.rows, g.wp), dtype=x.dtype)
    buffer[:, :, g.top:g.top + g.h, g.left:g.left + g.w] = x
    return buffer


def _im2col(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """The columns (n, c*kh*kw, ho*wo) of x (n, c, h, w); see the module docstring."""
    buffer = _padded(x, g)
    item = buffer.itemsize
    plane = g.rows * g.wp * item
    windows = np.ndarray(
        (g.n, g.c, g.kh, g.kw, g.ho, g.wo), buffer.dtype, buffer, 0,
        (g.c * plane, plane, g.dh * g.wp * item, g.dw * item, g.sh * g.wp * item, g.sw * item),
    )
    return windows.reshape(g.n, g.c * g.kh * g.kw, g.ho * g.wo)  # the one copy


def _col2im(columns: np.ndarray, g: _Geometry) -> np.ndarray:
    """Sum columns (n, c*kh*kw, ho*wo) back onto the input (n, c, h, w): im2col's adjoint."""
    buffer = np.zeros((g.n, g.c, g.rows, g.wp), dtype=columns.dtype)
    item = buffer.itemsize
    plane = g.rows * g.wp * item
    strides = (g.c * plane, plane, g.sh * g.wp * item, g.sw * item)
    pieces = columns.reshape(g.n, g.c, g.kh, g.kw, g.ho, g.wo)
    for i in range(g.kh):
        for j in range(g.kw):
            offset = (i * g.dh * g.wp + j * g.dw) * item
            target = np.ndarray((g.n, g.c, g.ho, g.wo), buffer.dtype, buffer, offset, strides)
            target += pieces[:, :, i, j]
    return buffer[:, :, g.top:g.top + g.h, g.left:g.left + g.w]


def _input_gradient(weight2: np.ndarray, grad: np.ndarray, g: _Geometry,
                    groups: int) -> np.ndarray:
    """col2im(W.T @ grad): the input-gradient of a convolution, given grad (n, o, ho, wo).

    With stride 1 the rows are handled Wp wide (grad padded with zero columns): every kernel
    offset then adds one contiguous run of ho*Wp elements per (sample, channel) plane instead
    of ho runs of Wo, which measured about 20% faster on the seeds' CNN despite the wider GEMM.
    """
    if g.sh != 1 or g.sw != 1:
        return _col2im(_weight_transposed_times(weight2, _to_columns(grad, g), groups), g)
    n, o = grad.shape[:2]
    wide = np.zeros((n, o, g.ho, g.wp), dtype=grad.dtype)
    wide[..., :g.wo] = grad
    columns = _weight_transposed_times(weight2, wide.reshape(n, o, g.ho * g.wp), groups)
    # one spare row: the runs of the last kernel offsets reach (kw-1)*dw past the last row
    buffer = np.zeros((g.n, g.c, g.rows + 1, g.wp), dtype=grad.dtype)
    planes = buffer.reshape(g.n, g.c, -1)
    pieces = columns.reshape(g.n, g.c, g.kh, g.kw, g.ho * g.wp)
    run = g.ho * g.wp
    for i in range(g.kh):
        for j in range(g.kw):
            start = i * g.dh * g.wp + j * g.dw
            planes[:, :, start:start + run] += pieces[:, :, i, j]
    return buffer[:, :, g.top:g.top + g.h, g.left:g.left + g.w]


def _to_columns(y: np.ndarray, g: _Geometry) -> np.ndarray:
    """An output-shaped (n, o, ho, wo) array as GEMM operand (n, o, ho*wo)."""
    return np.ascontiguousarray(y).reshape(y.shape[0], y.shape[1], g.ho * g.wo)


def _from_columns(columns: np.ndarray, g: _Geometry, bias) -> np.ndarray:
    """A fresh GEMM result (n, o, ho*wo) as (n, o, ho, wo), bias added in place."""
    n, o = columns.shape[:2]
    out = columns.reshape(n, o, g.ho, g.wo)
    if bias is not None:
        out += bias.reshape(o, 1, 1)
    return out


# The three GEMMs, per sample and group: y = W @ cols, dW = sum(dy @ cols.T), dcols = W.T @ dy.
# Per-sample products write y straight in (N, C, H, W) order: measured faster here than one
# big GEMM whose (C, N*H*W) result then has to be transposed.
def _weight_times(weight2: np.ndarray, columns: np.ndarray, groups: int) -> np.ndarray:
    if groups == 1:
        return np.matmul(weight2, columns)
    (o, k), n = weight2.shape, columns.shape[0]
    return np.matmul(weight2.reshape(groups, o // groups, k),
                     columns.reshape(n, groups, k, -1)).reshape(n, o, -1)


def _weight_gradient(grad_columns: np.ndarray, columns: np.ndarray, groups: int) -> np.ndarray:
    # computed transposed, (k, o) per sample: OpenBLAS runs this orientation faster here
    n, o = grad_columns.shape[:2]
    if groups == 1:
        return np.matmul(columns, grad_columns.transpose(0, 2, 1)).sum(0).T
    k = columns.shape[1] // groups
    product = np.matmul(columns.reshape(n, groups, k, -1),
                        grad_columns.reshape(n, groups, o // groups, -1).transpose(0, 1, 3, 2))
    return product.sum(0).transpose(0, 2, 1).reshape(o, k)


def _weight_transposed_times(weight2: np.ndarray, grad_columns: np.ndarray,
                             groups: int) -> np.ndarray:
    if groups == 1:
        return np.matmul(weight2.T, grad_columns)
    (o, k), n = weight2.shape, grad_columns.shape[0]
    return np.matmul(weight2.reshape(groups, o // groups, k).transpose(0, 2, 1),
                     grad_columns.reshape(n, groups, o // groups, -1)).reshape(n, groups * k, -1)


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
        grad_columns = _to_columns(grad, g) if need_w else None
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _input_gradient(weight2, grad, g, groups).reshape(x_shape)
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
        y = _input_gradient(weight2, x, g, groups)
        needs = ctx.needs_input_grad
        x_columns = _to_columns(x, g) if needs and needs[1] else None
        out = np.empty(y.shape, dtype=y.dtype)
        if bias is None:
            np.copyto(out, y)
        else:
            np.add(y, bias.reshape(-1, 1, 1), out=out)
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
