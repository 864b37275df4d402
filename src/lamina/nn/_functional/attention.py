"""Attention: scaled_dot_product_attention and the multi-head attention forward pass.

Both are compositions of matmul, softmax and masking, so gradients come from those ops.

Mask conventions differ between the two, exactly as in torch:
- `scaled_dot_product_attention`: a bool `attn_mask` is True where a query MAY attend;
  a float mask is added to the scores.
- `multi_head_attention_forward`: a bool `attn_mask` or `key_padding_mask` is True where
  a query may NOT attend (a padded key); float masks are added.
"""

from __future__ import annotations

import math

import numpy as np

import lamina
from lamina._ops.softmax import softmax
from lamina._tensor import Tensor
from lamina.nn._functional.dropout import dropout
from lamina.nn._functional.linear import linear

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


def _blocked_rows(bias: np.ndarray) -> np.ndarray | None:
    """Where every key of a query row is masked out (all -inf), or None if no row is."""
    blocked = np.all(np.isneginf(bias), axis=-1, keepdims=True)
    return blocked if blocked.any() else None


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dims
    broadcast. scale defaults to 1/sqrt(E). `is_causal` lets query i see keys 0..i (the mask
    is aligned to the top-left corner when L != S, as torch's). As torch, a query whose keys
    are all masked out gets weights of zero, and so an output of zero, rather than nan.
    Dropout (dropout_p > 0) is always applied; pass 0.0 in eval mode, as with torch.
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: pass either attn_mask or "
                           "is_causal=True, not both")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value with "
                           f"at least 2 dims, got shapes {tuple(query.shape)}, "
                           f"{tuple(key.shape)} and {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
            f"{tuple(key.shape)} and value {tuple(value.shape)} do not fit: expected query "
            "(..., L, E), key (..., S, E) and value (..., S, Ev)")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        repeats = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(repeats, dim=-3)
        value = value.repeat_interleave(repeats, dim=-3)
    length, source = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query * factor).matmul(key.transpose(-2, -1))
    dtype = query._array.dtype
    bias = None
    if is_causal:
        allowed = np.tril(np.ones((length, source), dtype=bool))
        bias = np.where(allowed, np.zeros((), dtype), np.full((), -np.inf, dtype))
    elif attn_mask is not None:
        if attn_mask._array.dtype == np.bool_:
            bias = np.where(attn_mask._array, np.zeros((), dtype), np.full((), -np.inf, dtype))
        else:
            bias = attn_mask
    if bias is not None:
        scores = scores + (bias if isinstance(bias, Tensor) else lamina.tensor(bias))
        bias_array = bias._array if isinstance(bias, Tensor) else bias
        blocked = _blocked_rows(np.broadcast_to(bias_array, scores.shape))
        if blocked is not None:
            # softmax of an all -inf row is nan; fill it with zeros, then zero its weights
            scores = scores.masked_fill(lamina.tensor(blocked), 0.0)
            weights = softmax(scores, -1).masked_fill(lamina.tensor(blocked), 0.0)
        else:
            weights = softmax(scores, -1)
    else:
        weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _float_mask(mask: Tensor | None, name: str, dtype) -> Tensor | None:
    """A bool mask (True = blocked) as an additive float mask of `dtype`; float masks pass."""
    if mask is None:
        return None
    kind = mask._array.dtype.kind
    if kind == "b":
        return lamina.zeros(*mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))
    if kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _check_shapes(query, key, value, key_padding_mask, attn_mask) -> bool:
    """Whether the input is batched; raise AssertionError (torch's type) on mismatched ranks."""
    if query.ndim not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.ndim}-D query tensor")
    batched = query.ndim == 3
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            f"For {'batched (3-D)' if batched else 'unbatched (2-D)'} `query`, expected `key` "
            f"and `value` to be {query.ndim}-D but found {key.ndim}-D and {value.ndim}-D "
            "tensors respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(
            f"expected `key_padding_mask` to be `None` or {query.ndim - 1}-D but found "
            f"{key_padding_mask.ndim}-D tensor instead")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError("expected `attn_mask` to be `None`, 2-D or 3-D but found "
                             f"{attn_mask.ndim}-D tensor instead")
    return batched


def multi_head_attention_forward(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
        bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
        training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
        use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
        v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
        is_causal=False):
    """Multi-head attention on sequence-first input, as torch's function of the same name.

    query (L, N, E) or unbatched (L, E); key (S, N, kdim), value (S, N, vdim). Returns
    (output (L, N, E), weights (N, L, S) averaged over heads, or (N, heads, L, S), or None
    when need_weights is False). `is_causal` is only a hint: attn_mask must still be given.
    """
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    target_length, batch, embed_dim = query.shape
    dtype = query.dtype
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    attn_mask = _float_mask(attn_mask, "attn_mask", dtype)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if tuple(key.shape[:2]) != tuple(value.shape[:2]):
        raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not "
                             f"match value's {tuple(value.shape[:2])}")

    if use_separate_proj_weight:
        biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, biases[0])
        k = linear(key, k_proj_weight, biases[1])
        v = linear(value, v_proj_weight, biases[2])
    else:
        weights = in_proj_weight.chunk(3)
        biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        if query is key and key is value:  # self-attention: one GEMM for q, k and v
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        else:
            q = linear(query, weights[0], biases[0])
            k = linear(key, weights[1], biases[1])
            v = linear(value, weights[2], biases[2])

    source_length = key.shape[0]
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (target_length, source_length):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(target_length, source_length)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (batch * num_heads, target_length, source_length):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                f"{(batch * num_heads, target_length, source_length)}.")
    if bias_k is not None and bias_v is not None:
        k = lamina.cat([k, bias_k.repeat(1, batch, 1)])
        v = lamina.cat([v, bias_v.repeat(1, batch, 1)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)

    # (length, N, E) -> (N * heads, length, head_dim): head h of sample n is row n * heads + h
    q = q.reshape(target_length, batch * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], batch * num_heads, head_dim).transpose(0, 1)
         if static_k is None else static_k)
    v = (v.reshape(v.shape[0], batch * num_heads, head_dim).transpose(0, 1)
         if static_v is None else static_v)
    if add_zero_attn:
        zeros = lamina.zeros(batch * num_heads, 1, head_dim, dtype=dtype)
        k, v = lamina.cat([k, zeros], 1), lamina.cat([v, zeros], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    source_length = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source_length):
            raise AssertionError(f"expected key_padding_mask of shape {(batch, source_length)}, "
                                 f"got {tuple(key_padding_mask.shape)}")
        padding = (key_padding_mask.reshape(batch, 1, 1, source_length)
                   .expand(-1, num_heads, -1, -1).reshape(batch * num_heads, 1, source_length))
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        # unlike scaled_dot_product_attention, torch leaves a fully masked row nan here
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        output = weights.matmul(v)
        output = output.transpose(0, 1).reshape(target_length * batch, embed_dim)
        output = linear(output, out_proj_weight, out_proj_bias)
        output = output.reshape(target_length, batch, output.shape[1])
        weights = weights.reshape(batch, num_heads, target_length, source_length)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            output, weights = output.squeeze(1), weights.squeeze(0)
        return output, weights

    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(batch, num_heads, -1, source_length))
    q = q.reshape(batch, num_heads, target_length, head_dim)
    k = k.reshape(batch, num_heads, source_length, head_dim)
    v = v.reshape(batch, num_heads, source_length, head_dim)
    output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p)
    output = output.permute(2, 0, 1, 3).reshape(batch * target_length, embed_dim)
    output = linear(output, out_proj_weight, out_proj_bias)
    output = output.reshape(target_length, batch, output.shape[1])
    return (output if batched else output.squeeze(1)), None


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """mask with one more column of zeros (a key everyone may attend: bias_k, zero_attn)."""
    if mask is None:
        return None
    return lamina.cat([mask, lamina.zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)
