"""unfold and fold (im2col and its adjoint) and channel_shuffle."""

from __future__ import annotations

from lamina._ops.fold import Col2Im, Im2Col
from lamina._ops.shape import reshape, transpose
from lamina._tensor import Tensor
from lamina.nn._functional.conv import _spatial_tuple

__all__ = ["channel_shuffle", "fold", "native_channel_shuffle", "unfold"]


def _block_arguments(op, kernel_size, dilation, padding, stride):
    kernel, dilation, padding, stride = (
        _spatial_tuple(op, name, value, 2) for name, value in (
            ("kernel_size", kernel_size), ("dilation", dilation), ("padding", padding),
            ("stride", stride)))
    if min(kernel) <= 0 or min(dilation) <= 0 or min(stride) <= 0 or min(padding) < 0:
        raise RuntimeError(f"{op}: kernel_size, dilation and stride must be positive and padding "
                           f"non-negative, got kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}")
    return kernel, dilation, padding, stride


def _block_grid(op, size, kernel, dilation, padding, stride):
    grid = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))
    if min(grid) < 1:
        raise RuntimeError(f"{op}: given spatial size {tuple(size)}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}, the grid "
                           f"of sliding blocks would be {grid}, but each side must be at least 1")
    return grid


def _check_floating(op, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    if not input.is_floating_point():
        raise NotImplementedError(f"{op}: not implemented for {input.dtype} input; expected a "
                                  "floating point tensor")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) or (C, H, W) as columns: (N, C*kh*kw, L) or (C*kh*kw, L),
    L the number of block positions (row-major)."""
    _check_floating("unfold", input)
    kernel, dilation, padding, stride = _block_arguments("unfold", kernel_size, dilation,
                                                         padding, stride)
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(f"unfold: expected a non-empty 3D (unbatched) or 4D (batched) input, "
                           f"got input of shape {tuple(input.shape)}")
    _block_grid("unfold", input.shape[-2:], kernel, dilation, padding, stride)
    if input.ndim == 3:
        return Im2Col.apply(input.unsqueeze(0), kernel, dilation, padding, stride).squeeze(0)
    return Im2Col.apply(input, kernel, dilation, padding, stride)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C*kh*kw, L) or (C*kh*kw, L) back into an image (N, C, *output_size):
    unfold's adjoint, so overlapping blocks add up."""
    _check_floating("fold", input)
    size = _spatial_tuple("fold", "output_size", output_size, 2)
    kernel, dilation, padding, stride = _block_arguments("fold", kernel_size, dilation,
                                                         padding, stride)
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(f"fold: expected a non-empty 2D (unbatched) or 3D (batched) input, "
                           f"got input of shape {tuple(input.shape)}")
    rows, blocks = input.shape[-2:]
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(f"fold: expected size of input's dimension {input.ndim - 2} to be "
                           f"divisible by the product of kernel_size {kernel}, got input of "
                           f"shape {tuple(input.shape)}")
    grid = _block_grid("fold", size, kernel, dilation, padding, stride)
    if grid[0] * grid[1] != blocks:
        raise RuntimeError(f"fold: given output_size={size}, kernel_size={kernel}, dilation="
                           f"{dilation}, padding={padding}, stride={stride}, expected "
                           f"{grid[0]} * {grid[1]} = {grid[0] * grid[1]} sliding blocks at "
                           f"input's dimension {input.ndim - 1}, got input of shape "
                           f"{tuple(input.shape)}")
    if input.ndim == 2:
        return Col2Im.apply(input.unsqueeze(0), size, kernel, dilation, padding,
                            stride).squeeze(0)
    return Col2Im.apply(input, size, kernel, dilation, padding, stride)


def channel_shuffle(input, groups: int):
    """(N, C, *) with channels in `groups` groups -> channel g*k+i moved to i*groups+g: the
    (groups, C // groups) channel grid transposed."""
    shape = tuple(input.shape)
    if len(shape) <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(shape)}")
    if groups <= 0:
        raise RuntimeError(f"channel_shuffle: number of groups to divide channels in must be "
                           f"positive, got groups={groups}")
    if shape[1] % groups:
        raise RuntimeError(f"channel_shuffle: number of channels must be divisible by groups, "
                           f"got {shape[1]} channels and {groups} groups")
    grid = reshape(input, (shape[0], groups, shape[1] // groups) + shape[2:])
    return reshape(transpose(grid, 1, 2), shape)


native_channel_shuffle = channel_shuffle
