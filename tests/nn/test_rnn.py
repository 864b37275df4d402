"""RNN, LSTM, GRU and their cells against torch: values, every gradient, state_dict, repr."""

import math
import warnings

import numpy as np
import pytest
import torch
import torchinfo
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close, copy_module_weights

import lamina
import lamina.nn as nn
from lamina.autograd import gradcheck

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
LAMINA_DTYPES = {np.float32: lamina.float32, np.float64: lamina.float64}
# float32 sums over a few dozen products; gradients through several steps need a little atol
LOOSE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """Run the torch oracle on one thread (restored afterwards): at these tiny sizes its
    thread pool only adds wake-ups, which cost up to a second per call on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _pair(name, *args, dtype=np.float32, **kwargs):
    ours = getattr(nn, name)(*args, dtype=LAMINA_DTYPES[dtype], **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer: both warn, as intended
        theirs = getattr(torch.nn, name)(*args, dtype=TORCH_DTYPES[dtype], **kwargs)
    copy_module_weights(theirs, ours)
    return ours, theirs


def _flatten(result):
    """The output tensors of a layer call, in order: out, h (and c)."""
    if isinstance(result, tuple):
        return [t for item in result for t in _flatten(item)]
    return [result]


def _compare(ours, theirs, arrays, call=lambda m, *xs: m(*xs), seed=0):
    """Run both on the same arrays (None stays None; a tuple is a state pair); compare every
    output, then backpropagate random weights of all outputs and compare every gradient."""
    def leaves(item, make):
        if item is None:
            return None
        if isinstance(item, tuple):
            return tuple(leaves(i, make) for i in item)
        return make(item)

    ours_in = [leaves(a, lambda x: lamina.tensor(x, requires_grad=True)) for a in arrays]
    theirs_in = [leaves(a, lambda x: torch.from_numpy(x.copy()).requires_grad_()) for a in arrays]
    outs, expected = _flatten(call(ours, *ours_in)), _flatten(call(theirs, *theirs_in))
    assert len(outs) == len(expected)
    dtype = next(a for a in _flatten(tuple(arrays)) if a is not None).dtype.type
    tol = LOOSE[dtype]
    rng = np.random.default_rng(seed)
    ours_loss, theirs_loss = 0, 0
    for out, exp in zip(outs, expected):
        assert_close(out, exp, **tol)
        weight = rng.standard_normal(tuple(exp.shape)).astype(dtype)
        ours_loss = ours_loss + (out * lamina.tensor(weight)).sum()
        theirs_loss = theirs_loss + (exp * torch.from_numpy(weight)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    for mine, reference in zip(_flatten(tuple(ours_in)), _flatten(tuple(theirs_in))):
        if reference is not None:
            assert_close(mine.grad, reference.grad, **tol)
    ours_params = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        assert_close(ours_params[name].grad, parameter.grad, **tol)


def _state(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- multi-layer layers
CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False, batch_first=True),
]
LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


@pytest.mark.parametrize("name,extra", LAYERS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(c) or "default")
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_layer_matches_torch(name, extra, config, with_state, dtype):
    ours, theirs = _pair(name, 3, 4, dtype=dtype, **extra, **config)
    length, batch = 5, 2
    shape = (batch, length, 3) if config.get("batch_first") else (length, batch, 3)
    x = _state(shape, dtype, 1)
    rows = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    state = None
    if with_state:
        state = _state((rows, batch, 4), dtype, 2)
        if name == "LSTM":
            state = (state, _state((rows, batch, 4), dtype, 3))
    _compare(ours, theirs, [x, state])


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(["RNN", "LSTM", "GRU"]), length=st.integers(1, 4),
       batch=st.integers(1, 3), input_size=st.integers(1, 4), hidden_size=st.integers(1, 4),
       num_layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans())
def test_random_shapes_match_torch(name, length, batch, input_size, hidden_size, num_layers,
                                   bidirectional, batch_first):
    ours, theirs = _pair(name, input_size, hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional, batch_first=batch_first)
    shape = (batch, length, input_size) if batch_first else (length, batch, input_size)
    _compare(ours, theirs, [_state(shape, np.float32, length), None])


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
def test_unbatched_input_matches_torch(name, with_state, batch_first):
    # unbatched input is (L, H_in) whatever batch_first says, as in torch
    ours, theirs = _pair(name, 3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = _state((6, 3), np.float32, 4)
    state = None
    if with_state:
        state = _state((4, 4), np.float32, 5)
        if name == "LSTM":
            state = (state, _state((4, 4), np.float32, 6))
    _compare(ours, theirs, [x, state])


@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True,
                                                 batch_first=True)], ids=["one", "deep"])
def test_lstm_with_projection_matches_torch(config):
    ours, theirs = _pair("LSTM", 3, 5, proj_size=2, **config)
    rows = 4 if config else 1
    shape = (2, 4, 3) if config.get("batch_first") else (4, 2, 3)
    state = (_state((rows, 2, 2), np.float32, 1), _state((rows, 2, 5), np.float32, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "LSTM with projections is not supported..."
        _compare(ours, theirs, [_state(shape, np.float32, 0), state])
    out, (h, c) = ours(lamina.zeros(*shape))
    assert out.shape[-1] == (4 if config else 2) and h.shape[-1] == 2 and c.shape[-1] == 5


def test_dropout_between_layers_only_in_training():
    ours, theirs = _pair("GRU", 3, 4, num_layers=3, dropout=0.5)
    x = _state((5, 2, 3), np.float32, 0)
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, [x, None])
    ours.train()
    lamina.manual_seed(0)
    trained, _ = ours(lamina.tensor(x))
    evaluated, _ = ours.eval()(lamina.tensor(x))
    assert trained.shape == evaluated.shape == (5, 2, 4)
    assert trained.dtype == lamina.float32
    assert not np.allclose(trained.detach().numpy(), evaluated.detach().numpy())
    # one layer: the last layer's output is never dropped, so training changes nothing
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        single = nn.LSTM(3, 4, dropout=0.5)
    out_train = single.train()(lamina.tensor(x))[0].detach().numpy()
    out_eval = single.eval()(lamina.tensor(x))[0].detach().numpy()
    np.testing.assert_array_equal(out_train, out_eval)


@pytest.mark.parametrize("name,kwargs", [
    ("RNN", dict(nonlinearity="relu", num_layers=2, bias=False, batch_first=True,
                 dropout=0.5, bidirectional=True)),
    ("LSTM", dict(proj_size=2, num_layers=3)),
    ("GRU", dict()),
    ("LSTM", dict(bidirectional=True, num_layers=2, proj_size=3, bias=False)),
])
def test_state_dict_and_repr_match_torch(name, kwargs):
    ours, theirs = _pair(name, 3, 5, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    # and back: lamina's weights load into torch
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    assert [p.shape for p in ours.all_weights[0]] == [p.shape for p in theirs.all_weights[0]]


def test_default_init_is_torchs_uniform():
    ours, theirs = nn.LSTM(50, 100), torch.nn.LSTM(50, 100)
    bound = 1 / math.sqrt(100)
    for sample in (ours.weight_hh_l0.detach().numpy(), theirs.weight_hh_l0.detach().numpy()):
        assert np.abs(sample).max() <= bound
        assert np.abs(sample).max() > 0.99 * bound
        assert abs(sample.mean()) < 0.02 * bound
        assert abs(sample.std() - bound / math.sqrt(3)) < 0.02 * bound
    for parameter in ours.parameters():
        assert parameter.dtype == lamina.float32
        assert np.abs(parameter.detach().numpy()).max() <= bound
    assert nn.GRUCell(2, 3, dtype=lamina.float64).weight_ih.dtype == lamina.float64


def test_float32_stays_float32():
    out, (h, c) = nn.LSTM(3, 4, num_layers=2, bidirectional=True)(lamina.randn(5, 2, 3))
    assert out.dtype == h.dtype == c.dtype == lamina.float32


# ---------------------------------------------------------------- cells
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
         ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"bias": False})]


@pytest.mark.parametrize("name,kwargs", CELLS, ids=["rnn", "rnn_relu", "lstm", "gru", "gru_nb"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
def test_cell_matches_torch(name, kwargs, batched, with_state):
    ours, theirs = _pair(name, 3, 4, **kwargs)
    lead = (2,) if batched else ()
    state = None
    if with_state:
        state = _state(lead + (4,), np.float32, 1)
        if name == "LSTMCell":
            state = (state, _state(lead + (4,), np.float32, 2))
    _compare(ours, theirs, [_state(lead + (3,), np.float32, 0), state])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck(name):
    cell = getattr(nn, name)(2, 3, dtype=lamina.float64)
    x = lamina.randn(2, 2, dtype=lamina.float64, requires_grad=True)
    h = lamina.randn(2, 3, dtype=lamina.float64, requires_grad=True)
    c = lamina.randn(2, 3, dtype=lamina.float64, requires_grad=True)
    weights = tuple(cell.parameters())

    def run(x, h, c, *params):  # gradcheck perturbs the parameters' arrays in place
        out = cell(x, (h, c)) if name == "LSTMCell" else cell(x, h)
        return lamina.cat([o.reshape(-1) for o in _flatten(out)])

    assert gradcheck(run, (x, h, c, *weights))


@pytest.mark.parametrize("keep", [0, 1], ids=["h_only", "c_only"])
def test_lstm_step_gradcheck_when_one_output_is_unused(keep):
    # the fused step's backward gets a zero gradient for the output nobody used
    cell = nn.LSTMCell(2, 3, dtype=lamina.float64)
    x = lamina.randn(2, 2, dtype=lamina.float64, requires_grad=True)
    h = lamina.randn(2, 3, dtype=lamina.float64, requires_grad=True)
    c = lamina.randn(2, 3, dtype=lamina.float64, requires_grad=True)
    assert gradcheck(lambda x, h, c: cell(x, (h, c))[keep], (x, h, c))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_layer_gradcheck(name):
    layer = getattr(nn, name)(2, 2, num_layers=2, bidirectional=True, dtype=lamina.float64)
    x = lamina.randn(3, 1, 2, dtype=lamina.float64, requires_grad=True)
    h = lamina.randn(4, 1, 2, dtype=lamina.float64, requires_grad=True)

    def run(x, h):
        state = (h, h * 0.5) if name == "LSTM" else h
        out, final = layer(x, state)
        return lamina.cat([t.reshape(-1) for t in [out, *_flatten(final)]])

    assert gradcheck(run, (x, h))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_wrong_feature_size_names_the_layer(name):
    layer = getattr(nn, name)(3, 4)
    shape = (2, 5) if name.endswith("Cell") else (6, 2, 5)
    with pytest.raises(RuntimeError, match=rf"{name}\(3, 4\).*expected input \(\*, 3\), got"):
        layer(lamina.zeros(*shape))
    with pytest.raises(RuntimeError):
        getattr(torch.nn, name)(3, 4)(torch.zeros(*shape))


def test_bad_ranks_and_state_shapes_raise_torchs_types():
    lstm, torch_lstm = nn.LSTM(3, 4), torch.nn.LSTM(3, 4)
    for module in (lstm, torch_lstm):
        zeros = lamina.zeros if module is lstm else torch.zeros
        with pytest.raises(ValueError):
            module(zeros(1, 2, 3, 3))
        with pytest.raises(RuntimeError):  # h0 with the wrong hidden size
            module(zeros(5, 2, 3), (zeros(1, 2, 5), zeros(1, 2, 4)))
        with pytest.raises(RuntimeError):  # batched input, unbatched state
            module(zeros(5, 2, 3), (zeros(1, 4), zeros(1, 4)))
    with pytest.raises(RuntimeError, match=r"LSTM\(3, 4\).*hx\[0\] of shape \(1, 2, 4\)"):
        lstm(lamina.zeros(5, 2, 3), (lamina.zeros(1, 2, 5), lamina.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match=r"input dtype \(lamina.float64\) does not match"):
        lstm(lamina.zeros(5, 2, 3, dtype=lamina.float64))
    with pytest.raises(ValueError):
        torch_lstm(torch.zeros(5, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.GRU(3, 4, dropout=1.5)


# ---------------------------------------------------------------- summary
class _Tagger:
    """A tiny sequence tagger written once and built on either library."""

    @staticmethod
    def build(library):
        class Tagger(library.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = library.nn.LSTM(8, 16, num_layers=2, batch_first=True)
                self.head = library.nn.Linear(16, 4)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.head(out[:, -1])

        return Tagger()


def test_summary_of_an_lstm_model_matches_torchinfo():
    ours = lamina.summary(_Tagger.build(lamina), input_size=(2, 5, 8), verbose=0)
    theirs = torchinfo.summary(_Tagger.build(torch), input_size=(2, 5, 8), verbose=0)
    assert str(ours) == str(theirs)


def _same_initial_weights(build) -> bool:
    """Whether both libraries draw identical weights after manual_seed(0)."""
    torch.manual_seed(0)
    theirs = build(torch).state_dict()
    lamina.manual_seed(0)
    ours = build(lamina).state_dict()
    return list(ours) == list(theirs) and all(
        np.array_equal(ours[k].numpy(), theirs[k].numpy()) for k in theirs)


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2),
    lambda lib: lib.nn.GRU(3, 4, bias=False),
    lambda lib: lib.nn.RNNCell(3, 4),
    lambda lib: lib.nn.GRUCell(3, 4),
], ids=["lstm", "gru", "rnn_cell", "gru_cell"])
def test_seeded_init_draws_torchs_numbers(build):
    # lamina's generator follows torch's streams, and the layers draw in torch's order
    assert _same_initial_weights(build)
