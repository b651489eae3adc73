"""``number * x`` and ``number + x`` as torch: ``mul(x, number)`` (NOTE: [reflected operators
of commutative ops] in dualgrad/_tensor_methods.py): the same values and dtypes, the tensor's
edge first in the node, the gradient through it."""

import numpy as np
import pytest
import torch

import dualgrad as dg

NUMBERS = [
    3,
    3.0,
    -0.05,
    0.0,
    -0.0,
    0,
    -7,
    True,
    float("inf"),
    float("nan"),
    2**24,
    2**24 + 1,
    2**40,
]
DTYPES = ["float32", "float64", "float16", "int64", "int32", "bool"]
OPS = {"rmul": lambda n, x: n * x, "radd": lambda n, x: n + x}
# and the tensor first, where an int within 2**24 takes the fast entry as a float does
# (NOTE: [fast entries] in dualgrad/_dispatch.py)
FORWARD_OPS = {
    "mul": lambda n, x: x * n,
    "add": lambda n, x: x + n,
    "sub": lambda n, x: x - n,
    "div": lambda n, x: x / n,
    "rsub": lambda n, x: n - x,
}


def _values(lib, dtype):
    a = np.array([1.5, -2.0, 0.0, -0.0, np.inf, np.nan, 7.25])
    if dtype in ("int64", "int32"):
        a = np.array([1, -2, 0, 5, 7, 100, -9])
    if dtype == "bool":
        a = np.array([True, False, True, False, True, True, False])
    return lib.tensor(a).to(getattr(lib, dtype))


def _outcome(lib, op, number, dtype):
    try:
        r = {**OPS, **FORWARD_OPS}[op](number, _values(lib, dtype))
    except Exception as e:  # noqa: BLE001 - the exception type is the outcome compared
        return "raise", type(e).__name__
    return "ok", (str(r.dtype).rsplit(".", 1)[-1], r.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("op", sorted({**OPS, **FORWARD_OPS}))
def test_values_as_torch(op, number, dtype):
    want = _outcome(torch, op, number, dtype)
    got = _outcome(dg, op, number, dtype)
    assert got[0] == want[0], (got, want)
    if want[0] == "ok":
        assert got[1][0] == want[1][0]
        np.testing.assert_array_equal(got[1][1], want[1][1])
        if got[1][1].dtype.kind == "f":  # the same bits (signed zeros included)
            np.testing.assert_array_equal(np.signbit(got[1][1]), np.signbit(want[1][1]))


@pytest.mark.parametrize("number", [3, 2.5])
@pytest.mark.parametrize("op", sorted(OPS))
def test_node_and_gradient_as_torch(op, number):
    found = {}
    for lib in (torch, dg):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = OPS[op](number, x)
        edges = [fn is None for fn, _ in y.grad_fn.next_functions]
        (g,) = lib.autograd.grad((y * y).sum(), x)
        found[lib.__name__] = (y.grad_fn.name(), edges, g.detach().numpy())
    want, got = found["torch"], found["dualgrad"]
    assert got[:2] == want[:2]
    np.testing.assert_allclose(got[2], want[2], rtol=1e-6)
