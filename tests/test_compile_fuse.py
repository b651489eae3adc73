"""dualgrad.compile's fusion of element-wise chains (NOTE: [fusion] in dualgrad/_compile/fuse.py):
a fused program gives the unfused replay's numbers (bitwise for the arithmetic, to rounding for
the transcendental functions, NaN, inf and signed zeros included), with numba when it is
installed and with the same generated loop interpreted (which runs everywhere), and the groups
are the ones NOTE: [fusion] describes."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

import dualgrad as dg
from dualgrad import func
from dualgrad._compile import CompileWarning
from dualgrad._compile import fuse as F

BACKENDS = ["python"] + (["numba"] if importlib.util.find_spec("numba") else [])

RNG = np.random.default_rng(0)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-30, -7e5, 60.0, np.inf, -np.inf, np.nan]


@pytest.fixture(params=BACKENDS)
def backend(request):
    before = F.backend
    F.backend = request.param
    yield request.param
    F.backend = before


def _entry(compiled):
    (entry,) = compiled.cache.values()
    return entry


def _fused(compiled):
    """The number of fused instructions in the compiled program, and of ops inside them."""
    src = _entry(compiled).program.source
    lines = [ln for ln in src.splitlines() if "# fused " in ln]
    return len(lines), sum(int(ln.split("# fused ")[1].split()[0]) for ln in lines)


def _run(fn, *make):
    """``fn`` compiled: traced, then replayed twice on new values (the first replay is checked
    against eager, the second is the program alone); returns the compiled function and the
    replay's answer next to the eager one on the same inputs."""
    compiled = dg.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # no fallback to eager
        for _ in range(3):
            args = [m() for m in make]
            got = compiled(*args)
    assert _entry(compiled).reason is None and _entry(compiled).checked
    return compiled, got, fn(*args)


def _special(dtype, shift=0.0):
    v = np.array(SPECIAL, dtype=np.float64)
    v = np.concatenate([v, RNG.standard_normal(11) * 3 + shift])
    return dg.tensor(v.astype(dtype))


# name -> (function of one or two tensors, exact: bitwise equal to the unfused replay)
UNARY = {
    "neg": (dg.neg, True),
    "square": (dg.square, True),
    "reciprocal": (dg.reciprocal, True),
    "abs": (dg.abs, True),
    "sqrt": (dg.sqrt, True),
    "floor": (dg.floor, True),
    "ceil": (dg.ceil, True),
    "sin": (dg.sin, False),
    "cos": (dg.cos, False),
    "tan": (dg.tan, False),
    "exp": (dg.exp, False),
    "expm1": (dg.expm1, False),
    "log": (dg.log, False),
    "log1p": (dg.log1p, False),
    "tanh": (dg.tanh, False),
    "sinh": (dg.sinh, False),
    "cosh": (dg.cosh, False),
    "atan": (dg.atan, False),
}
BINARY = {
    "add": (dg.add, True),
    "sub": (dg.sub, True),
    "mul": (dg.mul, True),
    "div": (dg.div, True),
}


def _assert_same(got, want, exact):
    assert got.dtype == want.dtype and got.shape == want.shape
    g, w = got.numpy(), want.numpy()
    assert np.array_equal(np.isnan(g), np.isnan(w))
    assert np.array_equal(np.signbit(g[g == 0]), np.signbit(w[w == 0]))  # -0.0 stays -0.0
    if exact:
        np.testing.assert_array_equal(g, w)
    else:
        finite = np.isfinite(w)
        assert np.array_equal(g[~finite], w[~finite], equal_nan=True)
        ulp = np.spacing(np.abs(w[finite]).astype(w.dtype))
        assert np.all(np.abs(g[finite] - w[finite]) <= 2 * ulp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_fused_unary_ops_match_the_unfused_replay(backend, name, dtype):
    op, exact = UNARY[name]
    # the op between two exact scalings by numbers cast to the dtype: one group of three
    compiled, got, want = _run(lambda x: op(x * 0.5) * 2.0, lambda: _special(dtype))
    assert _fused(compiled) == (1, 3)
    _assert_same(got, want, exact)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_fused_binary_ops_match_the_unfused_replay(backend, name, dtype):
    op, exact = BINARY[name]
    compiled, got, want = _run(
        lambda x, y: op(op(x, y), -y) + 1.5, lambda: _special(dtype), lambda: _special(dtype, 1)
    )
    assert _fused(compiled) == (1, 4)
    _assert_same(got, want, exact)


def _chain(x):
    for _ in range(10):
        x = x + dg.exp(dg.sin(x) * -0.05)
    return x


def test_a_gradient_chain_is_one_loop(backend):
    """W4 of issue 17 in small: the forward chain and its backward are one group."""
    compiled, got, want = _run(
        lambda x: func.grad(lambda u: _chain(u).sum())(x), lambda: _special(np.float32)[:-3]
    )
    n, ops = _fused(compiled)
    assert n == 1 and ops > 60
    _assert_same(got, want, False)


class Scale:
    """A closure's array, changed in place between calls: the fused loop reads it afresh."""

    def __init__(self):
        self.w = dg.tensor(np.float64(2.0))

    def __call__(self, x):
        return dg.sin(x * self.w) + self.w


def test_broadcast_and_closure_constants_are_read_per_call(backend):
    f = Scale()
    compiled = dg.compile(f)
    x = _special(np.float64)
    compiled(x)
    compiled(x)
    assert _fused(compiled) == (1, 3)
    f.w._data[...] = -3.0  # (the closure's own array, changed in place)
    _assert_same(compiled(x), f(x), False)


def _split(x, y):
    a = dg.sin(x) * 2.0
    s = a.sum()  # reads the group: it is emitted before the sum
    b = dg.exp(a) - s  # a new group after the sum
    c = y * 3.0 + 1.0  # another shape and dtype: a group of its own
    return b * 0.5, a, c.sum()


def test_groups_close_where_a_value_is_read_outside(backend):
    compiled, got, want = _run(
        _split, lambda: _special(np.float64), lambda: dg.tensor(np.ones((2, 3), np.float32))
    )
    assert _fused(compiled) == (3, 7)
    for g, w in zip(got, want):
        _assert_same(g, w, False)


def _not_fused(x, i, c):
    return (i + i * 3) * 2, x * c + 1.0, (x[:2] + x[2:4]) * x[4:6].sum(0)


def test_what_is_left_unfused(backend):
    """Integer ops, a float64 array constant on float32 values (the ufunc computes in float64)
    and a strided view all give eager's dtypes and values; none of them fuses."""
    compiled, got, want = _run(
        lambda x, i: _not_fused(x, i, np.float64(2.0) * dg.ones((), dtype=dg.float64)),
        lambda: _special(np.float32),
        lambda: dg.tensor(np.arange(6)),
    )
    for g, w in zip(got, want):
        _assert_same(g, w, True)
    assert _fused(compiled)[0] <= 1  # at most (x[:2] + x[2:4]) * s: the one same-shape pair


def test_without_a_backend_nothing_is_fused():
    before = F.backend
    F.backend = None
    try:
        compiled, got, want = _run(lambda x: dg.exp(dg.sin(x) * 2), lambda: _special(np.float64))
    finally:
        F.backend = before
    assert _fused(compiled) == (0, 0)
    _assert_same(got, want, True)


def test_the_same_chain_is_compiled_once(backend):
    """Programs with the same group (another function, another length) share its loop."""
    fns = [dg.compile(lambda x: dg.exp(dg.cos(x) * 3.25)) for _ in range(2)]
    fns[0](_special(np.float64))
    fns[0](_special(np.float64))
    fns[1](_special(np.float64)[:5])
    fns[1](_special(np.float64)[:5])
    loops = [
        v
        for f in fns
        for k, v in _entry(f).program.__globals__.items()
        if k.startswith("k") and hasattr(v, "source")
    ]
    assert len(loops) == 2 and loops[0] is loops[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", sorted(F.POW_SCALAR_EXPR))
def test_fused_small_powers_match_the_unfused_replay(backend, exponent, dtype):
    """x ** n for the exponents the kernel computes by multiplication (or sqrt) fuses, with the
    kernel's bits (the same operations in the same order)."""
    compiled, got, want = _run(lambda x: (x * 0.5) ** exponent * 2.0, lambda: _special(dtype))
    assert _fused(compiled) == (1, 3)
    _assert_same(got, want, True)


def test_an_expanded_element_is_read_once_and_follows_its_source(backend):
    """A gradient's seed expanded to the input's shape (stride 0) is read as one element, not
    copied per call; the program still agrees with eager on new inputs (W7's double backward)."""

    def w7(x):
        return func.grad(lambda v: func.grad(lambda u: (u**3).sum())(v).sum())(x)

    compiled, got, want = _run(w7, lambda: dg.tensor(RNG.standard_normal(50)))
    assert _fused(compiled)[0] == 1
    _assert_same(got, want, True)
