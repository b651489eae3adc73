"""Ops that torch records though their gradient is zero, absent or not implemented, against
torch: whether the result requires grad, what backward() leaves in .grad (or raises), what
autograd.grad gives with allow_unused=True, and the forward-mode tangent (or its error).

NOTE: [the 0-norm's gradient] (dualgrad/_ops/composite.py) and NOTE: [recorded without a
derivative] (dualgrad/_ops/elementwise.py) say why."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as torch_fwad

import dualgrad as dg
import dualgrad.autograd.forward_ad as dg_fwad

CALLS = {
    "norm_p0": lambda m, a, b: m.norm(a, p=0),
    "norm_p0_dim": lambda m, a, b: a.norm(0, dim=0, keepdim=True),
    "vector_norm_ord0": lambda m, a, b: m.linalg.vector_norm(a, ord=0),
    "linalg_norm_ord0": lambda m, a, b: m.linalg.norm(a, ord=0),
    "floor_divide": lambda m, a, b: m.floor_divide(a, b),
    "floordiv_op": lambda m, a, b: a // b,
    "floordiv_scalar": lambda m, a, b: a // 2,
    "rfloordiv": lambda m, a, b: 7 // a,
    "remainder": lambda m, a, b: m.remainder(a, b),
    "mod_op": lambda m, a, b: a % b,
    "remainder_scalar": lambda m, a, b: m.remainder(a, 2.0),
    "fmod": lambda m, a, b: m.fmod(a, b),
    "fmod_scalar": lambda m, a, b: m.fmod(a, 2.0),
    "div_floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
    "floor": lambda m, a, b: a.floor(),
    "ceil": lambda m, a, b: a.ceil(),
    "round": lambda m, a, b: a.round(),
    "round_decimals": lambda m, a, b: a.round(decimals=1),
    "trunc": lambda m, a, b: a.trunc(),
    "fix": lambda m, a, b: a.fix(),
    "sign": lambda m, a, b: a.sign(),
    "frac": lambda m, a, b: a.frac(),
}


def _leaves(lib):
    a = lib.tensor([3.5, -2.5, 7.0, 0.0], requires_grad=True)
    b = lib.tensor([2.0, 1.5, -2.0, 3.0], requires_grad=True)
    return a, b


def _summary(lib, call):
    a, b = _leaves(lib)
    out = call(lib, a, b)
    result = [out.requires_grad, out.grad_fn is not None, out.tolist()]
    try:
        out.sum().backward()
        result.append([None if t.grad is None else t.grad.tolist() for t in (a, b)])
    except RuntimeError as e:
        result.append(("RuntimeError", str(e)[:45]))
    a, b = _leaves(lib)
    try:
        grads = lib.autograd.grad(call(lib, a, b).sum(), (a, b), allow_unused=True)
        result.append([None if g is None else g.tolist() for g in grads])
    except RuntimeError as e:
        result.append(("RuntimeError", str(e)[:45]))
    return result


@pytest.mark.parametrize("name", CALLS)
def test_recorded_as_torch(name):
    assert _summary(dg, CALLS[name]) == _summary(torch, CALLS[name])


def test_dist_p0_records_without_a_gradient():
    # torch 2.13's DistBackward0 crashes for p=0 when it runs ("Expected a proper Tensor but
    # got None"); what can be asked of it, dualgrad answers as torch, and its backward gives
    # what norm(x - y, 0)'s gives: no gradient
    for lib in (torch, dg):
        a, b = _leaves(lib)
        out = lib.dist(a, b.detach(), p=0)
        assert out.requires_grad and out.grad_fn is not None and out.item() == 4.0
        assert lib.autograd.grad(out, a, allow_unused=True) == (None,)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(lib.dist(a, b.detach(), p=0), a)
    a, b = _leaves(dg)
    dg.dist(a, b, p=0).backward()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize(
    "name", ["norm_p0", "vector_norm_ord0", "floor_divide", "floordiv_scalar", "sign", "fmod"]
)
def test_forward_mode_as_torch(name):
    results = []
    for lib, fwad in ((torch, torch_fwad), (dg, dg_fwad)):
        a = lib.tensor([3.5, -2.5, 7.0, 0.0])
        b = lib.tensor([2.0, 1.5, -2.0, 3.0])
        with fwad.dual_level():
            try:
                out = CALLS[name](lib, fwad.make_dual(a, lib.ones(4)), b)
                results.append(np.asarray(fwad.unpack_dual(out).tangent.tolist()).tolist())
            except NotImplementedError as e:
                results.append(("NotImplementedError", str(e)))
    assert results[1] == results[0]


def test_floor_divide_of_integers_records_nothing():
    for lib in (torch, dg):
        out = lib.floor_divide(lib.tensor([7, -7]), 2)
        assert out.tolist() == [3, -4] and not out.requires_grad


@pytest.mark.parametrize("inputs", ["first", "second", "both"])
def test_unused_input_message_is_torchs(inputs):
    # torch 2.13's sentence, word for word: it names the index of the unused input (older
    # torch said "One of the differentiated Tensors ...")
    messages = []
    for lib in (torch, dg):
        a, b = _leaves(lib)
        c = lib.ones(3, requires_grad=True)
        chosen = {"first": (c, a), "second": (a, c), "both": (c, c)}[inputs]
        with pytest.raises(RuntimeError) as info:
            lib.autograd.grad((a * 2).sum(), chosen)
        messages.append(str(info.value))
    assert messages[1] == messages[0]
    assert f"at index {0 if inputs != 'second' else 1} appears" in messages[1]
