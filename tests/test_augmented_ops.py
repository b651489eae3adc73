"""Every augmented assignment operator (``x op= y``) against torch's: written in place (the same
object, the version counter moves, a view of x sees the write) or refused with torch's error;
``@=`` has no in-place form in torch (x is rebound to a new tensor), nor here. Also the bool
operands torch has no kernel for (shifts, pow, subtraction, matrix products)."""

from __future__ import annotations

import operator

import pytest
import torch

import dualgrad as dg

OPS = (
    "iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "iand", "ior", "ixor",
    "ilshift", "irshift", "imatmul",
)  # fmt: skip
DTYPES = [
    ("int64", "int64"),
    ("int64", "bool"),
    ("bool", "bool"),
    ("int32", "int64"),
    ("uint8", "int64"),
    ("float32", "float32"),
    ("float32", "int64"),
    ("int64", "float32"),
    ("float64", "float32"),
]


def _run(lib, op, x_dtype, y_dtype, scalar):
    x = lib.tensor([[6, 3], [5, 2]], dtype=getattr(lib, x_dtype))
    view, before, x0 = x[0], x._version, x
    if scalar:
        y = True if y_dtype == "bool" else 3
    else:
        y = lib.tensor([[1, 2], [3, 1]], dtype=getattr(lib, y_dtype))
    try:
        x = getattr(operator, op)(x, y)
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    dtype = str(x.dtype).split(".")[-1]
    return x is x0, x._version - before, dtype, x.tolist(), view.tolist()


@pytest.mark.parametrize("op", OPS)
def test_augmented_assignment_as_torch(op):
    for x_dtype, y_dtype in DTYPES:
        for scalar in (False, True):
            want = _run(torch, op, x_dtype, y_dtype, scalar)
            got = _run(dg, op, x_dtype, y_dtype, scalar)
            case = (op, x_dtype, y_dtype, scalar)
            assert got[0] == want[0], (case, got, want)
            if isinstance(want[0], str):
                # the same exception; torch's key phrase where the messages are torch's
                if want[0] != "TypeError" and "same dtype" not in want[1]:
                    phrase = want[1].split(" (")[0][:45]
                    assert phrase in got[1], (case, got[1], want[1])
            else:
                assert got == want, case


def test_bitwise_inplace_under_autograd_views():
    # the case: &= on a tensor whose view is read afterwards
    for lib in (torch, dg):
        m = lib.tensor([True, True, False])
        v = m[:2]
        m &= lib.tensor([False, True, True])
        assert v.tolist() == [False, True]


@pytest.mark.parametrize(
    "call",
    [
        lambda m, b: b << b,
        lambda m, b: b[0] >> True,
        lambda m, b: b >> 1,
        lambda m, b: b - b,
        lambda m, b: b - True,
        lambda m, b: b - 1,
        lambda m, b: b**b,
        lambda m, b: True**b,
        lambda m, b: b @ b,
        lambda m, b: b.mm(b),
        lambda m, b: b[0].dot(b[0]),
        lambda m, b: m.nn.functional.linear(b, b),
    ],
)
def test_bool_operands_as_torch(call):
    out = []
    for lib in (torch, dg):
        b = lib.tensor([[True, False], [False, True]])
        try:
            r = call(lib, b)
            out.append(("ok", str(r.dtype).split(".")[-1], r.tolist()))
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    assert out[1][0] == out[0][0], out
    if out[0][0] == "ok":
        assert out[1] == out[0]
    else:
        assert "not implemented for 'Bool'" in out[1][1] or out[0][1][:40] in out[1][1], out
