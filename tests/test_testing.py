"""dualgrad.testing.assert_close / assert_allclose against torch.testing's: the same pass or
failure, exception type and message (torch's names read as dualgrad's)."""

from __future__ import annotations

import warnings

import pytest
import torch

import dualgrad as dg

NAN = float("nan")

# (name, fn(lib) -> None or raises): each runs with lib = torch and lib = dualgrad
CASES = [
    ("close", lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0 + 1e-7]))),
    ("not_close", lambda m: m.testing.assert_close(m.tensor([1.0, 2, 3]), m.tensor([1.0, 2.5, 3]))),
    ("index_2d", lambda m: m.testing.assert_close(m.tensor([[1.0, 2], [3, 4]]), m.tensor([[1.0, 2], [3, 5]]))),
    ("float64_tol", lambda m: m.testing.assert_close(m.tensor([1.0], dtype=m.float64), m.tensor([1.0 + 1e-6], dtype=m.float64))),
    ("dtype", lambda m: m.testing.assert_close(m.ones(3), m.ones(3).double())),
    ("no_check_dtype", lambda m: m.testing.assert_close(m.ones(3), m.ones(3).double(), check_dtype=False)),
    ("shape", lambda m: m.testing.assert_close(m.ones(2, 3), m.ones(3, 2))),
    ("int_equal", lambda m: m.testing.assert_close(m.tensor([1, 2]), m.tensor([1, 3]))),
    ("bool_equal", lambda m: m.testing.assert_close(m.tensor([True]), m.tensor([False]))),
    ("nan_scalar", lambda m: m.testing.assert_close(m.tensor(NAN), m.tensor(NAN))),
    ("equal_nan", lambda m: m.testing.assert_close(m.tensor([NAN, 1.0]), m.tensor([NAN, 1.0]), equal_nan=True)),
    ("rtol_only", lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.1]), rtol=0.2)),
    ("atol_only", lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.1]), atol=0.2)),
    ("rtol_atol", lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.1]), rtol=0.2, atol=0)),
    ("tight", lambda m: m.testing.assert_close(m.tensor([1.0, 5]), m.tensor([1.1, 5]), rtol=0, atol=0.01)),
    ("msg_str", lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([2.0]), msg="custom")),
    ("msg_callable", lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([2.0]), msg=lambda s: "<" + s + ">")),
    ("python_floats", lambda m: m.testing.assert_close(1.0, 1.1)),
    ("python_ints", lambda m: m.testing.assert_close(2, 3)),
    ("tensor_vs_float", lambda m: m.testing.assert_close(m.tensor([1.0]), 1.0)),
    ("sequence_item", lambda m: m.testing.assert_close([m.tensor(1.0)], [m.tensor(2.0)])),
    ("sequence_length", lambda m: m.testing.assert_close([1, 2], [1])),
    ("mapping_item", lambda m: m.testing.assert_close({"a": [1, 2.0]}, {"a": [1, 2.5]})),
    ("requires_grad", lambda m: m.testing.assert_close(m.ones(2, requires_grad=True), m.ones(2))),
    ("allclose_default", lambda m: m.testing.assert_allclose(m.tensor([1.0]), [1.00001])),
    ("allclose_fails", lambda m: m.testing.assert_allclose(m.tensor([1.0]), [1.1])),
    ("allclose_dtypes", lambda m: m.testing.assert_allclose(m.ones(2), m.ones(2).double())),
    ("allclose_nan", lambda m: m.testing.assert_allclose(m.tensor([NAN]), [NAN])),
    ("allclose_tols", lambda m: m.testing.assert_allclose(m.tensor([1.0]), [1.1], rtol=0.2, atol=0.0)),
]  # fmt: skip


def _run(lib, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn(lib)
            error = None
        except Exception as e:  # noqa: BLE001 - the test compares whatever is raised
            error = e
    return error, [w.category for w in caught]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_assert_close_matches_torch(name, fn):
    te, twarn = _run(torch, fn)
    de, dwarn = _run(dg, fn)
    assert dwarn == twarn
    if te is None:
        assert de is None, f"dualgrad raised {de!r}"
        return
    assert type(de) is type(te), (te, de)
    expected = (
        str(te).replace("torch.", "dualgrad.").replace("dualgrad.Tensor", "dualgrad._tensor.Tensor")
    )
    assert str(de) == expected
