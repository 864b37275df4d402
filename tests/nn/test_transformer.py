"""Transformer layers, stacks and the full Transformer against torch's regular path."""

import math
import warnings

import numpy as np
import pytest
import torch
import torchinfo
from tests.helpers import assert_close, copy_module_weights

import lamina
import lamina.nn as nn
from lamina.autograd import gradcheck

# torch's notice that its nested-tensor inference path is off; nothing to do with results
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
LAMINA_DTYPES = {np.float32: lamina.float32, np.float64: lamina.float64}
# LayerNorm after attention amplifies float32 rounding a little: 1e-5 relative, 1e-5 absolute
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}
D_MODEL, NHEAD, FF = 8, 2, 16


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """Run the torch oracle on one thread (restored afterwards): at these tiny sizes its
    thread pool only adds wake-ups, which cost up to a second per call on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _build(library, name, dtype, **kwargs):
    nn_ = library.nn
    dtype = (LAMINA_DTYPES if library is lamina else TORCH_DTYPES)[dtype]
    activation = kwargs.pop("activation", "relu")
    if activation == "module":
        activation = nn_.GELU()
    layer_kwargs = dict(dim_feedforward=FF, activation=activation, dtype=dtype, **kwargs)
    if name == "TransformerEncoder":
        return nn_.TransformerEncoder(nn_.TransformerEncoderLayer(D_MODEL, NHEAD, **layer_kwargs),
                                      2, norm=nn_.LayerNorm(D_MODEL, dtype=dtype))
    if name == "TransformerDecoder":
        return nn_.TransformerDecoder(nn_.TransformerDecoderLayer(D_MODEL, NHEAD, **layer_kwargs),
                                      2)
    if name == "Transformer":
        return nn_.Transformer(D_MODEL, NHEAD, 2, 1, **layer_kwargs)
    return getattr(nn_, name)(D_MODEL, NHEAD, **layer_kwargs)


def _pair(name, dtype=np.float32, train=False, **kwargs):
    ours = _build(lamina, name, dtype, **dict(kwargs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's enable_nested_tensor notice
        theirs = _build(torch, name, dtype, **dict(kwargs))
    copy_module_weights(theirs, ours)
    ours.train(train)
    theirs.train(train)
    return ours, theirs


def _compare(ours, theirs, arrays, masks, seed=0):
    """Run both with grad leaves and constant masks; compare output, input and parameter
    gradients."""
    dtype = arrays[0].dtype.type
    ours_in = [lamina.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    ours_masks = {k: None if m is None else lamina.tensor(m) for k, m in masks.items()}
    theirs_masks = {k: None if m is None else torch.from_numpy(m.copy())
                    for k, m in masks.items()}
    out, expected = ours(*ours_in, **ours_masks), theirs(*theirs_in, **theirs_masks)
    assert_close(out, expected, **TOL[dtype])
    weight = np.random.default_rng(seed).standard_normal(tuple(expected.shape)).astype(dtype)
    (out * lamina.tensor(weight)).sum().backward()
    (expected * torch.from_numpy(weight)).sum().backward()
    for mine, reference in zip(ours_in, theirs_in):
        assert_close(mine.grad, reference.grad, **TOL[dtype])
    ours_params = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        assert_close(ours_params[name].grad, parameter.grad, **TOL[dtype])


def _sequence(length, batch, batch_first, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    shape = (batch, length, D_MODEL) if batch_first else (length, batch, D_MODEL)
    if batch is None:
        shape = (length, D_MODEL)
    return rng.standard_normal(shape).astype(dtype)


def _causal(length, dtype=np.float32):
    return np.triu(np.full((length, length), -np.inf, dtype=dtype), 1)


def _padding(batch, length, kind="bool"):
    mask = np.zeros((batch, length), dtype=bool)
    mask[0, -1] = True
    return mask if kind == "bool" else np.where(mask, -np.inf, 0.0).astype(np.float32)


OPTIONS = {
    "post_norm_relu": dict(),
    "pre_norm_gelu": dict(norm_first=True, activation="gelu"),
    "batch_first": dict(batch_first=True),
    "gelu_module_no_bias": dict(activation="module", bias=False),
}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("masks", ["none", "float", "bool"])
def test_encoder_layer_and_stack_match_torch(option, masks):
    kwargs = OPTIONS[option]
    batch_first = kwargs.get("batch_first", False)
    src = _sequence(5, 3, batch_first)
    causal, padding = None, None
    if masks == "float":
        causal, padding = _causal(5), _padding(3, 5, "float")
    elif masks == "bool":  # True = may not attend, for both masks
        causal, padding = np.isneginf(_causal(5)), _padding(3, 5)
    _compare(*_pair("TransformerEncoderLayer", **kwargs), [src],
             dict(src_mask=causal, src_key_padding_mask=padding))
    _compare(*_pair("TransformerEncoder", **kwargs), [src],
             dict(mask=causal, src_key_padding_mask=padding))


@pytest.mark.parametrize("option", list(OPTIONS))
def test_decoder_layer_and_stack_match_torch(option):
    kwargs = OPTIONS[option]
    batch_first = kwargs.get("batch_first", False)
    tgt, memory = _sequence(4, 3, batch_first), _sequence(6, 3, batch_first, seed=1)
    masks = dict(tgt_mask=np.isneginf(_causal(4)), tgt_key_padding_mask=_padding(3, 4),
                 memory_key_padding_mask=_padding(3, 6))
    _compare(*_pair("TransformerDecoderLayer", **kwargs), [tgt, memory], masks)
    if kwargs.get("activation") == "module":
        kwargs = dict(kwargs, activation="gelu")  # see the test below
    _compare(*_pair("TransformerDecoder", **kwargs), [tgt, memory], masks)


def test_decoder_stack_keeps_a_module_activation_unlike_torch():
    """A deliberate difference. torch's TransformerDecoderLayer.__setstate__ puts F.relu in
    the instance dict when the activation is a Module, so every deep copy (each layer of a
    TransformerDecoder or Transformer) silently computes relu while still listing the GELU
    module in repr and named_modules. lamina computes the activation it was given."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.TransformerDecoder(
            torch.nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, activation=torch.nn.GELU()), 1)
    assert theirs.layers[0].activation is torch.nn.functional.relu  # the torch quirk
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF,
                                                            activation=nn.GELU()), 1)
    assert isinstance(ours.layers[0].activation, nn.GELU)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("option", ["post_norm_relu", "pre_norm_gelu", "batch_first"])
def test_transformer_matches_torch(option):
    kwargs = OPTIONS[option]
    batch_first = kwargs.get("batch_first", False)
    src, tgt = _sequence(5, 2, batch_first), _sequence(4, 2, batch_first, seed=1)
    masks = dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                 src_key_padding_mask=_padding(2, 5, "float"))
    _compare(*_pair("Transformer", **kwargs), [src, tgt], masks)


def test_float64_training_mode_without_dropout_matches_torch():
    ours, theirs = _pair("Transformer", dtype=np.float64, train=True, dropout=0.0)
    src, tgt = _sequence(3, 2, False, np.float64), _sequence(4, 2, False, np.float64, seed=1)
    _compare(ours, theirs, [src, tgt], dict(tgt_mask=_causal(4, np.float64)))


def test_unbatched_input_matches_torch():
    src, tgt = _sequence(5, None, False), _sequence(3, None, False, seed=1)
    _compare(*_pair("Transformer"), [src, tgt],
             dict(tgt_mask=_causal(3), src_key_padding_mask=np.array([0, 0, 0, 0, -np.inf],
                                                                     np.float32)))
    _compare(*_pair("TransformerEncoderLayer", batch_first=True), [src], {})


@pytest.mark.parametrize("hint", [None, True])
def test_causal_hint_gives_the_same_numbers(hint):
    ours, theirs = _pair("TransformerEncoder")
    src = _sequence(4, 2, False)
    _compare(ours, theirs, [src], dict(mask=_causal(4)))
    x = lamina.tensor(src)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_allclose(ours(x, mask=mask, is_causal=hint).detach().numpy(),
                               ours(x, mask=mask).detach().numpy(), rtol=1e-6)


def test_generate_square_subsequent_mask_matches_torch():
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert_close(ours, theirs)
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=lamina.float64).dtype == \
        lamina.float64


def test_dropout_is_active_in_training():
    layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, dropout=0.5)
    x = lamina.tensor(_sequence(4, 2, False))
    trained = layer(x).detach().numpy()
    evaluated = layer.eval()(x).detach().numpy()
    assert trained.dtype == evaluated.dtype == np.float32
    assert not np.allclose(trained, evaluated)


@pytest.mark.parametrize("name", ["TransformerEncoderLayer", "TransformerDecoderLayer",
                                  "Transformer"])
def test_state_dict_and_repr_match_torch(name):
    for activation in ("relu", "module"):
        ours, theirs = _pair(name, activation=activation)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_transformer_default_init_is_xavier_uniform():
    ours, theirs = nn.Transformer(64, 4, 1, 1, 128), torch.nn.Transformer(64, 4, 1, 1, 128)
    bound = math.sqrt(6 / (64 + 128))  # linear1.weight is (128, 64)
    for sample in (ours.encoder.layers[0].linear1.weight.detach().numpy(),
                   theirs.encoder.layers[0].linear1.weight.detach().numpy()):
        assert np.abs(sample).max() <= bound and np.abs(sample).max() > 0.99 * bound
        assert abs(sample.std() - bound / math.sqrt(3)) < 0.03 * bound
    norm = ours.decoder.layers[0].norm2
    assert np.all(norm.weight.detach().numpy() == 1) and not norm.bias.detach().numpy().any()
    # the cloned layers are independent copies
    first, second = (nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
                     .layers)
    assert first.linear1.weight is not second.linear1.weight


def test_optimizer_steps_follow_torch():
    ours, theirs = _pair("TransformerEncoderLayer", train=True, dropout=0.0)
    src = _sequence(4, 2, False)
    ours_opt = lamina.optim.SGD(ours.parameters(), lr=0.1)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        for module, optimizer, x in ((ours, ours_opt, lamina.tensor(src)),
                                     (theirs, theirs_opt, torch.from_numpy(src))):
            optimizer.zero_grad()
            (module(x) ** 2).mean().backward()
            optimizer.step()
    for name, parameter in theirs.named_parameters():
        assert_close(dict(ours.named_parameters())[name], parameter, rtol=1e-5, atol=1e-5)


def test_encoder_layer_gradcheck():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=lamina.float64)
    x = lamina.randn(3, 1, 4, dtype=lamina.float64, requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=lamina.float64)
    assert gradcheck(lambda x: layer(x, src_mask=mask), (x,))


def test_wrong_d_model_names_the_layer():
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF), 2)
    with pytest.raises(RuntimeError, match=r"TransformerEncoder.layers\[0\] "
                                           r"TransformerEncoderLayer.*src of shape \(\*, 8\), "
                                           r"got \(5, 2, 6\)"):
        model(lamina.zeros(5, 2, 6))
    with pytest.raises(RuntimeError, match=r"Transformer.*tgt of shape \(\*, 8\)"):
        nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)(lamina.zeros(5, 2, 8), lamina.zeros(3, 2, 7))
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)(lamina.zeros(5, 2, 8), lamina.zeros(3, 4, 8))
    with pytest.raises(RuntimeError):
        torch.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)(torch.zeros(5, 2, 8),
                                                       torch.zeros(3, 2, 7))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation="tanh")


def test_summary_of_an_encoder_matches_torchinfo():
    def build(library):
        layer = library.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
        return library.nn.TransformerEncoder(layer, 2)

    ours = lamina.summary(build(lamina), input_size=(2, 5, 16), verbose=0)
    theirs = torchinfo.summary(build(torch), input_size=(2, 5, 16), verbose=0)
    assert str(ours) == str(theirs)


def _same_initial_weights(build) -> bool:
    """Whether both libraries draw identical weights after manual_seed(0)."""
    torch.manual_seed(0)
    theirs = build(torch).state_dict()
    lamina.manual_seed(0)
    ours = build(lamina).state_dict()
    return list(ours) == list(theirs) and all(
        np.array_equal(ours[k].numpy(), theirs[k].numpy()) for k in theirs)


def test_seeded_init_draws_torchs_numbers():
    # lamina's generator follows torch's streams; clones and xavier re-draws in torch's order
    assert _same_initial_weights(lambda lib: lib.nn.Transformer(8, 2, 2, 1, 16))
