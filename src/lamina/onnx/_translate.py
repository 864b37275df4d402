"""One ONNX translation per lamina primitive, keyed by the primitive's module and name.

A translator receives the GraphBuilder, the op's arguments as `apply` saw them, its keyword
arguments and the output tensor(s); it emits nodes and returns the output value names.
"""

from __future__ import annotations

import numpy as np

from lamina._tensor import Tensor


class UnsupportedOperatorError(RuntimeError):
    """The forward pass used an op that has no ONNX translation yet."""


_TRANSLATORS: dict[tuple[str, str], object] = {}


def translates(module: str, *names: str):
    def register(function):
        for name in names:
            _TRANSLATORS[(f"lamina.{module}", name)] = function
        return function

    return register


def translate(builder, cls, args, kwargs, out):
    translator = _TRANSLATORS.get((cls.__module__, cls.__qualname__))
    if translator is None:
        raise UnsupportedOperatorError(
            f"ONNX export: the op {cls.__qualname__} (from {cls.__module__}) has no ONNX "
            "translation yet. Hint: express this part of the model with supported ops, or add "
            "a translator in lamina/onnx/_translate.py."
        )
    outputs = out if isinstance(out, tuple) else (out,)
    names = translator(builder, *args, outputs=outputs, **kwargs)
    for tensor, name in zip(outputs, names):
        if isinstance(tensor, Tensor) and name is not None:
            builder.bind(tensor, name)


def _dtype_of(args):
    for a in args:
        if isinstance(a, Tensor):
            return a._array.dtype
    return None


def _operand(builder, value, like):
    return builder.name_of(value, like=like)


# ---------------------------------------------------------------- elementwise
def _binary(onnx_op):
    def translator(builder, a, b, *, outputs, **kwargs):
        dtype = _dtype_of((a, b))
        return builder.node(onnx_op, [_operand(builder, a, dtype), _operand(builder, b, dtype)])

    return translator


for _name, _onnx in (("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Div", "Div"),
                     ("Pow", "Pow"), ("Maximum", "Max"), ("Minimum", "Min")):
    translates("_ops.elementwise", _name)(_binary(_onnx))
translates("_ops.linalg", "Matmul")(_binary("MatMul"))


def _unary(onnx_op):
    def translator(builder, a, *, outputs, **kwargs):
        return builder.node(onnx_op, [builder.name_of(a)])

    return translator


for _name, _onnx in (("Neg", "Neg"), ("Exp", "Exp"), ("Log", "Log"), ("Sqrt", "Sqrt"),
                     ("Sin", "Sin"), ("Cos", "Cos"), ("Tanh", "Tanh"), ("Abs", "Abs"),
                     ("Reciprocal", "Reciprocal"), ("Sigmoid", "Sigmoid"), ("Relu", "Relu"),
                     ("Clone", "Identity")):
    translates("_ops.elementwise", _name)(_unary(_onnx))
translates("_ops.shape", "Clone")(_unary("Identity"))


@translates("_ops.elementwise", "Log1p")
def _log1p(builder, a, *, outputs):
    one = builder.constant(np.ones((), dtype=a._array.dtype))
    return builder.node("Log", builder.node("Add", [builder.name_of(a), one]))


@translates("_ops.elementwise", "Rsqrt")
def _rsqrt(builder, a, *, outputs):
    return builder.node("Reciprocal", builder.node("Sqrt", [builder.name_of(a)]))


@translates("_ops.elementwise", "Clamp")
def _clamp(builder, a, low, high, *, outputs):
    dtype = a._array.dtype
    low_name = builder.constant(np.asarray(low, dtype)) if low is not None else ""
    high_name = builder.constant(np.asarray(high, dtype)) if high is not None else ""
    return builder.node("Clip", [builder.name_of(a), low_name, high_name])


@translates("_ops.elementwise", "Where")
def _where(builder, condition, a, b, *, outputs):
    dtype = _dtype_of((a, b))
    condition_name = builder.name_of(condition) if isinstance(condition, Tensor) else \
        builder.constant(np.asarray(condition, dtype=bool))
    return builder.node("Where", [condition_name, _operand(builder, a, dtype),
                                  _operand(builder, b, dtype)])


# ---------------------------------------------------------------- linear algebra
@translates("_ops.linalg", "Linear")
def _linear(builder, x, weight, bias, *, outputs):
    if x.ndim == 2:
        inputs = [builder.name_of(x), builder.name_of(weight)]
        if bias is not None:
            inputs.append(builder.name_of(bias))
        return builder.node("Gemm", inputs, transB=1)
    transposed = builder.constant(np.ascontiguousarray(weight._array.T), "weight_t")
    out = builder.node("MatMul", [builder.name_of(x), transposed])
    if bias is not None:
        out = builder.node("Add", out + [builder.name_of(bias)])
    return out


# ---------------------------------------------------------------- shapes
def _target_shape(builder, input_shape, output_shape):
    """Reshape's shape input; keep a dynamic batch dim symbolic (0 copies it from the input)."""
    shape = list(output_shape)
    if builder.dynamic_batch and shape and input_shape and shape[0] == input_shape[0]:
        shape[0] = 0
    return builder.ints(shape, "shape")


@translates("_ops.shape", "Reshape")
def _reshape(builder, a, shape, *, outputs):
    return builder.node("Reshape", [builder.name_of(a),
                                    _target_shape(builder, a._array.shape, outputs[0].shape)])


@translates("_ops.shape", "Permute")
def _permute(builder, a, axes, *, outputs):
    return builder.node("Transpose", [builder.name_of(a)], perm=list(axes))


@translates("_ops.shape", "Expand")
def _expand(builder, a, shape, *, outputs):
    return builder.node("Expand", [builder.name_of(a), builder.ints(shape, "shape")])


@translates("_ops.shape", "ToDtype")
def _cast(builder, a, dtype, *, outputs):
    target = builder.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return builder.node("Cast", [builder.name_of(a)], to=target)


@translates("_ops.shape", "Concatenate")
def _concatenate(builder, axis, *tensors, outputs):
    return builder.node("Concat", [builder.name_of(t) for t in tensors], axis=axis)


@translates("_ops.index", "Slice")
def _slice(builder, a, key, *, outputs):
    """Basic indexing: slices become Slice, ints Gather, None Unsqueeze."""
    parts = key if isinstance(key, tuple) else (key,)
    explicit = sum(1 for p in parts if p is not None and p is not Ellipsis)
    expanded = []
    for p in parts:
        if p is Ellipsis:
            expanded += [slice(None)] * (a.ndim - explicit)
        else:
            expanded.append(p)
    expanded += [slice(None)] * (a.ndim - sum(1 for p in expanded if p is not None))
    name, axis, starts, ends, axes, steps, drops, inserts = builder.name_of(a), 0, [], [], [], \
        [], [], []
    for p in expanded:
        if p is None:
            inserts.append(len(inserts) + axis - len(drops))
            continue
        if isinstance(p, slice):
            start, stop, step = p.indices(a._array.shape[axis])
            if (start, stop, step) != (0, a._array.shape[axis], 1):
                starts.append(start)
                ends.append(stop if stop >= 0 else -(2**62))
                axes.append(axis)
                steps.append(step)
        else:
            index = int(p) % a._array.shape[axis]
            starts.append(index)
            ends.append(index + 1)
            axes.append(axis)
            steps.append(1)
            drops.append(axis)
        axis += 1
    if axes:
        name = builder.node("Slice", [name, builder.ints(starts), builder.ints(ends),
                                      builder.ints(axes), builder.ints(steps)])[0]
    if drops:
        name = builder.node("Squeeze", [name, builder.ints(drops)])[0]
    if inserts:
        name = builder.node("Unsqueeze", [name, builder.ints(inserts)])[0]
    if name == builder.name_of(a):
        name = builder.node("Identity", [name])[0]
    return [name]


# ---------------------------------------------------------------- reductions
def _reduce(onnx_op, axes_as_input_from):
    def translator(builder, a, axes, keepdim, *rest, outputs):
        axes = list(range(a.ndim)) if axes is None else list(axes)
        if builder.opset >= axes_as_input_from:
            return builder.node(onnx_op, [builder.name_of(a), builder.ints(axes)],
                                keepdims=int(keepdim))
        return builder.node(onnx_op, [builder.name_of(a)], axes=axes, keepdims=int(keepdim))

    return translator


translates("_ops.reduce", "Sum")(_reduce("ReduceSum", 13))
translates("_ops.reduce", "Mean")(_reduce("ReduceMean", 18))


@translates("_ops.reduce", "Extreme")
def _extreme(builder, a, axes, keepdim, largest, *, outputs):
    return _reduce("ReduceMax" if largest else "ReduceMin", 18)(
        builder, a, axes, keepdim, outputs=outputs)


@translates("_ops.loss", "MseLoss")
def _mse_loss(builder, x, t, reduction, *, outputs):
    dtype = _dtype_of((x, t))
    difference = builder.node("Sub", [_operand(builder, x, dtype), _operand(builder, t, dtype)])
    squared = builder.node("Mul", difference + difference)
    if reduction == "none":
        return squared
    shape = np.broadcast_shapes(np.shape(_array_of(x)), np.shape(_array_of(t)))
    axes = builder.ints(list(range(len(shape))))
    if reduction == "sum":
        return builder.node("ReduceSum", squared + [axes], keepdims=0)
    if builder.opset >= 18:
        return builder.node("ReduceMean", squared + [axes], keepdims=0)
    return builder.node("ReduceMean", squared, axes=list(range(len(shape))), keepdims=0)


def _array_of(value):
    return value._array if isinstance(value, Tensor) else value


# ---------------------------------------------------------------- softmax family
@translates("_ops.softmax", "Softmax")
def _softmax(builder, a, dim, *rest, outputs):
    return builder.node("Softmax", [builder.name_of(a)], axis=int(dim))


@translates("_ops.softmax", "LogSoftmax")
def _log_softmax(builder, a, dim, *rest, outputs):
    return builder.node("LogSoftmax", [builder.name_of(a)], axis=int(dim))


# ---------------------------------------------------------------- convolution and pooling
@translates("_ops.conv", "Convolution")
def _convolution(builder, x, weight, bias, stride, padding, dilation, groups, *, outputs):
    """padding arrives as (top, bottom, left, right); 1-D convs have a kernel height of 1."""
    top, bottom, left, right = padding
    inputs = [builder.name_of(x), builder.name_of(weight)]
    if bias is not None:
        inputs.append(builder.name_of(bias))
    if weight.ndim == 3:
        return builder.node("Conv", inputs, strides=[stride[1]], pads=[left, right],
                            dilations=[dilation[1]], group=groups)
    return builder.node("Conv", inputs, strides=list(stride), pads=[top, left, bottom, right],
                        dilations=list(dilation), group=groups)


def _pool_attributes(x, kernel, stride, padding, dilation, out_size, spatial):
    """ONNX pooling attributes; ceil_mode is recovered from the output size lamina chose."""
    dims = range(2 - spatial, 2)
    sizes = x._array.shape[-spatial:]
    floor_sizes = [(n + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1
                   for n, d in zip(sizes, dims)]
    ceil_mode = int(any(out_size[d] != f for d, f in zip(dims, floor_sizes)))
    return dict(kernel_shape=[kernel[d] for d in dims], strides=[stride[d] for d in dims],
                pads=[padding[d] for d in dims] * 2, ceil_mode=ceil_mode)


@translates("_ops.pool", "MaxPool")
def _max_pool(builder, x, kernel, stride, padding, dilation, out_size, spatial, return_indices,
              *, outputs):
    if return_indices:
        raise UnsupportedOperatorError("ONNX export: max pooling with return_indices=True")
    attributes = _pool_attributes(x, kernel, stride, padding, dilation, out_size, spatial)
    dims = range(2 - spatial, 2)
    attributes["dilations"] = [dilation[d] for d in dims]
    return builder.node("MaxPool", [builder.name_of(x)], **attributes)


@translates("_ops.pool", "AvgPool")
def _avg_pool(builder, x, kernel, stride, padding, out_size, spatial, count_include_pad,
              divisor_override, *, outputs):
    if divisor_override:
        raise UnsupportedOperatorError("ONNX export: average pooling with divisor_override")
    attributes = _pool_attributes(x, kernel, stride, padding, (1, 1), out_size, spatial)
    return builder.node("AveragePool", [builder.name_of(x)],
                        count_include_pad=int(bool(count_include_pad)), **attributes)


@translates("_ops.pool", "Pad")
def _pad(builder, x, pad, mode, value, *, outputs):
    begins, ends = [0] * x.ndim, [0] * x.ndim
    for i in range(len(pad) // 2):
        begins[x.ndim - 1 - i], ends[x.ndim - 1 - i] = pad[2 * i], pad[2 * i + 1]
    onnx_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                 "circular": "wrap"}[mode]
    inputs = [builder.name_of(x), builder.ints(begins + ends, "pads")]
    if mode == "constant":
        inputs.append(builder.constant(np.asarray(value, dtype=x._array.dtype)))
    return builder.node("Pad", inputs, mode=onnx_mode)


# ---------------------------------------------------------------- normalisation (inference)
@translates("_ops.normalization", "NormalizeWithStats")
def _batch_norm_eval(builder, x, weight, bias, running_mean, running_var, shape, param_shape,
                     eps, *, outputs):
    """Batch norm with running statistics folds into one scale and one shift per channel."""
    dtype = x._array.dtype
    scale = 1 / np.sqrt(running_var.astype(np.float64) + eps)
    if weight is not None:
        scale = scale * weight._array
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias._array
    name = builder.name_of(x)
    reshaped = tuple(shape) != x._array.shape
    if reshaped:
        name = builder.node("Reshape", [name, _target_shape(builder, x._array.shape, shape)])[0]
    scale_name = builder.constant(scale.astype(dtype).reshape(param_shape), "bn_scale")
    shift_name = builder.constant(shift.astype(dtype).reshape(param_shape), "bn_shift")
    out = builder.node("Add", builder.node("Mul", [name, scale_name]) + [shift_name])
    if reshaped:
        out = builder.node("Reshape", out + [_target_shape(builder, shape, x._array.shape)])
    return out


# ---------------------------------------------------------------- activations
def _scalar(builder, value, like):
    return builder.constant(np.asarray(value, dtype=like._array.dtype))


@translates("nn._functional.activation", "LeakyRelu")
def _leaky_relu(builder, a, slope, *, outputs):
    return builder.node("LeakyRelu", [builder.name_of(a)], alpha=float(slope))


@translates("nn._functional.activation", "Hardtanh")
def _hardtanh(builder, a, low, high, *, outputs):
    return builder.node("Clip", [builder.name_of(a), _scalar(builder, low, a),
                                 _scalar(builder, high, a)])


@translates("nn._functional.activation", "Hardsigmoid")
def _hardsigmoid(builder, a, *, outputs):
    return builder.node("HardSigmoid", [builder.name_of(a)], alpha=1 / 6, beta=0.5)


@translates("nn._functional.activation", "Hardswish")
def _hardswish(builder, a, *, outputs):
    return builder.node("HardSwish", [builder.name_of(a)])


@translates("nn._functional.activation", "Silu")
def _silu(builder, a, *, outputs):
    x = builder.name_of(a)
    return builder.node("Mul", [x] + builder.node("Sigmoid", [x]))


@translates("nn._functional.activation", "Softplus")
def _softplus(builder, a, beta, threshold, *, outputs):
    x = builder.name_of(a)
    if beta == 1:
        soft = builder.node("Softplus", [x])
    else:
        scaled = builder.node("Mul", [x, _scalar(builder, beta, a)])
        soft = builder.node("Div", builder.node("Softplus", scaled) + [_scalar(builder, beta, a)])
    # torch switches to the identity above threshold / beta
    above = builder.node("Greater", builder.node("Mul", [x, _scalar(builder, beta, a)])
                         + [_scalar(builder, threshold, a)])
    return builder.node("Where", above + [x] + soft)


@translates("nn._functional.activation", "Mish")
def _mish(builder, a, *, outputs):
    x = builder.name_of(a)
    return builder.node("Mul", [x] + builder.node("Tanh", builder.node("Softplus", [x])))


@translates("nn._functional.activation", "Elu")
def _elu(builder, a, alpha, scale, input_scale, *, outputs):
    x = builder.name_of(a)
    inner = builder.node("Mul", [x, _scalar(builder, input_scale, a)])
    negative = builder.node("Mul", builder.node("Sub", builder.node("Exp", inner)
                                                + [_scalar(builder, 1, a)])
                            + [_scalar(builder, alpha, a)])
    positive = builder.node("Greater", [x, _scalar(builder, 0, a)])
    chosen = builder.node("Where", positive + [x] + negative)
    return builder.node("Mul", chosen + [_scalar(builder, scale, a)])


@translates("nn._functional.activation", "Gelu")
def _gelu(builder, a, approximate, *, outputs):
    x = builder.name_of(a)
    half = builder.node("Mul", [x, _scalar(builder, 0.5, a)])
    if approximate == "tanh":
        cube = builder.node("Mul", [x] + builder.node("Mul", [x, x]))
        inner = builder.node("Add", [x] + builder.node("Mul", cube
                                                        + [_scalar(builder, 0.044715, a)]))
        scaled = builder.node("Mul", inner + [_scalar(builder, np.sqrt(2 / np.pi), a)])
        curve = builder.node("Tanh", scaled)
    else:
        curve = builder.node("Erf", builder.node("Mul", [x, _scalar(builder, np.sqrt(0.5), a)]))
    return builder.node("Mul", half + builder.node("Add", curve + [_scalar(builder, 1, a)]))


@translates("nn._functional.activation", "Threshold")
def _threshold(builder, a, threshold, value, *, outputs):
    x = builder.name_of(a)
    above = builder.node("Greater", [x, _scalar(builder, threshold, a)])
    return builder.node("Where", above + [x, _scalar(builder, value, a)])


# ---------------------------------------------------------------- embedding
@translates("nn._functional.sparse", "EmbeddingLookup")
def _embedding(builder, weight, indices, padding_row, scale_grad_by_freq, *, outputs):
    index = builder.name_of(indices) if isinstance(indices, Tensor) else builder.constant(
        np.asarray(indices, dtype=np.int64), "indices")
    return builder.node("Gather", [builder.name_of(weight), index], axis=0)
