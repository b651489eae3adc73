"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence)
against torch's: values, PackedSequence fields, gradients back to the sequences, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

RNG = np.random.default_rng(5)


def _seqs(lengths, tail=(3,)):
    return [RNG.standard_normal((n,) + tail) for n in lengths]


def _run(lib, arrays, fn):
    """fn's results (as arrays) and the gradients of a weighted sum of its first result."""
    seqs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib.nn.utils.rnn, seqs)
    first = out[0] if isinstance(out, tuple) else out
    weights = np.arange(first.numel(), dtype=np.float64).reshape(tuple(first.shape))
    (first * lib.tensor(weights)).sum().backward()
    flat = [np.asarray(v.detach().numpy()) for v in (out if isinstance(out, tuple) else (out,))]
    return flat, [s.grad.numpy() for s in seqs]


CASES = [
    ("pad", (2, 5, 3), lambda R, s: R.pad_sequence(s)),
    ("pad-batch-first", (4, 1), lambda R, s: R.pad_sequence(s, batch_first=True, padding_value=-2)),
    ("pad-left", (2, 3), lambda R, s: R.pad_sequence(s, padding_side="left", padding_value=7.0)),
    ("pack-sorted", (5, 3, 3, 1), lambda R, s: tuple(R.pack_sequence(s)[:2])),
    ("pack-unsorted", (2, 5, 3), lambda R, s: tuple(R.pack_sequence(s, enforce_sorted=False))),
    (
        "pack-padded-batch-first",
        (3, 4, 1),
        lambda R, s: tuple(
            R.pack_padded_sequence(
                R.pad_sequence(s, batch_first=True), [3, 4, 1], True, enforce_sorted=False
            )
        ),
    ),
    (
        "round-trip",
        (2, 5, 3),
        lambda R, s: R.pad_packed_sequence(R.pack_sequence(s, enforce_sorted=False), True, -1.0, 7),
    ),
    ("round-trip-sorted", (4, 2, 2), lambda R, s: R.pad_packed_sequence(R.pack_sequence(s))),
]


@pytest.mark.parametrize("name,lengths,fn", CASES, ids=[c[0] for c in CASES])
def test_rnn_utils_match_torch(name, lengths, fn):
    arrays = _seqs(lengths)
    (t_out, t_grads), (d_out, d_grads) = _run(torch, arrays, fn), _run(dg, arrays, fn)
    assert len(t_out) == len(d_out)
    for a, b in zip(d_out, t_out):
        np.testing.assert_allclose(a, b, atol=1e-12)
        assert a.dtype == b.dtype
    for a, b in zip(d_grads, t_grads):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_packed_sequence_is_torch_s_namedtuple():
    d = dg.nn.utils.rnn.pack_sequence([dg.ones(2, 1), dg.ones(3, 1)], enforce_sorted=False)
    assert d._fields == torch.nn.utils.rnn.PackedSequence._fields
    assert d.unsorted_indices.tolist() == [1, 0] and d.batch_sizes.dtype == dg.int64


@pytest.mark.parametrize(
    "call,error,phrase",
    [
        (
            lambda R, m: R.pack_padded_sequence(m.zeros(3, 2), [1, 3]),
            RuntimeError,
            "must be sorted in decreasing order",
        ),
        (
            lambda R, m: R.pack_padded_sequence(m.zeros(3, 2), [3, 0]),
            RuntimeError,
            "Length of all samples has to be greater than 0",
        ),
        (
            lambda R, m: R.pad_packed_sequence(R.pack_sequence([m.zeros(3)]), total_length=2),
            ValueError,
            "Expected total_length to be at least the length of the longest sequence",
        ),
        (
            lambda R, m: R.pad_sequence([m.zeros(2)], padding_side="up"),
            RuntimeError,
            "Expected padding_side to be one of left or right",
        ),
    ],
)
def test_rnn_utils_errors_as_torch(call, error, phrase):
    for m in (torch, dg):
        with pytest.raises(error, match=phrase):
            call(m.nn.utils.rnn, m)
