"""Every op in every mode, against PyTorch (float64), driven by tests/op_table.py.

Modes: values; vjp (first derivative, reverse); jvp (forward, dual tensors); reverse over
reverse; forward over reverse (HVP, Pearlmutter); reverse over forward; forward over forward
(nested dual levels: the mixed partial d2f[u1, u2]). The reference for every derivative is
torch.autograd / torch.func on the same function.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad._ops.registry import REGISTRY
from dualgrad.autograd import forward_ad as fw
from op_table import ROWS, F, covered_ops, make_inputs

CASES = [
    pytest.param(row, k, id=f"{row.name}-{k}") for row in ROWS for k in range(len(row.samples))
]
DIFF_CASES = [
    pytest.param(row, k, id=f"{row.name}-{k}")
    for row in ROWS
    if not row.nondiff
    for k in range(len(row.samples))
]
DIFF2_CASES = [
    pytest.param(row, k, id=f"{row.name}-{k}")
    for row in ROWS
    if not row.nondiff and row.torch_second_order
    for k in range(len(row.samples))
]


def _is_diff(spec) -> bool:
    return isinstance(spec, F) or getattr(spec, "diff", False)


class Case:
    """One sample of one row, as dualgrad leaves and torch leaves with the same values."""

    def __init__(self, row, k):
        self.row = row
        self.sample = row.samples[k]
        self.arrays = make_inputs(self.sample, seed=k + 7 * len(row.name))
        self.diff = [i for i, s in enumerate(self.sample) if _is_diff(s)]
        self.arrays = [
            a.astype(np.float64) if i in self.diff else a for i, a in enumerate(self.arrays)
        ]
        self.rng = np.random.default_rng(1234 + k)

    def dg_leaves(self):
        out = []
        for i, a in enumerate(self.arrays):
            if isinstance(a, np.ndarray):
                out.append(dg.tensor(a, requires_grad=i in self.diff))
            else:
                out.append(a)
        return out

    def torch_leaves(self):
        out = []
        for i, a in enumerate(self.arrays):
            if isinstance(a, np.ndarray):
                t = torch.tensor(a)
                out.append(t.requires_grad_(True) if i in self.diff else t)
            else:
                out.append(a)
        return out

    def dg_fn(self, *xs):
        return self.row.fn(dg, *xs)

    def torch_fn(self, *xs):
        return (self.row.torch_fn or self.row.fn)(torch, *xs)

    def like(self, shape):
        return self.rng.standard_normal(tuple(shape))

    def directions(self):
        """One random direction per differentiable input."""
        return [self.like(self.arrays[i].shape) for i in self.diff]

    def make_duals(self, xs, tangents):
        """Give the differentiable inputs in ``xs`` tangents at the innermost level."""
        for i, t in zip(self.diff, tangents):
            xs[i] = fw.make_dual(xs[i], dg.tensor(t))

    def torch_closure(self):
        """torch's version as a function of the differentiable inputs, and their values."""
        xs = self.torch_leaves()

        def f(*diff_xs):
            full = list(xs)
            for i, x in zip(self.diff, diff_xs):
                full[i] = x
            return self.torch_fn(*full)

        return f, tuple(xs[i].detach() for i in self.diff)


def _np(t):
    if t is None:
        return None
    return np.asarray(t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t._data)


def assert_close(actual, expected, atol, what):
    a, e = _np(actual), _np(expected)
    if e is None:
        assert a is None or np.allclose(a, 0, atol=atol), f"{what}: expected no gradient, got {a}"
        return
    if a is None:
        a = np.zeros_like(e)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != torch's {e.shape}"
    np.testing.assert_allclose(a, e, rtol=1e-6, atol=atol, err_msg=what)


def test_every_registered_op_has_a_row():
    missing = sorted(set(REGISTRY) - covered_ops())
    assert not missing, f"ops without a row in tests/op_table.py: {missing}"


def _outs(out):
    """A row's outputs as a list (split and unbind return tuples)."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("row,k", CASES)
def test_values(row, k):
    c = Case(row, k)
    outs, refs = _outs(c.dg_fn(*c.dg_leaves())), _outs(c.torch_fn(*c.torch_leaves()))
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (
            "dtype differs from torch"
        )
        np.testing.assert_allclose(_np(out), _np(ref), rtol=1e-7, atol=row.atol)
        if not row.nondiff:
            assert out.requires_grad == ref.requires_grad


def _torch_vjp(c, vs, create_graph=False):
    xs = c.torch_leaves()
    outs = _outs(c.torch_fn(*xs))
    grads = torch.autograd.grad(
        outs,
        [xs[i] for i in c.diff],
        [torch.tensor(v) for v in vs],
        allow_unused=True,
        create_graph=create_graph,
    )
    return xs, grads


def _dg_vjp(c, xs, outs, vs, **kw):
    return dg.autograd.grad(
        outs, [xs[i] for i in c.diff], [dg.tensor(v) for v in vs], allow_unused=True, **kw
    )


@pytest.mark.parametrize("row,k", DIFF_CASES)
def test_vjp(row, k):
    c = Case(row, k)
    xs = c.dg_leaves()
    outs = _outs(c.dg_fn(*xs))
    vs = [c.like(o.shape) for o in outs]
    grads = _dg_vjp(c, xs, outs, vs)
    _, ref = _torch_vjp(c, vs)
    for i, g, r in zip(c.diff, grads, ref):
        assert_close(g, r, row.atol, f"d out / d input {i}")


def _torch_jvp(c, tangents):
    f, primals = c.torch_closure()
    if not c.row.torch_forward:
        return _jvp_by_jacobian(f, primals, tangents)
    return _outs(torch.func.jvp(f, primals, tuple(torch.tensor(t) for t in tangents))[1])


def _jvp_by_jacobian(f, primals, tangents, create_graph=False):
    """J u from torch's reverse mode (its full Jacobian), for ops without torch forward AD."""
    outs = _outs(f(*primals))
    jac = torch.autograd.functional.jacobian(
        lambda *p: tuple(_outs(f(*p))), primals, create_graph=create_graph
    )
    result = []
    for j, o in enumerate(outs):
        total = torch.zeros(o.shape, dtype=o.dtype)
        for i, t in enumerate(tangents):
            block = jac[j][i].reshape(o.numel(), -1)
            total = total + (block @ torch.tensor(t).reshape(-1)).reshape(o.shape)
        result.append(total)
    return result


@pytest.mark.parametrize("row,k", DIFF_CASES)
def test_jvp(row, k):
    c = Case(row, k)
    tangents = c.directions()
    xs = c.dg_leaves()
    with fw.dual_level():
        c.make_duals(xs, tangents)
        outs = [fw.unpack_dual(o).tangent for o in _outs(c.dg_fn(*xs))]
    for j, (o, r) in enumerate(zip(outs, _torch_jvp(c, tangents))):
        assert_close(o, r, row.atol, f"jvp of output {j}")


def _torch_hvp(c, vs, u):
    """H u of L = sum_j <f_j, v_j>, by reverse over reverse in torch: the reference for the
    three second-order modes that take one direction."""
    xs, grads = _torch_vjp(c, vs, create_graph=True)
    inner = sum(
        (g * torch.tensor(t)).sum() for g, t in zip(grads, u) if g is not None and g.requires_grad
    )
    if not torch.is_tensor(inner):
        return [None] * len(c.diff)
    return torch.autograd.grad(inner, [xs[i] for i in c.diff], allow_unused=True)


@pytest.mark.parametrize("row,k", DIFF2_CASES)
def test_reverse_over_reverse(row, k):
    c = Case(row, k)
    xs = c.dg_leaves()
    outs = _outs(c.dg_fn(*xs))
    vs = [c.like(o.shape) for o in outs]
    u = c.directions()
    leaves = [xs[i] for i in c.diff]
    grads = _dg_vjp(c, xs, outs, vs, create_graph=True)
    terms = [
        (g * dg.tensor(t)).sum() for g, t in zip(grads, u) if g is not None and g.requires_grad
    ]
    hvp = dg.autograd.grad(sum(terms), leaves, allow_unused=True) if terms else [None] * len(leaves)
    for i, h, r in zip(c.diff, hvp, _torch_hvp(c, vs, u)):
        assert_close(h, r, row.atol, f"reverse-over-reverse, input {i}")


@pytest.mark.parametrize("row,k", DIFF2_CASES)
def test_forward_over_reverse(row, k):
    c = Case(row, k)
    xs = c.dg_leaves()
    leaves = [xs[i] for i in c.diff]
    u = c.directions()
    with fw.dual_level():
        c.make_duals(xs, u)
        outs = _outs(c.dg_fn(*xs))
        vs = [c.like(o.shape) for o in outs]
        grads = dg.autograd.grad(outs, leaves, [dg.tensor(v) for v in vs], allow_unused=True)
        hvp = [None if g is None else fw.unpack_dual(g).tangent for g in grads]
    for i, h, r in zip(c.diff, hvp, _torch_hvp(c, vs, u)):
        assert_close(h, r, row.atol, f"forward-over-reverse, input {i}")


@pytest.mark.parametrize("row,k", DIFF2_CASES)
def test_reverse_over_forward(row, k):
    c = Case(row, k)
    xs = c.dg_leaves()
    leaves = [xs[i] for i in c.diff]
    u = c.directions()
    with fw.dual_level():
        c.make_duals(xs, u)
        outs = _outs(c.dg_fn(*xs))
        vs = [c.like(o.shape) for o in outs]
        tangents = [fw.unpack_dual(o).tangent for o in outs]
    terms = [
        (t * dg.tensor(v)).sum() for t, v in zip(tangents, vs) if t is not None and t.requires_grad
    ]
    grads = (
        dg.autograd.grad(sum(terms), leaves, allow_unused=True) if terms else [None] * len(leaves)
    )
    for i, g, r in zip(c.diff, grads, _torch_hvp(c, vs, u)):
        assert_close(g, r, row.atol, f"reverse-over-forward, input {i}")


@pytest.mark.parametrize("row,k", DIFF2_CASES)
def test_forward_over_forward(row, k):
    c = Case(row, k)
    u1, u2 = c.directions(), c.directions()
    xs = c.dg_leaves()
    with fw.dual_level() as outer:
        c.make_duals(xs, u1)
        with fw.dual_level() as inner:
            c.make_duals(xs, u2)
            outs = _outs(c.dg_fn(*xs))
            mixed, first = [], []
            for o in outs:
                t2 = fw.unpack_dual(o, level=inner).tangent
                mixed.append(None if t2 is None else fw.unpack_dual(t2, level=outer).tangent)
                first.append(fw.unpack_dual(o, level=outer).tangent)

    f, primals = c.torch_closure()

    if row.torch_forward:

        def jvp_u2(*p):
            return torch.func.jvp(f, p, tuple(torch.tensor(t) for t in u2))[1]

        ref = _outs(torch.func.jvp(jvp_u2, primals, tuple(torch.tensor(t) for t in u1))[1])
    else:
        ref = _jvp_by_jacobian(
            lambda *p: tuple(_jvp_by_jacobian(f, p, u2, create_graph=True)), primals, u1
        )
    for j, (m, r) in enumerate(zip(mixed, ref)):
        assert_close(m, r, row.atol, f"mixed partial d2f[u1, u2] of output {j}")
    for j, (o, r) in enumerate(zip(first, _torch_jvp(c, u1))):
        assert_close(o, r, row.atol, f"outer-level tangent of output {j}")


def _dg_closure(c, dtype=None):
    """The row as a function of its differentiable inputs only (constants closed over)."""
    xs = c.dg_leaves()
    if dtype is not None:
        xs = [x.to(dtype) if isinstance(x, dg.Tensor) and x.is_floating_point() else x for x in xs]

    def f(*diff_xs):
        full = list(xs)
        for i, x in zip(c.diff, diff_xs):
            full[i] = x
        out = c.dg_fn(*full)
        return tuple(out) if isinstance(out, (tuple, list)) else out

    return f, tuple(xs[i].detach().requires_grad_() for i in c.diff)


GRADCHECK_CASES = [
    pytest.param(row, k, id=f"{row.name}-{k}")
    for row in ROWS
    if not row.nondiff and row.gradcheck
    for k in range(len(row.samples))
]


@pytest.mark.parametrize("row,k", GRADCHECK_CASES)
def test_gradcheck(row, k):
    """Reverse and forward Jacobians against central finite differences."""
    f, inputs = _dg_closure(Case(row, k))
    assert dg.autograd.gradcheck(f, inputs, check_forward_ad=True)


@pytest.mark.parametrize("row,k", GRADCHECK_CASES)
def test_gradgradcheck(row, k):
    """Second derivatives (reverse over reverse, forward over reverse) against finite
    differences of the first."""
    f, inputs = _dg_closure(Case(row, k))
    assert dg.autograd.gradgradcheck(f, inputs, check_fwd_over_rev=True)


@pytest.mark.parametrize("row,k", DIFF_CASES)
def test_adjoint_identity_float32(row, k):
    """<J u, v> == <u, J^T v> in float32: forward and reverse agree without finite differences."""
    f, inputs = _dg_closure(Case(row, k), dtype=dg.float32)
    assert dg.autograd.check_adjoint(f, inputs)


def _has_batched_input(row, sample) -> bool:
    if row.nondiff:
        return any(isinstance(a, np.ndarray) for a in make_inputs(sample, seed=0))
    return any(_is_diff(s) for s in sample)


# Rows without a tensor input to map over (tril_indices) have no vmap case.
VMAP_CASES = [
    pytest.param(row, k, bdim, id=f"{row.name}-{k}-bdim{bdim}")
    for row in ROWS
    for k, sample in enumerate(row.samples)
    if _has_batched_input(row, sample)
    for bdim in (0, 1)
]
# Ops whose output shape depends on the values (torch.func.vmap refuses them too): they run once
# per batch element, which is the only right answer.
LOOP_ONLY = {"nonzero", "unique", "unique_consecutive", "bincount", "bincount_weighted"}
# Rows whose op runs once per batch element under vmap, that op only, and why.
PER_ELEMENT_ROWS = {
    "one_hot_infer": "the number of classes is the largest value (torch.func refuses)",
    "repeat_interleave_counts": "the output length is the sum of the counts (torch loops too)",
}
# Rows torch.func.vmap refuses, with a phrase of its message, which dualgrad says too.
TORCH_REFUSES = {
    # a Python bool cannot hold one answer per batch element
    "allclose": "vmap over torch.allclose isn't supported yet",
    # the number of runs differs between the batch elements: no one batched shape
    "unique_consecutive": "batching operators that can output dynamic shape",
    "unique_consecutive_dim": "batching operators that can output dynamic shape",
}


def _batch_copies(a, b):
    """Batch element ``b`` of a sample array: floats shifted, others rolled (distinct values)."""
    if a.dtype.kind == "f":
        return a + 0.01 * b
    return np.roll(a.reshape(-1), b).reshape(a.shape) if a.size else a


@pytest.mark.parametrize("row,k,bdim", VMAP_CASES)
def test_vmap_matches_loop(row, k, bdim):
    """vmap over a batch of 3 (at dim 0 and at dim 1 of the batched tensors) equals a loop,
    and runs through batching rules: no op falls back to a per-element loop.

    Differentiable inputs are batched (three perturbed copies), the others stay unbatched; for
    ops without derivatives every tensor input is batched.
    """
    import dualgrad._batching as batching

    c = Case(row, k)
    batched, in_dims = [], []
    for i, a in enumerate(c.arrays):
        if isinstance(a, np.ndarray) and (i in c.diff or row.nondiff):
            d = min(bdim, a.ndim)
            batched.append(dg.tensor(np.stack([_batch_copies(a, b) for b in range(3)], d)))
            in_dims.append(d)
        else:
            batched.append(dg.tensor(a) if isinstance(a, np.ndarray) else a)
            in_dims.append(None)
    del batching.fallbacks[:]
    if row.name in TORCH_REFUSES:
        phrase = TORCH_REFUSES[row.name]
        t_batched = [torch.tensor(_np(b)) if isinstance(b, dg.Tensor) else b for b in batched]
        with pytest.raises(RuntimeError, match=phrase):
            torch.func.vmap(lambda *a: c.torch_fn(*a), in_dims=tuple(in_dims))(*t_batched)
        with pytest.raises(RuntimeError, match=phrase):
            dg.func.vmap(lambda *a: c.dg_fn(*a), in_dims=tuple(in_dims))(*batched)
        return
    got = _outs(dg.func.vmap(lambda *a: c.dg_fn(*a), in_dims=tuple(in_dims))(*batched))
    looped = set(batching.fallbacks) - LOOP_ONLY
    if row.name in PER_ELEMENT_ROWS:
        assert looped == {row.name}, f"{row.name} was expected to run per element: {looped}"
    else:
        assert not looped, f"vmap fell back to a per-element loop for {sorted(looped)}"
    per = [
        _outs(c.dg_fn(*[x.select(d, b) if d is not None else x for x, d in zip(batched, in_dims)]))
        for b in range(3)
    ]
    for j, g in enumerate(got):
        ref = np.stack([_np(p[j]) for p in per], 0)
        np.testing.assert_allclose(_np(g), ref, rtol=1e-10, atol=1e-12, err_msg=f"output {j}")


# ------------------------------------------------------------------ Taylor mode (func.jet)
def _nested_jvp_series(f, xs, series):
    """The derivative coefficients y_1..y_K of t -> f(x(t)), x(t) = x + sum_k v_k t^k / k!, by
    k nested first-order ``func.jvp`` in t: the independent reference for ``jet``."""
    from math import factorial

    def along(t):
        return f(
            *[
                x + sum(v * (t ** (k + 1) / factorial(k + 1)) for k, v in enumerate(vs))
                for x, vs in zip(xs, series)
            ]
        )

    refs, h = [], along
    for _ in series[0]:
        h = (lambda inner: lambda t: dg.func.jvp(inner, (t,), (dg.ones_like(t),))[1])(h)
        refs.append(_outs(h(dg.tensor(0.0, dtype=dg.float64))))
    return refs


@pytest.mark.parametrize("row,k", DIFF_CASES)
def test_taylor(row, k):
    """jet at orders 1-3 against nested jvp: every differentiable op has a Taylor rule."""
    c = Case(row, k)
    xs = [x.detach() if isinstance(x, dg.Tensor) else x for x in c.dg_leaves()]
    series = [[dg.tensor(c.like(c.arrays[i].shape)) for _ in range(3)] for i in c.diff]

    def f(*diff_xs):
        full = list(xs)
        for i, x in zip(c.diff, diff_xs):
            full[i] = x
        return tuple(_outs(c.dg_fn(*full)))

    primals = tuple(xs[i] for i in c.diff)
    out, out_series = dg.func.jet(f, primals, tuple(series))
    refs = _nested_jvp_series(f, primals, series)
    for j, o in enumerate(out):
        if o._data.dtype.kind != "f":
            continue
        for order in range(3):
            assert_close(
                out_series[j][order],
                refs[order][j],
                10 * row.atol,
                f"jet order {order + 1} of output {j}",
            )


@pytest.mark.parametrize("row,k", DIFF_CASES)
def test_laplacian(row, k):
    """func.laplacian (collapsed Taylor mode) equals the trace of func.hessian, per row, of a
    random weighting of the outputs as a function of the first differentiable input."""
    c = Case(row, k)
    xs = [x.detach() if isinstance(x, dg.Tensor) else x for x in c.dg_leaves()]
    first = c.diff[0]
    outs = _outs(c.dg_fn(*xs))
    weights = [dg.tensor(c.like(o.shape)) if o._data.dtype.kind == "f" else None for o in outs]

    def f(x):
        full = list(xs)
        full[first] = x
        total = None
        for o, w in zip(_outs(c.dg_fn(*full)), weights):
            if w is not None:
                term = (o * w).sum()
                total = term if total is None else total + term
        return total

    x = xs[first]
    n = x.numel()
    expected = dg.func.hessian(f)(x).reshape(n, n).diagonal().sum()
    assert_close(dg.func.laplacian(f)(x), expected, 10 * row.atol, "laplacian")
