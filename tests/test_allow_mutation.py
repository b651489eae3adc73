"""torch.autograd.graph.allow_mutation_on_saved_tensors against torch: in-place writes to
tensors saved for backward inside the block leave backward's values as they were when saved;
outside it, torch's errors (NOTE: [mutation of saved tensors])."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

RNG = np.random.default_rng(3)
A = RNG.uniform(0.5, 1.5, (2, 3))


def _sin_write(m, a):
    b = a.clone()
    out = (b**2).sum()
    b.sin_()
    return out, [b]


def _exp_result_write(m, a):
    y = a.exp()  # exp saves its result
    out = (y * 3).sum()
    y.mul_(2)
    return y.sum() + out, [y]


def _view_write(m, a):
    b = a.clone()
    out = (b * b).sum()
    b[0].zero_()  # a write through a view of the saved tensor
    return out + b.sum(), [b]


def _write_then_save_again(m, a):
    b = a.clone()
    first = (b * b).sum()
    b.add_(1.0)
    second = (b * b * b).sum()  # saved at its new version
    b.mul_(-2.0)
    return first + second, [b]


def _mul_both(m, a):
    b = a * 1.5
    c = a.tanh()
    out = (b * c).sum()
    b.sub_(4.0)
    c.add_(1.0)
    return out, [b, c]


CASES = {
    "sin_": _sin_write,
    "result_written": _exp_result_write,
    "view_written": _view_write,
    "saved_twice": _write_then_save_again,
    "two_saved": _mul_both,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_backward_sees_the_values_when_saved(case):
    results = {}
    for m in (torch, dg):
        a = m.tensor(A, requires_grad=True)
        with m.autograd.graph.allow_mutation_on_saved_tensors():
            out, written = CASES[case](m, a)
            out.backward()
        results[m.__name__] = (a.grad.numpy(), [w.detach().numpy() for w in written])
    np.testing.assert_allclose(results["dualgrad"][0], results["torch"][0], rtol=1e-12)
    for got, want in zip(results["dualgrad"][1], results["torch"][1]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("m", [torch, dg], ids=["torch", "dualgrad"])
def test_without_the_block_the_write_is_refused(m):
    a = m.tensor(A, requires_grad=True)
    out, _ = _sin_write(m, a)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def _backward_after_the_block(m):
    a = m.tensor(A, requires_grad=True)
    with m.autograd.graph.allow_mutation_on_saved_tensors():
        out, _ = _sin_write(m, a)
    out.backward()


def _nested(m):
    with m.autograd.graph.allow_mutation_on_saved_tensors():
        with m.autograd.graph.allow_mutation_on_saved_tensors():
            pass


@pytest.mark.parametrize("misuse", [_backward_after_the_block, _nested])
def test_misuse_raises_torchs_error(misuse):
    errors = []
    for m in (torch, dg):
        with pytest.raises((AssertionError, RuntimeError)) as info:
            misuse(m)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_the_block_yields_its_state_and_clears_it():
    with dg.autograd.graph.allow_mutation_on_saved_tensors() as ctx:
        a = dg.tensor(A, requires_grad=True)
        out, _ = _sin_write(dg, a)
        assert len(ctx.original) == len(ctx.cloned) >= 1  # the saved tensors, while open
        out.backward()
    assert len(ctx.original) == len(ctx.cloned) == 0
    with torch.autograd.graph.allow_mutation_on_saved_tensors() as tctx:
        assert type(tctx).__name__ == type(ctx).__name__


def test_double_backward_inside_the_block():
    """create_graph works as torch's: the written tensor's saved value feeds the second
    derivative too."""
    grads = []
    for m in (torch, dg):
        a = m.tensor(A, requires_grad=True)
        with m.autograd.graph.allow_mutation_on_saved_tensors():
            b = a.clone()
            out = (b**3).sum()
            b.mul_(5.0)
            (g,) = m.autograd.grad(out, a, create_graph=True)
            (h,) = m.autograd.grad(g.sum(), a)
        grads.append((g.detach().numpy(), h.numpy()))
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
