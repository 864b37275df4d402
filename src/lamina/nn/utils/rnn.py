"""Variable-length sequences for recurrent layers: padding, packing and PackedSequence.

A packed sequence stores the time steps of a batch of sequences, sorted longest first, one
after another: step 0 of every sequence, then step 1 of those at least two long, and so on.
`batch_sizes[t]` counts the sequences still running at step t. Every conversion here moves
rows with one gather (`index_select` on a flattened view) plus `cat`, so gradients flow back
to the inputs through ordinary lamina ops.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

import lamina
from lamina._tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A packed batch of sequences: (data, batch_sizes, sorted_indices, unsorted_indices).

    data is (sum(batch_sizes), *); batch_sizes is int64 with one count per time step;
    sorted_indices maps sorted position -> original batch position (None when the input was
    already sorted) and unsorted_indices is its inverse. Build one with pack_padded_sequence
    or pack_sequence rather than by hand.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch also accepts the pair (data, batch_sizes) as data
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Convert data as Tensor.to does; returns self when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self.to("cpu", *args, **kwargs)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to("cuda", *args, **kwargs)

    def pin_memory(self) -> PackedSequence:
        return self  # lamina's memory is ordinary host memory

    def is_pinned(self) -> bool:
        return False

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def double(self) -> PackedSequence:
        return self.to(dtype=lamina.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=lamina.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=lamina.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=lamina.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=lamina.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=lamina.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=lamina.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=lamina.uint8)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation q with q[permutation[i]] = i, or None for None."""
    if permutation is None:
        return None
    order = np.asarray(permutation._array)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size, dtype=order.dtype)
    return lamina.as_tensor(inverse)


def _gather_rows(source: Tensor, rows: np.ndarray, shape: tuple) -> Tensor:
    """source[rows] (rows along dim 0) reshaped to shape: one differentiable gather."""
    picked = source.index_select(0, lamina.as_tensor(rows.reshape(-1).astype(np.int64)))
    return picked.reshape(*shape)


def _with_padding_row(data: Tensor, padding_value) -> Tensor:
    """data (n, *) with one extra row of padding_value at index n, for gathers to point at."""
    pad = lamina.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    return lamina.cat([data, pad], 0)


def _check_lengths(lengths: np.ndarray, batch: int, steps: int) -> None:
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lengths.size and lengths.max() > steps:
        # torch reads past the end of the input here; we refuse instead
        raise RuntimeError(f"pack_padded_sequence: a length of {int(lengths.max())} is "
                           f"longer than the input's {steps} time steps")


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) given each length."""
    if isinstance(lengths, Tensor):
        lengths = np.asarray(lengths._array).astype(np.int64)
    else:
        lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.ndim}D tensor")
    batch_dim = 0 if batch_first else 1
    if input.ndim < 2:
        raise RuntimeError(f"pack_padded_sequence: expected input of at least 2 dims "
                           f"(time and batch), got {input.ndim}D")
    batch, steps = input.shape[batch_dim], input.shape[1 - batch_dim]
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices, order = None, np.arange(lengths.size)
    else:
        order = np.argsort(-lengths, kind="stable")  # ties keep their order, as torch on CPU
        sorted_indices = lamina.as_tensor(order.astype(np.int64))
    _check_lengths(lengths, batch, steps)
    lengths = lengths[order]
    max_length = int(lengths[0]) if lengths.size else 0
    batch_sizes = (lengths[None, :] > np.arange(max_length)[:, None]).sum(1).astype(np.int64)
    # row of input.reshape(-1, *) holding step t of original sequence b
    if batch_first:
        position = lambda t, b: b * steps + t  # noqa: E731
    else:
        position = lambda t, b: t * batch + b  # noqa: E731
    rows = np.concatenate([position(t, order[:n]) for t, n in enumerate(batch_sizes)]
                          or [np.zeros(0, dtype=np.int64)])
    flat = input.reshape(-1, *input.shape[2:])
    data = _gather_rows(flat, rows, (rows.size, *input.shape[2:]))
    return PackedSequence(data, lamina.as_tensor(batch_sizes), sorted_indices, None)


def _packed_lengths(batch_sizes: np.ndarray) -> np.ndarray:
    """Each sorted sequence's length: how many steps still include its row."""
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    return (batch_sizes[:, None] > np.arange(batch)[None, :]).sum(0).astype(np.int64)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Undo pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths) in input order."""
    batch_sizes = np.asarray(sequence.batch_sizes._array).astype(np.int64)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    # where step t of sorted sequence b sits in data, or the padding row past the end
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(np.int64)
    rows = np.full((steps, batch), data.shape[0], dtype=np.int64)
    for t, (start, n) in enumerate(zip(starts, batch_sizes)):
        rows[t, :n] = start + np.arange(n)
    lengths = _packed_lengths(batch_sizes)
    if sequence.unsorted_indices is not None:
        order = np.asarray(sequence.unsorted_indices._array)
        rows, lengths = rows[:, order], lengths[order]
    if batch_first:
        rows = rows.T
    padded = _gather_rows(_with_padding_row(data, padding_value), rows,
                          (*rows.shape, *data.shape[1:]))
    return padded, lamina.as_tensor(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padded."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    trailing = tuple(sequences[0].shape[1:])
    for sequence in sequences[1:]:
        if tuple(sequence.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing shape "
                               f"{trailing} of the first, got {tuple(sequence.shape)}")
    lengths = [sequence.shape[0] for sequence in sequences]
    steps, total = max(lengths), sum(lengths)
    rows = np.full((len(sequences), steps), total, dtype=np.int64)
    start = 0
    for b, n in enumerate(lengths):
        offset = 0 if padding_side == "right" else steps - n
        rows[b, offset:offset + n] = start + np.arange(n)
        start += n
    if not batch_first:
        rows = rows.T
    source = _with_padding_row(lamina.cat(list(sequences), 0), padding_value)
    return _gather_rows(source, rows, (*rows.shape, *trailing))


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into a list of its sequences, each (L_i, *).

    torch transposes padded_sequences in place when batch_first is False; lamina leaves
    the input as it was.
    """
    lengths = [int(n) for n in (lengths.tolist() if isinstance(lengths, Tensor) else lengths)]
    if len(lengths) != padded_sequences.shape[0 if batch_first else 1]:
        raise ValueError("unpad_sequence: lengths must have one entry per sequence in the "
                         "batch")
    if batch_first:
        return [padded_sequences[b, :n] for b, n in enumerate(lengths)]
    return [padded_sequences[:n, b] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *) directly (longest first unless enforce_sorted=False)."""
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
