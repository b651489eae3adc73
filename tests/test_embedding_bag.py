"""F.embedding_bag and nn.EmbeddingBag against torch (float64): the three modes, both layouts
(2-D input, 1-D input with offsets, include_last_offset), per_sample_weights, padding_idx and
empty bags; values, gradients in the weight (and per-sample weights), forward mode, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.nn.functional as F

TF = torch.nn.functional

RNG = np.random.default_rng(0)
W = RNG.standard_normal((7, 3))
FLAT = [3, 1, 3, 0, 6, 2, 2, 5, 4]
# (input, offsets, keyword arguments)
CASES = [
    (FLAT, [0, 2, 5], {}),
    (FLAT, [0, 2, 2, 5], {}),  # an empty bag
    (FLAT, [0, 4, 4, 9], {"include_last_offset": True}),
    (FLAT, [0, 2, 5], {"padding_idx": 3}),  # bag 0 keeps only index 1
    (FLAT, [0, 2, 5], {"padding_idx": -1}),
    ([[3, 1, 4], [0, 0, 6]], None, {}),
    ([[3, 3], [2, 5]], None, {"padding_idx": 3}),  # bag 0 is all padding: zeros
]


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("idx,offsets,kw", CASES)
def test_embedding_bag_as_torch(idx, offsets, kw, mode):
    def call(m, f, w, psw=None):
        off = None if offsets is None else m.tensor(offsets)
        return f.embedding_bag(m.tensor(idx), w, off, mode=mode, per_sample_weights=psw, **kw)

    tw, dw = torch.tensor(W, requires_grad=True), dg.tensor(W, requires_grad=True)
    t_out, d_out = call(torch, TF, tw), call(dg, F, dw)
    np.testing.assert_allclose(_np(d_out), _np(t_out), rtol=1e-12, atol=1e-12)
    ct = RNG.standard_normal(tuple(t_out.shape))
    (tg,) = torch.autograd.grad(t_out, tw, torch.tensor(ct))
    (dgr,) = dg.autograd.grad(d_out, dw, dg.tensor(ct))
    np.testing.assert_allclose(_np(dgr), _np(tg), rtol=1e-12, atol=1e-12)
    v = RNG.standard_normal(W.shape)
    d_j = dg.func.jvp(lambda w: call(dg, F, w), (dg.tensor(W),), (dg.tensor(v),))[1]
    # torch has no forward-mode embedding_bag: its jvp is the function at the tangent (linear
    # in the weight) for sum and mean, and the tangent at the argmax for max
    if mode == "max":
        eps = 1e-6
        t_j = (call(torch, TF, torch.tensor(W + eps * v)) - call(torch, TF, torch.tensor(W))) / eps
        np.testing.assert_allclose(_np(d_j), _np(t_j), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(_np(d_j), _np(call(torch, TF, torch.tensor(v))), atol=1e-12)
    if mode == "sum":
        psw = RNG.standard_normal(np.shape(idx))
        tp, dp = torch.tensor(psw, requires_grad=True), dg.tensor(psw, requires_grad=True)
        t_out, d_out = call(torch, TF, tw, tp), call(dg, F, dw, dp)
        np.testing.assert_allclose(_np(d_out), _np(t_out), rtol=1e-12, atol=1e-12)
        t_g = torch.autograd.grad(t_out, (tw, tp), torch.tensor(ct))
        d_g = dg.autograd.grad(d_out, (dw, dp), dg.tensor(ct))
        for a, b in zip(d_g, t_g):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12)


def test_embedding_bag_module():
    kw = dict(mode="max", padding_idx=2, include_last_offset=True)
    torch.manual_seed(0)
    t = torch.nn.EmbeddingBag(7, 3, **kw).double()
    d = dg.nn.EmbeddingBag(7, 3, **kw).double()
    assert repr(d) == repr(t)
    assert repr(dg.nn.EmbeddingBag(5, 2)) == repr(torch.nn.EmbeddingBag(5, 2))
    assert np.all(_np(d.weight)[2] == 0)
    d.weight.data = dg.tensor(_np(t.weight))
    x, off = FLAT, [0, 3, 9]
    np.testing.assert_allclose(
        _np(d(dg.tensor(x), dg.tensor(off))), _np(t(torch.tensor(x), torch.tensor(off)))
    )
    tp = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(W), mode="sum")
    dp = dg.nn.EmbeddingBag.from_pretrained(dg.tensor(W), mode="sum")
    assert dp.weight.requires_grad is tp.weight.requires_grad is False
    np.testing.assert_allclose(
        _np(dp(dg.tensor([[1, 2]]))), _np(tp(torch.tensor([[1, 2]]))), rtol=1e-12
    )


@pytest.mark.parametrize(
    "kw,exc,phrase",
    [
        ({"offsets": None}, ValueError, "offsets has to be a 1D Tensor"),
        (
            {"input": [[0, 1]], "offsets": [0]},
            ValueError,
            "if input is 2D, then offsets has to be None",
        ),
        ({"offsets": [1, 2]}, RuntimeError, "offsets[0] has to be 0"),
        ({"mode": "mean", "psw": True}, NotImplementedError, "only supported for mode='sum'"),
        ({"mode": "foo"}, ValueError, "mode has to be one of sum, mean or max"),
        ({"input": [0, 7, 1]}, RuntimeError, "idx < num_embeddings but found idx to be 7"),
    ],
)
def test_embedding_bag_errors_as_torch(kw, exc, phrase):
    def call(m, f):
        idx = kw.get("input", [0, 1, 2])
        off = kw.get("offsets", [0])
        psw = m.ones(len(idx), dtype=m.float64) if kw.get("psw") else None
        return f.embedding_bag(
            m.tensor(idx),
            m.tensor(W),
            None if off is None else m.tensor(off),
            mode=kw.get("mode", "sum"),
            per_sample_weights=psw,
        )

    for m, f in ((torch, TF), (dg, F)):
        with pytest.raises(exc) as err:
            call(m, f)
        assert phrase in str(err.value), (m.__name__, str(err.value))
    if exc is RuntimeError and "idx" in phrase:  # torch's float32 kernel says it another way
        with pytest.raises(RuntimeError, match="which is not in the valid range") as err:
            TF.embedding_bag(torch.tensor([0, 7, 1]), torch.tensor(W).float(), torch.tensor([0]))
        with pytest.raises(RuntimeError, match="which is not in the valid range"):
            F.embedding_bag(dg.tensor([0, 7, 1]), dg.tensor(W).float(), dg.tensor([0]))


@pytest.mark.parametrize("kw", [{"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}])
def test_max_norm_renormalises_the_looked_up_rows_as_torch(kw):
    """max_norm scales the rows looked up whose norm exceeds it, in place and outside autograd
    (torch's embedding_renorm_); it raised NotImplementedError."""
    rng = np.random.default_rng(0)
    W, I = rng.standard_normal((6, 3)) * 2, np.array([[0, 2, 2], [5, 1, 0]])
    res = []
    for m in (torch, dg):
        w = m.tensor(W, requires_grad=True)
        out = m.nn.functional.embedding(m.tensor(I), w, **kw)
        (out * out).sum().backward()
        bag = m.nn.functional.embedding_bag(m.tensor(I), m.tensor(W), mode="sum", **kw)
        res.append([out.detach().numpy(), w.detach().numpy(), w.grad.numpy(), bag.numpy()])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("kw", [{"scale_grad_by_freq": True}, {"sparse": True}])
def test_gradient_options_dualgrad_lacks_are_refused_by_name(kw):
    w, i = dg.randn(4, 2), dg.tensor([0, 1])
    for fn in (dg.nn.functional.embedding, dg.nn.functional.embedding_bag):
        with pytest.raises(NotImplementedError, match=next(iter(kw))):
            fn(i.unsqueeze(0) if fn is dg.nn.functional.embedding_bag else i, w, **kw)
