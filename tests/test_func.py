"""dualgrad.func against torch.func on the same functions, in float64.

Every transform alone, every ordered two-deep and three-deep composition of grad, jvp, vjp,
vmap, jacrev and jacfwd (36 and 216, built generically, plus hand-written forms of some),
pytrees, argnums, has_aux and the errors.
"""

from __future__ import annotations

import itertools

import re
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.func as F

RNG = np.random.default_rng(0)
X = RNG.uniform(0.3, 1.5, 4)
V = RNG.standard_normal(4)
XS = RNG.uniform(0.3, 1.5, (3, 4))


def scalar_fn(m):
    return lambda x: (m.sin(x) * x**2 + m.exp(-x)).sum()


def vector_fn(m):
    return lambda x: m.tanh(x) * x.sum() + x**3


def both(a):
    return dg.tensor(a), torch.tensor(a)


def close(a, b, atol=1e-10):
    if isinstance(b, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            close(x, y, atol)
        return
    np.testing.assert_allclose(np.asarray(a._data), b.detach().numpy(), rtol=1e-8, atol=atol)


# ---------------------------------------------------------------- one transform
def _jvp_of(lib, f):
    fx = lib.func
    return lambda x, v: fx.jvp(f, (x,), (v,))[1]


def _vjp_of(lib, f):
    fx = lib.func
    return lambda x, v: fx.vjp(f, x)[1](v)[0]


SINGLE = {
    "grad": lambda lib: lib.func.grad(scalar_fn(lib)),
    "jacrev": lambda lib: lib.func.jacrev(vector_fn(lib)),
    "jacfwd": lambda lib: lib.func.jacfwd(vector_fn(lib)),
    "hessian": lambda lib: lib.func.hessian(scalar_fn(lib)),
    "vmap": lambda lib: lib.func.vmap(vector_fn(lib)),
}


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_single_transform(name):
    arg = XS if name == "vmap" else X
    d, t = both(arg)
    close(SINGLE[name](dg)(d), SINGLE[name](torch)(t))


def test_jvp_and_vjp():
    (x, tx), (v, tv) = both(X), both(V)
    close(_jvp_of(dg, vector_fn(dg))(x, v), _jvp_of(torch, vector_fn(torch))(tx, tv))
    close(_vjp_of(dg, vector_fn(dg))(x, v), _vjp_of(torch, vector_fn(torch))(tx, tv))
    value, out_t = F.jvp(vector_fn(dg), (x,), (v,))
    close(value, vector_fn(torch)(tx))


def test_linearize_matches_jvp_and_evaluates_once():
    calls = []

    def f(x):
        calls.append(1)
        return vector_fn(dg)(x)

    (x, tx), (v, tv) = both(X), both(V)
    out, jvp_fn = F.linearize(f, x)
    first = jvp_fn(v)
    second = jvp_fn(v * 2)
    assert len(calls) == 1, "linearize must evaluate f once"
    ref = torch.func.jvp(vector_fn(torch), (tx,), (tv,))[1]
    close(first, ref)
    close(second, 2 * ref)
    close(out, vector_fn(torch)(tx))


# ---------------------------------------------------------------- two-deep compositions
def _compose(lib, outer, inner):
    """outer(inner(f)) for the pairs below; each returns a function of x (and v)."""
    fx = lib.func
    s, vec = scalar_fn(lib), vector_fn(lib)
    table = {
        ("grad", "grad"): lambda x, v: fx.grad(lambda y: (fx.grad(s)(y) * y).sum())(x),
        ("jvp", "grad"): lambda x, v: fx.jvp(fx.grad(s), (x,), (v,))[1],
        ("grad", "jvp"): lambda x, v: fx.grad(lambda y: fx.jvp(s, (y,), (v,))[1])(x),
        ("jvp", "jvp"): lambda x, v: fx.jvp(lambda y: fx.jvp(vec, (y,), (v,))[1], (x,), (v,))[1],
        ("vjp", "grad"): lambda x, v: fx.vjp(fx.grad(s), x)[1](v)[0],
        ("grad", "vjp"): lambda x, v: fx.grad(lambda y: (fx.vjp(vec, y)[1](v)[0]).sum())(x),
        ("vjp", "jvp"): lambda x, v: fx.vjp(lambda y: fx.jvp(vec, (y,), (v,))[1], x)[1](v)[0],
        ("jvp", "vjp"): lambda x, v: fx.jvp(lambda y: fx.vjp(vec, y)[1](v)[0], (x,), (v,))[1],
        ("vmap", "grad"): lambda x, v: fx.vmap(fx.grad(s))(x.unsqueeze(0).expand(3, 4) * 1.0),
        ("grad", "vmap"): lambda x, v: fx.grad(
            lambda y: fx.vmap(vec)(y.unsqueeze(0) * v.unsqueeze(1)).sum()
        )(x),
        ("vmap", "jvp"): lambda x, v: fx.vmap(lambda y: fx.jvp(vec, (y,), (v,))[1])(
            x.unsqueeze(0) * v.unsqueeze(1)
        ),
        ("jvp", "vmap"): lambda x, v: fx.jvp(
            lambda y: fx.vmap(vec)(y.unsqueeze(0) * v.unsqueeze(1)), (x,), (v,)
        )[1],
        ("vmap", "vmap"): lambda x, v: fx.vmap(fx.vmap(lambda a: a.sin() * a))(
            x.unsqueeze(0) * v.unsqueeze(1)
        ),
        ("vmap", "vjp"): lambda x, v: fx.vmap(lambda y: fx.vjp(vec, y)[1](v)[0])(
            x.unsqueeze(0) * v.unsqueeze(1)
        ),
        ("jacrev", "jacrev"): lambda x, v: fx.jacrev(fx.jacrev(vec))(x),
        ("jacfwd", "jacfwd"): lambda x, v: fx.jacfwd(fx.jacfwd(vec))(x),
        ("jacfwd", "jacrev"): lambda x, v: fx.jacfwd(fx.jacrev(vec))(x),
        ("jacrev", "jacfwd"): lambda x, v: fx.jacrev(fx.jacfwd(vec))(x),
        ("vmap", "jacrev"): lambda x, v: fx.vmap(fx.jacrev(vec))(x.unsqueeze(0) * v.unsqueeze(1)),
        ("jacrev", "vmap"): lambda x, v: fx.jacrev(
            lambda y: fx.vmap(vec)(y.unsqueeze(0) * v.unsqueeze(1))
        )(x),
        ("grad", "jacfwd"): lambda x, v: fx.grad(lambda y: fx.jacfwd(vec)(y).sum())(x),
        ("jvp", "jacrev"): lambda x, v: fx.jvp(fx.jacrev(vec), (x,), (v,))[1],
    }
    return table[(outer, inner)]


@pytest.mark.parametrize(
    "pair",
    [
        ("grad", "grad"),
        ("jvp", "grad"),
        ("grad", "jvp"),
        ("jvp", "jvp"),
        ("vjp", "grad"),
        ("grad", "vjp"),
        ("vjp", "jvp"),
        ("jvp", "vjp"),
        ("vmap", "grad"),
        ("grad", "vmap"),
        ("vmap", "jvp"),
        ("jvp", "vmap"),
        ("vmap", "vmap"),
        ("vmap", "vjp"),
        ("jacrev", "jacrev"),
        ("jacfwd", "jacfwd"),
        ("jacfwd", "jacrev"),
        ("jacrev", "jacfwd"),
        ("vmap", "jacrev"),
        ("jacrev", "vmap"),
        ("grad", "jacfwd"),
        ("jvp", "jacrev"),
    ],
    ids=lambda p: f"{p[0]}({p[1]})",
)
def test_two_deep(pair):
    (x, tx), (v, tv) = both(X), both(V)
    close(_compose(dg, *pair)(x, v), _compose(torch, *pair)(tx, tv))


# Every ordered pair of grad, jvp, vjp, vmap, jacrev and jacfwd (36), built the same way for
# both libraries: each transform turns a function of x (shape (4,)) into another function of x.
TRANSFORMS = ("grad", "jvp", "vjp", "vmap", "jacrev", "jacfwd")


def _transformed(lib, name, f):
    fx = lib.func
    v = lib.tensor(V)
    scales = lib.tensor([1.0, 0.5, -0.3], dtype=v.dtype)
    if name == "grad":  # of a scalar made from any output: half its squared norm
        return lambda x: fx.grad(lambda y: (f(y) ** 2).sum() * 0.5)(x)
    if name == "jvp":
        return lambda x: fx.jvp(f, (x,), (v,))[1]
    if name == "vjp":

        def pulled(x):
            out, pullback = fx.vjp(f, x)
            return pullback(lib.ones_like(out))[0]

        return pulled
    if name == "vmap":  # over three scaled copies of x
        return lambda x: fx.vmap(f)(x.unsqueeze(0) * scales.unsqueeze(1))
    return getattr(fx, name)(f)  # jacrev, jacfwd


@pytest.mark.parametrize("outer", TRANSFORMS)
@pytest.mark.parametrize("inner", TRANSFORMS)
def test_every_two_deep_composition(outer, inner):
    """outer(inner(f)) for every ordered pair, against torch.func, with no perturbation
    confusion and, inside vmap, no per-element fallback."""
    import dualgrad._batching as batching

    def composed(lib):
        return _transformed(lib, outer, _transformed(lib, inner, vector_fn(lib)))

    (x, tx) = both(X)
    del batching.fallbacks[:]
    got = composed(dg)(x)
    assert batching.fallbacks == [], f"vmap fell back: {batching.fallbacks}"
    close(got, composed(torch)(tx))


@pytest.mark.parametrize(
    "combo", list(itertools.product(TRANSFORMS, repeat=3)), ids=lambda c: "(".join(c) + "))"
)
def test_every_three_deep_composition(combo):
    """Three deep (216 orders): vmap around, inside or between reverse transforms (each on
    a tape of its own inside vmap), and reverse over nested forward, against torch.func."""

    def composed(lib):
        f = vector_fn(lib)
        for name in reversed(combo):
            f = _transformed(lib, name, f)
        return f

    (x, tx) = both(X)
    close(composed(dg)(x), composed(torch)(tx))


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x, not 3x (Siskind & Pearlmutter's example)
    f = lambda x: x * F.grad(lambda y: x * y)(x)  # noqa: E731
    assert F.grad(f)(dg.tensor(3.0)).item() == 6.0
    g = lambda x: x * F.jvp(lambda y: x * y, (x,), (dg.tensor(1.0),))[1]  # noqa: E731
    assert F.jvp(g, (dg.tensor(3.0),), (dg.tensor(1.0),))[1].item() == 6.0


# ---------------------------------------------------------------- pytrees, argnums, has_aux
def test_argnums_pytrees_has_aux():
    def f(params, x):
        return ((params["w"] * x).sum() + params["b"][0] ** 2).sin(), {"n": x.sum()}

    params = {"w": dg.tensor(X), "b": (dg.tensor(0.5, dtype=dg.float64),)}
    tparams = {"w": torch.tensor(X), "b": (torch.tensor(0.5, dtype=torch.float64),)}
    g, aux = F.grad(f, has_aux=True)(params, dg.tensor(V))
    tg, taux = torch.func.grad(f, has_aux=True)(tparams, torch.tensor(V))
    close(g["w"], tg["w"])
    close(g["b"][0], tg["b"][0])
    close(aux["n"], taux["n"])
    g2 = F.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(dg.tensor(X), dg.tensor(V))
    tg2 = torch.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(
        torch.tensor(X), torch.tensor(V)
    )
    close(g2, tg2)


def test_vmap_in_dims_out_dims_and_randomness():
    x, tx = both(XS)
    y, ty = both(X)
    f = lambda a, b: a * b + a.sum()  # noqa: E731
    close(
        F.vmap(f, in_dims=(1, None), out_dims=1)(x, y[:3]),
        torch.func.vmap(f, in_dims=(1, None), out_dims=1)(tx, ty[:3]),
    )
    dg.manual_seed(0)
    same = F.vmap(lambda a: a + dg.rand(()), randomness="same")(dg.zeros(4))
    assert np.allclose(same._data, same._data[0])
    diff = F.vmap(lambda a: a + dg.rand(()), randomness="different")(dg.zeros(4))
    assert len(set(diff.tolist())) == 4


def test_errors():
    with pytest.raises(RuntimeError, match="scalar"):
        F.grad(lambda x: x * 2)(dg.tensor(X))
    with pytest.raises(TypeError, match="floating point"):
        F.grad(lambda x: x.sum())(dg.tensor([1, 2]))
    with pytest.raises(ValueError, match="in_dims"):
        F.vmap(lambda a, b: a, in_dims=(0,))(dg.tensor(XS), dg.tensor(XS))
    with pytest.raises(
        ValueError, match="Expected all tensors to have the same size in the mapped dimension"
    ):
        F.vmap(lambda a, b: a + b)(dg.zeros(3), dg.zeros(4))
    with pytest.raises(RuntimeError, match="one tangent per primal"):
        F.jvp(lambda a: a, (dg.tensor(X),), ())


def test_seed001_functional_api_with_modules():
    """Seed 001's "Functional API" sections, run as written on dualgrad (functorch -> dualgrad.func),
    compared with torch.func on the same weights."""
    import functools

    import dualgrad.nn as nn

    ft = F
    primal0, tangent0, primal1, tangent1 = (
        dg.tensor(RNG.standard_normal((10, 10))) for _ in range(4)
    )

    def fn(x, y):
        return x**2 + y**2

    primal_out, tangent_out = ft.jvp(fn, (primal0, primal1), (tangent0, tangent1))
    ref = torch.func.jvp(
        fn,
        (torch.tensor(primal0._data), torch.tensor(primal1._data)),
        (torch.tensor(tangent0._data), torch.tensor(tangent1._data)),
    )
    close(primal_out, ref[0])
    close(tangent_out, ref[1])
    new_fn = functools.partial(fn, y=primal1)
    close(
        ft.jvp(new_fn, (primal0,), (tangent0,))[1], 2 * torch.tensor(primal0._data * tangent0._data)
    )

    model = nn.Linear(5, 5).double()
    input = dg.tensor(RNG.standard_normal((16, 5)))
    tangents = tuple([dg.rand_like(p) for p in model.parameters()])
    func, params, buffers = ft.make_functional_with_buffers(model)

    def func_params_only(params):
        return func(params, buffers, input)

    model_output, jvp_out = ft.jvp(func_params_only, (params,), (tangents,))
    tmodel = torch.nn.Linear(5, 5).double()
    tmodel.load_state_dict({k: torch.tensor(v._data) for k, v in model.state_dict().items()})
    names = [n for n, _ in tmodel.named_parameters()]
    tparams = tuple(p.detach() for p in tmodel.parameters())
    tt = tuple(torch.tensor(t._data) for t in tangents)
    tinput = torch.tensor(input._data)
    ref_out, ref_jvp = torch.func.jvp(
        lambda *ps: torch.func.functional_call(tmodel, dict(zip(names, ps)), (tinput,)), tparams, tt
    )
    close(model_output, ref_out)
    close(jvp_out, ref_jvp)


def test_vmap_is_a_level_runs_the_function_once():
    """With a batching rule for every op, the function runs once on the whole batch."""
    calls = []

    batch = RNG.standard_normal((5, 4))

    def f(a):
        calls.append(1)
        return dg.tanh(dg.tensor(XS) @ a.unsqueeze(-1)).sum() * a

    out = F.vmap(f)(dg.tensor(batch))
    assert len(calls) == 1
    ref = torch.func.vmap(lambda a: torch.tanh(torch.tensor(XS) @ a.unsqueeze(-1)).sum() * a)(
        torch.tensor(batch)
    )
    close(out, ref)


def _no_fallback(fn, *args):
    """Run ``fn`` and check that vmap took no per-element fallback on the way."""
    import dualgrad._batching as batching

    del batching.fallbacks[:]
    out = fn(*args)
    assert batching.fallbacks == [], f"vmap fell back: {batching.fallbacks}"
    return out


def test_reverse_mode_inside_vmap_is_batched_not_a_loop():
    """vmap(grad(f)) records on a tape of its own level (NOTE: [grad under vmap]): the
    function runs once, and per-sample gradients, Hessians and Jacobians match torch.func."""
    calls = []

    def f(a):
        calls.append(1)
        return (a.sin() * a).sum()

    def tf(a):
        return (a.sin() * a).sum()

    tx = torch.tensor(XS)
    close(_no_fallback(F.vmap(F.grad(f)), dg.tensor(XS)), torch.func.vmap(torch.func.grad(tf))(tx))
    assert len(calls) == 1

    # per-sample gradients with respect to an unbatched weight (the batch is closed over)
    def loss(m, w, x):
        return (m.tanh(x * w) * x).sum()

    w = RNG.uniform(0.3, 1.5, 4)
    got = _no_fallback(
        F.vmap(lambda x: F.grad(lambda v: loss(dg, v, x))(dg.tensor(w))), dg.tensor(XS)
    )
    close(
        got,
        torch.func.vmap(lambda x: torch.func.grad(lambda v: loss(torch, v, x))(torch.tensor(w)))(
            tx
        ),
    )

    def g(m):
        return lambda a: (a.sin() * a).sum() * a.cos().sum()

    for name in ("hessian", "jacrev", "jacfwd"):
        inner = getattr(F, name)(F.grad(g(dg)) if name != "hessian" else g(dg))
        tinner = getattr(torch.func, name)(
            torch.func.grad(g(torch)) if name != "hessian" else g(torch)
        )
        close(_no_fallback(F.vmap(inner), dg.tensor(XS)), torch.func.vmap(tinner)(tx))
    # grad of grad inside vmap, and reverse mode through the whole thing from outside
    close(
        _no_fallback(F.vmap(F.grad(lambda a: F.grad(g(dg))(a).sum())), dg.tensor(XS)),
        torch.func.vmap(torch.func.grad(lambda a: torch.func.grad(g(torch))(a).sum()))(tx),
    )
    outer = _no_fallback(F.grad(lambda y: F.vmap(F.grad(f))(y).pow(2).sum()), dg.tensor(XS))
    close(
        outer, torch.func.grad(lambda y: torch.func.vmap(torch.func.grad(tf))(y).pow(2).sum())(tx)
    )


def _raised(fn):
    """The exception ``fn()`` raises (None if it returns)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return e
    return None


def _halve_while_large(a):
    while a.abs().max() > 1:
        a = a / 2
    return a


# the first sentence of torch.func's message, which dualgrad's starts with (then its own hint)
def _torch_phrase(e):
    return str(e).split(". ")[0]


@pytest.mark.parametrize(
    "what,f",
    [
        ("if on a value", lambda m, a: a * 2 if a.sum() > 0 else a * 3),
        ("bool()", lambda m, a: a * 2 if bool(a.sum() > 0) else a * 3),
        ("while", lambda m, a: _halve_while_large(a)),
        ("float()", lambda m, a: a * float(a.sum())),
        ("int()", lambda m, a: a * int(a.sum())),
        ("item()", lambda m, a: a * a.sum().item()),
        ("requires_grad_", lambda m, a: a.detach().requires_grad_() * 2),
        ("backward()", lambda m, a: (a.sum().backward(), a)[1]),
        ("allclose", lambda m, a: a * m.allclose(a, a * 2)),
        ("one_hot widths differ", lambda m, a: m.nn.functional.one_hot(a.long().abs())),
    ],
)
def test_vmap_refuses_what_it_cannot_batch_with_torchs_error(what, f):
    """Python control flow on a batched value, float()/int()/item(), requires_grad_(),
    backward(), allclose and one_hot without num_classes cannot be batched: vmap raises at the
    point with torch.func's message (never re-running the function), and dualgrad's hint names
    the fix, fallback='loop'."""
    batch = np.array([[1.0, 2.0], [-1.0, -2.0], [3.0, -1.0]])
    tx = torch.tensor(batch, requires_grad=what == "backward()")
    t_err = _raised(lambda: torch.func.vmap(lambda a: f(torch, a))(tx))
    assert isinstance(t_err, RuntimeError), t_err
    calls = []

    def g(a):
        calls.append(1)
        return f(dg, a)

    x = dg.tensor(batch, requires_grad=what == "backward()")
    with pytest.raises(RuntimeError, match=re.escape(_torch_phrase(t_err))) as got:
        F.vmap(g)(x)
    assert "fallback='loop'" in str(got.value)
    assert len(calls) == 1  # raised at the point, not run again


def test_vmap_runs_per_element_only_when_asked_and_stays_right():
    """With fallback='loop' (decided before the call) the function runs once per element and
    gives each element's result: control flow on values gives torch's per-element numbers;
    a bad fallback is refused; random ops still need an explicit randomness mode."""
    calls = []

    def f(m, a):
        calls.append(1)
        return a * 2 if a.sum() > 0 else a * 3

    batch = np.array([[1.0, 2.0], [-1.0, -2.0], [3.0, -1.0]])
    want = torch.stack([f(torch, r) for r in torch.tensor(batch)])
    calls.clear()
    close(F.vmap(lambda a: f(dg, a), fallback="loop")(dg.tensor(batch)), want)
    assert len(calls) == 3
    with pytest.raises(ValueError, match="fallback must be None .* or 'loop'"):
        F.vmap(lambda a: a, fallback="per-element")
    with pytest.raises(RuntimeError, match="randomness"):
        F.vmap(lambda a: a + dg.rand(()))(dg.zeros(3))


def test_vmap_says_once_when_an_op_has_no_batching_rule():
    """nonzero's output shape depends on the values: it has no batching rule (torch.func.vmap
    refuses it); dualgrad runs it once per element, says so once, and stays right."""
    import dualgrad._batching as batching

    batching._warned.discard("nonzero")
    batch = [[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]]
    with pytest.warns(UserWarning, match="'nonzero' has no batching rule"):
        out = F.vmap(lambda a: a.nonzero())(dg.tensor(batch))
    np.testing.assert_array_equal(out._data, np.stack([np.argwhere(np.array(r)) for r in batch]))


def test_chunk_size_maps_in_pieces_with_the_same_result():
    """vmap(chunk_size=k) calls the function once per chunk of k elements (the last one
    shorter), and vmap and jacrev give torch.func's results; a bad chunk_size is refused."""
    calls = []
    batch = RNG.standard_normal((7, 4))

    def f(a, b):
        calls.append(a.shape)
        return a.sin() * b, (a * b).sum()

    out = F.vmap(f, in_dims=(0, None), out_dims=(1, 0), chunk_size=3)(
        dg.tensor(batch), dg.tensor(X)
    )
    assert len(calls) == 3
    ref = torch.func.vmap(f, in_dims=(0, None), out_dims=(1, 0), chunk_size=3)(
        torch.tensor(batch), torch.tensor(X)
    )
    close(out, ref)
    close(
        F.jacrev(vector_fn(dg), chunk_size=2)(dg.tensor(X)),
        torch.func.jacrev(vector_fn(torch), chunk_size=2)(torch.tensor(X)),
    )
    close(
        F.jacfwd(vector_fn(dg), chunk_size=3)(dg.tensor(X)),
        torch.func.jacfwd(vector_fn(torch))(torch.tensor(X)),
    )
    same = F.vmap(lambda a: a + dg.rand(()), randomness="same", chunk_size=2)(dg.zeros(5))
    assert np.all(same._data == same._data[0])
    with pytest.raises(ValueError, match="chunk_size"):
        F.vmap(f, chunk_size=0)


@pytest.mark.parametrize("name", ["index_add", "index_copy", "index_fill"])
def test_vmap_over_batched_index_tensors_is_batched_and_right(name):
    """index_add / index_copy / index_fill with an index that is itself mapped: one batched
    scatter (no per-element run), values and per-sample gradients as torch.func's."""
    import dualgrad._batching as batching

    def f(a, i, s):
        if name == "index_add":
            return a.index_add(0, i, s, alpha=2.0)
        if name == "index_copy":
            return a.index_copy(0, i, s)
        return a.index_fill(0, i, -1.5)

    rng = np.random.default_rng(5)
    x, src = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 2, 4))
    idx = np.array([[0, 3], [4, 4 if name != "index_copy" else 1], [1, 2]])
    args = (x, idx, src)
    del batching.fallbacks[:]
    close(F.vmap(f)(*map(dg.tensor, args)), torch.func.vmap(f)(*map(torch.tensor, args)))
    loss = F.grad(lambda a, i, s: (f(a, i, s) ** 2).sum(), argnums=(0, 2))
    tloss = torch.func.grad(lambda a, i, s: (f(a, i, s) ** 2).sum(), argnums=(0, 2))
    close(F.vmap(loss)(*map(dg.tensor, args)), torch.func.vmap(tloss)(*map(torch.tensor, args)))
    assert batching.fallbacks == []


# ---------------------------------------------------------------- in-place inside transforms
def _inplace_setitem(m):
    def f(x):
        y = x.clone()
        y[0] = x[0] * x[1]
        y[2:] = x[2:].sin()
        return (y * x).sum()

    return f


def _inplace_chain(m):
    def f(x):
        y = x * 2
        y.mul_(x)
        y.add_(x.exp())
        y.sin_()
        return y.sum()

    return f


def _inplace_view_seen_later(m):
    def f(x):  # v is a view of y made before y's write: its gradient must see the write
        y = x * 1.5
        v = y[1:3]
        y.mul_(x)
        return (v**2).sum() + y.sum()

    return f


def _inplace_through_view(m):
    def f(x):  # a write through a view must reach the base's history
        y = x * 1.5
        y[1:3].mul_(x[:2])
        return (y * y).sum()

    return f


def _inplace_saved_then_written(m):
    def f(x):
        y = x.cos()
        z = y * 3  # mul saves only the scalar's other side: the write below is allowed
        y.add_(1)
        return (z * y).sum()

    return f


INPLACE_FNS = {
    "setitem": _inplace_setitem,
    "chain": _inplace_chain,
    "view_seen_later": _inplace_view_seen_later,
    "through_view": _inplace_through_view,
    "saved_then_written": _inplace_saved_then_written,
}
# the transforms under which every one of them runs batched, writes through views included
# (NOTE: [in-place on a transform's tape] in _inplace.py)
BATCHED_UNDER = {
    "vmap(grad)",
    "grad(vmap)",
    "grad(vmap(grad))",
    "vmap(vmap(grad))",
    "vmap(jacrev)",
    "vmap(grad(jvp))",
    "vmap(jvp)",
    "vmap(jacfwd)",
    "jacfwd",
    "vmap(hessian)",
}


@pytest.mark.parametrize(
    "transform",
    [
        "vmap(grad)",
        "grad(vmap)",
        "vmap(hessian)",
        "vmap(jacrev)",
        "jacrev",
        "hessian",
        "vmap(jvp)",
        "grad(vmap(grad))",
        "vmap(vmap(grad))",
        "vmap(jacfwd)",
        "jacfwd",
        "vmap(grad(jvp))",
    ],
)
@pytest.mark.parametrize("name", sorted(INPLACE_FNS))
def test_inplace_ops_inside_transforms_match_torch_func(name, transform):
    """In-place writes (setitem, op_, writes through and into views) inside every transform
    give torch.func's numbers, and under vmap they run batched, not once per element."""
    import dualgrad._batching as batching

    def build(m):
        f = INPLACE_FNS[name](m)
        fx = m.func
        return {
            "vmap(grad)": fx.vmap(fx.grad(f)),
            "grad(vmap)": fx.grad(lambda xs: fx.vmap(f)(xs).sum()),
            "vmap(hessian)": fx.vmap(fx.hessian(f)),
            "vmap(jacrev)": fx.vmap(fx.jacrev(lambda x: f(x) * x)),
            "jacrev": fx.jacrev(lambda x: f(x) * x),
            "hessian": fx.hessian(f),
            "vmap(jvp)": fx.vmap(lambda x: fx.jvp(f, (x,), (x.cos(),))[1]),
            "grad(vmap(grad))": fx.grad(lambda xs: (fx.vmap(fx.grad(f))(xs) ** 2).sum()),
            "vmap(vmap(grad))": fx.vmap(fx.vmap(fx.grad(f))),
            "vmap(jacfwd)": fx.vmap(fx.jacfwd(lambda x: f(x) * x)),
            "jacfwd": fx.jacfwd(lambda x: f(x) * x),
            "vmap(grad(jvp))": fx.vmap(fx.grad(lambda x: fx.jvp(f, (x,), (x.sin(),))[1])),
        }[transform]

    arg = (
        np.stack([XS, XS[::-1] * 0.9])
        if transform == "vmap(vmap(grad))"
        else (XS if "vmap" in transform else X)
    )
    before = len(batching.fallbacks)
    got = build(dg)(dg.tensor(arg))
    loops = batching.fallbacks[before:]
    close(got, build(torch)(torch.tensor(arg)))
    if transform in BATCHED_UNDER:
        assert "per-element run" not in loops, loops


@pytest.mark.parametrize("lib", ["dualgrad", "torch"])
def test_inplace_errors_inside_vmap_of_grad_are_torchs(lib):
    """On a transform's tape inside vmap, a write to a value a node saved fails at backward,
    and a write to the transform's input is the leaf error, as in torch.func."""
    m = dg if lib == "dualgrad" else torch
    fx = m.func

    def saved_then_written(x):
        y = x.sin()
        z = y * y  # saves y
        y.add_(1)
        return z.sum()

    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        fx.vmap(fx.grad(saved_then_written))(m.tensor(XS))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fx.vmap(fx.grad(lambda x: x.mul_(2).sum()))(m.tensor(XS))

    def write_through_no_grad_view(x):
        y = x * 2
        with m.no_grad():
            v = y[0:2]
        v.mul_(3)  # y's history would miss the write: torch refuses it
        return y.sum()

    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        fx.vmap(fx.grad(write_through_no_grad_view))(m.tensor(XS))


BATCHED_INDEX_WRITES = {  # x: (2, 3) per sample; i: an int64 0-d tensor per sample
    "x[i] = v": lambda m, x, i, v: _set(x.clone(), i % 2, v * x[0, 0]),
    "x[:, i] = v": lambda m, x, i, v: _set(x.clone(), (slice(None), i % 3), v),
    "x[i, j] = v": lambda m, x, i, v: _set(x.clone(), (i % 2, (i + 1) % 3), v.sin()),
    "x[1:, None, i] = v": lambda m, x, i, v: _set(x.clone(), (slice(1, None), None, i % 3), v),
    "x[i, ::2] = w": lambda m, x, i, v: _set(
        x.clone(), (i % 2, slice(None, None, 2)), x[0, 0::2] + v
    ),
    "index_put accumulate": lambda m, x, i, v: m.index_put(
        x.reshape(6), (m.stack([i, i, (i + 2) % 6]),), m.stack([v, v * 2, v.exp()]), accumulate=True
    ),
}


def _set(y, index, value):
    y[index] = value
    return y


@pytest.mark.parametrize("name", sorted(BATCHED_INDEX_WRITES))
def test_writes_at_batched_index_tensors_run_batched_and_match_torch_func(name):
    """x[i] = v and index_put with an index tensor batched by vmap: one batched scatter (no
    per-element run), values and per-sample gradients as torch's, one sample at a time
    (torch.func.vmap refuses a batched index in setitem)."""
    import dualgrad._batching as batching

    fn = BATCHED_INDEX_WRITES[name]
    xs = RNG.standard_normal((4, 2, 3))
    idx = np.array([0, 5, 2, 3])
    vs = RNG.standard_normal(4)

    def pieces(m):
        f = lambda x, i, v: fn(m, x, i, v)  # noqa: E731
        g = m.func.grad(lambda x, i, v: (f(x, i, v) ** 2).sum(), argnums=(0, 2))
        return f, g

    f, g = pieces(dg)
    args = (dg.tensor(xs), dg.tensor(idx), dg.tensor(vs))
    before = len(batching.fallbacks)
    values, (gx, gv) = dg.func.vmap(f)(*args), dg.func.vmap(g)(*args)
    assert "per-element run" not in batching.fallbacks[before:]
    tf, tg = pieces(torch)
    rows = [(torch.tensor(xs[b]), torch.tensor(idx[b]), torch.tensor(vs[b])) for b in range(4)]
    close(values, torch.stack([tf(*r) for r in rows]))
    close(gx, torch.stack([tg(*r)[0] for r in rows]))
    close(gv, torch.stack([tg(*r)[1] for r in rows]))


# ---------------------------------------------------------------- closures with history
CLOSURE_CASES = {
    # d/dw of a function of grad_x f(x, w): mixed partials through a closed-over w
    "grad(grad)": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: (fx.grad(lambda x: f(x, w))(x) ** 2).sum()
    )(w),
    "grad(vmap(grad))": lambda m, fx, f, w, x, xs: fx.grad(  # a gradient penalty over a batch
        lambda w: (fx.vmap(fx.grad(lambda x: f(x, w)))(xs) ** 2).sum()
    )(w),
    "grad(jacrev)": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: fx.jacrev(lambda x: f(x, w) * x)(x).sum()
    )(w),
    "grad(hessian)": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: fx.hessian(lambda x: f(x, w))(x).sum()
    )(w),
    "grad(vjp)": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: fx.vjp(lambda x: (x * w).sin(), x)[1](x.cos())[0].sum()
    )(w),
    "backward(grad)": lambda m, fx, f, w, x, xs: _backward_through(m, fx, f, w, x),
    "jacrev(vmap(grad))": lambda m, fx, f, w, x, xs: fx.jacrev(
        lambda w: fx.vmap(fx.grad(lambda x: f(x, w)))(xs).sum(0)
    )(w),
    "grad(jvp)": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: fx.jvp(lambda x: f(x, w), (x,), (x.cos(),))[1]
    )(w),
    "grad(jacfwd)": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: fx.jacfwd(lambda x: (x * w).sin() * w)(x).sum()
    )(w),
    "grad(vmap(hessian))": lambda m, fx, f, w, x, xs: fx.grad(
        lambda w: fx.vmap(fx.hessian(lambda x: f(x, w)))(xs).sum()
    )(w),
    "jvp(grad)": lambda m, fx, f, w, x, xs: fx.jvp(
        lambda w: fx.grad(lambda x: f(x, w))(x), (w,), (w.sin(),)
    )[1],
}


def _backward_through(m, fx, f, w, x):
    w = w.detach().requires_grad_()
    g = fx.grad(lambda x: f(x, w))(x)  # torch.func.grad composes with ordinary autograd
    (g**2).sum().backward()
    return w.grad


@pytest.mark.parametrize("case", sorted(CLOSURE_CASES))
def test_transforms_keep_the_history_of_closed_over_tensors(case):
    """A function that closes over a tensor with history from an outer transform (or ordinary
    autograd) gives gradients that still depend on it: d/dw of grad_x f(x, w), as
    torch.func gives (a gradient penalty, MAML's inner step on closed-over weights)."""
    w0, x0 = RNG.uniform(0.5, 1.5, 4), RNG.uniform(-1.0, 1.0, 4)

    def run(m):
        f = lambda x, w: ((x * w).sin() * w).sum() + (x**3 * w).sum()  # noqa: E731
        return CLOSURE_CASES[case](m, m.func, f, m.tensor(w0), m.tensor(x0), m.tensor(XS))

    close(run(dg), run(torch))


CLOSURE_OUTER = {
    "grad": lambda fx, g, w: fx.grad(lambda w: g(w).sum())(w),
    "jacrev": lambda fx, g, w: fx.jacrev(lambda w: g(w).sum(0) if g(w).ndim > 1 else g(w))(w),
    "jvp": lambda fx, g, w: fx.jvp(g, (w,), (w.cos(),))[1],
    "jacfwd": lambda fx, g, w: fx.jacfwd(lambda w: g(w).sum(0) if g(w).ndim > 1 else g(w))(w),
}
CLOSURE_INNER = {  # functions of w through a transform of f(., w) at x
    "grad": lambda fx, f, x, xs: lambda w: fx.grad(lambda x: f(x, w))(x),
    "vmap(grad)": lambda fx, f, x, xs: lambda w: fx.vmap(fx.grad(lambda x: f(x, w)))(xs),
    "jacrev": lambda fx, f, x, xs: lambda w: fx.jacrev(lambda x: (x * w).sin() * w)(x).sum(0),
    "jacfwd": lambda fx, f, x, xs: lambda w: fx.jacfwd(lambda x: (x * w).sin() * w)(x).sum(0),
    "hessian": lambda fx, f, x, xs: lambda w: fx.hessian(lambda x: f(x, w))(x).sum(0),
    "vjp": lambda fx, f, x, xs: lambda w: fx.vjp(lambda x: (x * w).sin(), x)[1](x.cos())[0],
    "vmap(jacrev)": lambda fx, f, x, xs: lambda w: fx.vmap(fx.jacrev(lambda x: f(x, w)))(xs),
}


@pytest.mark.parametrize(
    "outer,inner", list(itertools.product(CLOSURE_OUTER, CLOSURE_INNER)), ids=lambda s: s
)
def test_every_transform_over_a_closure_of_every_transform(outer, inner):
    """NOTE: [closed-over history]: for every outer transform of w and every inner transform
    of f(., w) at x, the derivative through the closed-over w is torch.func's."""
    w0, x0 = RNG.uniform(0.5, 1.5, 4), RNG.uniform(-1.0, 1.0, 4)

    def run(m):
        f = lambda x, w: ((x * w).sin() * w).sum() + (x**3 * w).sum()  # noqa: E731
        g = CLOSURE_INNER[inner](m.func, f, m.tensor(x0), m.tensor(XS))
        return CLOSURE_OUTER[outer](m.func, g, m.tensor(w0))

    close(run(dg), run(torch))


def test_vmap_writes_into_inputs_and_closures_once():
    """vmap never starts the function over, so an in-place write into an input or a tensor it
    closes over happens once, as torch's: the batched write where torch allows it, torch's
    error where the function then reads a value, and a per-element run only with
    fallback='loop', where each element's run writes (the caller asked for it)."""

    def run(m, **kw):
        t = m.ones(3, 2)
        counter = m.zeros(())

        def writes(x):
            x.mul_(2)  # into the input
            counter.add_(1)  # into a closed-over tensor (unbatched: added to once)
            return x * counter

        out = m.func.vmap(writes, **kw)(t)
        return out, t, counter

    for got, want in zip(run(dg), run(torch)):
        close(got, want)
    out, t, counter = run(dg, fallback="loop")
    close(t, 2 * torch.ones(3, 2))  # each element's slice of the input written once
    assert counter.item() == 3  # once per element: the caller asked for three runs
    close(out, torch.tensor([[2.0, 2.0], [4.0, 4.0], [6.0, 6.0]], dtype=torch.float64))

    def writes_then_branches(m):
        t = m.ones(3, 2)

        def f(x):
            x.mul_(2)
            return x if x.sum() > 0 else -x  # control flow on a value: refused at the point

        return t, _raised(lambda: m.func.vmap(f)(t))

    (t, err), (tt, t_err) = writes_then_branches(dg), writes_then_branches(torch)
    assert type(err) is type(t_err) is RuntimeError
    assert _torch_phrase(t_err) in str(err)
    close(t, tt)  # written once, as torch's


def test_function_writing_its_input_under_vmap_of_hessian_runs_once_per_call():
    """A Function whose forward writes into an input (mark_dirty) under vmap(hessian) would run
    below the transform's tape and on it, writing twice into the same memory: vmap refuses it at
    the call, naming fallback='loop', with which the per-sample Hessians are those of sin(c x)
    with the counter c written once per call (c = 1)."""

    class CountedScale(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x, c):
            c.add_(1)  # a counter: how often forward wrote into it
            ctx.mark_dirty(c)
            ctx.scale = float(c.item())
            return x * ctx.scale, c

        @staticmethod
        def backward(ctx, g, gc):
            return g * ctx.scale, None

        @staticmethod
        def jvp(ctx, t, tc):
            return t * ctx.scale, None

    def f(x):
        y, _ = CountedScale.apply(x, dg.zeros(()))
        return y.sin().sum()

    with pytest.raises(RuntimeError, match="CountedScale.forward writes into its input.*fallback"):
        F.vmap(F.hessian(f))(dg.tensor(XS))
    got = F.vmap(F.hessian(f), fallback="loop")(dg.tensor(XS))
    want = np.stack([np.diag(-np.sin(x)) for x in XS])
    np.testing.assert_allclose(got._data, want, rtol=1e-10, atol=1e-12)


def test_value_shaped_ops_loop_per_op_under_vmap():
    """Ops whose output's shape is decided by values run once per batch element, that op only
    (the rest of the function stays batched, and runs once): a Python bool beside a batched
    index tensor and repeat_interleave of batched counts as torch.func's; a batched bool mask
    and one_hot without num_classes as a per-element loop (torch.func refuses them), right
    where every element gives the same shape, and an error where they differ."""
    x = RNG.standard_normal((3, 4))
    index = np.array([[0, 2], [1, 0]])
    counts = np.array([[2, 0, 1], [1, 1, 1]])

    def both(f, *args, in_dims=0):
        got = F.vmap(lambda *a: f(dg, *a), in_dims=in_dims)(*[dg.tensor(a) for a in args])
        with warnings.catch_warnings():  # torch's slow fallback says so (repeat_interleave)
            warnings.simplefilter("ignore", UserWarning)
            want = torch.func.vmap(lambda *a: f(torch, *a), in_dims=in_dims)(
                *[torch.tensor(a) for a in args]
            )
        close(got, want)

    both(lambda m, x, i: x[True, i], x, index, in_dims=(None, 0))
    both(lambda m, x, i: x[..., True, i], x, index, in_dims=(None, 0))
    both(lambda m, x, i: x[i, True].sum(-1) + x[:, i].sum(), x, index, in_dims=(None, 0))
    both(lambda m, r: m.repeat_interleave(r), counts)
    both(lambda m, x, r: m.repeat_interleave(x, r, dim=0), x[:2, :3], counts)
    both(lambda m, x, r: m.repeat_interleave(x, r, dim=1), x[:, :3], counts, in_dims=(None, 0))

    calls = []

    def per_element(f, *args):
        calls.clear()
        got = F.vmap(lambda *a: (calls.append(1), f(*a))[1])(*[dg.tensor(a) for a in args])
        assert len(calls) == 1
        want = [f(*[dg.tensor(a[b]) for a in args]) for b in range(len(args[0]))]
        np.testing.assert_array_equal(got._data, np.stack([w._data for w in want]))

    masks = np.array([[True, False, True, False], [False, True, False, True]])
    per_element(lambda x, k: x[k] * 2, x[:2], masks)
    per_element(lambda k: dg.nn.functional.one_hot(k) + 1, np.array([[0, 2, 1], [2, 2, 0]]))
    # the shapes differ per element: no one batched tensor holds them (torch.func refuses the
    # op always, with "dynamic shape" in its message; so does dualgrad here)
    with pytest.raises(RuntimeError, match="different shape for each batch element.*dynamic shape"):
        F.vmap(lambda x, k: x[k])(
            dg.tensor(x[:2]), dg.tensor(np.array([[1, 1, 0, 0]] * 2) > [[0], [1]])
        )
    with pytest.raises(RuntimeError, match="explicit positive num_classes argument") as e:
        F.vmap(dg.nn.functional.one_hot)(dg.tensor(np.array([[0, 1], [0, 3]])))
    assert "[(2, 2), (2, 4)]" in str(e.value)
    with pytest.raises(RuntimeError, match="explicit positive num_classes argument"):
        torch.func.vmap(torch.nn.functional.one_hot)(torch.tensor([[0, 1], [0, 3]]))
