"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with torch.nn's parameters.

Every layer and direction projects the whole input sequence with one matmul (the big GEMM),
then runs the recurrence one time step at a time (lamina.nn._functional.recurrent: a matmul
and one fused element-wise primitive per step). Parameter names, shapes and order are
torch's (`weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0` with proj_size), so
state_dicts interchange. A PackedSequence input runs the same steps on shrinking batches, so
each sequence stops (and its h_n/c_n is taken) at its own length.
"""

from __future__ import annotations

import math
import numbers
import warnings
from functools import partial

import numpy as np

import lamina
from lamina._tensor import Tensor
from lamina.nn import init
from lamina.nn._functional.dropout import dropout as _dropout
from lamina.nn._functional.linear import linear
from lamina.nn._functional.recurrent import gru_step, lstm_step, rnn_step, time_steps
from lamina.nn.modules._errors import ShapeError, describe, expect_last_dim
from lamina.nn.modules.module import Module
from lamina.nn.parameter import Parameter
from lamina.nn.utils.rnn import PackedSequence

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_rank(module, name: str, value: Tensor, ranks: tuple, what: str) -> None:
    if value.ndim not in ranks:
        raise ValueError(f"{describe(module)}: expected {name} to be "
                         f"{' or '.join(f'{r}D' for r in ranks)}, got {value.ndim}D {what}")


def _packed_steps(data: Tensor, batch_sizes: list) -> list:
    """The rows of packed data (sum(batch_sizes), G) belonging to each time step.

    One gather into a (T, N, G) grid, then one split into steps: slicing each step straight
    out of data would make every step's backward fill a zero array the size of all of data.
    """
    if not batch_sizes:
        return []
    batch = batch_sizes[0]
    rows = np.zeros((len(batch_sizes), batch), dtype=np.int64)  # unused cells point at row 0
    start = 0
    for t, n in enumerate(batch_sizes):
        rows[t, :n] = np.arange(start, start + n)
        start += n
    grid = data.index_select(0, lamina.as_tensor(rows.reshape(-1)))
    steps = time_steps(grid.reshape(len(batch_sizes), batch, data.shape[-1]))
    return [step if n == batch else step[:n] for step, n in zip(steps, batch_sizes)]


# ------------------------------------------------------------------------ multi-layer layers
class RNNBase(Module):
    """The shared body of RNN, LSTM and GRU: parameters per layer and direction, and the loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)  # the user's line, past RNN/LSTM/GRU.__init__
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout = float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        state_size = proj_size or hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else state_size * directions
            for direction in range(directions):
                suffix = "_reverse" if direction else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, state_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(lamina.empty(*shape, dtype=dtype,
                                                               device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch draws every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op, as torch on CPU: there is no cuDNN weight buffer to compact."""

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # ---------------------------------------------------------------- forward
    def forward(self, input: Tensor, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        _check_rank(self, "input", input, (2, 3), "tensor")
        expect_last_dim(self, input, self.input_size, hint=lambda: (
            f"input_size should be {input.shape[-1]}, or the input should carry "
            f"{self.input_size} features in its last dim"))
        self._check_input_dtype(input)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)  # (L, 1, H_in): the recurrence always runs time-major
        elif self.batch_first:
            input = input.transpose(0, 1)
        batch = input.shape[1]
        states = self._initial_states(hx, batched, batch, input)
        output, final = self._run(input, states)
        if not batched:
            output = output.squeeze(1)
            final = [state.squeeze(1) for state in final]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (tuple(final) if self.mode == "LSTM" else final[0])

    def _forward_packed(self, input: PackedSequence, hx):
        """Run over a PackedSequence; each sequence stops at its own length, as in torch.

        hx and the returned states are in the caller's batch order; the recurrence runs in
        the packed (longest first) order, so they are permuted on the way in and out.
        """
        data = input.data
        _check_rank(self, "input", data, (2,), "PackedSequence data")
        expect_last_dim(self, data, self.input_size)
        self._check_input_dtype(data)
        batch_sizes = [int(n) for n in input.batch_sizes.tolist()]
        states = self._initial_states(hx, True, batch_sizes[0] if batch_sizes else 0, data)
        if input.sorted_indices is not None:
            states = [state.index_select(1, input.sorted_indices) for state in states]
        output, final = self._run(data, states, batch_sizes)
        if input.unsorted_indices is not None:
            final = [state.index_select(1, input.unsorted_indices) for state in final]
        output = PackedSequence(output, input.batch_sizes, input.sorted_indices,
                                input.unsorted_indices)
        return output, (tuple(final) if self.mode == "LSTM" else final[0])

    def _check_input_dtype(self, input: Tensor) -> None:
        weight = self.weight_ih_l0
        if input._array.dtype != weight._array.dtype:
            raise ValueError(f"{describe(self)}: input dtype ({input.dtype}) does not match "
                             f"weight dtype ({weight.dtype}). Hint: convert the input with "
                             f".to({weight.dtype}), or the model with .to({input.dtype})")

    def _state_shapes(self, batch: int) -> list:
        rows = self.num_layers * (2 if self.bidirectional else 1)
        if self.mode == "LSTM":
            return [(rows, batch, self.proj_size or self.hidden_size),
                    (rows, batch, self.hidden_size)]
        return [(rows, batch, self.hidden_size)]

    def _initial_states(self, hx, batched: bool, batch: int, input: Tensor) -> list:
        shapes = self._state_shapes(batch)
        if hx is None:
            return [lamina.zeros(*shape, dtype=input.dtype) for shape in shapes]
        given = list(hx) if self.mode == "LSTM" else [hx]
        if len(given) != len(shapes):
            raise RuntimeError(f"{describe(self)}: expected hx as a tuple (h_0, c_0), got "
                               f"{len(given)} tensor(s)")
        states = []
        for index, (state, shape) in enumerate(zip(given, shapes)):
            rank = 3 if batched else 2
            if state.ndim != rank:
                raise RuntimeError(
                    f"{describe(self)}: for {'batched 3' if batched else 'unbatched 2'}-D "
                    f"input, hx should also be {rank}-D but got {state.ndim}-D tensor")
            if not batched:
                state = state.unsqueeze(1)
            if tuple(state.shape) != shape:
                name = f"hx[{index}]" if self.mode == "LSTM" else "hx"
                expected = shape if batched else (shape[0], shape[2])
                raise ShapeError(self, f"{name} of shape {expected}",
                                 tuple(state.squeeze(1).shape if not batched else state.shape),
                                 hint="states are (num_layers * num_directions, batch, "
                                      "hidden) and never batch_first")
            states.append(state)
        return states

    def _run(self, input: Tensor, states: list, batch_sizes: list | None = None):
        directions = 2 if self.bidirectional else 1
        # row k of each state is layer k // directions, direction k % directions
        per_row = [time_steps(state) for state in states]
        finals = [[] for _ in states]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                row = layer * directions + direction
                weights = [getattr(self, name) for name in self._all_weights[row]]
                run = self._direction if batch_sizes is None else partial(
                    self._packed_direction, batch_sizes=batch_sizes)
                sequence, last = run(layer_input, [s[row] for s in per_row], weights,
                                     reverse=direction == 1)
                outputs.append(sequence)
                for store, value in zip(finals, last):
                    store.append(value)
            layer_input = outputs[0] if directions == 1 else lamina.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, True)
        return layer_input, [lamina.stack(store, 0) for store in finals]

    def _step(self, weights: list):
        """Split a direction's weights; return (input projection, step(x, *state) -> state)."""
        if self.bias:
            weight_ih, weight_hh, bias_ih, bias_hh, *rest = weights
        else:
            (weight_ih, weight_hh, *rest), bias_ih, bias_hh = weights, None, None
        weight_hr = rest[0] if rest else None

        def project(input: Tensor) -> Tensor:
            return linear(input, weight_ih, bias_ih)

        if self.mode == "LSTM":
            def step(x, h, c):
                return lstm_step(x, h, c, weight_hh, bias_hh, weight_hr)
        elif self.mode == "GRU":
            def step(x, h):
                return (gru_step(x, h, weight_hh, bias_hh),)
        else:
            nonlinearity = "relu" if self.mode == "RNN_RELU" else "tanh"

            def step(x, h):
                return (rnn_step(x, h, weight_hh, bias_hh, nonlinearity),)
        return project, step

    def _direction(self, input: Tensor, state: list, weights: list, reverse: bool):
        """Run one layer in one direction over (L, N, H_in); return (L, N, H) and final states."""
        project, step = self._step(weights)
        steps = time_steps(project(input))
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        outputs = [None] * len(steps)
        for t in order:
            state = step(steps[t], *state)
            outputs[t] = state[0]
        return lamina.stack(outputs, 0), tuple(state)

    def _packed_direction(self, input: Tensor, state: list, weights: list, reverse: bool,
                          batch_sizes: list):
        """One layer and direction over packed data (sum(batch_sizes), H_in).

        Step t updates only the first batch_sizes[t] rows (the sequences still running).
        Forwards, rows leave as their sequences end, and their state at that moment is final;
        in reverse, rows join with their initial state as their sequences begin.
        """
        project, step = self._step(weights)
        steps = _packed_steps(project(input), batch_sizes)
        outputs = [None] * len(steps)
        if reverse:
            initial, running = state, [s[:batch_sizes[-1]] for s in state] if steps else state
            for t in range(len(steps) - 1, -1, -1):
                have, need = running[0].shape[0], batch_sizes[t]
                if need > have:
                    running = [lamina.cat([s, s0[have:need]], 0)
                               for s, s0 in zip(running, initial)]
                running = step(steps[t], *running)
                outputs[t] = running[0]
            return lamina.cat(outputs, 0), tuple(running)
        running, finished = list(state), []
        for t, need in enumerate(batch_sizes):
            have = running[0].shape[0]
            if need < have:
                finished.append([s[need:have] for s in running])
                running = [s[:need] for s in running]
            running = step(steps[t], *running)
            outputs[t] = running[0]
        finished.append(running)
        # pieces were set aside from the highest rows down; stack them back in row order
        last = tuple(lamina.cat([piece[k] for piece in reversed(finished)], 0)
                     for k in range(len(state)))
        return lamina.cat(outputs, 0), last


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) (or relu), per layer.

    input (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in); h_0
    (num_layers * num_directions, N, hidden_size). Returns (output, h_n) as torch.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory over a sequence; hx and the returned state are (h, c) pairs.

    With proj_size > 0, h is projected by weight_hr to proj_size features (and so are the
    outputs and h_n); c keeps hidden_size.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit over a sequence: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# ------------------------------------------------------------------------ cells
class RNNCellBase(Module):
    """weight_ih (G, input_size), weight_hh (G, hidden_size) and optional biases, G = k * H."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(lamina.empty(gate_size, input_size, dtype=dtype,
                                                device=device))
        self.weight_hh = Parameter(lamina.empty(gate_size, hidden_size, dtype=dtype,
                                                device=device))
        if bias:
            self.bias_ih = Parameter(lamina.empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(lamina.empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _prepare(self, input: Tensor, states: list):
        """Check shapes; return (input, states) as 2-D and whether the input was batched."""
        _check_rank(self, "input", input, (1, 2), "input")
        expect_last_dim(self, input, self.input_size)
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        out = []
        for size, state in zip(self._state_sizes(), states):
            if state is None:
                state = lamina.zeros(input.shape[0], size, dtype=input.dtype)
            else:
                _check_rank(self, "hidden", state, (1, 2), "hidden")
                if not batched:
                    state = state.unsqueeze(0)
                if tuple(state.shape) != (input.shape[0], size):
                    raise ShapeError(self, f"hidden of shape ({input.shape[0]}, {size})",
                                     tuple(state.shape))
            out.append(state)
        return input, out, batched

    def _state_sizes(self) -> tuple:
        return (self.hidden_size,)


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, (h,), batched = self._prepare(input, [hx])
        h = rnn_step(linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c') from input and hx = (h, c) (zeros when omitted)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def _state_sizes(self) -> tuple:
        return (self.hidden_size, self.hidden_size)

    def forward(self, input: Tensor, hx=None):
        input, (h, c), batched = self._prepare(input, [None, None] if hx is None else list(hx))
        h, c = lstm_step(linear(input, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: h' = (1 - z) * n + z * h."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, [hx])
        h = gru_step(linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh)
        return h if batched else h.squeeze(0)
