"""Im2Col and Col2Im: unfold's sliding blocks as columns and fold's sum back, each the other's
gradient. Both reuse convolution's im2col/col2im (lamina._ops.conv), so that layout exists once.

Shapes: an image batch (N, C, H, W) and its blocks (N, C*kh*kw, L), L = Ho*Wo block positions in
row-major order; block rows run over (channel, kernel row, kernel column), as in torch.
"""

from __future__ import annotations

import numpy as np

from lamina._ops.conv import _col2im, _Geometry, _im2col
from lamina.autograd.function import Primitive

__all__ = ["Col2Im", "Im2Col"]


def _geometry(image_shape, kernel, dilation, padding, stride) -> _Geometry:
    return _Geometry(image_shape, kernel, stride,
                     (padding[0], padding[0], padding[1], padding[1]), dilation)


def _blocks(image: np.ndarray, g: _Geometry) -> np.ndarray:
    """(N, C*kh*kw, L) blocks of image (N, C, H, W)."""
    columns = _im2col(image, g)  # (C*kh*kw, N*L)
    return np.ascontiguousarray(columns.reshape(columns.shape[0], g.n, -1).transpose(1, 0, 2))


def _image(blocks: np.ndarray, g: _Geometry) -> np.ndarray:
    """The (N, C, H, W) sum of blocks (N, C*kh*kw, L) put back where they came from."""
    columns = blocks.transpose(1, 0, 2).reshape(blocks.shape[1], -1)
    return np.ascontiguousarray(_col2im(columns, g))


class Im2Col(Primitive):
    """(N, C, H, W) -> (N, C*kh*kw, L): every kernel-sized block as a column."""

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        g = _geometry(x.shape, kernel, dilation, padding, stride)
        ctx.geometry = g
        return _blocks(x, g)

    @staticmethod
    def backward(ctx, grad):
        return (_image(grad, ctx.geometry),) + (None,) * 4


class Col2Im(Primitive):
    """(N, C*kh*kw, L) -> (N, C, *output_size): blocks summed back onto the image."""

    @staticmethod
    def forward(ctx, x, output_size, kernel, dilation, padding, stride):
        n, rows = x.shape[:2]
        channels = rows // (kernel[0] * kernel[1])
        g = _geometry((n, channels, *output_size), kernel, dilation, padding, stride)
        ctx.geometry = g
        return _image(x, g)

    @staticmethod
    def backward(ctx, grad):
        return (_blocks(grad, ctx.geometry),) + (None,) * 5
