"""lamina.nn.utils.rnn (pad/pack and PackedSequence) and RNN/LSTM/GRU on packed input, vs torch."""

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn
from tests.helpers import assert_close, copy_module_weights

import lamina
import lamina.nn.utils.rnn as lrnn
from lamina.autograd import gradcheck

LOOSE = dict(rtol=1e-5, atol=1e-5)  # float32 through a few recurrent steps


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _leaves(array):
    return lamina.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _backward_both(ours, theirs, seed=0):
    """Backpropagate the same random weighting of each output pair through both."""
    rng = np.random.default_rng(seed)
    total_ours, total_theirs = 0, 0
    for a, b in zip(ours, theirs):
        weight = rng.standard_normal(tuple(b.shape)).astype(np.float32)
        total_ours = total_ours + (a * lamina.tensor(weight)).sum()
        total_theirs = total_theirs + (b * torch.tensor(weight)).sum()
    total_ours.backward()
    total_theirs.backward()


def _assert_packed_equal(ours, theirs, **tol):
    assert isinstance(ours, lrnn.PackedSequence)
    assert_close(ours.data, theirs.data, **tol)
    assert_close(ours.batch_sizes, theirs.batch_sizes)
    for mine, other in ((ours.sorted_indices, theirs.sorted_indices),
                        (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (mine is None) == (other is None)
        if other is not None:
            assert_close(mine, other)


# ------------------------------------------------------------------ pad / pack functions
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, 3, 2)).astype(np.float32) for n in (2, 5, 1)]
    pairs = [_leaves(a) for a in arrays]
    ours = lrnn.pad_sequence([p[0] for p in pairs], batch_first, -1.5, padding_side)
    theirs = trnn.pad_sequence([p[1] for p in pairs], batch_first, -1.5, padding_side)
    assert_close(ours, theirs)
    _backward_both([ours], [theirs])
    for a, b in pairs:
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_and_pad_round_trip_match_torch(batch_first, enforce_sorted, as_tensor):
    lengths = [5, 4, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4, 3]
    shape = (5, 6, 3) if batch_first else (6, 5, 3)  # one step of padding past the longest
    x_ours, x_theirs = _leaves(np.random.default_rng(2).standard_normal(shape)
                               .astype(np.float32))
    ours_lengths = lamina.tensor(lengths) if as_tensor else lengths
    theirs_lengths = torch.tensor(lengths) if as_tensor else lengths
    packed = lrnn.pack_padded_sequence(x_ours, ours_lengths, batch_first, enforce_sorted)
    packed_t = trnn.pack_padded_sequence(x_theirs, theirs_lengths, batch_first, enforce_sorted)
    _assert_packed_equal(packed, packed_t)
    padded, out_lengths = lrnn.pad_packed_sequence(packed, batch_first, 7.0, total_length=8)
    padded_t, out_lengths_t = trnn.pad_packed_sequence(packed_t, batch_first, 7.0,
                                                        total_length=8)
    assert_close(padded, padded_t)
    assert_close(out_lengths, out_lengths_t)
    _backward_both([padded, packed.data], [padded_t, packed_t.data])
    assert_close(x_ours.grad, x_theirs.grad)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_match_torch(enforce_sorted):
    rng = np.random.default_rng(3)
    sizes = (4, 3, 1) if enforce_sorted else (1, 4, 3)
    pairs = [_leaves(rng.standard_normal((n, 2)).astype(np.float32)) for n in sizes]
    packed = lrnn.pack_sequence([p[0] for p in pairs], enforce_sorted)
    packed_t = trnn.pack_sequence([p[1] for p in pairs], enforce_sorted)
    _assert_packed_equal(packed, packed_t)
    ours, theirs = lrnn.unpack_sequence(packed), trnn.unpack_sequence(packed_t)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    _backward_both(ours, theirs)
    for a, b in pairs:
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch(batch_first):
    shape = (3, 4, 2) if batch_first else (4, 3, 2)
    array = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    ours = lrnn.unpad_sequence(lamina.tensor(array), lamina.tensor([4, 1, 3]), batch_first)
    # torch's version transposes its argument in place, so hand it a copy
    theirs = trnn.unpad_sequence(torch.tensor(array), torch.tensor([4, 1, 3]), batch_first)
    for a, b in zip(ours, theirs, strict=True):
        assert_close(a, b)


def test_pad_functions_gradcheck_in_float64():
    rng = np.random.default_rng(5)
    a = lamina.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = lamina.tensor(rng.standard_normal((1, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: lrnn.pad_sequence([a, b], padding_side="left"), (a, b))
    x = lamina.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)

    def round_trip(x):
        packed = lrnn.pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False)
        return lrnn.pad_packed_sequence(packed, padding_value=2.0)[0]
    assert gradcheck(round_trip, (x,))


def test_packed_sequence_is_a_named_tuple_with_cheap_conversions():
    packed = lrnn.pack_sequence([lamina.ones(3, 2), lamina.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data is packed.data and sorted_indices is None and unsorted_indices is None
    assert batch_sizes.dtype == lamina.int64 and batch_sizes.tolist() == [2, 1, 1]
    assert packed.float() is packed and packed.to(lamina.float32) is packed
    doubled = packed.double()
    assert isinstance(doubled, lrnn.PackedSequence) and doubled.data.dtype == lamina.float64
    assert doubled.batch_sizes is packed.batch_sizes
    assert not packed.is_cuda and packed.cpu() is packed
    # unsorted_indices is derived from sorted_indices when not given, as in torch
    made = lrnn.PackedSequence(data, batch_sizes, lamina.tensor([1, 0, 2]))
    assert made.unsorted_indices.tolist() == [1, 0, 2]
    assert lrnn.invert_permutation(lamina.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert lamina.nn.utils.rnn is lrnn


@pytest.mark.parametrize("case", ["unsorted", "too_few_lengths", "zero_length", "2d_lengths"])
def test_pack_padded_sequence_errors_match_torch(case):
    lengths = {"unsorted": [1, 3, 2, 2], "too_few_lengths": [3, 2, 1],
               "zero_length": [3, 2, 2, 0], "2d_lengths": [[3, 2, 2, 1]]}[case]
    x = np.zeros((3, 4, 2), dtype=np.float32)
    with pytest.raises(RuntimeError) as theirs:
        trnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths))
    with pytest.raises(type(theirs.value)) as ours:
        lrnn.pack_padded_sequence(lamina.tensor(x), lamina.tensor(lengths))
    if case == "unsorted":
        assert str(ours.value) == str(theirs.value)


def test_other_errors_match_torch():
    packed = lrnn.pack_sequence([lamina.ones(3), lamina.ones(2)])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        lrnn.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(RuntimeError, match="empty list"):
        lrnn.pad_sequence([])
    with pytest.raises(RuntimeError, match="padding_side"):
        lrnn.pad_sequence([lamina.ones(2)], padding_side="middle")
    with pytest.raises(RuntimeError):
        trnn.pad_sequence([torch.ones(2, 3), torch.ones(2, 4)])
    with pytest.raises(RuntimeError, match="trailing shape"):
        lrnn.pad_sequence([lamina.ones(2, 3), lamina.ones(2, 4)])


# ------------------------------------------------------------------ recurrent layers
def _layer_pair(mode, **kwargs):
    theirs = getattr(torch.nn, mode)(3, 5, **kwargs)
    ours = getattr(lamina.nn, mode)(3, 5, **kwargs)
    copy_module_weights(theirs, ours)
    return ours, theirs


def _states(result):
    return list(result) if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
def test_recurrent_layer_on_packed_input_matches_torch(mode, bidirectional, num_layers,
                                                       batch_first, enforce_sorted):
    ours, theirs = _layer_pair(mode, num_layers=num_layers, bidirectional=bidirectional,
                               batch_first=batch_first)
    lengths = [6, 4, 4, 2, 1] if enforce_sorted else [2, 6, 1, 4, 3]
    shape = (5, 6, 3) if batch_first else (6, 5, 3)
    x_ours, x_theirs = _leaves(np.random.default_rng(6).standard_normal(shape)
                               .astype(np.float32))
    packed = lrnn.pack_padded_sequence(x_ours, lengths, batch_first, enforce_sorted)
    packed_t = trnn.pack_padded_sequence(x_theirs, lengths, batch_first, enforce_sorted)
    output, state = ours(packed)
    output_t, state_t = theirs(packed_t)
    _assert_packed_equal(output, output_t, **LOOSE)
    for a, b in zip(_states(state), _states(state_t), strict=True):
        assert_close(a, b, **LOOSE)
    _backward_both([output.data, *_states(state)], [output_t.data, *_states(state_t)])
    assert_close(x_ours.grad, x_theirs.grad, **LOOSE)
    for name, parameter in theirs.named_parameters():
        assert_close(getattr(ours, name).grad, parameter.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_packed_input_with_initial_state_and_projection_matches_torch(mode):
    kwargs = dict(bidirectional=True, num_layers=2)
    if mode == "LSTM":
        kwargs["proj_size"] = 2
    ours, theirs = _layer_pair(mode, **kwargs)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((n, 3)).astype(np.float32) for n in (3, 5, 1)]
    pairs = [_leaves(a) for a in arrays]
    hidden = 2 if mode == "LSTM" else 5
    state_arrays = [rng.standard_normal((4, 3, hidden)).astype(np.float32)]
    if mode == "LSTM":
        state_arrays.append(rng.standard_normal((4, 3, 5)).astype(np.float32))
    state_pairs = [_leaves(a) for a in state_arrays]
    hx = [p[0] for p in state_pairs]
    hx_t = [p[1] for p in state_pairs]
    packed = lrnn.pack_sequence([p[0] for p in pairs], enforce_sorted=False)
    packed_t = trnn.pack_sequence([p[1] for p in pairs], enforce_sorted=False)
    output, state = ours(packed, tuple(hx) if mode == "LSTM" else hx[0])
    output_t, state_t = theirs(packed_t, tuple(hx_t) if mode == "LSTM" else hx_t[0])
    _assert_packed_equal(output, output_t, **LOOSE)
    for a, b in zip(_states(state), _states(state_t), strict=True):
        assert_close(a, b, **LOOSE)
    _backward_both([output.data, *_states(state)], [output_t.data, *_states(state_t)])
    for a, b in pairs + state_pairs:
        assert_close(a.grad, b.grad, **LOOSE)


def test_packed_input_errors_name_the_layer():
    ours, theirs = _layer_pair("GRU")
    packed = lrnn.pack_sequence([lamina.ones(3, 4), lamina.ones(2, 4)])
    packed_t = trnn.pack_sequence([torch.ones(3, 4), torch.ones(2, 4)])
    with pytest.raises(RuntimeError):
        theirs(packed_t)
    with pytest.raises(RuntimeError, match="GRU"):
        ours(packed)
    packed = lrnn.pack_sequence([lamina.ones(3, 3), lamina.ones(2, 3)])
    packed_t = trnn.pack_sequence([torch.ones(3, 3), torch.ones(2, 3)])
    with pytest.raises(RuntimeError):
        theirs(packed_t, torch.zeros(1, 3, 5))
    with pytest.raises(RuntimeError, match="GRU"):
        ours(packed, lamina.zeros(1, 3, 5))
