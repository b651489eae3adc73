"""Views where torch's are (issue 14): every op torch documents as a view writes through to its
input and follows writes into it, in every mode; ``view`` refuses what would copy; results
torch makes contiguous are contiguous; indexing is basic (a view) exactly where torch's is."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad.autograd import forward_ad as fw
from test_ops import CASES, Case, _outs


def _x(m, shape=(4, 6)):
    n = int(np.prod(shape))
    return (m.arange(float(n), dtype=m.float64) / 7.0).reshape(shape).clone()


def _same(a, b):
    np.testing.assert_allclose(np.asarray(a.tolist()), np.asarray(b.tolist()), rtol=1e-12)


# ------------------------------------------------------------------ view ops (item 1, 5)
# Every op of https://pytorch.org/docs/stable/tensor_view.html that dualgrad has (sparse
# indices/values and the complex ones aside), as ``x -> output``: multi-output ones give a tuple.
VIEW_OPS = {
    "slice": lambda x: x[1:3, ::2],
    "adjoint": lambda x: x.adjoint(),
    "as_strided": lambda x: x.as_strided((2, 2), (1, 2)),
    "detach": lambda x: x.detach(),
    "diagonal": lambda x: x.diagonal(),
    "expand": lambda x: x[:1].expand(3, 6),
    "expand_as": lambda x: x[:1].expand_as(x[:3]),
    "movedim": lambda x: x.movedim(0, 1),
    "narrow": lambda x: x.narrow(1, 2, 3),
    "permute": lambda x: x.permute(1, 0),
    "select": lambda x: x.select(1, 2),
    "squeeze": lambda x: x[:1].squeeze(0),
    "transpose": lambda x: x.transpose(0, 1),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "H": lambda x: x.H,
    "mT": lambda x: x.mT,
    "mH": lambda x: x.mH,
    "unflatten": lambda x: x.unflatten(1, (2, 3)),
    "unfold": lambda x: x.unfold(1, 2, 2),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "view": lambda x: x.view(3, 8),
    "view_as": lambda x: x.view_as(x.reshape(8, 3)),
    "reshape": lambda x: x.reshape(2, 12),
    "flatten": lambda x: x.flatten(),
    "swapaxes": lambda x: x.swapaxes(0, 1),
    "swapdims": lambda x: x.swapdims(0, 1),
    "unbind": lambda x: x.unbind(1),
    "split": lambda x: x.split(2, 1),
    "split_with_sizes": lambda x: x.split([1, 2, 3], 1),
    "hsplit": lambda x: x.hsplit(3),
    "vsplit": lambda x: x.vsplit(2),
    "tensor_split": lambda x: x.tensor_split([1, 4], 1),
    "chunk": lambda x: x.chunk(3, 1),
}


def _available(fn):
    try:
        fn(_x(dg))
    except AttributeError:
        return False
    return True


# ops dualgrad has, but not as views: as_strided is a gather whose result is read-only, so a
# write raises instead of reaching the base (NOTE: [as_strided as a gather] in _ops/reindex.py;
# docs/differences.md); tests/test_as_strided.py checks its values and derivatives
NOT_VIEWS = {"as_strided"}
AVAILABLE = sorted(k for k, f in VIEW_OPS.items() if k not in NOT_VIEWS and _available(f))


def _pieces(out):
    return list(out) if isinstance(out, tuple) else [out]


def test_the_view_ops_dualgrad_lacks_are_few():
    # the table's ops that dualgrad does not have; a new one must join this list or the table
    assert sorted(set(VIEW_OPS) - set(AVAILABLE) - NOT_VIEWS) == []
    assert all(_available(VIEW_OPS[k]) for k in NOT_VIEWS)


@pytest.mark.parametrize("name", AVAILABLE)
def test_view_op_shares_memory_both_ways(name):
    """A write into the base reaches every output, and a write into an output reaches the base,
    as in torch; and the output is a new tensor, never the input object."""
    results = []
    for m in (torch, dg):
        x = _x(m)
        outs = _pieces(VIEW_OPS[name](x))
        assert all(o is not x for o in outs)
        x.add_(100.0)
        seen = [o.clone() for o in outs]
        for k, o in enumerate(outs):
            # (a row of an expanded tensor is read-only here: README's differences)
            if name in ("detach", "expand", "expand_as") or o.numel() == 0:
                continue
            o.select(0, 0).fill_(-1.0 - k) if o.ndim else o.fill_(-1.0 - k)
        results.append((seen, x.clone()))
    (t_seen, t_x), (d_seen, d_x) = results
    for a, b in zip(d_seen, t_seen):
        _same(a, b)
    _same(d_x, t_x)


MULTI = "This view is the output of a function that returns multiple views"


def _outcome(fn):
    """``fn()``'s values as lists, or the key phrase of its RuntimeError."""
    try:
        return [t.tolist() if t is not None else None for t in fn()]
    except RuntimeError as e:
        return ("error", MULTI in str(e))


def _close(a, b):
    if isinstance(b, tuple) or isinstance(a, tuple):
        assert a == b
        return
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u, dtype=float), np.asarray(v, dtype=float))


@pytest.mark.parametrize("write", ["output", "base"])
@pytest.mark.parametrize("name", AVAILABLE)
def test_view_op_gradients_and_tangents_after_writes(name, write):
    """After a write into an output or into the base, gradients and tangents are torch's: the
    write is a scatter into the base and the other outputs re-derive their history; where
    torch refuses (an output of a multi-output view op, under autograd), so does dualgrad."""
    if name == "detach" or (write == "output" and name in ("expand", "expand_as")):
        return
    a = np.random.default_rng(0).standard_normal((4, 6))
    v = np.random.default_rng(1).standard_normal((4, 6))

    def run(m, ad, reverse):
        def f():
            if reverse:
                leaf = m.tensor(a, requires_grad=True)
                x = leaf * 1.0
            else:
                x = ad.make_dual(m.tensor(a), m.tensor(v)) * 1.0
            outs = _pieces(VIEW_OPS[name](x))
            if write == "output":
                outs[0].mul_(3.0)
            else:
                x.add_(1.0)
            if reverse:
                loss = sum((o * o).sum() for o in outs) + (x * x).sum()
                return (torch if m is torch else dg).autograd.grad(loss, leaf)
            return [ad.unpack_dual(o).tangent for o in outs] + [ad.unpack_dual(x).tangent]

        if reverse:
            return _outcome(f)
        with ad.dual_level():
            return _outcome(f)

    for reverse in (True, False):
        t = run(torch, torch.autograd.forward_ad, reverse)
        d = run(dg, fw, reverse)
        _close(d, t)


def test_split_pieces_under_vmap():
    """A write into a piece of a batched tensor reaches it, under vmap as in torch.func."""

    def f(m):
        def g(x):
            a, b = x.split(2)
            a.add_(1.0)
            return x * 1.0, b.sum()

        return g

    x = np.arange(12.0).reshape(3, 4)
    d = dg.func.vmap(f(dg))(dg.tensor(x))
    t = torch.func.vmap(f(torch))(torch.tensor(x))
    for a, b in zip(d, t):
        _same(a, b)


def test_split_pieces_in_grad_under_vmap():
    def f(m, fn):
        def loss(x):
            y = x * 1.0
            y.chunk(2)[1].mul_(y.chunk(2)[0])
            return (y * y).sum()

        return fn.vmap(fn.grad(loss))

    x = np.random.default_rng(2).standard_normal((3, 4))
    # torch refuses the write (an output of a multi-output view op, under autograd); so does
    # dualgrad, at the write, on the transform's tape inside vmap as on the ordinary tape
    with pytest.raises(RuntimeError, match=MULTI):
        f(torch, torch.func)(torch.tensor(x))
    with pytest.raises(RuntimeError, match=MULTI):
        f(dg, dg.func)(dg.tensor(x))


# ------------------------------------------------------------------ view of strides (item 2)
LAYOUTS = {
    "contiguous": lambda x: x,
    "mT": lambda x: x.mT,
    "column": lambda x: x[:, 1:3],
    "step": lambda x: x[:, ::2],
    "expanded": lambda x: x[:1].expand(4, 6),
    "permuted3d": lambda x: x.reshape(2, 2, 6).permute(1, 0, 2),
    "row": lambda x: x[1:3],
}
SHAPES = [(-1,), (2, -1), (-1, 2), (1, -1, 1), (-1, 1)]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_view_refuses_what_would_copy(layout, shape):
    outcome = []
    for m in (torch, dg):
        x = _x(m)
        y = LAYOUTS[layout](x)
        try:
            v = y.view(*shape)
        except RuntimeError as e:
            outcome.append(("error", "view size is not compatible" in str(e)))
            continue
        if y.numel() and not (y.stride() and 0 in y.stride()):
            v.fill_(-5.0)
        outcome.append(("ok", x.tolist(), tuple(v.shape)))
        assert y.reshape(*shape).tolist() == v.tolist()
    assert outcome[1] == outcome[0]


# ------------------------------------------------------------------ contiguous results (item 3)
@pytest.mark.parametrize("row,k", CASES)
def test_contiguous_where_torch_is(row, k):
    """Every op of the op table: a result torch makes contiguous is contiguous here too (so
    ``out.view(-1)`` works where it does in torch)."""
    c = Case(row, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            refs = _outs(c.torch_fn(*c.torch_leaves()))
        with dg.no_grad():
            outs = _outs(c.dg_fn(*c.dg_leaves()))
    for out, ref in zip(outs, refs):
        if isinstance(ref, torch.Tensor) and ref.is_contiguous():
            assert out.is_contiguous(), f"{row.name}: torch's result is contiguous, ours is not"
            out.view(-1)


# ------------------------------------------------------------------ indexing (item 4)
INDEXES = {
    "int": lambda m: (1,),
    "ints": lambda m: (1, -1),
    "slice": lambda m: (slice(1, 3),),
    "none": lambda m: (None, 1),
    "ellipsis": lambda m: (Ellipsis, 2),
    "0d": lambda m: (m.tensor(1),),
    "0d_pair": lambda m: (m.tensor(0), m.tensor(-1)),
    "0d_slice_none": lambda m: (m.tensor(1), slice(None), None),
    "0d_ellipsis": lambda m: (Ellipsis, m.tensor(2)),
    "bool": lambda m: (True,),
    "bool_false": lambda m: (0, False),
    "0d_bool": lambda m: (m.tensor(True),),
    "1d": lambda m: (m.tensor([1]),),
    "1d_and_0d": lambda m: (m.tensor([0, 2]), m.tensor(3)),
    "list": lambda m: ([1, 2],),
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_is_a_view_where_torch_makes_one(name):
    seen = []
    for m in (torch, dg):
        x = _x(m)
        y = x[INDEXES[name](m)]
        y.add_(10.0)
        seen.append((x.tolist(), tuple(y.shape)))
    assert seen[1] == seen[0]


@pytest.mark.parametrize(
    "name, f",
    [
        ("cumsum", lambda m, x: x.cumsum(-1)),
        ("cumsum dim 0", lambda m, x: x.cumsum(0)),
        ("softmax", lambda m, x: x.softmax(-1)),
        ("log_softmax", lambda m, x: x.log_softmax(-1)),
        ("cat", lambda m, x: m.cat([x, x], 0)),
        ("stack", lambda m, x: m.stack([x, x], 0)),
    ],
)
def test_results_torch_makes_contiguous_are_contiguous(name, f):
    """NOTE: [contiguous results]: of a transposed input, these results are contiguous in
    torch, so .view() of them works; NumPy kept the input's column-major layout."""
    a = np.arange(12.0).reshape(3, 4)
    want, got = f(torch, torch.tensor(a).mT), f(dg, dg.tensor(a).mT)
    assert got.is_contiguous() == want.is_contiguous() is True
    np.testing.assert_array_equal(got.view(-1).numpy(), want.view(-1).numpy())
