"""MultiheadAttention, with torch's parameters (`in_proj_weight`, `out_proj`) and masks."""

from __future__ import annotations

import lamina
from lamina._tensor import Tensor
from lamina.nn import init
from lamina.nn._functional.attention import _float_mask, multi_head_attention_forward
from lamina.nn.modules._errors import ShapeError
from lamina.nn.modules.linear import Linear
from lamina.nn.modules.module import Module
from lamina.nn.parameter import Parameter

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under torch's name for MultiheadAttention.out_proj, so `repr` matches."""


class AttentionShapeError(ShapeError, AssertionError):
    """A wrong feature size given to attention: torch raises AssertionError for it, and other
    layers raise RuntimeError; this is both, so code catching either keeps working."""


class MultiheadAttention(Module):
    """Attention over num_heads subspaces of embed_dim: softmax(QK^T / sqrt(d)) V per head.

    query (L, N, E), key (S, N, kdim), value (S, N, vdim); batch first with batch_first;
    unbatched (L, E), (S, kdim), (S, vdim). Returns (output shaped like query, weights
    (N, L, S) averaged over heads, or (N, num_heads, L, S) with average_attn_weights=False,
    or None with need_weights=False).
    Bool masks are True where attention is NOT allowed; float masks are added to the scores.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        factory = dict(dtype=dtype, device=device)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(lamina.empty(3 * embed_dim, embed_dim, **factory))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(lamina.empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = Parameter(lamina.empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = Parameter(lamina.empty(embed_dim, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(lamina.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        **factory)
        if add_bias_kv:
            self.bias_k = Parameter(lamina.empty(1, 1, embed_dim, **factory))
            self.bias_v = Parameter(lamina.empty(1, 1, embed_dim, **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # torch: xavier-uniform projections, zero biases, xavier-normal bias_k/bias_v;
        # out_proj.weight keeps Linear's own init
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _expect_features(self, name: str, value: Tensor, size: int) -> None:
        shape = value._array.shape
        if not shape or shape[-1] != size:
            option = {"query": "embed_dim", "key": "kdim", "value": "vdim"}[name]
            raise AttentionShapeError(
                self, f"{name} of shape (*, {size})", shape,
                f"{option} should be {shape[-1] if shape else '?'}, or the {name} should carry "
                f"{size} features in its last dim")

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False):
        self._expect_features("query", query, self.embed_dim)
        self._expect_features("key", key, self.kdim)
        self._expect_features("value", value, self.vdim)
        batched = query.ndim == 3
        key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query.dtype)
        attn_mask = _float_mask(attn_mask, "attn_mask", query.dtype)
        if self.batch_first and batched:
            # keep self-attention's identities (query is key is value) so one GEMM serves all
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        output, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and batched:
            return output.transpose(1, 0), weights
        return output, weights
