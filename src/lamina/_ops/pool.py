"""Pooling and padding primitives on (N, C, H, W) arrays.

Max and average pooling loop over the kernel's few offsets; each step is one vectorised ufunc
over a strided view of every window at that offset, so no Python loop touches the batch,
channels or pixels. 1-D pooling arrives as 2-D pooling over a height of 1.
"""

from __future__ import annotations

import numpy as np

from lamina.autograd.function import Primitive


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode) -> int:
    """torch's pooled length: with ceil_mode the last window must still start in the input."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


class _Windows:
    """Where the windows of one pooling lie: a padded buffer and a view per kernel offset."""

    __slots__ = ("shape", "kernel", "stride", "padding", "dilation", "out", "size")

    def __init__(self, shape, kernel, stride, padding, dilation, out):
        self.shape, self.kernel, self.stride = shape, kernel, stride
        self.padding, self.dilation, self.out = padding, dilation, out
        # the buffer covers the padded input and every window (ceil_mode may reach past it)
        self.size = tuple(
            max(p + n, (o - 1) * s + d * (k - 1) + 1)
            for n, k, s, p, d, o in zip(shape[2:], kernel, stride, padding, dilation, out))

    def buffer(self, x: np.ndarray | None, fill, dtype) -> np.ndarray:
        (top, left), (h, w) = self.padding, self.shape[2:]
        if x is not None and (top, left) == (0, 0) and self.size == (h, w):
            return x
        buffer = np.full(self.shape[:2] + self.size, fill, dtype=dtype)
        if x is not None:
            buffer[:, :, top:top + h, left:left + w] = x
        return buffer

    def views(self, buffer: np.ndarray) -> list:
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = self.kernel, self.stride, self.dilation, self.out
        return [buffer[:, :, i * dh:i * dh + (ho - 1) * sh + 1:sh,
                       j * dw:j * dw + (wo - 1) * sw + 1:sw]
                for i in range(kh) for j in range(kw)]

    def tiling(self) -> bool:
        """Whether the windows cover the unpadded input exactly once (kernel == stride)."""
        return self.padding == (0, 0) and self.dilation == (1, 1) and all(
            k == s and o * s == n for k, s, o, n in
            zip(self.kernel, self.stride, self.out, self.shape[2:]))

    def overlapping(self) -> bool:
        return any(s < d * (k - 1) + 1
                   for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def crop(self, buffer: np.ndarray) -> np.ndarray:
        (top, left), (h, w) = self.padding, self.shape[2:]
        return buffer[:, :, top:top + h, left:left + w]


def _max_and_index(views: list, best: np.ndarray, index: np.ndarray) -> None:
    """The elementwise max over views into best, and the index of the first view holding it
    into index (torch's tie rule). A NaN wins, and among NaNs the last one, as in torch."""
    np.copyto(best, views[0])
    for view in views[1:]:
        np.maximum(best, view, out=best)
    # the first offset holding the max = how many offsets come before any match; counting
    # with boolean ufuncs is several times faster than masked writes (np.copyto(where=))
    not_found = np.not_equal(views[0], best)
    np.copyto(index, not_found)
    hit = np.empty(best.shape, dtype=bool)
    for view in views[1:-1]:
        np.equal(view, best, out=hit)
        np.greater(not_found, hit, out=not_found)  # still unmatched: not_found and not hit
        index += not_found
    if np.isnan(best).any():  # rare: NaN never compares equal, so redo it the slow way
        _argmax(views, best, index, with_nan=True)


def _index_dtype(windows: _Windows):
    return np.uint8 if windows.kernel[0] * windows.kernel[1] < 256 else np.int32


# Max pooling with indices makes about a dozen passes over the input's windows, and its
# gradient four or more over the input's size: a few samples at a time (about this many bytes
# of input) they stay in cache between passes. At batch 64 the seeds' CNN's layers read
# 4 MB and 2 MB, which otherwise come from memory on every pass.
POOL_CHUNK_BYTES = 1 << 19


def _sample_chunks(windows: _Windows, itemsize: int):
    """Slices of the batch holding about POOL_CHUNK_BYTES of (padded) input each."""
    n = windows.shape[0]
    per_sample = windows.shape[1] * windows.size[0] * windows.size[1] * itemsize
    step = max(1, POOL_CHUNK_BYTES // per_sample)
    return [slice(start, start + step) for start in range(0, n, step)]


def max_separably(buffer: np.ndarray, kernel, stride, dilation, out) -> np.ndarray:
    """The max over every window of a (padded) buffer (n, c, h, w), without where it is: over
    the kernel's rows first, whole lines at a time (runs of the full width, which NumPy
    vectorises), then over its columns. kh+kw-2 ufunc calls instead of kh*kw-1 on strided
    views; about 15% faster for 2x2. kernel, stride, dilation, out (the output size): pairs.
    MaxPool2d's inference path calls it directly for windows that tile the input."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out
    rows = [buffer[:, :, i * dh:i * dh + (ho - 1) * sh + 1:sh] for i in range(kh)]
    lines = rows[0] if kh == 1 else np.maximum(rows[0], rows[1])
    for row in rows[2:]:
        np.maximum(lines, row, out=lines)
    columns = [lines[..., j * dw:j * dw + (wo - 1) * sw + 1:sw] for j in range(kw)]
    if kw == 1:
        return columns[0].copy()
    out = np.maximum(columns[0], columns[1])
    for column in columns[2:]:
        np.maximum(out, column, out=out)
    return out


def _argmax(views: list, best: np.ndarray, index: np.ndarray, with_nan: bool) -> None:
    """The elementwise max over views into best and the index of the first view holding it
    into index, in one sweep; with_nan makes a NaN win, as in torch's kernel."""
    np.copyto(best, views[0])
    index[...] = 0
    take = np.empty(best.shape, dtype=bool)
    nan = np.empty(best.shape, dtype=bool) if with_nan else None
    for o, view in enumerate(views[1:], 1):
        np.greater(view, best, out=take)
        if with_nan:
            take |= np.isnan(view, out=nan)
        np.copyto(best, view, where=take)
        np.copyto(index, o, where=take)


def _to_2d(x: np.ndarray, spatial: int):
    """x as batched 2-D pooling input (1-D gains a height of 1, unbatched a batch of 1)."""
    if spatial == 1:
        x = x[..., None, :]
    return x[None] if x.ndim == 3 else x


class MaxPool(Primitive):
    """Max over windows; returns (values, indices into each input plane) or just values.

    kernel, stride, padding, dilation are pairs (1-D pooling uses a height of 1 with spatial=1).
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_size, spatial, return_indices):
        x_shape = x.shape
        x = _to_2d(x, spatial)
        windows = _Windows(x.shape, kernel, stride, padding, dilation, out_size)
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        buffer = windows.buffer(x, lowest, x.dtype)
        need_index = return_indices or bool(ctx.needs_input_grad)
        if need_index:
            out = np.empty(x.shape[:2] + tuple(out_size), dtype=x.dtype)
            index = np.empty(out.shape, dtype=_index_dtype(windows))
            for part in _sample_chunks(windows, x.itemsize):
                _max_and_index(windows.views(buffer[part]), out[part], index[part])
        else:
            out = max_separably(buffer, kernel, stride, dilation, out_size)
        if ctx.needs_input_grad:
            ctx.windows, ctx.x_shape = windows, x_shape
            ctx.save_for_backward(index)
        out_shape = x_shape[:-spatial] + tuple(out_size[2 - spatial:])
        if not return_indices:
            return out.reshape(out_shape)
        return out.reshape(out_shape), _plane_indices(windows, index).reshape(out_shape)

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        (index,) = ctx.saved_tensors
        windows = ctx.windows
        grad = grad.reshape(index.shape)
        # when the windows tile the input every element is written below: no zero fill
        buffer = np.empty(windows.shape, grad.dtype) if windows.tiling() else \
            windows.buffer(None, 0, grad.dtype)
        overlapping = windows.overlapping()
        for part in _sample_chunks(windows, grad.itemsize):
            chosen = np.empty(index[part].shape, dtype=bool)
            for o, view in enumerate(windows.views(buffer[part])):
                np.equal(index[part], o, out=chosen)
                if overlapping:
                    view += grad[part] * chosen
                else:  # disjoint windows: write straight into the gradient
                    np.multiply(grad[part], chosen, out=view)
        return (windows.crop(buffer).reshape(ctx.x_shape),) + (None,) * 7


def _plane_indices(windows: _Windows, index: np.ndarray) -> np.ndarray:
    """torch's return_indices: the flat position in the unpadded (H, W) plane, as int64."""
    (kh, kw), (sh, sw), (top, left) = windows.kernel, windows.stride, windows.padding
    (dh, dw), (ho, wo), width = windows.dilation, windows.out, windows.shape[3]
    rows = np.arange(ho, dtype=np.int64) * sh - top
    cols = np.arange(wo, dtype=np.int64) * sw - left
    start = rows[:, None] * width + cols[None, :]
    offsets = (np.arange(kh, dtype=np.int64)[:, None] * dh * width
               + np.arange(kw, dtype=np.int64)[None, :] * dw).reshape(-1)
    return offsets.take(index) + start


class AvgPool(Primitive):
    """Mean over windows with torch's divisors (count_include_pad, ceil_mode, override)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_size, spatial, count_include_pad,
                divisor_override):
        x_shape = x.shape
        x = _to_2d(x, spatial)
        windows = _Windows(x.shape, kernel, stride, padding, (1, 1), out_size)
        views = windows.views(windows.buffer(x, 0, x.dtype))
        out = views[0].copy()
        for view in views[1:]:
            out += view
        divisor = _divisor(windows, count_include_pad, divisor_override, x.dtype)
        out /= divisor
        if ctx.needs_input_grad:
            ctx.windows, ctx.x_shape, ctx.divisor = windows, x_shape, divisor
        return out.reshape(x_shape[:-spatial] + tuple(out_size[2 - spatial:]))

    @staticmethod
    def backward(ctx, grad):
        windows = ctx.windows
        share = grad.reshape(windows.shape[:2] + windows.out) / ctx.divisor
        buffer = windows.buffer(None, 0, grad.dtype)
        overlapping = windows.overlapping()
        for view in windows.views(buffer):
            if overlapping:
                view += share
            else:
                view[...] = share
        return (windows.crop(buffer).reshape(ctx.x_shape),) + (None,) * 7


def _divisor(windows: _Windows, count_include_pad, divisor_override, dtype) -> np.ndarray:
    """The (Ho, Wo) divisors, per output position, exactly as torch's CPU kernel counts them."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=dtype)
    counts = []
    for n, k, s, p, o in zip(windows.shape[2:], windows.kernel, windows.stride,
                             windows.padding, windows.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, n) - np.maximum(start, 0))
    divisor = (counts[0][:, None] * counts[1][None, :]).astype(dtype)
    divisor[divisor <= 0] = 1  # a window wholly in the padding sums to 0; torch outputs 0
    return divisor


# ---------------------------------------------------------------- adaptive max pooling
def adaptive_bins(size: int, out: int):
    """torch's adaptive bins: start = floor(i*size/out), end = ceil((i+1)*size/out)."""
    i = np.arange(out, dtype=np.int64)
    return (i * size) // out, ((i + 1) * size + out - 1) // out


class AdaptiveMaxPool(Primitive):
    """Max over torch's adaptive bins of (N, C, H, W); returns values and plane indices."""

    @staticmethod
    def forward(ctx, x, out_size, return_indices):
        x_shape = x.shape
        x = x[None] if x.ndim == 3 else x
        h, w = x.shape[2:]
        (row_start, row_end), (col_start, col_end) = (adaptive_bins(h, out_size[0]),
                                                      adaptive_bins(w, out_size[1]))
        # bins differ in length: step through the longest, repeating each bin's last
        # row/column (a repeat never beats the first max, so ties still go to the first)
        rows = [np.minimum(row_start + i, row_end - 1)[:, None]
                for i in range(int((row_end - row_start).max()))]
        cols = [np.minimum(col_start + j, col_end - 1)[None, :]
                for j in range(int((col_end - col_start).max()))]
        views = [x[:, :, r, c] for r in rows for c in cols]
        out = np.empty(views[0].shape, dtype=x.dtype)
        which = np.empty(out.shape, dtype=np.uint8 if len(views) < 256 else np.int32)
        _max_and_index(views, out, which)
        flat = np.stack([np.broadcast_to(r * w + c, out.shape[2:]) for r in rows for c in cols])
        oh, ow = out.shape[2:]
        index = flat[which, np.arange(oh)[:, None], np.arange(ow)[None, :]]
        if ctx.needs_input_grad:
            ctx.x_shape = x_shape
            ctx.save_for_backward(index)
        out_shape = x_shape[:-2] + tuple(out_size)
        out, index = out.reshape(out_shape), index.reshape(out_shape)
        return (out, index) if return_indices else out

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        (index,) = ctx.saved_tensors
        planes, area = index.shape[0] * index.shape[1], ctx.x_shape[-1] * ctx.x_shape[-2]
        where = index.reshape(planes, -1) + (np.arange(planes) * area)[:, None]
        # bins may overlap, so several outputs can land on one input: bincount sums them
        total = np.bincount(where.reshape(-1), weights=grad.reshape(-1), minlength=planes * area)
        return total.astype(grad.dtype).reshape(ctx.x_shape), None, None


# ---------------------------------------------------------------- padding
def _pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each padded position along one axis, the input position it copies."""
    t = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(t, 0, n - 1)
    if mode == "circular":
        return t % n
    t = np.abs(t)  # reflect about the first and last elements, which are not repeated
    return np.where(t > n - 1, 2 * (n - 1) - t, t)


def _fold(grad: np.ndarray, n: int, before: int, after: int, mode: str) -> np.ndarray:
    """The adjoint of padding the last axis: sum the padded borders back onto the input."""
    out = grad[..., before:before + n].copy()
    head, tail = grad[..., :before], grad[..., before + n:]
    if mode == "replicate":
        out[..., 0] += head.sum(-1)
        out[..., n - 1] += tail.sum(-1)
    elif mode == "circular":
        out[..., n - before:] += head
        out[..., :after] += tail
    else:
        out[..., 1:before + 1] += head[..., ::-1]
        out[..., n - 1 - after:n - 1] += tail[..., ::-1]
    return out


class Pad(Primitive):
    """Pad the trailing dims; pad = (last_before, last_after, second_last_before, ...).

    constant mode takes negative amounts too (they crop), as torch's does.
    """

    @staticmethod
    def forward(ctx, x, pad, mode, value):
        pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
        ctx.x_shape, ctx.pairs, ctx.mode = x.shape, pairs, mode
        if mode == "constant":
            shape, source, target = _constant_slices(x.shape, pairs)
            out = np.full(shape, value, dtype=x.dtype)
            out[target] = x[source]
            ctx.slices = source, target
            return out
        for axis, (before, after) in enumerate(pairs, 1):
            x = np.take(x, _pad_index(x.shape[-axis], before, after, mode), axis=-axis)
        return x

    @staticmethod
    def backward(ctx, grad):
        if ctx.mode == "constant":
            source, target = ctx.slices
            out = np.zeros(ctx.x_shape, dtype=grad.dtype)
            out[source] = grad[target]
            return out, None, None, None
        for axis in range(len(ctx.pairs), 0, -1):
            before, after = ctx.pairs[axis - 1]
            moved = np.moveaxis(grad, -axis, -1)
            grad = np.moveaxis(_fold(moved, ctx.x_shape[-axis], before, after, ctx.mode),
                               -1, -axis)
        return grad, None, None, None


def _constant_slices(shape, pairs):
    """The padded shape, and where the input (cropped by negative amounts) lands in it."""
    shape, source, target = list(shape), [slice(None)] * len(shape), [slice(None)] * len(shape)
    for axis, (before, after) in enumerate(pairs, 1):
        n = shape[-axis]
        shape[-axis] = n + before + after
        source[-axis] = slice(max(-before, 0), n - max(-after, 0))
        target[-axis] = slice(max(before, 0), max(before, 0) + n - max(-before, 0)
                              - max(-after, 0))
    return tuple(shape), tuple(source), tuple(target)
