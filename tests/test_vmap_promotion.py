"""Type promotion under vmap follows the logical (per-sample) ranks, as each sample's call
does (NOTE: [promotion by logical ranks] in _batching_generic.py): a per-sample 0-d operand is
0-d, though physically it has the batch dim."""

import numpy as np
import pytest
import torch

import dualgrad as dg

# name -> f(lib, a, b); a is the batched operand, b the unbatched one
OPS = {
    "mul": lambda m, a, b: a * b,
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: b - a,
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: a**b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "atan2": lambda m, a, b: m.atan2(a, b),
    "hypot": lambda m, a, b: m.hypot(a, b),
    "fmod": lambda m, a, b: m.fmod(a, b),
    "copysign": lambda m, a, b: m.copysign(a, b),
    "xlogy": lambda m, a, b: m.xlogy(a, b),
    "logaddexp": lambda m, a, b: m.logaddexp(a, b),
    "eq": lambda m, a, b: a == b,
    "lt": lambda m, a, b: a < b,
    "where": lambda m, a, b: m.where(a > 1.7, a, b),
    "clamp": lambda m, a, b: m.clamp(a, min=b),
}
# (batched dtype, unbatched dtype)
DTYPES = [
    ("float32", "float64"),
    ("float64", "float32"),
    ("int64", "float32"),
    ("float16", "float64"),
]
# (per-sample shape of a, shape of b)
SHAPES = [((), ()), ((), (3,)), ((3,), ())]


def _operands(m, da, db, sa, sb):
    a = np.array([1.5, 2.5000001, 0.25])[: 1 if not sa else 3]
    a = np.stack([np.broadcast_to(a * k, sa) if sa else a[0] * k for k in (1.0, 1.3)])
    b = np.full(sb, 1.5000000001) if sb else np.array(1.5000000001)
    return m.tensor(a, dtype=getattr(m, da)), m.tensor(b, dtype=getattr(m, db))


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtypes", DTYPES, ids="-".join)
@pytest.mark.parametrize("name", sorted(OPS))
def test_vmap_promotes_as_each_sample_does(name, dtypes, shapes):
    f = OPS[name]
    if name in ("atan2", "hypot", "copysign", "xlogy", "logaddexp") and "int64" in dtypes:
        dtypes = ("float32", dtypes[1])  # float-only in torch for some of these mixes
    a, b = _operands(dg, *dtypes, *shapes)
    ta, tb = _operands(torch, *dtypes, *shapes)
    got = dg.func.vmap(lambda x: f(dg, x, b))(a)
    # the definition: each sample's call, stacked (torch's unbatched calls are the reference)
    want = torch.stack([f(torch, ta[i], tb) for i in range(2)])
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    # the kernels may differ in the last bit (NumPy's atan2 against torch's), not in precision
    rtol = {"float64": 1e-13, "float32": 1e-6, "float16": 1e-3}.get(str(want.dtype)[6:], 0)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_extreme_of_a_per_sample_scalar_keeps_float64_gradients(reduce):
    # the case random programs found: amin of a per-sample 0-d under vmap(grad), float64
    w = 0.123456789123
    results = []
    for m in (torch, dg):
        x = m.tensor([0.3, 0.5], dtype=m.float64)
        f = getattr(m, reduce)
        results.append(m.func.vmap(m.func.grad(lambda v: f(v, dim=-1) * w))(x).numpy())
    np.testing.assert_array_equal(results[1], results[0])
    assert results[1][0] == w
