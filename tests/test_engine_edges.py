"""Edges of the autograd engine that must never give a silent wrong answer (issue 12): the
dtypes of gradients, hooks that change a gradient, ``.grad`` assignment, grad_outputs counts,
saved tensors modified in place, derivatives at 0/0 points, ``Function.apply`` with keywords
and gradcheck of a function that returns no tensor. Each case runs in torch and in dualgrad,
and the two must agree: the same values and dtypes, or the same exception type and phrase.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [x for item in r for x in _flat(item)]
    return [r]


def _dtype_name(dtype) -> str:
    return str(dtype).rsplit(".", 1)[-1]


def run(lib, fn):
    """``fn(lib)``'s outcome: ("ok", [(dtype name, array)]) or ("raise", exception)."""
    try:
        result = fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return "raise", e
    out = []
    for r in _flat(result):
        if isinstance(r, (torch.Tensor, dg.Tensor)):
            out.append((_dtype_name(r.dtype), np.asarray(r.detach().numpy(), dtype=np.float64)))
        else:
            out.append((type(r).__name__, r))
    return "ok", out


def agree(fn, phrase=None):
    """torch and dualgrad give the same values and dtypes, or both raise the same exception
    type (and dualgrad's message holds ``phrase`` when given, torch's too)."""
    t_kind, t_out = run(torch, fn)
    d_kind, d_out = run(dg, fn)
    assert t_kind == d_kind, f"torch: {t_kind} {t_out!r}; dualgrad: {d_kind} {d_out!r}"
    if t_kind == "raise":
        assert type(d_out) is type(t_out) or isinstance(d_out, type(t_out)), (t_out, d_out)
        if phrase is not None:
            assert phrase in str(t_out), f"torch says: {t_out}"
            assert phrase in str(d_out), f"dualgrad says: {d_out}"
        return t_out
    assert len(t_out) == len(d_out)
    for (t_dt, t_v), (d_dt, d_v) in zip(t_out, d_out):
        assert t_dt == d_dt, (t_out, d_out)
        if isinstance(t_v, np.ndarray):
            np.testing.assert_allclose(d_v, t_v, rtol=1e-5, atol=1e-6, equal_nan=True)
        else:
            assert d_v == t_v
    return t_out


# ---------------------------------------------------------------------------- 1. dtypes
def _f32_leaf(lib):
    return lib.tensor([0.5, -1.25, 2.0], requires_grad=True)


def _f64(lib, values=(1.5, 0.25, -0.75)):
    return lib.tensor(values, dtype=lib.float64)


# An f32 leaf meets an f64 tensor in every promoting binary op, and in ops that refuse mixed
# dtypes after a promoting op upstream (dot, matmul): the leaf's gradient is f32 in every case.
MIXED = {
    "add": lambda lib, x, y: x + y,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y,
    "rdiv": lambda lib, x, y: y / x,
    "pow": lambda lib, x, y: x.abs() ** y,
    "rpow": lambda lib, x, y: y.abs() ** x,
    "atan2": lambda lib, x, y: lib.atan2(x, y),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "where": lambda lib, x, y: lib.where(y > 0, x, y),
    "scalar_f64": lambda lib, x, y: (x * x).sum() + lib.tensor(2.0, dtype=lib.float64),
    "dot_then_f64": lambda lib, x, y: lib.dot(x, x) + lib.tensor(2.0, dtype=lib.float64),
    "matmul_then_f64": lambda lib, x, y: (x.reshape(1, 3) @ x.reshape(3, 1)) * y,
    "to_f64": lambda lib, x, y: x.double() * y,
    "exp_f64": lambda lib, x, y: lib.exp(x) * y,
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_dtype_graph_gives_leaf_dtype_grad(name):
    def grad(lib):
        x = _f32_leaf(lib)
        out = MIXED[name](lib, x, _f64(lib))
        return lib.autograd.grad(out.sum(), x)

    def backward(lib):
        x = _f32_leaf(lib)
        MIXED[name](lib, x, _f64(lib)).sum().backward()
        MIXED[name](lib, x, _f64(lib)).sum().backward()  # accumulation keeps the dtype
        return x.grad

    def double_backward(lib):
        x = _f32_leaf(lib)
        (g,) = lib.autograd.grad(MIXED[name](lib, x, _f64(lib)).sum(), x, create_graph=True)
        return g, lib.autograd.grad((g * g * x).sum(), x)

    for fn in (grad, backward, double_backward):
        out = agree(fn)
        assert [dt for dt, _ in out] == ["float32"] * len(out)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_gradient_argument_is_cast_to_the_output_dtype(dtype):
    def backward(lib):
        x = _f32_leaf(lib)
        (x * 2).backward(lib.ones(3, dtype=getattr(lib, dtype)))
        return x.grad

    def grad(lib):
        x = _f32_leaf(lib)
        return lib.autograd.grad([x * 2, (x * 3).sum()], x, [lib.ones(3, dtype=getattr(lib, dtype)),
                                                         lib.tensor(2.0, dtype=lib.float64)])

    assert [dt for dt, _ in agree(backward)] == ["float32"]
    assert [dt for dt, _ in agree(grad)] == ["float32"]


def test_gradient_of_f64_leaf_from_f32_path():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        return lib.autograd.grad((x.float() * lib.tensor([3.0, 4.0])).sum(), x)

    assert [dt for dt, _ in agree(fn)] == ["float64"]


# ---------------------------------------------------------------------------- 2. .grad =
GRAD_VALUES = {
    "wrong_shape": (lambda lib: lib.ones(3), "attempting to assign a gradient of size"),
    "scalar_for_vector": (lambda lib: lib.ones(()), "attempting to assign a gradient of size"),
    "wrong_dtype": (lambda lib: lib.ones(2, dtype=lib.float64), "attempting to assign a gradient with dtype"),
    "int_dtype": (lambda lib: lib.ones(2, dtype=lib.int64), "attempting to assign a gradient with dtype"),
    "list": (lambda lib: [1.0, 2.0], "assigned grad expected to be a Tensor or None"),
    "float": (lambda lib: 1.0, "assigned grad expected to be a Tensor or None"),
    "ndarray": (lambda lib: np.ones(2, np.float32), "but got grad of type numpy.ndarray"),
    "right": (lambda lib: lib.full((2,), 3.0), None),
    "none": (lambda lib: None, None),
}


@pytest.mark.parametrize("name", sorted(GRAD_VALUES))
def test_grad_setter(name):
    make, phrase = GRAD_VALUES[name]

    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        x.grad = make(lib)
        return x.grad if x.grad is not None else "none"

    agree(fn, phrase)


def test_grad_setter_refuses_the_tensor_itself():
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        x.grad = x

    agree(fn, "can't assign Variable as its own grad")


# ---------------------------------------------------------------------------- 3. hooks
HOOK_RESULTS = {
    "other_shape": (lambda lib, g: lib.ones(3), "has changed the size of value"),
    "other_dtype": (lambda lib, g: g.double(), "has changed the type of value"),
    "int_dtype": (lambda lib, g: g.long(), "has changed the type of value"),
    "float": (lambda lib, g: 1.0, "expected Variable, but hook returned 'float'"),
    "same": (lambda lib, g: g * 3, None),
    "none": (lambda lib, g: None, None),
}


def _hook_on(kind, lib, x):
    """The tensor a hook goes on: the leaf itself, or a non-leaf made from it."""
    return x if kind == "leaf" else x * 2


@pytest.mark.parametrize("kind", ["leaf", "nonleaf", "retained"])
@pytest.mark.parametrize("name", sorted(HOOK_RESULTS))
def test_tensor_hook_may_not_change_shape_or_dtype(kind, name):
    make, phrase = HOOK_RESULTS[name]

    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = _hook_on(kind, lib, x)
        if kind == "retained":
            y.retain_grad()

        def hook(g):
            return make(lib, g)

        y.register_hook(hook)
        (y * y).sum().backward()
        return x.grad, (y.grad if kind == "retained" else 0.0)

    err = agree(fn, phrase)
    if phrase is not None and "value" in phrase:
        assert "hook 'hook'" in str(err)


# ---------------------------------------------------------------------------- 4. grad_outputs
GRAD_OUTPUTS = {
    "two_outputs_one_grad": lambda lib, x: lib.autograd.grad([x * 2, x * 3], x, [lib.ones(2)]),
    "two_scalars_one_grad": lambda lib, x: lib.autograd.grad([(x * 2).sum(), (x * 3).sum()], x,
                                                             [lib.ones(())]),
    "backward_two_one": lambda lib, x: lib.autograd.backward([x * 2, x * 3], [lib.ones(2)]),
    "empty_list": lambda lib, x: lib.autograd.grad(x * 2, x, []),
    "none_for_vector": lambda lib, x: lib.autograd.grad(x * 2, x, [None]),
    "no_grad_for_vector": lambda lib, x: (x * 2).backward(),
    "extra_grads_ignored": lambda lib, x: lib.autograd.grad([x * 2], x, [lib.ones(2), lib.ones(2)]),
    "float_grad": lambda lib, x: lib.autograd.grad(x.sum(), x, [1.0]),
}


@pytest.mark.parametrize("name", sorted(GRAD_OUTPUTS))
def test_grad_outputs_count_and_type(name):
    phrases = {"two_outputs_one_grad": "got 2 tensors and 1 gradients",
               "two_scalars_one_grad": "got 2 tensors and 1 gradients",
               "backward_two_one": "got 2 tensors and 1 gradients",
               "empty_list": "got 1 tensors and 0 gradients",
               "none_for_vector": "grad can be implicitly created only for scalar outputs",
               "no_grad_for_vector": "grad can be implicitly created only for scalar outputs",
               "float_grad": "gradients can be either Tensors or None, but got float"}

    def fn(lib):
        return GRAD_OUTPUTS[name](lib, lib.ones(2, requires_grad=True))

    agree(fn, phrases.get(name))
