"""matmul's argument checks take a shortcut for the common case (one float dtype; batch dims
checked only where both operands have them): every case still answers as torch, values or the
exception type."""

import numpy as np
import pytest
import torch

import dualgrad as dg

CASES = [
    # (shape a, shape b, dtype a, dtype b)
    ((3, 4), (4, 5), "float32", "float32"),
    ((4,), (4,), "float64", "float64"),
    ((4,), (2, 4, 3), "float64", "float64"),
    ((2, 3, 4), (4,), "float64", "float64"),
    ((3, 4), (2, 4, 5), "float32", "float32"),
    ((2, 3, 4), (4, 5), "float32", "float32"),
    ((2, 1, 3, 4), (5, 4, 2), "float64", "float64"),
    ((2, 3, 4), (5, 4, 2), "float64", "float64"),  # batch dims that do not broadcast
    ((3, 4), (5, 6), "float64", "float64"),  # inner sizes differ
    ((3, 4), (4, 5), "float32", "float64"),  # dtypes differ
    ((3, 4), (4, 5), "bool", "bool"),
    ((4,), (4,), "bool", "bool"),
    ((3, 4), (4, 5), "int64", "int64"),
]


def _outcome(lib, shape_a, shape_b, dtype_a, dtype_b):
    rng = np.random.default_rng(0)
    a = lib.tensor(
        rng.standard_normal(shape_a) > 0 if dtype_a == "bool" else rng.standard_normal(shape_a)
    ).to(getattr(lib, dtype_a))
    b = lib.tensor(
        rng.standard_normal(shape_b) > 0 if dtype_b == "bool" else rng.standard_normal(shape_b)
    ).to(getattr(lib, dtype_b))
    try:
        return "ok", lib.matmul(a, b).numpy()
    except Exception as e:  # noqa: BLE001 - the exception type is the outcome compared
        return "raise", type(e)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_checks_as_torch(case):
    want = _outcome(torch, *case)
    got = _outcome(dg, *case)
    assert got[0] == want[0], (got, want)
    if want[0] == "ok":
        assert got[1].dtype == want[1].dtype
        np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-6)
    else:
        assert issubclass(got[1], want[1]) or issubclass(want[1], got[1]), (got, want)
