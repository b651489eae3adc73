"""conv_transpose1d/2d/3d with output_padding against torch: allowed below the stride or the
dilation (either; the extra windows read zeros), refused at or above both with torch's
message; values and gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

# (stride, dilation, output_padding)
CASES = [(2, 1, 1), (2, 1, 2), (1, 2, 1), (1, 2, 2), (2, 3, 2), (1, 1, 1), (3, 1, 2), (1, 3, 2)]


def _run(lib, nd, x, w, s, d, op):
    f = getattr(lib.nn.functional, f"conv_transpose{nd}d")
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    try:
        out = f(xt, wt, stride=s, dilation=d, output_padding=op)
    except RuntimeError as e:
        return str(e)
    (out * out).sum().backward()
    return [t.detach().numpy() for t in (out, xt.grad, wt.grad)]


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("s,d,op", CASES)
def test_output_padding_as_torch(nd, s, d, op):
    rng = np.random.default_rng(nd * 100 + s * 10 + d)
    x = rng.standard_normal((1, 2) + (4,) * nd)
    w = rng.standard_normal((2, 3) + (2,) * nd)
    want, got = _run(torch, nd, x, w, s, d, op), _run(dg, nd, x, w, s, d, op)
    if isinstance(want, str):
        assert got == want
        return
    for a, b in zip(got, want):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
