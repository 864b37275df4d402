"""Convolution and transposed convolution as GEMMs over im2col columns.

Layout. The columns of an input (N, C, H, W) form one matrix (C*kh*kw, N*Ho*Wo): a row per
(input channel, kernel offset), a column per output pixel of every sample. A convolution is
then one GEMM weight(O, C*kh*kw) @ columns per group, and each gradient is one GEMM too.
Building the columns is one strided copy of the padded input (no Python loop); scattering them
back (col2im) loops over the kh*kw kernel offsets only. The result is turned into
(N, O, Ho, Wo) by one copy that also adds the bias.

Ungrouped batched convolutions (groups=1, N>1) take other routes, measured with one BLAS
thread on the seeds' CNN. The forward builds the columns about 1 MB at a time and runs one
GEMM per sample, weight @ (a strided view of that sample's columns), which lands in
(N, O, Ho, Wo) order with no reordering copy (1.5-2.4x faster than one big GEMM plus that
copy). The columns are not kept: the weight gradient rebuilds them chunk by chunk. Keeping the
whole batch's columns (7-38 MB) meant mapping fresh memory on every call, and its page faults
cost more than building the columns twice. The weight gradient is one GEMM per sample reading
grad in place. Where the input has many channels and a small image (kw*C > Wo, the second
layer of a small CNN), forward and weight gradient use rows (N*Ho*Wo, C*kh*kw) copied from a
channels-last buffer instead, in runs of kw*C rather than Wo values, for any N
(_forward_channels_last). The input gradient of an unstrided convolution is computed Wp wide,
a few samples at a time (_input_gradient_wide); strided ones transpose grad once into rows
(N*Ho*Wo, O) for _input_gradient_from_rows, which the weight gradient then shares.

(The previous owner found per-sample GEMMs several times slower in wall time with OpenBLAS's
default threads on a busy machine; at these sizes a default-threads training step measured
0.94 of torch's wall time against 1.00 before. Computing the forward rows Wp wide, for longer
copy runs, lost more in the GEMM and the crop than it saved. Returning the forward as a
channels-last view, without the reordering copy, made the ReLU and pooling after it slower.)

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
    """The columns (c*kh*kw, n*ho*wo) of x (n, c, h, w); see the module docstring."""
    buffer = _padded(x, g)
    item = buffer.itemsize
    plane = g.rows * g.wp * item
    windows = np.ndarray(
        (g.c, g.kh, g.kw, g.n, g.ho, g.wo), buffer.dtype, buffer, 0,
        (plane, g.dh * g.wp * item, g.dw * item, g.c * plane, g.sh * g.wp * item, g.sw * item),
    )
    return windows.reshape(g.c * g.kh * g.kw, g.n * g.ho * g.wo)  # the one copy


def _col2im(columns: np.ndarray, g: _Geometry) -> np.ndarray:
    """Sum columns (c*kh*kw, n*ho*wo) back onto the input (n, c, h, w): im2col's adjoint."""
    buffer = np.zeros((g.n, g.c, g.rows, g.wp), dtype=columns.dtype)
    item = buffer.itemsize
    plane = g.rows * g.wp * item
    strides = (g.c * plane, plane, g.sh * g.wp * item, g.sw * item)
    pieces = columns.reshape(g.c, g.kh, g.kw, g.n, g.ho, g.wo)
    for i in range(g.kh):
        for j in range(g.kw):
            offset = (i * g.dh * g.wp + j * g.dw) * item
            target = np.ndarray((g.n, g.c, g.ho, g.wo), buffer.dtype, buffer, offset, strides)
            target += pieces[:, i, j].transpose(1, 0, 2, 3)
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
    run = g.ho * g.wp
    wide = np.zeros((o, n, g.ho, g.wp), dtype=grad.dtype)
    wide[..., :g.wo] = grad.transpose(1, 0, 2, 3)
    columns = _weight_transposed_times(weight2, wide.reshape(o, n * run), groups)
    # one spare row: the runs of the last kernel offsets reach (kw-1)*dw past the last row
    buffer = np.zeros((g.n, g.c, g.rows + 1, g.wp), dtype=grad.dtype)
    planes = buffer.reshape(g.n, g.c, -1)
    pieces = columns.reshape(g.c, g.kh, g.kw, g.n, run)
    for i in range(g.kh):
        for j in range(g.kw):
            start = i * g.dh * g.wp + j * g.dw
            planes[:, :, start:start + run] += pieces[:, i, j].transpose(1, 0, 2)
    return buffer[:, :, g.top:g.top + g.h, g.left:g.left + g.w]


def _to_rows(y: np.ndarray) -> np.ndarray:
    """An output-shaped (n, o, ho, wo) array as GEMM operand (n*ho*wo, o)."""
    return np.ascontiguousarray(y.transpose(0, 2, 3, 1)).reshape(-1, y.shape[1])


def _input_gradient_from_rows(weight: np.ndarray, grad_rows: np.ndarray,
                              g: _Geometry) -> np.ndarray:
    """The input-gradient of an ungrouped convolution, given grad as rows (n*ho*wo, o).

    One small GEMM per kernel offset gives, per output pixel, what that offset sends back to
    each channel as a contiguous (n, ho, wo, c) block, summed into a channels-last padded
    buffer in runs of wo*c; one copy makes the result NCHW. (One GEMM for all offsets is
    cheaper, but its (kh*kw*c)-wide rows make the sums stride through memory 16 values at a
    time, which cost more than the GEMMs save; so did the W.T @ grad columns layout.)
    """
    o, c = weight.shape[:2]
    # (kh, kw, o, c): each offset's (o, c) block contiguous, as BLAS wants it
    blocks = np.ascontiguousarray(weight.reshape(o, c, g.kh, g.kw).transpose(2, 3, 0, 1))
    buffer = np.zeros((g.n, g.rows, g.wp, c), dtype=grad_rows.dtype)
    share = np.empty((grad_rows.shape[0], c), dtype=grad_rows.dtype)
    block = share.reshape(g.n, g.ho, g.wo, c)
    span_h, span_w = (g.ho - 1) * g.sh + 1, (g.wo - 1) * g.sw + 1
    for i in range(g.kh):
        for j in range(g.kw):
            np.matmul(grad_rows, blocks[i, j], out=share)
            top, left = i * g.dh, j * g.dw
            buffer[:, top:top + span_h:g.sh, left:left + span_w:g.sw] += block
    cropped = buffer[:, g.top:g.top + g.h, g.left:g.left + g.w].transpose(0, 3, 1, 2)
    return np.ascontiguousarray(cropped)


def _to_columns(y: np.ndarray, g: _Geometry) -> np.ndarray:
    """An output-shaped (n, o, ho, wo) array as GEMM operand (o, n*ho*wo)."""
    return np.ascontiguousarray(y.transpose(1, 0, 2, 3)).reshape(y.shape[1], -1)


def _from_columns(columns: np.ndarray, g: _Geometry, bias) -> np.ndarray:
    """A fresh GEMM result (o, n*ho*wo) as a C-contiguous (n, o, ho, wo), plus bias."""
    o = columns.shape[0]
    view = columns.reshape(o, g.n, g.ho, g.wo).transpose(1, 0, 2, 3)
    if g.n == 1:  # already in order: no copy
        if bias is not None:
            view += bias.reshape(o, 1, 1)
        return view
    out = np.empty((g.n, o, g.ho, g.wo), dtype=columns.dtype)
    if bias is None:
        np.copyto(out, view)
    else:
        np.add(view, bias.reshape(o, 1, 1), out=out)
    return out


def _channels_last_pays(g: _Geometry) -> bool:
    """Whether rows copied from a channels-last buffer come in longer contiguous runs (kw*c
    values, or c with dilation) than columns copied from the input (wo, or 1 if strided)."""
    return (g.kw * g.c if g.dw == 1 else g.c) > (g.wo if g.sw == 1 else 1)


def _rows(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """The rows (m*ho*wo, kh*kw*c) of m samples x (m, c, h, w), via a zeroed channels-last
    buffer (m, rows, wp, c): one transposing copy in, one copy out."""
    m = len(x)
    buffer = np.zeros((m, g.rows, g.wp, g.c), dtype=x.dtype)
    buffer[:, g.top:g.top + g.h, g.left:g.left + g.w] = x.transpose(0, 2, 3, 1)
    item = buffer.itemsize
    line = g.wp * g.c * item
    windows = np.ndarray((m, g.ho, g.wo, g.kh, g.kw, g.c), buffer.dtype, buffer, 0,
                         (g.rows * line, g.sh * line, g.sw * g.c * item, g.dh * line,
                          g.dw * g.c * item, item))
    return windows.reshape(-1, g.kh * g.kw * g.c)


def _chunk_size(g: _Geometry, item: int) -> int:
    """Samples per CHUNK_BYTES of columns or rows."""
    return max(1, CHUNK_BYTES // (g.c * g.kh * g.kw * g.ho * g.wo * item))


def _forward_channels_last(x: np.ndarray, weight: np.ndarray, bias, g: _Geometry) -> np.ndarray:
    """An ungrouped forward from rows (m*ho*wo, kh*kw*c) of a channels-last copy of x, built
    and multiplied CHUNK_BYTES at a time.

    For inputs with many channels and a small image (the second layer of a small CNN) the
    rows copy in runs of kw*c values where the columns copy in runs of wo: 16 channels of
    16x16 build about twice as fast, and the GEMM rows @ (kh*kw*c, o) runs no slower. Each
    chunk's result (m*ho*wo, o) is turned into (m, o, ho, wo) by the copy that adds the bias.
    """
    o = weight.shape[0]
    blocks = weight.transpose(2, 3, 1, 0).reshape(-1, o)  # (kh*kw*c, o), the rows' order
    out = np.empty((g.n, o, g.ho * g.wo), dtype=x.dtype)
    step = _chunk_size(g, x.itemsize)
    for start in range(0, g.n, step):
        product = _rows(x[start:start + step], g) @ blocks
        view = product.reshape(-1, g.ho * g.wo, o).transpose(0, 2, 1)
        target = out[start:start + step]
        if bias is None:
            np.copyto(target, view)
        else:
            np.add(view, bias.reshape(o, 1), out=target)
    return out.reshape(g.n, o, g.ho, g.wo)


def _weight_gradient_channels_last(x: np.ndarray, grad: np.ndarray, g: _Geometry) -> np.ndarray:
    """dW (o, c, kh, kw) from rows rebuilt CHUNK_BYTES at a time as in the forward: one GEMM
    per sample, grad (o, ho*wo) @ rows (ho*wo, kh*kw*c), reading grad in place (as fast as
    one GEMM per chunk on grad rows, without transposing grad)."""
    step = _chunk_size(g, x.itemsize)
    grad3 = grad.reshape(g.n, -1, g.ho * g.wo)
    total = None
    for start in range(0, g.n, step):
        rows = _rows(x[start:start + step], g).reshape(-1, g.ho * g.wo, g.kh * g.kw * g.c)
        product = np.matmul(grad3[start:start + step], rows).sum(axis=0)
        total = product if total is None else total + product
    # (o, kh*kw*c) in the rows' order -> (o, c, kh, kw)
    return total.reshape(-1, g.kh, g.kw, g.c).transpose(0, 3, 1, 2)


def _input_gradient_wide(weight: np.ndarray, grad: np.ndarray, g: _Geometry) -> np.ndarray:
    """The input-gradient of an ungrouped, unstrided convolution, given grad (n, o, ho, wo).

    Rows handled Wp wide, as in _input_gradient: grad gets zero columns up to the padded
    width, so one GEMM per kernel offset, W[:, :, i, j].T @ (one sample's grad), read in
    place, gives a (c, ho*wp) block that adds onto that sample's padded planes as one
    contiguous run per channel. A few samples at a time, so the blocks and planes stay in
    cache and the large temporaries are never mapped: 20% faster than the rows route with
    its transposed copy of grad, on the seeds' CNN.
    """
    o = grad.shape[1]
    run = g.ho * g.wp
    weight = weight.reshape(o, g.c, g.kh, g.kw)  # a 1-D convolution's too
    blocks = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))  # (kh, kw, c, o)
    step = max(1, CHUNK_BYTES // 4 // (g.c * run * grad.itemsize))
    out = np.empty((g.n, g.c, g.h, g.w), dtype=grad.dtype)
    wide = np.zeros((min(step, g.n), o, g.ho, g.wp), dtype=grad.dtype)  # padding stays 0
    # one spare row: the runs of the last kernel offsets reach (kw-1)*dw past the last row
    planes = np.empty((min(step, g.n), g.c, (g.rows + 1) * g.wp), dtype=grad.dtype)
    share = np.empty((min(step, g.n), g.c, run), dtype=grad.dtype)
    for start in range(0, g.n, step):
        m = min(step, g.n - start)
        wide[:m, :, :, :g.wo] = grad[start:start + m]
        sums, part = planes[:m], share[:m]
        sums.fill(0)
        for i in range(g.kh):
            for j in range(g.kw):
                np.matmul(blocks[i, j], wide[:m].reshape(m, o, run), out=part)
                begin = i * g.dh * g.wp + j * g.dw
                sums[:, :, begin:begin + run] += part
        padded = sums.reshape(m, g.c, g.rows + 1, g.wp)
        out[start:start + m] = padded[:, :, g.top:g.top + g.h, g.left:g.left + g.w]
    return out


def _per_sample(columns: np.ndarray, g: _Geometry) -> np.ndarray:
    """Columns (k, n*ho*wo) as n strided (k, ho*wo) matrices: no copy, BLAS takes the stride."""
    return columns.reshape(columns.shape[0], g.n, g.ho * g.wo).transpose(1, 0, 2)


def _forward_in_chunks(x: np.ndarray, weight2: np.ndarray, bias, g: _Geometry) -> np.ndarray:
    """An ungrouped forward whose columns are built and multiplied CHUNK_BYTES at a time.

    Small columns stay in cache between the copy and the GEMM, and come from memory the
    allocator reuses; the whole batch's columns (38 MB for the seeds' CNN at batch 256) are
    mapped fresh on every call, and the page faults cost about as much as the GEMM.
    """
    k, o = weight2.shape[1], weight2.shape[0]
    per_sample = k * g.ho * g.wo * x.itemsize
    step = max(1, CHUNK_BYTES // per_sample)
    out = np.empty((g.n, o, g.ho * g.wo), dtype=x.dtype)
    for start in range(0, g.n, step):
        part = x[start:start + step]
        chunk = _chunk_geometry(part, g)
        target = out[start:start + step]
        np.matmul(weight2, _per_sample(_im2col(part, chunk), chunk), out=target)
        if bias is not None:  # while the chunk is in cache
            target += bias.reshape(-1, 1)
    return out.reshape(g.n, o, g.ho, g.wo)


def _chunk_geometry(part: np.ndarray, g: _Geometry) -> _Geometry:
    """g for a slice of the batch."""
    return _Geometry(part.shape, (g.kh, g.kw), (g.sh, g.sw),
                     (g.top, g.rows - g.h - g.top, g.left, g.wp - g.w - g.left), (g.dh, g.dw))


CHUNK_BYTES = 1 << 20  # about L2-sized; 4 MB chunks measured slower, 256 kB no faster


def _weight_gradient_in_chunks(x: np.ndarray, grad: np.ndarray, grad_rows, g: _Geometry):
    """dW (o, k) from the input's columns, rebuilt CHUNK_BYTES at a time (see the forward).

    With grad rows (n*ho*wo, o) at hand (shared with the input gradient), one GEMM per chunk;
    without, one per sample reading grad (n, o, ho, wo) in place: transposing grad with few
    channels (o=16) costs more than the whole product.
    """
    k = g.c * g.kh * g.kw
    step = max(1, CHUNK_BYTES // (k * g.ho * g.wo * x.itemsize))
    grad3 = grad.reshape(g.n, -1, g.ho * g.wo)
    total = None
    for start in range(0, g.n, step):
        part = x[start:start + step]
        chunk = _chunk_geometry(part, g)
        columns = _im2col(part, chunk)
        if grad_rows is not None:
            rows = grad_rows[start * g.ho * g.wo:(start + len(part)) * g.ho * g.wo]
            product = columns @ rows
        else:
            product = np.matmul(_per_sample(columns, chunk),
                                grad3[start:start + step].transpose(0, 2, 1)).sum(axis=0)
        total = product if total is None else total + product
    return total.T


# The three GEMMs, one per group: y = W @ cols, dW = dy @ cols.T, dcols = W.T @ dy. A few big
# GEMMs rather than one per sample: OpenBLAS hands each call to its threads, and hundreds of
# small calls per step spent more time waking and waiting for them than multiplying.
def _weight_times(weight2: np.ndarray, columns: np.ndarray, groups: int) -> np.ndarray:
    if groups == 1:
        return weight2 @ columns
    o, k = weight2.shape
    return np.matmul(weight2.reshape(groups, o // groups, k),
                     columns.reshape(groups, k, -1)).reshape(o, -1)


def _weight_gradient(grad_columns: np.ndarray, columns: np.ndarray, groups: int) -> np.ndarray:
    # computed transposed, (k, o): OpenBLAS runs this orientation faster here
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
        x_shape, weight_shape, original, original_x = x.shape, weight.shape, weight, x
        x, weight = _as_2d(x, weight)
        g = _Geometry(x.shape, weight.shape[2:], stride, padding, dilation)
        weight2 = weight.reshape(weight.shape[0], -1)
        needs = ctx.needs_input_grad
        channels_last = groups == 1 and _channels_last_pays(g)
        if channels_last or (groups == 1 and g.n > 1):
            # the columns (or rows) are built a few samples at a time and not kept: the
            # weight gradient builds them again, which is cheaper than keeping the whole
            # batch's columns
            out = _forward_channels_last(x, weight, bias, g) if channels_last else \
                _forward_in_chunks(x, weight2, bias, g)
            columns, saved_input = None, original_x  # itself, so in-place changes are caught
        else:
            columns = saved_input = _im2col(x, g)
            out = _from_columns(_weight_times(weight2, columns, groups), g, bias)
        if needs:
            ctx.geometry, ctx.groups, ctx.shapes = g, groups, (x_shape, weight_shape)
            ctx.chunked = columns is None
            # the weight itself, not a view of it, so in-place changes to it are caught
            ctx.save_for_backward(original if needs[0] else None,
                                  saved_input if needs[1] else None)
        return _restore(out, x_shape, weight_shape)

    @staticmethod
    def backward(ctx, grad):
        weight, columns = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g, groups, (x_shape, weight_shape) = ctx.geometry, ctx.groups, ctx.shapes
        grad = grad.reshape(g.n, -1, g.ho, g.wo)
        grad_x = grad_w = grad_b = None
        if groups == 1:
            unstrided = g.sh == 1 and g.sw == 1
            channels_last = ctx.chunked and _channels_last_pays(g)
            # one transposed copy of grad, (n*ho*wo, o), feeds both GEMMs where both need it
            grad_rows = _to_rows(grad) if need_x and not unstrided else None
            if need_x:
                grad_x = _input_gradient_wide(weight, grad, g) if unstrided else \
                    _input_gradient_from_rows(weight, grad_rows, g)
                grad_x = grad_x.reshape(x_shape)
            if need_w and channels_last:
                x = columns.reshape(g.n, g.c, g.h, g.w)  # the saved input
                grad_w = _weight_gradient_channels_last(x, grad, g).reshape(weight_shape)
            elif need_w and ctx.chunked:
                x = columns.reshape(g.n, g.c, g.h, g.w)
                grad_w = _weight_gradient_in_chunks(x, grad, grad_rows, g).reshape(weight_shape)
            elif need_w:
                grad_w = (columns @ _to_rows(grad)).T.reshape(weight_shape)
        else:
            weight2 = None if weight is None else weight.reshape(weight.shape[0], -1)
            if need_x:
                grad_x = _input_gradient(weight2, grad, g, groups).reshape(x_shape)
            if need_w:
                grad_w = _weight_gradient(_to_columns(grad, g), columns, groups)
                grad_w = grad_w.reshape(weight_shape)
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
        x_shape, weight_shape, original = x.shape, weight.shape, weight
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
            ctx.save_for_backward(original if needs[0] else None,
                                  x_columns if needs[1] else None)
        return _restore(out, x_shape, weight_shape)

    @staticmethod
    def backward(ctx, grad):
        weight, x_columns = ctx.saved_tensors
        weight2 = None if weight is None else weight.reshape(weight.shape[0], -1)
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
