"""Convolutions: conv1d, conv2d, conv_transpose1d, conv_transpose2d (the GEMMs live in
lamina._ops.conv). Arguments, defaults and output shapes are torch's."""

from __future__ import annotations

from lamina._ops.conv import Convolution, TransposedConvolution
from lamina._tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _spatial_tuple(op: str, name: str, value, spatial: int) -> tuple:
    """An int or a tuple of `spatial` ints as that tuple, or a RuntimeError."""
    if type(value) is tuple and len(value) == spatial and type(value[-1]) is int and (
            spatial == 1 or type(value[0]) is int):
        return value  # the common case (a layer's own arguments), checked cheaply
    if isinstance(value, int):
        return (value,) * spatial
    value = tuple(value)
    if len(value) == 1:
        value = value * spatial
    if len(value) != spatial or not all(isinstance(v, int) for v in value):
        raise RuntimeError(f"{op}: expected {name} to be an int or {spatial} ints, got {value}")
    return value


def _check_input(op, input, weight, bias, spatial, channels_per_group, groups, transposed):
    """Ranks, dtypes and channel counts, with torch's exception types and a clearer message."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    array, kernel = input._array, weight._array
    shape = array.shape
    if len(shape) != spatial + 2 and len(shape) != spatial + 1:
        raise RuntimeError(
            f"{op}: expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input, got "
            f"input of shape {shape}")
    if kernel.ndim != spatial + 2:
        raise RuntimeError(f"{op}: expected a {spatial + 2}D weight, got weight of shape "
                           f"{kernel.shape}")
    if array.dtype != kernel.dtype or (bias is not None and bias._array.dtype != kernel.dtype):
        raise RuntimeError(
            f"{op}: input dtype {input.dtype} does not match weight dtype {weight.dtype}"
            + ("" if bias is None else f" and bias dtype {bias.dtype}")
            + f". Hint: convert the input with .to({weight.dtype}) or the model with .to(...).")
    if array.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    if groups < 1:
        raise RuntimeError(f"{op}: non-positive groups is not supported (got groups={groups})")
    channels = shape[-spatial - 1]
    if channels != channels_per_group * groups:
        raise RuntimeError(
            f"{op}: given groups={groups} and weight of shape {kernel.shape}, expected input "
            f"{shape} to have {channels_per_group * groups} channels at dim "
            f"{len(shape) - spatial - 1}, but got {channels} channels instead")
    out_channels = kernel.shape[1] * groups if transposed else kernel.shape[0]
    if not transposed and out_channels % groups:
        raise RuntimeError(f"{op}: weight of shape {kernel.shape} has {out_channels} "
                           f"output channels, which groups={groups} does not divide")
    if bias is not None and bias._array.shape != (out_channels,):
        raise RuntimeError(f"{op}: expected bias of shape ({out_channels},), got "
                           f"{bias._array.shape}")


def _padding(op, padding, kernel, dilation, stride, spatial) -> tuple:
    """(top, bottom, left, right) from an int, a tuple, 'valid' or 'same' (extra at the end)."""
    if not isinstance(padding, str):
        padding = _spatial_tuple(op, "padding", padding, spatial)
        if min(padding) < 0:
            raise RuntimeError(f"{op}: negative padding is not supported (got {padding})")
        return (0, 0, padding[0], padding[0]) if spatial == 1 else \
            (padding[0], padding[0], padding[1], padding[1])
    if padding == "valid":
        amounts = [(0, 0)] * spatial
    elif padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                               f"convolutions (stride={stride})")
        amounts = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            amounts.append((total // 2, total - total // 2))
    else:
        raise RuntimeError(f"{op}: invalid padding string {padding!r}, expected 'same', "
                           "'valid', an int or a tuple of ints")
    if spatial == 1:
        amounts = [(0, 0)] + amounts
    return amounts[0] + amounts[1]


def _convolution(op, input, weight, bias, stride, padding, dilation, groups, spatial):
    _check_input(op, input, weight, bias, spatial, weight._array.shape[1], groups, False)
    stride = _spatial_tuple(op, "stride", stride, spatial)
    dilation = _spatial_tuple(op, "dilation", dilation, spatial)
    if min(stride) <= 0 or min(dilation) <= 0:
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={stride}, "
                           f"dilation={dilation}")
    kernel = weight._array.shape[2:]
    pads = _padding(op, padding, kernel, dilation, stride, spatial)
    sizes = input._array.shape[-spatial:]
    if spatial == 1:
        stride, dilation, kernel, sizes = (1,) + stride, (1,) + dilation, (1,) + kernel, \
            (1,) + sizes
    if (sizes[0] + pads[0] + pads[1] < dilation[0] * (kernel[0] - 1) + 1
            or sizes[1] + pads[2] + pads[3] < dilation[1] * (kernel[1] - 1) + 1):
        padded = (sizes[0] + pads[0] + pads[1], sizes[1] + pads[2] + pads[3])
        effective = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
        raise RuntimeError(
            f"{op}: the padded input is {padded[2 - spatial:]} per channel but the (dilated) "
            f"kernel is {effective[2 - spatial:]}: the kernel can't be larger than the input "
            f"(input {tuple(input.shape)}, weight {tuple(weight.shape)}, padding {padding})")
    return Convolution.apply(input, weight, bias, stride, pads, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation: input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k)."""
    return _convolution("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation: input (N, C_in, H, W) or (C_in, H, W),
    weight (C_out, C_in/groups, kh, kw); padding may be an int, a pair, 'valid' or 'same'."""
    return _convolution("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def _transposed(op, input, weight, bias, stride, padding, output_padding, groups, dilation,
                spatial):
    _check_input(op, input, weight, bias, spatial, weight.shape[0] // max(groups, 1), groups,
                 True)
    if weight.shape[0] % groups:
        raise RuntimeError(f"{op}: weight of shape {tuple(weight.shape)} has {weight.shape[0]} "
                           f"input channels, which groups={groups} does not divide")
    stride = _spatial_tuple(op, "stride", stride, spatial)
    dilation = _spatial_tuple(op, "dilation", dilation, spatial)
    padding = _spatial_tuple(op, "padding", padding, spatial)
    output_padding = _spatial_tuple(op, "output_padding", output_padding, spatial)
    if any(s <= 0 for s in stride) or any(d <= 0 for d in dilation) or any(
            p < 0 for p in padding):
        raise RuntimeError(f"{op}: stride and dilation must be positive and padding "
                           f"non-negative, got stride={stride}, dilation={dilation}, "
                           f"padding={padding}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if not (0 <= op_ < s or 0 <= op_ < d):
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                               f"dilation, got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    kernel = tuple(weight.shape[2:])
    output = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in zip(
        input.shape[-spatial:], stride, padding, dilation, kernel, output_padding))
    if any(n <= 0 for n in output):
        raise RuntimeError(f"{op}: input {tuple(input.shape)} with weight "
                           f"{tuple(weight.shape)} gives a non-positive output size {output}")
    pads = tuple(p for p in padding for _ in range(2))
    if spatial == 1:
        stride, dilation, pads, output = (1,) + stride, (1,) + dilation, (0, 0) + pads, \
            (1,) + output
    return TransposedConvolution.apply(input, weight, bias, stride, pads, dilation, groups,
                                       output)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """1-D transposed convolution: input (N, C_in, L), weight (C_in, C_out/groups, k)."""
    return _transposed("conv_transpose1d", input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution"): input (N, C_in, H, W),
    weight (C_in, C_out/groups, kh, kw); the adjoint of conv2d with the same arguments."""
    return _transposed("conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 2)
