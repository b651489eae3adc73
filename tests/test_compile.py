"""dualgrad.compile: compiled calls give the eager answer (values, .grad, every transform
inside), guards retrace, untraceable calls run eagerly with a warning naming the reason (or raise
with fullgraph=True), and the whole op table runs compiled."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualgrad as dg
from dualgrad import func
from dualgrad._compile import CompileError, CompileWarning, fuse
from dualgrad._ops.registry import REGISTRY
from dualgrad.autograd import forward_ad as fw

RNG = np.random.default_rng(0)


def _t(shape, dtype=np.float64, requires_grad=False):
    return dg.tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=requires_grad)


def _leaves(out):
    if isinstance(out, dg.Tensor):
        return [out]
    if isinstance(out, dict):
        return [x for k in sorted(out) for x in _leaves(out[k])]
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _leaves(o)]
    return [out]


def _same(a, b):
    for x, y in zip(_leaves(a), _leaves(b), strict=True):
        if isinstance(x, dg.Tensor):
            assert x.dtype == y.dtype and x.shape == y.shape
            # fused float32 transcendental functions are the C library's, NumPy's own unfused:
            # equal to rounding (NOTE: [fusion] in dualgrad/_compile/fuse.py)
            rtol = 1e-12 if x.dtype != dg.float32 else 4 * np.finfo(np.float32).eps
            np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=rtol)
        else:
            assert x == y


def _entry(compiled):
    (entry,) = compiled.cache.values()
    return entry


# ------------------------------------------------------------------ compiled == eager
class Cube(dg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


def _dual_tangent(x, v):
    with fw.dual_level():
        y = dg.tanh(fw.make_dual(x, v)) * x
        return fw.unpack_dual(y).tangent


_LIN = dg.nn.Linear(4, 3).double()


def _backward_grad(x):
    (dg.sin(x) ** 2).sum().backward()
    return x.grad


# name -> (function, input maker); every input set is made twice: the trace and a replay
FUNCTIONS = {
    "plain": (lambda x, y: dg.sin(x) * y + x.exp().sum(), lambda: (_t(5), _t(5))),
    "float32": (lambda x: dg.tanh(x) * 0.5 - x, lambda: (_t((2, 3), np.float32),)),
    "reductions and shapes": (
        lambda x: (x.T @ x).softmax(-1).reshape(-1)[::2].max(),
        lambda: (_t((4, 3)),),
    ),
    "func.grad": (lambda x: func.grad(lambda u: (u**3).sum())(x), lambda: (_t(6),)),
    "autograd.grad": (
        lambda x: dg.autograd.grad((x.sin() * x).sum(), x)[0],
        lambda: (_t(4, requires_grad=True),),
    ),
    "double backward": (
        lambda x: func.grad(lambda v: func.grad(lambda u: (u**3).sum())(v).sum())(x),
        lambda: (_t(7),),
    ),
    "func.jvp": (
        lambda x, v: func.jvp(lambda u: dg.sin(u) * u, (x,), (v,))[1],
        lambda: (_t(5), _t(5)),
    ),
    "dual level": (_dual_tangent, lambda: (_t(3), _t(3))),
    "vmap": (lambda x: func.vmap(lambda r: r @ r.exp())(x), lambda: (_t((4, 3)),)),
    "hessian": (
        lambda A, x: func.hessian(lambda u: (dg.tanh(A @ u) ** 2).sum() + u @ u / 2)(x),
        lambda: (_t((5, 5)), _t(5)),
    ),
    "jacrev": (lambda x: func.jacrev(lambda u: u.sin().cumsum(0))(x), lambda: (_t(4),)),
    "jacfwd": (lambda x: func.jacfwd(lambda u: u * u.sum())(x), lambda: (_t(4),)),
    "custom Function": (
        lambda x: func.grad(lambda u: Cube.apply(u).sum())(x),
        lambda: (_t(5),),
    ),
    "module and cross_entropy": (
        lambda x, y: func.grad(lambda w: dg.nn.functional.cross_entropy(dg.relu(x @ w.T), y))(
            _LIN.weight.detach()
        ),
        lambda: (_t((6, 4)), dg.tensor(RNG.integers(0, 3, 6))),
    ),
    "backward into .grad": (_backward_grad, lambda: (_t(3, requires_grad=True),)),
    "pytree in and out": (
        lambda d, n: {"s": d["a"] * n, "t": (d["b"].sum(), n + 1)},
        lambda: ({"a": _t(2), "b": _t(3)}, 3),
    ),
    "returns an input and a constant": (lambda x: (x, dg.ones(2)), lambda: (_t(2),)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_compiled_matches_eager(name):
    fn, make = FUNCTIONS[name]
    compiled = dg.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):  # the trace, then replays on new values
            args = make()
            eager_args = make_copy(args)
            _same(compiled(*args), fn(*eager_args))
            grads = [
                (a.grad, b.grad)
                for a, b in zip(_leaves(args), _leaves(eager_args))
                if isinstance(a, dg.Tensor)
            ]
            for a, b in grads:
                assert (a is None) == (b is None)
                if a is not None:
                    _same(a, b)
    entry = _entry(compiled)
    assert entry.reason is None and entry.checked  # replayed, not run eagerly


def make_copy(args):
    """The same values as fresh tensors (requires_grad kept)."""

    def copy(x):
        if isinstance(x, dg.Tensor):
            return dg.tensor(x.detach().numpy().copy(), requires_grad=x.requires_grad)
        if isinstance(x, dict):
            return {k: copy(v) for k, v in x.items()}
        return x

    return tuple(copy(a) for a in args)


def test_replay_runs_no_dispatcher():
    """A replay calls the program only: the dispatcher's ops are never entered."""
    compiled = dg.compile(lambda x: func.grad(lambda u: dg.sin(u).sum())(x))
    compiled(_t(3))
    calls = []
    sin = REGISTRY["sin"]
    forward = sin.forward
    sin.forward = lambda *a, **k: calls.append(1) or forward(*a, **k)
    try:
        x = _t(3)
        np.testing.assert_allclose(compiled(x).numpy(), np.cos(x.numpy()))
    finally:
        sin.forward = forward
    assert calls == []


def test_kernels_are_restored_after_a_trace():
    before = {name: (op.forward, op.ufunc) for name, op in REGISTRY.items()}
    dg.compile(lambda x: x.sin() + 1)(_t(2))
    assert {name: (op.forward, op.ufunc) for name, op in REGISTRY.items()} == before


def test_decorator_forms():
    @dg.compile
    def f(x):
        return x * 2

    @dg.compile(fullgraph=True)
    def g(x):
        return x * 3

    x = _t(2)
    _same(f(x), x * 2)
    _same(g(x), x * 3)
    assert dg.compile(f, disable=True) is f


# ------------------------------------------------------------------ guards
@pytest.mark.parametrize(
    "change",
    [
        lambda: _t(4),  # shape
        lambda: _t(3, np.float32),  # dtype
        lambda: _t(3, requires_grad=True),  # requires_grad
        lambda: _t((3, 2)).T[:, 0],  # layout (a strided view)
    ],
)
def test_guards_retrace(change):
    fn = lambda x: (x * x).sum(0)  # noqa: E731
    compiled = dg.compile(fn)
    compiled(_t(3))
    compiled(_t(3))
    assert len(compiled.cache) == 1
    x = change()
    _same(compiled(x), fn(x))
    assert len(compiled.cache) == 2


def test_non_tensor_arguments_are_guarded_by_value():
    compiled = dg.compile(lambda x, k, flag: x * k if flag else x - k)
    x = _t(3)
    for k, flag in [(2, True), (3, True), (2, False), (2, True)]:
        _same(compiled(x, k, flag), x * k if flag else x - k)
    assert len(compiled.cache) == 3


def test_aliased_arguments_are_guarded():
    compiled = dg.compile(lambda a, b: a + 2 * b)
    x, y = _t(3), _t(3)
    _same(compiled(x, y), x + 2 * y)
    _same(compiled(x, x), 3 * x)
    assert len(compiled.cache) == 2


# ------------------------------------------------------------------ refusals
def _inplace_arg(x):
    x.mul_(2)
    return x + 1


def _setitem(x):
    y = x * 1
    y[0] = 5.0
    return y


REFUSED = {
    "bool": (lambda x: x * 2 if x.sum() > 0 else -x, "__bool__"),
    "item": (lambda x: x * x.max().item(), "item"),
    "tolist": (lambda x: x * len([v for v in x.tolist() if v > 0]), "tolist"),
    "numpy": (lambda x: dg.tensor(np.sort(x.numpy())) + x, "numpy"),
    "float": (lambda x: x * float(x.sum()), "__float__"),
    "random": (lambda x: x + dg.randn(x.shape, dtype=x.dtype), "random"),
    "dropout": (lambda x: dg.nn.functional.dropout(x, 0.5), "random"),
    "in-place on an argument": (_inplace_arg, "in-place"),
    "setitem": (_setitem, "in-place"),
    "value-dependent shape": (lambda x: x[x > 0].sum() + dg.nonzero(x).sum(), "depends on"),
    "NumPy outside the kernels": (
        lambda x: dg.from_numpy(np.exp(x._data)) * x,
        "disagreed",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_untraceable_calls_run_eagerly_with_a_warning(name):
    fn, reason = REFUSED[name]
    compiled = dg.compile(fn)
    for x in ([1.0, -2.0, 3.0], [-1.0, 2.5, 0.5], [0.25, 4.0, -1.5]):
        a, b = dg.tensor(x), dg.tensor(x)
        dg.manual_seed(0)
        with pytest.warns(CompileWarning, match=reason):
            got = compiled(a)
        dg.manual_seed(0)
        _same(got, fn(b))
        _same(a, b)  # an in-place write happened once, as eagerly


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_fullgraph_raises(name):
    fn, reason = REFUSED[name]
    with pytest.raises(CompileError, match=reason):
        dg.compile(fn, fullgraph=True)(dg.tensor([1.0, -2.0, 3.0]))


def test_under_a_transform_runs_eagerly():
    compiled = dg.compile(lambda x: dg.sin(x) * 2)
    x = _t((3, 2))
    with pytest.warns(CompileWarning, match="transform"):
        got = func.vmap(compiled)(x)
    _same(got, dg.sin(x) * 2)


def test_accumulating_into_an_existing_grad_runs_eagerly():
    compiled = dg.compile(lambda x: (x * x).sum().backward())
    x = _t(3, requires_grad=True)
    x.grad = dg.ones(3, dtype=dg.float64)
    with pytest.warns(CompileWarning, match="in-place|existing .grad"):
        compiled(x)
    _same(x.grad, 1 + 2 * x.detach())


# ------------------------------------------------------------------ backward through a region
def _mlp_loss(w1, w2, x):
    return (dg.tanh(x @ w1) @ w2).pow(2).mean()


REGIONS = {
    "one output": (lambda x: (dg.sin(x) * x).sum(), lambda: (_t(4, requires_grad=True),)),
    "several inputs": (
        _mlp_loss,
        lambda: (_t((3, 5), requires_grad=True), _t((5, 2), requires_grad=True), _t((4, 3))),
    ),
    "several outputs": (
        lambda x, y: (x * y, (x.exp() + y).sum()),
        lambda: (_t(3, requires_grad=True), _t(3, requires_grad=True)),
    ),
    "grad inside": (
        lambda x: func.grad(lambda u: (u**3).sum())(x) * x,
        lambda: (_t(3, requires_grad=True),),
    ),
}


def _backward_grads(fn, args, create_graph=False):
    outs = [o for o in _leaves(fn(*args)) if isinstance(o, dg.Tensor) and o.requires_grad]
    loss = sum((o * (k + 1)).sum() for k, o in enumerate(outs))
    xs = [a for a in args if a.requires_grad]
    return dg.autograd.grad(loss, xs, create_graph=create_graph)


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_backward_through_a_compiled_region(name):
    fn, make = REGIONS[name]
    compiled = dg.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            args = make()
            outs = _leaves(compiled(*args))
            assert all(
                o.grad_fn is None or type(o.grad_fn).__name__ == "CompiledRegionBackward"
                for o in outs
                if isinstance(o, dg.Tensor)
            )
            _same(_backward_grads(compiled, args), _backward_grads(fn, args))
    assert _entry(compiled).reason is None


def test_double_backward_through_a_compiled_region():
    compiled = dg.compile(lambda x: (x**3).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            x = _t(4, requires_grad=True)
            (g,) = _backward_grads(compiled, (x,), create_graph=True)
            _same(g, 3 * x.detach() ** 2)
            (h,) = dg.autograd.grad(g.sum(), x)
            _same(h, 6 * x.detach())


def test_backward_from_a_non_leaf_argument_reaches_the_caller():
    compiled = dg.compile(lambda y: dg.sin(y).sum())
    for _ in range(3):
        w = _t(3, requires_grad=True)
        compiled(w * 2).backward()
        _same(w.grad, 2 * dg.cos(2 * w.detach()))


def test_closure_parameters_are_refused_with_the_fix_named():
    lin = dg.nn.Linear(3, 2)
    compiled = dg.compile(lambda x: lin(x).sum())
    x = _t(3, np.float32)
    with pytest.warns(CompileWarning, match="functional_call"):
        compiled(x).backward()
    assert lin.weight.grad is not None


# ------------------------------------------------------------------ the op table, compiled
from op_table import ROWS  # noqa: E402
from test_ops import Case, _outs, _torch_vjp, assert_close  # noqa: E402

TABLE = [
    pytest.param(row, k, id=f"{row.name}-{k}") for row in ROWS for k in range(len(row.samples))
]


def _run_compiled(fn, args):
    """``fn`` compiled, called twice on ``args`` (the trace, then a replay): the replay's
    answer; a refused call must have said so with a CompileWarning."""
    compiled = dg.compile(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled(*args)
        out = compiled(*args)
    entry = _entry(compiled)
    if entry.reason is not None:
        assert any(issubclass(w.category, CompileWarning) for w in caught)
    return out


@pytest.fixture
def interpreted_fusion():
    """The op table's fused groups run as the generated loops interpreted: the same code as
    numba's, without a numba compile per row (tests/test_compile_fuse.py runs numba's)."""
    before = fuse.backend
    fuse.backend = "python"
    yield
    fuse.backend = before


@pytest.mark.parametrize("row,k", TABLE)
def test_op_table_compiled(row, k, interpreted_fusion):
    """Each op's forward compiled, then the vjp through it compiled, against torch."""
    c = Case(row, k)
    xs = [x.detach() if isinstance(x, dg.Tensor) else x for x in c.dg_leaves()]
    outs = _outs(_run_compiled(c.dg_fn, xs))
    refs = _outs(c.torch_fn(*c.torch_leaves()))
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-7, atol=row.atol)
    if row.nondiff:
        return
    vs = [c.like(o.shape) for o in outs]

    def vjp(*args):
        leaves = list(args[: len(xs)])
        cots = args[len(xs) :]
        o = _outs(c.dg_fn(*leaves))
        return dg.autograd.grad(
            o, [leaves[i] for i in c.diff], list(cots), allow_unused=True, materialize_grads=True
        )

    grads = _run_compiled(vjp, c.dg_leaves() + [dg.tensor(v) for v in vs])
    _, ref = _torch_vjp(c, vs)
    for i, g, r in zip(c.diff, grads, ref):
        assert_close(g, r, row.atol, f"d out / d input {i}")
