"""Convolutions cut into batch chunks (NOTE: [convolutions in batch chunks] in
nn/functional.py) give the bits of one call over the whole batch, and its gradients up to the
order of summation: the weight's gradient adds the chunks' sums."""

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.nn.functional as F

CASES = {
    "conv2d": (lambda x, w: F.conv2d(x, w, stride=2, padding=1), (5, 4, 9, 8), (6, 4, 3, 3)),
    "conv2d_groups": (lambda x, w: F.conv2d(x, w, groups=2), (5, 4, 7, 7), (6, 2, 3, 2)),
    "conv_transpose2d": (
        lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        (5, 4, 6, 5),
        (4, 3, 3, 3),
    ),
    "conv_transpose2d_groups": (
        lambda x, w: F.conv_transpose2d(x, w, groups=2),
        (5, 4, 6, 5),
        (4, 3, 2, 3),
    ),
    "conv3d": (lambda x, w: F.conv3d(x, w, padding=1), (3, 2, 4, 5, 5), (3, 2, 2, 3, 3)),
    "conv_transpose3d": (
        lambda x, w: F.conv_transpose3d(x, w, stride=(2, 1, 1), padding=(0, 1, 1)),
        (3, 2, 4, 5, 5),
        (2, 3, 3, 3, 2),
    ),
}


def _run(fn, x, w):
    x = dg.tensor(x, requires_grad=True)
    w = dg.tensor(w, requires_grad=True)
    y = fn(x, w)
    (y * y).sum().backward()
    return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()


@pytest.mark.parametrize("name", CASES)
def test_chunked_convolution_is_the_whole_batch(name, monkeypatch):
    fn, xs, ws = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    whole = _run(fn, x, w)
    calls = []
    original = F._in_batch_chunks

    def counting(input, per_sample_bytes, convolve):
        calls.append(input.shape[0])
        return original(input, per_sample_bytes, convolve)

    monkeypatch.setattr(F, "_in_batch_chunks", counting)
    monkeypatch.setattr(F, "_CHUNK_BYTES", 1)  # one sample a chunk
    chunked = _run(fn, x, w)
    assert calls and calls[0] > 1  # the batch was cut
    np.testing.assert_array_equal(whole[0], chunked[0])
    for a, b in zip(whole[1:], chunked[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(a).max())
