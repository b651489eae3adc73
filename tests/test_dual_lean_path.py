"""A dual level's lean path for one-input element-wise ops (NOTE: [lean tangents] in
_dual_level.py) and the calls it hands to the general path, against torch's forward AD; the
level's holders (NOTE: [holders] in _levels.py); and the decisions one ``sin`` makes
(benchmarks/dispatch_branches.py, issue 13's measure)."""

from __future__ import annotations

import gc
import importlib.util
import pathlib

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwAD

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD
from dualgrad import _levels

# every op whose dual level takes the lean path where it can (a one-input ufunc kernel)
OPS = [
    "neg", "reciprocal", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt",
    "square", "abs", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "asinh", "acosh", "atanh", "floor", "ceil", "trunc",
]  # fmt: skip
RNG = np.random.default_rng(19)


def _primal(name, shape, dtype):
    lo = 1.2 if name == "acosh" else 0.1  # inside every op's domain
    return (lo + 0.8 * RNG.random(shape)).astype(dtype)


def _pair(a, requires_grad=False):
    return dg.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _close(mine, theirs, dtype):
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(force=True), **tol)


def _dual_result(lib, fw, name, x, v):
    with fw.dual_level():
        out = getattr(lib, name)(fw.make_dual(x, v))
        primal, tangent = fw.unpack_dual(out)
    return primal, tangent


# (case, shape, dtype, x requires grad, tangent requires grad): the first two take the lean
# path, the others the general one (history on the primal or on the tangent)
CASES = [
    ("lean", (5,), np.float64, False, False),
    ("lean 0-d float32", (), np.float32, False, False),
    ("primal requires grad", (4,), np.float64, True, False),
    ("tangent requires grad", (4,), np.float64, False, True),
]


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_tangents_and_their_gradients_match_torch(name, case):
    _, shape, dtype, x_grad, v_grad = case
    (x, tx), (v, tv) = (
        _pair(_primal(name, shape, dtype), x_grad),
        _pair(RNG.standard_normal(shape).astype(dtype), v_grad),
    )
    primal, tangent = _dual_result(dg, fwAD, name, x, v)
    tprimal, ttangent = _dual_result(torch, tfwAD, name, tx, tv)
    _close(primal, tprimal, dtype)
    _close(tangent, ttangent, dtype)
    assert tangent.dtype == primal.dtype and tangent.shape == primal.shape
    if x_grad or v_grad:  # reverse over forward: the tangent's history reaches x and v
        wanted = [t for t, g in ((x, x_grad), (v, v_grad)) if g]
        twanted = [t for t, g in ((tx, x_grad), (tv, v_grad)) if g]
        if not ttangent.requires_grad:  # floor, ceil, trunc: torch's zero tangent has no history
            if tangent.requires_grad:  # (ours selects from v: its gradient must be zero)
                for g in dg.autograd.grad(tangent.sum(), wanted, allow_unused=True):
                    assert g is None or not g.numpy().any()
            return
        grads = dg.autograd.grad(tangent.sum(), wanted, allow_unused=True)
        tgrads = torch.autograd.grad(ttangent.sum(), twanted, allow_unused=True)
        for g, tg in zip(grads, tgrads):
            assert (g is None) == (tg is None)
            if g is not None:
                _close(g, tg, dtype)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc"])
def test_a_partial_that_selects_keeps_a_nan_tangent_out(name):
    # the partial 0 is the mask False (NOTE: [selecting partials]): the lean path's product
    # hands it to the general scaling, which selects, so inf and nan tangents give 0 as in torch
    (x, tx), (v, tv) = _pair(np.array([0.5, 1.5, 2.5])), _pair(np.array([np.nan, np.inf, 1.0]))
    _, tangent = _dual_result(dg, fwAD, name, x, v)
    _, ttangent = _dual_result(torch, tfwAD, name, tx, tv)
    np.testing.assert_array_equal(tangent.numpy(), ttangent.numpy())


@pytest.mark.parametrize("name", ["sin", "exp", "sqrt", "abs", "neg"])
def test_a_tangent_that_carries_a_lower_level(name):
    # x carries only level 2; its tangent carries level 1: the mixed partial is f'(x) w
    x, v, w = (_primal(name, (4,), np.float64) for _ in range(3))
    with fwAD.dual_level() as l1, fwAD.dual_level() as l2:
        v1 = fwAD.make_dual(dg.tensor(v), dg.tensor(w), level=l1)
        out = getattr(dg, name)(fwAD.make_dual(dg.tensor(x), v1, level=l2))
        t2 = fwAD.unpack_dual(out, level=l2).tangent
        mixed = fwAD.unpack_dual(t2, level=l1).tangent
        assert fwAD.unpack_dual(out, level=l1).tangent is None

    def inner(vv):
        return torch.func.jvp(getattr(torch, name), (torch.tensor(x),), (vv,))[1]

    t_t2, t_mixed = torch.func.jvp(inner, (torch.tensor(v),), (torch.tensor(w),))
    _close(t2, t_t2, np.float64)
    _close(mixed, t_mixed, np.float64)


@pytest.mark.parametrize("name", ["sin", "exp", "tanh"])
def test_a_primal_that_carries_two_levels(name):
    # d2/(da db) f(x + a v + b w) = f''(x) v w: x carries levels 1 and 2 (the general path)
    x, v, w = (_primal(name, (3,), np.float64) for _ in range(3))
    with fwAD.dual_level() as l1, fwAD.dual_level() as l2:
        x1 = fwAD.make_dual(dg.tensor(x), dg.tensor(v), level=l1)
        out = getattr(dg, name)(fwAD.make_dual(x1, dg.tensor(w), level=l2))
        mixed = fwAD.unpack_dual(fwAD.unpack_dual(out, level=l2).tangent, level=l1).tangent

    def inner(a):
        return torch.func.jvp(getattr(torch, name), (a,), (torch.tensor(w),))[1]

    _, t_mixed = torch.func.jvp(inner, (torch.tensor(x),), (torch.tensor(v),))
    _close(mixed, t_mixed, np.float64)


def test_a_view_takes_the_general_path_and_its_tangent_is_right():
    base = _primal("sin", (6,), np.float64)
    v = RNG.standard_normal(6)
    with fwAD.dual_level():
        xd = fwAD.make_dual(dg.tensor(base), dg.tensor(v))[1:4]
        tangent = fwAD.unpack_dual(dg.sin(xd)).tangent
    np.testing.assert_allclose(tangent.numpy(), np.cos(base[1:4]) * v[1:4], rtol=1e-14)


def test_holders_keep_only_live_tensors_and_exit_drops_their_tangents():
    x, v = dg.randn(8), dg.randn(8)
    with fwAD.dual_level():
        level = _levels.top("dual")
        xd = fwAD.make_dual(x, v)
        for _ in range(5000):  # each result dies at once: its reference leaves the set
            dg.sin(xd)
        gc.collect()
        kept = [dg.sin(xd) for _ in range(10)]
        assert len(level.holders) <= 12  # xd, the kept results (and make_dual's own tensors)
        assert all(fwAD.unpack_dual(k).tangent is not None for k in kept)
    assert all(fwAD.unpack_dual(k).tangent is None for k in kept)
    assert fwAD.unpack_dual(xd).tangent is None
    assert len(level.holders) == 0


def _dispatch_branches():
    path = pathlib.Path(__file__).parents[1] / "benchmarks" / "dispatch_branches.py"
    spec = importlib.util.spec_from_file_location("dispatch_branches", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_sin_makes_few_decisions():
    # issue 13's measure: distinct ifs on the plain path 3, in a dual level and under vmap <= 10
    db = _dispatch_branches()
    x, t = dg.randn(8), dg.randn(8)
    dg.sin(x)
    plain, _ = db.trace(lambda: dg.sin(x))
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, t)
        dg.sin(xd)
        dual, _ = db.trace(lambda: dg.sin(xd))
    batched = []

    def under_vmap(b):
        dg.sin(b)
        batched.append(db.trace(lambda: dg.sin(b))[0])
        return b

    dg.func.vmap(under_vmap)(dg.randn(4, 8))
    assert len(plain) == 3
    assert len(dual) <= 9
    assert len(batched[0]) <= 7


def test_a_forward_trace_sees_the_one_input_calls():
    # one-input calls reach their level through _apply_at_its_level, which a trace hooks too
    # (NOTE: [forward trace hook] in viz/_forward.py)
    from dualgrad.viz._forward import ForwardTrace

    with ForwardTrace() as trace, fwAD.dual_level():
        xd = fwAD.make_dual(dg.randn(3), dg.randn(3))
        dg.sin(xd).exp() * xd
    assert [c.name for c in trace.calls] == ["sin", "exp", "mul"]
