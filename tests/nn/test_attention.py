"""scaled_dot_product_attention and MultiheadAttention against torch."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, copy_module_weights

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
LAMINA_DTYPES = {np.float32: lamina.float32, np.float64: lamina.float64}
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """Run the torch oracle on one thread (restored afterwards): at these tiny sizes its
    thread pool only adds wake-ups, which cost up to a second per call on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _arrays(*shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _compare(ours_fn, theirs_fn, arrays, masks=(), seed=1):
    """Call both on grad leaves made from `arrays` (masks passed as constants); compare the
    outputs, then every input gradient after backpropagating random weights of the outputs."""
    dtype = arrays[0].dtype.type
    ours_in = [lamina.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    ours_masks = [None if m is None else lamina.tensor(m) for m in masks]
    theirs_masks = [None if m is None else torch.from_numpy(m.copy()) for m in masks]
    outs, expected = ours_fn(*ours_in, *ours_masks), theirs_fn(*theirs_in, *theirs_masks)
    outs = outs if isinstance(outs, tuple) else (outs,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    rng = np.random.default_rng(seed)
    ours_loss, theirs_loss = 0, 0
    for out, exp in zip(outs, expected):
        assert (out is None) == (exp is None)
        if exp is None:
            continue
        assert_close(out, exp, **TOL[dtype])
        weight = rng.standard_normal(tuple(exp.shape)).astype(dtype)
        ours_loss = ours_loss + (out * lamina.tensor(weight)).sum()
        theirs_loss = theirs_loss + (exp * torch.from_numpy(weight)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    for mine, reference in zip(ours_in, theirs_in):
        assert_close(mine.grad, reference.grad, **TOL[dtype])
    return outs


# ---------------------------------------------------------------- scaled_dot_product_attention
def _causal_bool(length, source):
    return np.tril(np.ones((length, source), dtype=bool))


SDPA_CASES = {
    "plain": dict(),
    "bool_mask": dict(mask=lambda L, S: _causal_bool(L, S)),
    "float_mask": dict(mask=lambda L, S: np.random.default_rng(3).standard_normal(
        (L, S)).astype(np.float32)),
    "is_causal": dict(is_causal=True),
    "scale": dict(scale=0.3),
}


@pytest.mark.parametrize("case", list(SDPA_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("lengths", [(4, 4), (3, 5)], ids=["square", "rect"])
def test_sdpa_matches_torch(case, dtype, lengths):
    spec = SDPA_CASES[case]
    length, source = lengths
    q, k, v = _arrays((2, 3, length, 4), (2, 3, source, 4), (2, 3, source, 6), dtype=dtype)
    mask = spec["mask"](length, source) if "mask" in spec else None
    if mask is not None and mask.dtype != bool:
        mask = mask.astype(dtype)
    extra = {key: spec[key] for key in ("is_causal", "scale") if key in spec}
    _compare(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, **extra),
             lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m, **extra),
             [q, k, v], masks=[mask])


@settings(max_examples=12, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), length=st.integers(1, 4),
       source=st.integers(1, 4), embed=st.integers(1, 4), value_dim=st.integers(1, 3),
       broadcast_key=st.booleans(), causal=st.booleans())
def test_sdpa_random_shapes_match_torch(lead, length, source, embed, value_dim, broadcast_key,
                                        causal):
    lead = tuple(lead)
    key_lead = tuple(1 for _ in lead) if broadcast_key else lead  # key/value broadcast
    q, k, v = _arrays(lead + (length, embed), key_lead + (source, embed),
                      key_lead + (source, value_dim), dtype=np.float64)
    _compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
             lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=causal),
             [q, k, v])


def test_sdpa_fully_masked_row_gives_zeros_like_torch():
    q, k, v = _arrays((1, 3, 4), (1, 5, 4), (1, 5, 4))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False  # query 1 may attend nothing
    outs = _compare(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                    lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
                    [q, k, v], masks=[mask])
    assert np.all(outs[0].detach().numpy()[0, 1] == 0)


def test_sdpa_batched_mask_broadcasts_like_torch():
    q, k, v = _arrays((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), dtype=np.float64)
    mask = np.random.default_rng(0).random((2, 1, 3, 5)) > 0.3
    mask[..., 0] = True
    _compare(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
             lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
             [q, k, v], masks=[mask])


def test_sdpa_dropout_and_bad_arguments():
    q, k, v = (lamina.randn(2, 4, 8) for _ in range(3))
    plain = F.scaled_dot_product_attention(q, k, v)
    lamina.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert dropped.shape == plain.shape and dropped.dtype == lamina.float32
    assert not np.allclose(dropped.numpy(), plain.numpy())
    lamina.manual_seed(0)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(again.numpy(), dropped.numpy())
    mask = lamina.ones(4, 4, dtype=lamina.bool)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
    with pytest.raises(RuntimeError):
        TF.scaled_dot_product_attention(*(torch.randn(2, 4, 8) for _ in range(3)),
                                        attn_mask=torch.ones(4, 4, dtype=torch.bool),
                                        is_causal=True)
    with pytest.raises(RuntimeError, match="do not fit"):
        F.scaled_dot_product_attention(q, lamina.randn(2, 4, 7), v)


def test_sdpa_gradcheck():
    q, k, v = (lamina.randn(1, 3, 2, dtype=lamina.float64, requires_grad=True) for _ in range(3))
    mask = lamina.tensor(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]], dtype=bool))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                     (q, k, v))
    float_mask = lamina.randn(3, 3, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(lambda q, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                     (q, float_mask))


# ---------------------------------------------------------------- MultiheadAttention
def _pair(*args, dtype=np.float32, **kwargs):
    ours = nn.MultiheadAttention(*args, dtype=LAMINA_DTYPES[dtype], **kwargs)
    theirs = torch.nn.MultiheadAttention(*args, dtype=TORCH_DTYPES[dtype], **kwargs)
    copy_module_weights(theirs, ours)
    return ours, theirs


MHA_CONFIGS = {
    "default": dict(),
    "batch_first": dict(batch_first=True),
    "kdim_vdim_bias_kv": dict(kdim=3, vdim=5, add_bias_kv=True),
    "zero_attn_no_bias": dict(add_zero_attn=True, bias=False),
}


def _padding(batch, source):
    mask = np.zeros((batch, source), dtype=bool)
    mask[0, -2:] = True  # the first sample's last two keys are padding
    return mask


@pytest.mark.parametrize("config", list(MHA_CONFIGS))
@pytest.mark.parametrize("need_weights", [True, False], ids=["weights", "no_weights"])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_mha_matches_torch(config, need_weights, masks):
    kwargs = MHA_CONFIGS[config]
    ours, theirs = _pair(8, 2, **kwargs)
    length, source, batch = 4, 6, 3
    q, k, v = _arrays((length, batch, 8), (source, batch, kwargs.get("kdim", 8)),
                      (source, batch, kwargs.get("vdim", 8)))
    if kwargs.get("batch_first"):
        q, k, v = (np.ascontiguousarray(a.transpose(1, 0, 2)) for a in (q, k, v))
    padding = attn = None
    if masks == "bool":
        padding = _padding(batch, source)
        attn = np.triu(np.ones((length, source), dtype=bool), 1)
    elif masks == "float":
        padding = np.where(_padding(batch, source), -np.inf, 0.0).astype(np.float32)
        attn = np.random.default_rng(2).standard_normal((batch * 2, length, source))
        attn = attn.astype(np.float32)

    def call(module):
        return lambda q, k, v, p, a: module(q, k, v, key_padding_mask=p, attn_mask=a,
                                            need_weights=need_weights)

    _compare(call(ours), call(theirs), [q, k, v], masks=[padding, attn])
    ours_params = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        assert_close(ours_params[name].grad, parameter.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_per_head_weights_float64(batch_first):
    ours, theirs = _pair(6, 3, batch_first=batch_first, dtype=np.float64)
    (x,) = _arrays((3, 4, 6), dtype=np.float64)
    padding = _padding(3 if batch_first else 4, 4 if batch_first else 3)

    def call(module):
        return lambda x, p: module(x, x, x, key_padding_mask=p, average_attn_weights=False)

    outs = _compare(call(ours), call(theirs), [x], masks=[padding])
    batch, length = (3, 4) if batch_first else (4, 3)
    assert outs[1].shape == (batch, 3, length, length)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_matches_torch(need_weights):
    ours, theirs = _pair(8, 4)
    q, k = _arrays((3, 8), (5, 8))
    padding = np.array([False, False, False, True, False])

    def call(module):
        return lambda q, k, p: module(q, k, k, key_padding_mask=p, need_weights=need_weights)

    _compare(call(ours), call(theirs), [q, k], masks=[padding])


@pytest.mark.filterwarnings("ignore:invalid value")
def test_mha_fully_padded_sample_matches_torch():
    """A sample whose keys are all padding: nan with need_weights (torch's softmax), zeros
    without (torch's scaled_dot_product_attention)."""
    ours, theirs = _pair(4, 2)
    (x,) = _arrays((3, 2, 4))
    padding = np.zeros((2, 3), dtype=bool)
    padding[0] = True
    for need_weights in (True, False):
        out = ours(*[lamina.tensor(x)] * 3, key_padding_mask=lamina.tensor(padding),
                   need_weights=need_weights)[0]
        expected = theirs(*[torch.from_numpy(x)] * 3, key_padding_mask=torch.from_numpy(padding),
                          need_weights=need_weights)[0]
        assert_close(out, expected)
        assert np.isnan(out.detach().numpy()[:, 0]).all() == need_weights


def test_mha_dropout_compared_in_eval_and_active_in_training():
    ours, theirs = _pair(8, 2, dropout=0.5)
    ours.eval()
    theirs.eval()
    q, k = _arrays((4, 2, 8), (5, 2, 8))
    _compare(lambda q, k: ours(q, k, k), lambda q, k: theirs(q, k, k), [q, k])
    ours.train()
    x = lamina.tensor(q)
    trained, _ = ours(x, x, x)
    assert not np.allclose(trained.detach().numpy(), ours.eval()(x, x, x)[0].detach().numpy())


def test_mha_is_causal_needs_a_mask_like_torch():
    x = lamina.randn(3, 1, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        nn.MultiheadAttention(4, 2)(x, x, x, is_causal=True)
    tx = torch.randn(3, 1, 4)
    with pytest.raises(RuntimeError):
        torch.nn.MultiheadAttention(4, 2)(tx, tx, tx, is_causal=True)


@pytest.mark.parametrize("kwargs", [dict(), dict(kdim=3, vdim=5, add_bias_kv=True),
                                    dict(bias=False, batch_first=True)])
def test_mha_state_dict_and_repr_match_torch(kwargs):
    ours, theirs = nn.MultiheadAttention(8, 2, **kwargs), torch.nn.MultiheadAttention(8, 2,
                                                                                      **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [name for name, _ in ours.named_parameters()] == \
        [name for name, _ in theirs.named_parameters()]


def test_mha_default_init_matches_torch():
    ours, theirs = nn.MultiheadAttention(64, 4, add_bias_kv=True), \
        torch.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) in_proj_weight
    for sample in (ours.in_proj_weight.detach().numpy(), theirs.in_proj_weight.detach().numpy()):
        assert np.abs(sample).max() <= bound and np.abs(sample).max() > 0.99 * bound
        assert abs(sample.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert not ours.in_proj_bias.detach().numpy().any()
    assert not ours.out_proj.bias.detach().numpy().any()
    out_bound = 1 / math.sqrt(64)  # out_proj keeps Linear's own init
    assert np.abs(ours.out_proj.weight.detach().numpy()).max() <= out_bound
    assert ours.bias_k.detach().numpy().std() > 0  # xavier_normal_, not zeros


def test_mha_gradcheck():
    layer = nn.MultiheadAttention(4, 2, dtype=lamina.float64)
    q = lamina.randn(2, 1, 4, dtype=lamina.float64, requires_grad=True)
    k = lamina.randn(3, 1, 4, dtype=lamina.float64, requires_grad=True)
    padding = lamina.tensor(np.array([[False, False, True]]))
    assert gradcheck(lambda q, k, *params: layer(q, k, k, key_padding_mask=padding)[0],
                     (q, k, *layer.parameters()))
    assert gradcheck(lambda q, k: layer(q, k, k, need_weights=False)[0], (q, k))


def test_mha_wrong_feature_size_names_the_layer():
    layer = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    x = lamina.zeros(4, 2, 8)
    with pytest.raises(RuntimeError, match=r"MultiheadAttention.*expected input query of shape "
                                           r"\(\*, 8\), got \(4, 2, 6\)"):
        layer(lamina.zeros(4, 2, 6), lamina.zeros(4, 2, 3), lamina.zeros(4, 2, 5))
    with pytest.raises(AssertionError, match=r"key of shape \(\*, 3\)"):  # torch's type too
        layer(x, x, lamina.zeros(4, 2, 5))
    with pytest.raises(AssertionError):
        tx = torch.zeros(4, 2, 6)
        torch.nn.MultiheadAttention(8, 2)(tx, tx, tx)


def _same_initial_weights(build) -> bool:
    """Whether both libraries draw identical weights after manual_seed(0)."""
    torch.manual_seed(0)
    theirs = build(torch).state_dict()
    lamina.manual_seed(0)
    ours = build(lamina).state_dict()
    return list(ours) == list(theirs) and all(
        np.array_equal(ours[k].numpy(), theirs[k].numpy()) for k in theirs)


@pytest.mark.parametrize("kwargs", [dict(), dict(kdim=3, vdim=5, add_bias_kv=True)])
def test_mha_seeded_init_draws_torchs_numbers(kwargs):
    # lamina's generator follows torch's streams, and the layer draws in torch's order
    assert _same_initial_weights(lambda lib: lib.nn.MultiheadAttention(8, 2, **kwargs))
