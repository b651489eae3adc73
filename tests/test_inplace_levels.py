"""In-place writes through views under every transform, against torch (issue 14): the write
reaches the base and its history on whichever tape records it, and the transforms run the
user's function once, so a write into the caller's tensors happens once."""

import numpy as np
import pytest
import torch

import dualgrad as dg

# a view of a 2x2 tensor, as both libraries take it
VIEWS = {
    "slice_all": lambda y: y[:],
    "row": lambda y: y[0],
    "mT": lambda y: y.mT,
    "view": lambda y: y.view(4),
    "unsqueeze": lambda y: y.unsqueeze(0),
    "select": lambda y: y.select(1, 1),
    "narrow": lambda y: y.narrow(0, 1, 1),
    "transpose": lambda y: y.transpose(0, 1),
    "diagonal": lambda y: y.diagonal(),
    "flatten_view": lambda y: y.reshape(4),
}
WRITES = {
    "mul_": lambda v: v.mul_(3.0),
    "add_": lambda v: v.add_(v * 0.5),
    "exp_": lambda v: v.exp_(),
}


def _f(view, write):
    def f(a, b):
        y = b.clone() * 1.5
        write(view(y))
        return (y * y * a.sum()).sum()

    return f


TRANSFORMS = {
    # the case: the differentiated input unbatched under vmap(grad)
    "vmap_grad_b_unbatched": lambda fn, f: fn.vmap(fn.grad(f, argnums=1), in_dims=(0, None)),
    "vmap_grad_both": lambda fn, f: fn.vmap(fn.grad(f, argnums=(0, 1))),
    "grad": lambda fn, f: fn.grad(f, argnums=(0, 1)),
    "jacrev": lambda fn, f: fn.jacrev(f, argnums=1),
    "jacfwd": lambda fn, f: fn.jacfwd(f, argnums=(0, 1)),
    "hessian": lambda fn, f: fn.hessian(f, argnums=1),
    "vmap_jvp": lambda fn, f: fn.vmap(lambda a, b: fn.jvp(lambda b: f(a, b), (b,), (b,))[1]),
}


def _inputs(m, transform):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2) if transform.startswith("vmap") else (2,))
    b = rng.standard_normal((3, 2, 2) if transform in ("vmap_grad_both", "vmap_jvp") else (2, 2))
    return m.tensor(a), m.tensor(b)


LIBS = ((torch, torch.func), (dg, dg.func))


def _outcome(m, fn, f, transform):
    """The transform of ``f`` in library ``m``: its results as arrays, or the error type."""
    try:
        out = TRANSFORMS[transform](fn, f)(*_inputs(m, transform))
    except RuntimeError as e:
        return type(e)
    return [np.asarray(x.detach().numpy() if m is torch else x.numpy()) for x in _flat(out)]


def _agree(want, got):
    """torch's outcome (arrays, or the exception type it raised) and dualgrad's agree."""
    if isinstance(want, type):
        assert got is want, f"torch raises {want.__name__}, dualgrad gave {got}"
        return
    assert not isinstance(got, type), f"dualgrad raised where torch gives {want}"
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [x for item in r for x in _flat(item)]
    return [r]


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_write_through_a_view_under_a_transform_matches_torch(view, write, transform):
    _agree(*(_outcome(m, fn, _f(VIEWS[view], WRITES[write]), transform) for m, fn in LIBS))


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "hessian", "grad", "vjp", "jvp"])
def test_transforms_run_the_function_once_and_write_the_caller_once(transform):
    """jacfwd(f, argnums=(0, 1)) with b.tanh_() inside wrote into the caller's b three times
    (once per column pass and once for the value)."""
    seen = {}
    for m, fn in ((torch, torch.func), (dg, dg.func)):
        calls = []

        def f(a, b):
            calls.append(1)
            b.tanh_()
            return (a * b).sum() if transform in ("grad", "hessian") else a * b

        a, b = m.tensor([1.0, 2.0]), m.tensor([1.0, 0.5])
        t = {
            "jacfwd": lambda: fn.jacfwd(f, argnums=(0, 1))(a, b),
            "jacrev": lambda: fn.jacrev(f, argnums=(0, 1))(a, b),
            "hessian": lambda: fn.hessian(f, argnums=0)(a, b),
            "grad": lambda: fn.grad(f, argnums=0)(a, b),
            "vjp": lambda: fn.vjp(f, a, b)[1](m.ones(2)),
            "jvp": lambda: fn.jvp(f, (a, b), (m.ones(2), m.ones(2))),
        }[transform]
        try:
            out = [x.detach().numpy() if m is torch else x.numpy() for x in _flat(t())]
        except RuntimeError as e:  # torch refuses a write into a differentiated input (vjp)
            out = type(e)
        seen[m.__name__] = (len(calls), b.numpy().copy(), out)
    (n_t, b_t, out_t), (n_d, b_d, out_d) = seen["torch"], seen["dualgrad"]
    assert n_d == n_t == 1
    if isinstance(out_t, type):
        assert out_d is out_t
        return
    np.testing.assert_allclose(b_d, b_t, rtol=1e-6)
    for g, w in zip(out_d, out_t):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)


def _into_constant(view, how):
    """A constant made inside f (no history) takes a value with history through a view."""

    def f(a, b):
        c = b.new_ones((2, 2)) * 0.5 if hasattr(b, "new_ones") else None
        y = b * 1.5
        target = view(c)
        if how == "mul_":
            target.mul_(y.sum())
        else:
            target.copy_(view(y))
        return (c * c * a.sum()).sum() + (y * 0.1).sum()

    return f


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("how", ["mul_", "copy_"])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_constant_written_with_a_value_with_history_matches_torch(view, how, transform):
    """vmap(grad(f), in_dims=(0, None)) with ``c = const; c.mul_(y.sum())`` inside lost the
    write's history (the constant did not join the transform's tape): 0.39 where torch gives
    1.30. Every view, every transform."""
    _agree(*(_outcome(m, fn, _into_constant(VIEWS[view], how), transform) for m, fn in LIBS))


def test_nested_vmaps_write_a_value_batched_by_the_outer_one_as_torch():
    """Inside vmap(vmap(f)), writing a value batched by the outer vmap only into a tensor
    batched by both works (it is the same for every inner element); into a tensor batched by
    the inner vmap only, torch.func refuses, and so does dualgrad."""

    def run(m, both):
        def outer(a):
            def inner(b):
                y = b * a.sum() if both else b * 1.0
                y.copy_(a)
                return y * 2

            return m.func.vmap(inner)(m.ones(4, 3) * 2)

        try:
            return m.func.vmap(outer)(m.tensor([[1.0, 2, 3], [4, 5, 6]])).numpy()
        except RuntimeError as e:
            return type(e)

    for both in (True, False):
        want, got = run(torch, both), run(dg, both)
        if isinstance(want, type):
            assert got is want
        else:
            np.testing.assert_allclose(got, want)


def _view_before_history(view, how):
    """A view of a constant, taken before the constant takes a value with history (and
    tangents) by a write into it: the view must take them too."""

    def f(a, b):
        c = b.detach().clone()
        early = view(c)
        if how == "mul_":
            c.mul_(b * 1.5)
        else:
            c.copy_(b.sin())
        return (early * early * a.sum()).sum()

    return f


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("how", ["mul_", "copy_"])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_view_taken_before_its_base_gets_history_takes_it_as_torch(view, how, transform):
    """Under vmap(grad(f)) a view of a constant taken before ``c.mul_(b)`` kept no history (the
    eager list of views followed only writes with history): its gradient was 0 where torch's is
    not. Views at every level now re-derive from their base when its version moves."""
    _agree(*(_outcome(m, fn, _view_before_history(VIEWS[view], how), transform) for m, fn in LIBS))


SHAPE_CHANGES = {
    "unsqueeze_": lambda y: y.unsqueeze_(0),
    "squeeze_": lambda y: y.squeeze_(1),
    "t_": lambda y: y.t_(),
    "transpose_": lambda y: y.transpose_(0, 1),
}


@pytest.mark.parametrize("change", sorted(SHAPE_CHANGES))
@pytest.mark.parametrize("on", ["clone", "view"])
def test_in_place_shape_changes_under_vmap_as_torch(change, on):
    """x.unsqueeze_(0) and kin inside vmap on a tensor without history change its logical
    layout, as torch.func.vmap does (dualgrad refused them: 'cannot batch')."""

    def run(m):
        def f(x):
            y = x.clone() * 2
            if change == "squeeze_":
                y = y.unsqueeze(1).clone()  # (a dim of size 1 to squeeze)
            target = y if on == "clone" else y[:]
            out = SHAPE_CHANGES[change](target)
            assert out is target
            return target * 3, target.shape

        res, shape = (
            m.func.vmap(lambda x: f(x)[0])(m.tensor(np.arange(12.0).reshape(3, 2, 2))),
            None,
        )
        return np.asarray(res.detach() if m is torch else res), shape

    (want, _), (got, _) = run(torch), run(dg)
    assert want.shape == got.shape
    np.testing.assert_allclose(got, want)
