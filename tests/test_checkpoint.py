"""Activation checkpointing (issue 16): ``dualgrad.utils.checkpoint.checkpoint`` in both
``use_reentrant`` modes and ``checkpoint_sequential`` give torch's gradients (dropout's mask
recomputed the same), work with double backward and forward mode where torch's do, refuse
what torch's refuse; and a deep MLP trained with checkpointing holds fewer saved bytes at the
same gradients.
"""

from __future__ import annotations

import contextlib
import tracemalloc
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint

import dualgrad as dg
import dualgrad.utils.checkpoint


def _plain(r):
    if isinstance(r, (torch.Tensor, dg.Tensor)):
        return np.asarray(r.detach().numpy(), dtype=np.float64).round(6).tolist()
    if isinstance(r, (list, tuple)):
        return [_plain(x) for x in r]
    return r


def run(lib, case):
    try:
        return "ok", _plain(case(lib))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return "raise", (type(e).__name__, str(e))


def _ckpt(lib):
    return lib.utils.checkpoint


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Linear(4, 8),
        lib.nn.Tanh(),
        lib.nn.Dropout(0.5),
        lib.nn.Linear(8, 8),
        lib.nn.ReLU(),
        lib.nn.Linear(8, 1),
    ).double()


def _train_grads(lib, wrap):
    # dualgrad's weights are drawn from torch's (the same seed gives other numbers here)
    net = _net(lib)
    ref = _net(torch)
    with lib.no_grad():
        for p, q in zip(net.parameters(), ref.parameters()):
            p.copy_(lib.tensor(q.detach().numpy()))
    x = lib.arange(8, dtype=lib.float64).reshape(2, 4).requires_grad_()
    lib.manual_seed(1)
    out = wrap(lib, net, x).sum()
    out.backward()
    return [out, x.grad] + [p.grad for p in net.parameters()]


def _same_as_plain(mode, how):
    def case(lib):
        plain = _train_grads(lib, lambda lib, net, x: net(x))
        if how == "checkpoint":
            got = _train_grads(
                lib, lambda lib, net, x: _ckpt(lib).checkpoint(net, x, use_reentrant=mode)
            )
        elif how == "sequential":
            got = _train_grads(
                lib,
                lambda lib, net, x: _ckpt(lib).checkpoint_sequential(net, 3, x, use_reentrant=mode),
            )
        else:  # no RNG preserved: dropout draws another mask in the rerun
            got = _train_grads(
                lib,
                lambda lib, net, x: _ckpt(lib).checkpoint(
                    net, x, use_reentrant=mode, preserve_rng_state=False
                ),
            )
        # (the dropout masks are not torch's: dualgrad draws from its own generator)
        return _plain(got) == _plain(plain)

    case.__name__ = f"_{how}_reentrant_{mode}"
    return case


def _f(t):
    return (t.sin() * t.exp()).sum()


def _leaf(lib):
    return lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)


def _double_backward(lib):
    y = _leaf(lib)
    out = _ckpt(lib).checkpoint(_f, y, use_reentrant=False)
    (g,) = lib.autograd.grad(out, y, create_graph=True)
    (gg,) = lib.autograd.grad(g.sum(), y)
    return [g, gg]


def _forward_mode(lib):
    fwad = lib.autograd.forward_ad
    y = _leaf(lib)
    with fwad.dual_level():
        yd = fwad.make_dual(y.detach(), lib.tensor([1.0, -1.0], dtype=lib.float64))
        o = _ckpt(lib).checkpoint(_f, yd, use_reentrant=False)
        return fwad.unpack_dual(o).tangent


def _forward_over_reverse(lib):
    fwad = lib.autograd.forward_ad
    y = _leaf(lib)
    with fwad.dual_level():
        yd = fwad.make_dual(y, lib.tensor([1.0, -1.0], dtype=lib.float64))
        o = _ckpt(lib).checkpoint(_f, yd, use_reentrant=False)
        (g,) = lib.autograd.grad(o, y)
        return [g, fwad.unpack_dual(g).tangent]


def _reentrant_grad(lib):
    y = _leaf(lib)
    lib.autograd.grad(_ckpt(lib).checkpoint(_f, y, use_reentrant=True), y)


def _reentrant_context_fn(lib):
    _ckpt(lib).checkpoint(_f, _leaf(lib), use_reentrant=True, context_fn=lambda: (None, None))


def _context_fn(lib):
    log = []

    @contextlib.contextmanager
    def tag(name):
        log.append(name + " in")
        try:
            yield
        finally:
            log.append(name + " out")

    y = _leaf(lib)
    out = _ckpt(lib).checkpoint(_f, y, use_reentrant=False, context_fn=lambda: (tag("f"), tag("r")))
    first = list(log)
    out.backward()
    return [first, log, y.grad]


def _warns_without_use_reentrant(lib):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        _ckpt(lib).checkpoint(_f, _leaf(lib))
    return [str(m.message)[:60] for m in w]


def _not_deterministic(lib):
    calls = [0]

    def f(t):
        calls[0] += 1
        return (t.sin() if calls[0] == 1 else t[:1].sin()).sum()

    _ckpt(lib).checkpoint(f, _leaf(lib), use_reentrant=False).backward()


def _kwargs_reentrant(lib):
    _ckpt(lib).checkpoint(_f, _leaf(lib), use_reentrant=True, scale=2)


CASES = [
    _same_as_plain(mode, how)
    for mode in (False, True)
    for how in ("checkpoint", "sequential", "no_rng")
] + [
    _double_backward,
    _forward_mode,
    _forward_over_reverse,
    _reentrant_grad,
    _reentrant_context_fn,
    _context_fn,
    _warns_without_use_reentrant,
    _not_deterministic,
    _kwargs_reentrant,
]

PHRASES = {
    "_reentrant_grad": "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad()",
    "_reentrant_context_fn": "Passing `context_fn` or `debug` is only supported when use_reentrant=False.",
    "_not_deterministic": "Recomputed values for the following tensors have different metadata",
    "_kwargs_reentrant": "Unexpected keyword arguments: scale",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.lstrip("_"))
def test_checkpoint_like_torch(case):
    expected, got = run(torch, case), run(dg, case)
    assert got[0] == expected[0], (expected, got)
    if expected[0] == "raise":
        phrase = PHRASES[case.__name__]
        assert phrase in expected[1][1]  # the phrase is torch's
        assert got[1][0] == expected[1][0] and phrase in got[1][1], got
    else:
        assert got[1] == expected[1]


def _mlp_step(net, x, checkpointed):
    """One forward: the bytes the graph holds once it is built, and the gradients."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        if checkpointed:
            out = dg.utils.checkpoint.checkpoint_sequential(net, 8, x, use_reentrant=False)
        else:
            out = net(x)
        loss = (out * out).mean()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    for p in net.parameters():
        p.grad = None
    loss.backward()
    return held, [p.grad.numpy().copy() for p in net.parameters()]


def test_checkpointed_mlp_holds_fewer_bytes_at_the_same_gradients():
    dg.manual_seed(0)
    layers = []
    for _ in range(16):
        layers += [dg.nn.Linear(128, 128), dg.nn.Tanh()]
    net = dg.nn.Sequential(*layers).double()
    x = dg.randn(256, 128, dtype=dg.float64)
    opt = dg.optim.SGD(net.parameters(), lr=0.01)
    plain_bytes, plain_grads = _mlp_step(net, x, checkpointed=False)
    ckpt_bytes, ckpt_grads = _mlp_step(net, x, checkpointed=True)
    for a, b in zip(plain_grads, ckpt_grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    # 32 activations of 256x128 float64 (256 KiB each) against the 8 segments' inputs
    assert ckpt_bytes < plain_bytes / 2.5, (plain_bytes, ckpt_bytes)
    # and training goes on alike: a step, then the same gradients again
    opt.step()
    _, again_plain = _mlp_step(net, x, checkpointed=False)
    _, again_ckpt = _mlp_step(net, x, checkpointed=True)
    for a, b in zip(again_plain, again_ckpt):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
