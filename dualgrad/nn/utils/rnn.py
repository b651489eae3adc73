"""Variable-length sequences (torch.nn.utils.rnn): padding a list of sequences into one
tensor, and the packed form (time-major rows of the sequences still running at each step).

Every function is made of differentiable ops (pad, stack, cat, indexing), so gradients flow
from a padded or packed result back to the sequences. The recurrent layers take padded
tensors; they do not read a PackedSequence yet.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

import dualgrad as _dg

from .. import functional as F

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
]


class PackedSequence(
    namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])
):
    """``data`` holds, step by step, the rows of the sequences still running (longest first);
    ``batch_sizes[t]`` is how many there are at step ``t``."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return type(self)(self.data.to(*args, **kwargs), *self[1:])

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _invert(perm):
    out = np.empty(len(perm), dtype=np.int64)
    out[np.asarray(perm.tolist())] = np.arange(len(perm))
    return _dg.tensor(out)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shape (L_i, *) into (T, B, *) (or (B, T, *)), padding each to the
    longest with ``padding_value`` on ``padding_side``.

    >>> import dualgrad as dg
    >>> from dualgrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([dg.tensor([1.0, 2.0]), dg.tensor([3.0])], batch_first=True)
    tensor([[1., 2.],
            [3., 0.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    sequences = list(sequences)
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(F.pad(s, tuple(widths), value=padding_value) if extra else s)
    return _dg.stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded (T, B, *) (or (B, T, *)) batch whose sequence ``b`` has ``lengths[b]``
    steps."""
    lengths = np.asarray(lengths.tolist() if hasattr(lengths, "tolist") else lengths, np.int64)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX exportability."
            )
        sorted_indices = None
        order = np.arange(len(lengths))
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _dg.tensor(order)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    x = input.transpose(0, 1) if batch_first else input
    if lengths.size and lengths.max() > x.shape[0]:
        raise RuntimeError(
            f"Expected sequence length to be larger than or equal to the longest length "
            f"{lengths.max()}, but got {x.shape[0]}"
        )
    ranked = lengths[order]
    batch_sizes = [int((ranked > t).sum()) for t in range(int(ranked[0]))]
    rows = _dg.tensor(order)
    data = _dg.cat([x[t][rows[:n]] for t, n in enumerate(batch_sizes)], 0)
    return PackedSequence(data, _dg.tensor(batch_sizes, dtype=_dg.int64), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: the padded batch and the lengths, in the order of
    the batch that was packed."""
    data, batch_sizes = sequence.data, [int(b) for b in sequence.batch_sizes.tolist()]
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being {steps}"
            )
    else:
        total_length = steps
    batch = batch_sizes[0]
    tail = tuple(data.shape[1:])
    pieces, offset = [], 0
    for n in batch_sizes + [0] * (total_length - steps):
        row = data[offset : offset + n]
        if n < batch:
            row = _dg.cat([row, _dg.full((batch - n,) + tail, padding_value, dtype=data.dtype)])
        pieces.append(row)
        offset += n
    padded = _dg.stack(pieces, 0)  # (T, B, *) in sorted order
    sizes = np.asarray(batch_sizes)
    lengths = np.array([(sizes > b).sum() for b in range(batch)], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded[:, sequence.unsorted_indices]
        lengths = lengths[np.asarray(sequence.unsorted_indices.tolist())]
    return (padded.transpose(0, 1) if batch_first else padded), _dg.tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) sequences (pad_sequence then pack_padded_sequence)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
