"""Every op with a ``dtype=`` argument converts its input to ``dtype`` before the op, as torch
does (NOTE: [dtype= casts first] in dualgrad/_ops/reduction.py): values, result dtypes, the
Tensor methods, ``out=``, in-place variants, gradients and torch's errors, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

# name: call(lib, x, dtype)
CALLS = {
    "sum": lambda m, x, dt: m.sum(x, dtype=dt),
    "sum_dim": lambda m, x, dt: m.sum(x, 0, dtype=dt),
    "Tensor.sum": lambda m, x, dt: x.sum(dtype=dt),
    "prod": lambda m, x, dt: m.prod(x, dtype=dt),
    "prod_dim": lambda m, x, dt: m.prod(x, 0, dtype=dt),
    "Tensor.prod": lambda m, x, dt: x.prod(dtype=dt),
    "cumsum": lambda m, x, dt: m.cumsum(x, 0, dtype=dt),
    "Tensor.cumsum": lambda m, x, dt: x.cumsum(0, dtype=dt),
    "cumprod": lambda m, x, dt: m.cumprod(x, 0, dtype=dt),
    "Tensor.cumprod": lambda m, x, dt: x.cumprod(0, dtype=dt),
    "mean": lambda m, x, dt: m.mean(x, dtype=dt),
    "Tensor.mean": lambda m, x, dt: x.mean(0, dtype=dt),
    "nansum": lambda m, x, dt: m.nansum(x, dtype=dt),
    "nanmean": lambda m, x, dt: m.nanmean(x, dtype=dt),
    "softmax": lambda m, x, dt: m.softmax(x, 0, dtype=dt),
    "log_softmax": lambda m, x, dt: m.log_softmax(x, 0, dtype=dt),
    "F.softmax": lambda m, x, dt: m.nn.functional.softmax(x, 0, dtype=dt),
    "F.log_softmax": lambda m, x, dt: m.nn.functional.log_softmax(x, 0, dtype=dt),
    "norm": lambda m, x, dt: m.norm(x, dtype=dt),
    "norm_p1": lambda m, x, dt: m.norm(x, p=1, dim=0, dtype=dt),
    "linalg.vector_norm": lambda m, x, dt: m.linalg.vector_norm(x, dtype=dt),
    "linalg.norm": lambda m, x, dt: m.linalg.norm(x, dtype=dt),
    "linalg.matrix_norm": lambda m, x, dt: m.linalg.matrix_norm(x.reshape(1, -1), dtype=dt),
    "sum_out": lambda m, x, dt: m.sum(x, 0, dtype=dt, out=m.empty((), dtype=dt)),
    "prod_out": lambda m, x, dt: m.prod(x, 0, dtype=dt, out=m.empty((), dtype=dt)),
    "cumsum_out": lambda m, x, dt: m.cumsum(x, 0, dtype=dt, out=m.empty((2,), dtype=dt)),
    "cumprod_out": lambda m, x, dt: m.cumprod(x, 0, dtype=dt, out=m.empty((2,), dtype=dt)),
    "nansum_out": lambda m, x, dt: m.nansum(x, 0, dtype=dt, out=m.empty((), dtype=dt)),
    "sum_out_other": lambda m, x, dt: m.sum(x, 0, dtype=dt, out=m.empty((), dtype=m.int16)),
    "cumsum_": lambda m, x, dt: x.clone().cumsum_(0, dtype=dt),
    "cumprod_": lambda m, x, dt: x.clone().cumprod_(0, dtype=dt),
}
# (values, input dtype, dtype=): 0.5 + 1.5 is 2 but int(0.5) + int(1.5) is 1; int8 wraps
INPUTS = [
    ([0.5, 1.5], "float32", "int64"),
    ([0.5, 1.7], "float64", "int32"),
    ([2.5, 3.5], "float32", "uint8"),
    ([100, 100], "int64", "int8"),
    ([0.5, 1.7], "float64", "float16"),
    ([0.5, 1.7], "float64", "float32"),
    ([0.5, 1.7], "float32", "float64"),
    ([3, 5], "int64", "float32"),
    ([1e10, 1e10], "float64", "float32"),
    ([True, True], "bool", "float64"),
    ([1.0, float("nan")], "float32", "float64"),
]


def _run(lib, call, vals, x_dtype, dtype):
    x = lib.tensor(vals, dtype=getattr(lib, x_dtype))
    try:
        out = call(lib, x, getattr(lib, dtype))
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    return str(out.dtype).split(".")[-1], np.asarray(out.tolist(), dtype=float).round(3).tolist()


@pytest.mark.parametrize("name", CALLS)
def test_dtype_converts_first_as_torch(name):
    for vals, x_dtype, dtype in INPUTS:
        want = _run(torch, CALLS[name], vals, x_dtype, dtype)
        got = _run(dg, CALLS[name], vals, x_dtype, dtype)
        case = (name, vals, x_dtype, dtype)
        assert got[0] == want[0], case
        if want[0] in ("RuntimeError", "NotImplementedError", "TypeError"):
            assert want[1][:40] in got[1], (case, got[1])
        else:
            np.testing.assert_allclose(got[1], want[1], rtol=2e-3, err_msg=str(case))


def test_sum_dtype_is_the_issue_example():
    assert dg.sum(dg.tensor([0.5, 1.5]), dtype=dg.long).item() == 1


@pytest.mark.parametrize(
    "name", ["sum", "prod", "cumsum", "cumprod", "mean", "nansum", "softmax", "norm"]
)
def test_dtype_gradient_flows_through_the_conversion(name):
    grads = []
    for lib in (torch, dg):
        x = lib.tensor([0.5, 1.5, -2.0], requires_grad=True)
        out = CALLS[name](lib, x, lib.float64)
        assert out.dtype == lib.float64
        (
            out * lib.arange(1.0, out.numel() + 1, dtype=lib.float64).reshape(out.shape)
        ).sum().backward()
        assert x.grad.dtype == lib.float32
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)
