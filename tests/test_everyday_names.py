"""Issue 15's everyday names: what an op table row cannot say (errors, warnings, ties, bin edges,
weights, returned objects, vmap with one side batched), against torch run here, or against
finite differences where torch's own derivative is wrong."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


def _same(a, b, rtol=1e-7, atol=1e-12):
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def _errors_alike(fn, exc=RuntimeError):
    """fn(torch) and fn(dg) raise the same exception class, dualgrad's message torch's (which
    it may follow with the fix)."""
    with pytest.raises(exc) as t:
        fn(torch)
    with pytest.raises(exc) as d:
        fn(dg)
    assert str(d.value).startswith(str(t.value))


# ------------------------------------------------------------------ errors as torch's
ERRORS = [
    ("hsplit_indivisible", lambda m: m.hsplit(m.arange(6.0), 4), RuntimeError),
    ("vsplit_1d", lambda m: m.vsplit(m.ones(3), 1), RuntimeError),
    ("dsplit_2d", lambda m: m.dsplit(m.ones(2, 2), 2), RuntimeError),
    ("frexp_int", lambda m: m.frexp(m.tensor([1, 2])), RuntimeError),
    ("gcd_float", lambda m: m.gcd(m.ones(2), m.ones(2)), NotImplementedError),
    (
        "heaviside_dtypes",
        lambda m: m.heaviside(m.tensor([1.0]), m.tensor([1])),
        RuntimeError,
    ),
    (
        "float_power_inplace_float32",
        lambda m: m.ones(2).float_power_(2),
        RuntimeError,
    ),
    (
        "select_scatter_shape",
        lambda m: m.select_scatter(m.ones(2, 3), m.ones(2), 0, 0),
        RuntimeError,
    ),
    ("renorm_p0", lambda m: m.renorm(m.ones(2, 3), 0, 0, 1.0), RuntimeError),
    ("renorm_1d", lambda m: m.renorm(m.ones(3), 2, 0, 1.0), RuntimeError),
    ("bincount_negative", lambda m: m.bincount(m.tensor([-1, 2])), RuntimeError),
    ("bincount_2d", lambda m: m.bincount(m.tensor([[1, 2]])), RuntimeError),
    (
        "cov_float_fweights",
        lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1.0, 2, 3])),
        RuntimeError,
    ),
    (
        "cov_negative_aweights",
        lambda m: m.cov(m.ones(2, 3), aweights=m.tensor([1.0, -2, 3])),
        RuntimeError,
    ),
    ("gradient_edge_order_3", lambda m: m.gradient(m.ones(3), edge_order=3), RuntimeError),
    ("gradient_too_short", lambda m: m.gradient(m.ones(2), edge_order=2), RuntimeError),
    (
        "heaviside_backward",
        lambda m: (
            m.heaviside(m.tensor([1.0], requires_grad=True), m.tensor([1.0])).sum().backward()
        ),
        RuntimeError,
    ),
    (
        "igamma_input_backward",
        lambda m: m.igamma(m.tensor([1.0], requires_grad=True), m.tensor([1.0])).sum().backward(),
        NotImplementedError,
    ),
    (
        "bincount_weights_backward",
        lambda m: (
            m.bincount(m.tensor([0, 1]), weights=m.tensor([1.0, 2.0], requires_grad=True))
            .sum()
            .backward()
        ),
        RuntimeError,
    ),
]


@pytest.mark.parametrize("fn,exc", [pytest.param(f, e, id=n) for n, f, e in ERRORS])
def test_errors_as_torch(fn, exc):
    _errors_alike(fn, exc)


def test_recorded_without_derivative_require_grad_as_torch():
    for m in (torch, dg):
        x = m.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        assert m.heaviside(x, m.tensor([0.5])).requires_grad
        w = m.tensor([1.0, 2.0], requires_grad=True)
        assert m.bincount(m.tensor([0, 1]), weights=w).requires_grad


# ------------------------------------------------------------------ derivatives at the edges
def test_fmax_fmin_ties_give_the_gradient_to_the_first_operand_as_torch():
    a = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    b = np.array([1.0, np.nan, 2.0, 3.0, np.nan])
    for name in ("fmax", "fmin"):
        grads = []
        for m in (torch, dg):
            x = m.tensor(a, requires_grad=True)
            y = m.tensor(b, requires_grad=True)
            getattr(m, name)(x, y).sum().backward()
            grads.append((x.grad, y.grad))
        _same(grads[1][0], grads[0][0])
        _same(grads[1][1], grads[0][1])


def test_ldexp_negative_exponents_against_finite_differences():
    # torch's ldexp backward computes 2**e in integers (0 for e < 0): a torch bug, so the
    # reference is the derivative 2**e by central differences
    x = np.array([0.3, -1.2, 2.5, 0.7])
    e = np.array([-3, -1, 0, 2])
    xt = dg.tensor(x, requires_grad=True)
    dg.ldexp(xt, dg.tensor(e)).sum().backward()
    h = 1e-6
    fd = (np.ldexp(x + h, e) - np.ldexp(x - h, e)) / (2 * h)
    np.testing.assert_allclose(xt.grad.numpy(), fd, rtol=1e-8)


def test_frexp_fields_and_subnormals_as_torch():
    a = np.array([0.0, 8.0, -3.5, np.inf, 1e-310, 5e-324])
    got, ref = dg.frexp(dg.tensor(a)), torch.frexp(torch.tensor(a))
    _same(got.mantissa, ref.mantissa)
    _same(got.exponent, ref.exponent)


# ------------------------------------------------------------------ values a row cannot check
def test_atleast_returns_its_input_where_torch_does():
    for m in (torch, dg):
        x = m.ones(2, 3)
        assert m.atleast_1d(x) is x and m.atleast_2d(x) is x
        y = m.ones(2)
        y2 = m.atleast_2d(y)
        y2[0, 0] = 5.0  # a view: the write reaches y
        assert y[0].item() == 5.0


@pytest.mark.parametrize(
    "r,replace", [(0, False), (1, False), (2, True), (3, True), (5, False), (4, True)]
)
def test_combinations_as_torch(r, replace):
    a = np.array([1.0, -2.0, 3.5, 0.5])
    _same(
        dg.combinations(dg.tensor(a), r, with_replacement=replace),
        torch.combinations(torch.tensor(a), r, with_replacement=replace),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.histogram(x, bins=5),
        lambda m, x: m.histogram(x, bins=3, range=(-0.5, 0.25)),
        lambda m, x: m.histogram(x, bins=m.tensor([-2.0, -0.1, 0.0, 0.3, 1.0], dtype=x.dtype)),
        lambda m, x: m.histogram(x, bins=4, weight=x.abs(), density=True),
        lambda m, x: m.histogram(x[:1].expand(3), bins=2),  # one value: range widened by 0.5
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_counts_and_bin_edges_as_torch(call, dtype):
    a = np.random.default_rng(3).standard_normal(50).astype(dtype)
    got = call(dg, dg.tensor(a))
    ref = call(torch, torch.tensor(a))
    _same(got.hist, ref.hist, rtol=1e-6)
    _same(got.bin_edges, ref.bin_edges, rtol=1e-6)


def test_histc_as_torch():
    a = np.random.default_rng(4).standard_normal(40)
    for call in (
        lambda m, x: m.histc(x),
        lambda m, x: m.histc(x, bins=7, min=-1, max=1),
        lambda m, x: m.histc(x[:1].expand(4), bins=3),  # one value: range widened by 1
    ):
        _same(call(dg, dg.tensor(a)), call(torch, torch.tensor(a)))


def test_bincount_as_torch():
    idx = np.array([0, 3, 3, 1, 7])
    for weights in (None, np.array([0.5, 1.0, 2.0, 0.25, 1.0]), np.array([1, 2, 3, 4, 5])):
        for minlength in (0, 10):
            for wd in ("float32", "float64") if weights is not None else (None,):
                w = None if weights is None else weights.astype(wd)
                got = dg.bincount(dg.tensor(idx), None if w is None else dg.tensor(w), minlength)
                ref = torch.bincount(
                    torch.tensor(idx), None if w is None else torch.tensor(w), minlength
                )
                _same(got, ref)


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov_weights_values_and_gradients_as_torch(correction):
    rng = np.random.default_rng(5)
    x, f, a = rng.standard_normal((3, 6)), np.array([1, 2, 0, 3, 1, 1]), rng.uniform(0.1, 1, 6)
    out = []
    for m in (dg, torch):
        xt, at = m.tensor(x, requires_grad=True), m.tensor(a, requires_grad=True)
        c = m.cov(xt, correction=correction, fweights=m.tensor(f), aweights=at)
        (c * m.tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
        out.append((c, xt.grad, at.grad))
    for got, ref in zip(*out):
        _same(got, ref, rtol=1e-10)


def test_cov_without_degrees_of_freedom_warns_as_torch():
    for m in (torch, dg):
        # (not pytest.warns: it records every warning, NumPy's 0/0 too, which dualgrad filters)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            c = m.cov(m.ones(3, 1, dtype=m.float64))
        assert any("degrees of freedom is <= 0" in str(w.message) for w in caught)
        assert np.isnan(c.detach().numpy()).all()


def test_chain_matmul_warns_it_is_deprecated():
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        dg.chain_matmul(dg.eye(2), dg.ones(2, 2))


def test_trapezoid_of_no_samples_is_zero_as_torch():
    _same(dg.trapezoid(dg.ones(2, 0)), torch.trapezoid(torch.ones(2, 0)))
    _same(dg.trapezoid(dg.ones(0, 3), dim=0), torch.trapezoid(torch.ones(0, 3), dim=0))


INPLACE = [
    ("addmv_", lambda m, x: x.addmv_(m.ones(3, 2, dtype=x.dtype), m.ones(2, dtype=x.dtype))),
    (
        "addr_",
        lambda m, x: (
            x.addr_(m.ones(3, dtype=x.dtype), m.ones(2, dtype=x.dtype)) if x.ndim == 2 else x
        ),
    ),
    ("float_power_", lambda m, x: x.double().float_power_(2)),
    ("renorm_", lambda m, x: x.renorm_(2, 0, 0.5) if x.ndim == 2 else x),
    ("ldexp_", lambda m, x: x.ldexp_(m.tensor([1, 2]) if x.ndim == 2 else m.tensor(1))),
    ("nextafter_", lambda m, x: x.nextafter_(m.zeros_like(x))),
    ("heaviside_", lambda m, x: x.heaviside_(m.tensor([0.5], dtype=x.dtype))),
    ("gcd_", lambda m, x: x.long().gcd_(m.tensor([4, 6]))),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_variants_as_torch(name, fn):
    a = np.array([[1.5, -2.0], [3.0, 0.5], [-0.25, 4.0]])
    if name == "addmv_":
        a = a[:, 0].copy()
    got, ref = fn(dg, dg.tensor(a)), fn(torch, torch.tensor(a))
    _same(got, ref)


def test_index_reduce_inplace_as_torch():
    a = np.arange(6.0).reshape(2, 3) + 1
    src = np.array([[2.0, 3.0, 4.0, 0.5], [1.0, -1.0, 2.0, 5.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "index_reduce() is in beta"
        for reduce in ("prod", "mean", "amax", "amin"):
            for include_self in (True, False):
                got, ref = (
                    m.tensor(a).index_reduce_(
                        1, m.tensor([0, 2, 2, 0]), m.tensor(src), reduce, include_self=include_self
                    )
                    for m in (dg, torch)
                )
                _same(got, ref)


def test_special_gammainc_is_igamma():
    a, x = np.array([0.5, 2.0]), np.array([0.3, 1.7])
    _same(
        dg.special.gammainc(dg.tensor(a), dg.tensor(x)),
        torch.special.gammainc(torch.tensor(a), torch.tensor(x)),
    )
    _same(
        dg.special.gammaincc(dg.tensor(a), dg.tensor(x)),
        torch.special.gammaincc(torch.tensor(a), torch.tensor(x)),
    )


def test_igamma_without_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ImportError, match=r"dualgrad\[special\]"):
        dg.igamma(dg.tensor([1.0]), dg.tensor([1.0]))


# ------------------------------------------------------------------ vmap with one side batched
def test_vmap_isin_batched_test_elements_and_scatter_into_an_unbatched_input():
    import dualgrad._batching as batching

    del batching.fallbacks[:]
    e = dg.tensor([[1, 2, 3], [4, 5, 6]])
    tests = dg.tensor([[2, 9], [6, 4], [1, 3]])
    got = dg.func.vmap(lambda t: dg.isin(e, t))(tests)
    for b in range(3):
        _same(got[b], dg.isin(e, tests[b]))
    base = dg.zeros(2, 3, dtype=dg.float64)
    srcs = dg.tensor(np.arange(9.0).reshape(3, 3))
    got = dg.func.vmap(lambda s: dg.select_scatter(base, s, 0, 1))(srcs)
    for b in range(3):
        _same(got[b], dg.select_scatter(base, srcs[b], 0, 1))
    assert not batching.fallbacks
