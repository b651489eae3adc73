"""Saved tensors (issue 16): ``grad_fn._saved_*`` / ``_raw_saved_*`` under torch's names and
identities, ``saved_tensors_hooks``, ``save_on_cpu``, ``disable_saved_tensors_hooks``, the error
after backward freed them, hooks with double backward and inside dual levels. Each case runs
in torch and in dualgrad and the two must agree: the same values, or the same exception type
and message phrase.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg


def _plain(r):
    """A case's result as plain Python: tensors to float lists, containers element-wise."""
    if isinstance(r, (torch.Tensor, dg.Tensor)):
        return np.asarray(r.detach().numpy(), dtype=np.float64).round(5).tolist()
    if isinstance(r, (list, tuple)):
        return [_plain(x) for x in r]
    return r


def run(lib, case):
    try:
        return "ok", _plain(case(lib))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return "raise", (type(e), str(e))


def _leaf(lib, *values):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


# ------------------------------------------------------------------ identities and names
def _mul_identity(lib):
    a, b = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    y = a * b
    return [y.grad_fn._saved_self is a, y.grad_fn._saved_other is b]


def _pow_identity(lib):
    x = _leaf(lib, 1.0, 2.0)
    y = x.pow(2)
    return [y.grad_fn._saved_self is x, y.grad_fn._saved_exponent]


def _exp_result(lib):
    x = _leaf(lib, 1.0, 2.0)
    y = x.exp()
    r = y.grad_fn._saved_result
    return [
        r is y,
        r.equal(y),
        r.grad_fn is y.grad_fn,
        r.requires_grad,
        y.grad_fn._saved_result is r,
    ]


def _unpacked_history(lib):
    # what unpack returns becomes a new tensor with the saved tensor's history, so double
    # backward reaches the input even through a detached copy
    x = _leaf(lib, 0.5, 1.0)
    h = x * 3.0
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
        y = h.sin()
        z = x.cos()
    sh, sx = y.grad_fn._saved_self, z.grad_fn._saved_self
    (g,) = lib.autograd.grad(y.sum() + z.sum(), x, create_graph=True)
    (gg,) = lib.autograd.grad(g.sum(), x)
    return [sh is h, sh.grad_fn is h.grad_fn, sx is x, sx.requires_grad, sx.is_leaf, g, gg]


def _nonleaf_input(lib):
    x = _leaf(lib, 1.0, 2.0)
    h = x * 1.0
    y = h * _leaf(lib, 3.0, 4.0)
    return [y.grad_fn._saved_self is h]


def _only_one_needs(lib):
    # torch saves what the needed rules read: with only x requiring grad, mul keeps ``other``
    x, w = _leaf(lib, 1.0, 2.0), lib.tensor([3.0, 4.0], dtype=lib.float64)
    y, z = x * w, w * x
    return [y.grad_fn._saved_self, y.grad_fn._saved_other is w, z.grad_fn._saved_self is w]


def _scalar_other(lib):
    y = _leaf(lib, 1.0, 2.0) * 2.0
    return [y.grad_fn._saved_other, str(y.grad_fn._saved_other.dtype).rsplit(".", 1)[-1]]


def _freed(lib):
    x, w = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    y = x * w
    y.sum().backward()
    return y.grad_fn._saved_self


def _freed_register(lib):
    x = _leaf(lib, 1.0, 2.0)
    y = x.sin()
    y.sum().backward()
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)


def _retained(lib):
    x = _leaf(lib, 1.0, 2.0)
    y = x.sin()
    y.sum().backward(retain_graph=True)
    return [y.grad_fn._saved_self is x]


def _missing(lib):
    return _leaf(lib, 1.0).sin().grad_fn._saved_other


# ------------------------------------------------------------------ hooks
def _tutorial_log(lib):
    log = []
    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True) * 2
    with lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append(("pack", t.tolist(), t.grad_fn is not None)), t)[1],
        lambda t: (log.append(("unpack", t.tolist())), t)[1],
    ):
        y = a * b
    y.sum().backward()
    return log + [a.grad]


def _scaled_hooks(lib):
    x = _leaf(lib, 1.0, -2.0, 3.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 4, lambda t: t / 4):
        y = lib.pow(x, 2)
    y.sum().backward()
    return x.grad


def _hooks_change_values(lib):
    # what unpack returns is what the rule reads
    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 0 + 5):
        y = x.sin()
    seen = y.grad_fn._saved_self
    y.sum().backward()
    return [x.grad, seen, seen is x, seen.requires_grad]


def _index_hooks(lib):
    storage = []

    def pack(t):
        storage.append(t)
        return len(storage) - 1

    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(pack, lambda i: storage[i]):
        y = x * x
    y.sum().backward()
    return [len(storage), x.grad]


def _what_is_packed(lib):
    # only what a rule reads: not add's inputs, not sum's, not a Python scalar
    log = []
    x, w = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    with lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append(t.tolist()), t)[1], lambda t: t
    ):
        x + w
        x.sum()
        x * 2.0
        x.exp()
        x.tanh()
    return log


def _result_history(lib):
    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda t: t):
        y = x.exp()
    r = y.grad_fn._saved_result
    return [r.grad_fn is y.grad_fn, r.requires_grad]


def _unpack_not_tensor(lib):
    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 5):
        y = x.sin()
    y.sum().backward()


def _unpack_each_access(lib):
    log = []
    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: (log.append(1), t)[1]):
        y = x.pow(2)
    y.grad_fn._saved_self
    y.grad_fn._saved_self
    return len(log)


def _innermost(lib):
    log = []
    x = _leaf(lib, 1.0, 2.0)
    outer = lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append("outer"), t)[1], lambda t: t
    )
    inner = lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append("inner"), t)[1], lambda t: t
    )
    with outer:
        with inner:
            x.sin()
        x.cos()
    return log


def _not_version_checked(lib):
    # torch does not check the version of a packed tensor: the hooks own what they keep
    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        h = x * 1.0
        y = h.sin()
    with lib.no_grad():
        h.add_(1)
    y.sum().backward()
    return x.grad


def _double_backward(lib):
    log = []
    x = _leaf(lib, 0.5, 1.0)
    with lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append("pack"), t)[1], lambda t: (log.append("unpack"), t)[1]
    ):
        y = x.sin().sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        first = list(log)
        log.clear()
        g.sum().backward()
    return [first, log, g, x.grad]


def _double_backward_through_result(lib):
    x = _leaf(lib, 0.5, 1.0)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach() * 1, lambda t: t):
        y = x.exp().sum()
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    (gg,) = lib.autograd.grad(g.sum(), x)
    return [g, gg]


def _dual_level(lib):
    fwad = lib.autograd.forward_ad
    log = []
    x = _leaf(lib, 0.5, 1.0)
    with fwad.dual_level():
        xd = fwad.make_dual(x, lib.ones(2, dtype=lib.float64))
        with lib.autograd.graph.saved_tensors_hooks(
            lambda t: (log.append(fwad.unpack_dual(t).tangent is not None), t)[1], lambda t: t
        ):
            y = xd.sin().sum()
        (g,) = lib.autograd.grad(y, x)
        return [log[0], g, fwad.unpack_dual(g).tangent]


def _save_on_cpu_hvp(lib):
    # forward-over-reverse through copies kept by the hooks: the copies keep their tangents
    fwad = lib.autograd.forward_ad
    x = _leaf(lib, 0.5, 1.0, 2.0)
    with fwad.dual_level():
        xd = fwad.make_dual(x, lib.tensor([1.0, 0.0, -1.0], dtype=lib.float64))
        with lib.autograd.graph.save_on_cpu(pin_memory=True):
            y = (xd.sin() * xd.exp()).sum()
        (g,) = lib.autograd.grad(y, x)
        return [g, fwad.unpack_dual(g).tangent]


def _custom_function(lib):
    log = []

    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a

    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append("pack"), t * 10)[1], lambda t: (log.append("unpack"), t)[1]
    ):
        y = Twice.apply(x)
    first = list(log)
    y.sum().backward()
    return [first, log, x.grad]


def _save_on_cpu(lib):
    x, w = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    with lib.autograd.graph.save_on_cpu(pin_memory=True):
        y = (x * w).exp().sum()
    y.backward()
    return [x.grad, w.grad]


def _save_on_cpu_unpinned(lib):
    x = _leaf(lib, 1.0, 2.0)
    with lib.autograd.graph.save_on_cpu():
        y = x.pow(3)
    r = y.grad_fn._saved_self
    y.sum().backward()
    return [r is x, x.grad]


def _disabled(lib):
    with lib.autograd.graph.disable_saved_tensors_hooks("no hooks in this block"):
        with lib.autograd.graph.save_on_cpu():
            pass


def _disabled_inside_hooks(lib):
    with lib.autograd.graph.save_on_cpu():
        with lib.autograd.graph.disable_saved_tensors_hooks("no hooks in this block"):
            pass


def _register_hooks(lib):
    log = []
    x, w = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    y = x * w
    raw = y.grad_fn._raw_saved_self
    raw.register_hooks(
        lambda t: (log.append(("pack", t is x)), t * 1)[1], lambda t: (log.append("unpack"), t)[1]
    )
    same = y.grad_fn._saved_self is x
    y.sum().backward()
    return [log, same, x.grad, w.grad]


def _register_twice(lib):
    y = _leaf(lib, 1.0, 2.0).sin()
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)


def _register_under_default_hooks(lib):
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = _leaf(lib, 1.0, 2.0).sin()
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)


CASES = [
    _mul_identity,
    _pow_identity,
    _exp_result,
    _nonleaf_input,
    _unpacked_history,
    _only_one_needs,
    _scalar_other,
    _freed,
    _freed_register,
    _retained,
    _missing,
    _tutorial_log,
    _scaled_hooks,
    _hooks_change_values,
    _index_hooks,
    _what_is_packed,
    _result_history,
    _unpack_not_tensor,
    _unpack_each_access,
    _innermost,
    _not_version_checked,
    _double_backward,
    _double_backward_through_result,
    _dual_level,
    _save_on_cpu_hvp,
    _custom_function,
    _save_on_cpu,
    _save_on_cpu_unpinned,
    _disabled,
    _disabled_inside_hooks,
    _register_hooks,
    _register_twice,
    _register_under_default_hooks,
]

# phrases of torch's messages that dualgrad's must contain, per case that raises
PHRASES = {
    "_freed": "Trying to backward through the graph a second time",
    "_freed_register": "Calling register_hooks on a saved tensor after it has been freed",
    "_missing": "object has no attribute '_saved_other'",
    "_unpack_not_tensor": "unpack_hook expected to be a Tensor but got result of type int",
    "_disabled": "no hooks in this block",
    "_disabled_inside_hooks": "no hooks in this block",
    "_register_twice": "whose hooks have already been set",
    "_register_under_default_hooks": "whose hooks have already been set",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.lstrip("_"))
def test_saved_tensors_like_torch(case):
    expected, got = run(torch, case), run(dg, case)
    assert got[0] == expected[0], (expected, got)
    if expected[0] == "raise":
        phrase = PHRASES[case.__name__]
        assert phrase in expected[1][1]  # the phrase is torch's
        assert got[1][0] is expected[1][0] and phrase in got[1][1], got
    else:
        assert got[1] == expected[1]


NAMED_OPS = {
    "mul": lambda x, w: x * w,
    "mul_scalar": lambda x, w: x * 2.0,
    "div": lambda x, w: x / w,
    "sin": lambda x, w: x.sin(),
    "exp": lambda x, w: x.exp(),
    "tanh": lambda x, w: x.tanh(),
    "sigmoid": lambda x, w: x.sigmoid(),
    "pow_scalar": lambda x, w: x.pow(2),
    "pow_tensor": lambda x, w: x.abs().pow(w),
    "mm": lambda x, w: x.mm(w),
    "where": lambda x, w: x.where(x > 0, w),
    "atan2": lambda x, w: x.atan2(w),
    "neg": lambda x, w: -x,
}


@pytest.mark.parametrize("name", sorted(NAMED_OPS))
def test_saved_names_like_torch(name):
    """The ``_saved_*`` tensors a node shows have torch's names (NOTE: [saved names])."""

    def names(lib):
        x = lib.randn(3, 3, requires_grad=True)
        w = lib.randn(3, 3, requires_grad=True)
        fn = NAMED_OPS[name](x, w).grad_fn
        return sorted(a for a in dir(fn) if a.startswith("_raw_saved_"))

    assert names(dg) == names(torch)


def test_tutorial_memory_hooks_free_the_packed_value():
    """A packed value lives as long as the graph: freed by backward (the tutorial's
    SelfDeletingTempFile relies on it)."""
    import weakref

    class Box:
        pass

    kept = []

    def pack(t):
        box = Box()
        box.t = t.detach().clone()
        kept.append(weakref.ref(box))
        return box

    x = dg.ones(3, requires_grad=True)
    with dg.autograd.graph.saved_tensors_hooks(pack, lambda b: b.t):
        y = (x * x).sum()
    assert kept[0]() is not None
    y.backward()
    assert kept[0]() is None
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
