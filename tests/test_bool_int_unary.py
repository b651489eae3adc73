"""Unary ops and activations on bool and integer tensors, against torch: the result's dtype and
values where torch computes, else torch's exception type and message (dualgrad may add a hint
after it). NOTE: [bool operands of unary ops] (_ops/kernels.py) and NOTE: [activations of
integers] (_ops/special.py) say why."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

VALUES = {
    "bool": [True, False, True],
    "int8": [-3, 0, 5],
    "uint8": [0, 3, 250],
    "int64": [-7, 0, 2],
}
VALUES["float32"] = [-1.5, 0.0, 2.5]

CALLS = {
    # the operator and the functions named in the issue
    "-x": lambda m, x: -x,
    "neg": lambda m, x: m.neg(x),
    "negative": lambda m, x: m.negative(x),
    "neg_": lambda m, x: x.clone().neg_(),
    "softmin": lambda m, x: m.nn.functional.softmin(x, dim=0),
    # the other element-wise unary ops: which promote, which keep the dtype, which raise
    "abs": lambda m, x: m.abs(x),
    "abs_": lambda m, x: x.clone().abs_(),
    "absolute": lambda m, x: m.absolute(x),
    "sign": lambda m, x: m.sign(x),
    "sign_": lambda m, x: x.clone().sign_(),
    "square": lambda m, x: m.square(x),
    "floor": lambda m, x: m.floor(x),
    "ceil": lambda m, x: m.ceil(x),
    "round": lambda m, x: m.round(x),
    "round_decimals": lambda m, x: m.round(x, decimals=1),
    "trunc": lambda m, x: m.trunc(x),
    "fix": lambda m, x: m.fix(x),
    "floor_": lambda m, x: x.clone().floor_(),
    "frac": lambda m, x: m.frac(x),
    "relu": lambda m, x: m.relu(x),
    "relu_": lambda m, x: x.clone().relu_(),
    "sqrt": lambda m, x: m.sqrt(x),
    "exp": lambda m, x: m.exp(x),
    "sin": lambda m, x: m.sin(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "tanh": lambda m, x: m.tanh(x),
    "reciprocal": lambda m, x: m.reciprocal(x),
    "bitwise_not": lambda m, x: m.bitwise_not(x),
    "logical_not": lambda m, x: m.logical_not(x),
    "selu": lambda m, x: m.selu(x),
    "celu": lambda m, x: m.celu(x),
}
_F = [
    "relu", "relu6", "elu", "selu", "celu", "leaky_relu", "hardtanh", "hardsigmoid", "hardswish",
    "silu", "mish", "softplus", "softsign", "gelu", "logsigmoid", "hardshrink", "softshrink",
    "tanhshrink", "rrelu",
]  # fmt: skip
CALLS.update({f"F.{n}": (lambda n: lambda m, x: getattr(m.nn.functional, n)(x))(n) for n in _F})
CALLS["F.threshold"] = lambda m, x: m.nn.functional.threshold(x, 0.5, 2.7)
CALLS["F.hardtanh_bounds"] = lambda m, x: m.nn.functional.hardtanh(x, -1.5, 1.5)
CALLS["F.glu"] = lambda m, x: m.nn.functional.glu(m.cat([x, x]), 0)
CALLS["F.relu_inplace"] = lambda m, x: m.nn.functional.relu(x.clone(), inplace=True)


def _outcome(m, call, dtype):
    x = m.tensor(VALUES[dtype], dtype=getattr(m, dtype))
    try:
        out = call(m, x)
    except Exception as e:  # noqa: BLE001 - the outcome is compared with torch's
        return ("raises", type(e).__name__, str(e))
    return ("value", str(out.dtype).split(".")[-1], np.asarray(out.tolist(), dtype=float))


@pytest.mark.parametrize("dtype", list(VALUES))
@pytest.mark.parametrize("name", list(CALLS))
def test_unary_on_bool_and_integers_as_torch(name, dtype):
    want = _outcome(torch, CALLS[name], dtype)
    got = _outcome(dg, CALLS[name], dtype)
    assert got[:2] == want[:2], (want, got)
    if want[0] == "raises":
        assert got[2].startswith(want[2]), (want[2], got[2])
    else:
        np.testing.assert_allclose(got[2], want[2], rtol=1e-6, atol=1e-6)


def test_bool_negation_says_how_to_invert_a_mask():
    with pytest.raises(RuntimeError, match=r"use the `~` or `logical_not\(\)` operator instead"):
        -dg.tensor([True, False])
