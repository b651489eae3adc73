"""The most used torch names dualgrad lacked (issue 15): all/any, equal, ndimension, numel,
nbytes, itemsize, reshape_as, the in-place shape methods and the legacy ``Tensor.new``, each
run through torch and dualgrad with the same code and compared.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg


def _run(lib, fn):
    """``fn(lib)``: its result, or the exception it raised."""
    try:
        return fn(lib)
    except Exception as e:  # noqa: BLE001 - the test compares whatever is raised
        return e


def _plain(r):
    """A comparable form of a result: tensors as (shape, dtype name, values)."""
    if isinstance(r, (torch.Tensor, dg.Tensor)):
        return (tuple(r.shape), str(r.dtype).split(".")[-1], r.detach().numpy().tolist())
    if isinstance(r, (tuple, list)) and not isinstance(r, (torch.Size, dg.Size)):
        return type(r).__name__, [_plain(x) for x in r]
    if isinstance(r, (torch.Size, dg.Size)):
        return tuple(r)
    return r


def _compare(fn, phrase=None):
    t, d = _run(torch, fn), _run(dg, fn)
    if isinstance(t, Exception):
        assert isinstance(d, Exception), f"torch raised {t!r}, dualgrad returned {d!r}"
        assert type(d) is type(t), (t, d)
        key = phrase if phrase is not None else str(t).splitlines()[0]
        assert key in str(d), (str(t), str(d))
        return
    assert not isinstance(d, Exception), f"dualgrad raised {d!r}, torch returned {t!r}"
    assert type(_plain(d)) is type(_plain(t))
    assert _plain(d) == _plain(t)


A = [[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]]
NAN = [[float("nan"), 1.0]]

# (name, fn(lib) -> result); errors are compared by type and torch's first line (or a phrase)
CASES = [
    ("all", lambda m: m.all(m.tensor(A))),
    ("any", lambda m: m.any(m.tensor(A))),
    ("all_dim", lambda m: m.all(m.tensor(A), 1)),
    ("any_dim_keepdim", lambda m: m.tensor(A).any(dim=0, keepdim=True)),
    ("all_dims_tuple", lambda m: m.tensor(A).all(dim=(0, 1))),
    ("all_empty_tuple", lambda m: m.all(m.tensor(A), dim=())),
    ("all_neg_dim", lambda m: m.tensor(A).all(-1)),
    ("all_int", lambda m: m.tensor([[1, 0], [2, 3]]).all(0)),
    ("any_bool", lambda m: m.tensor([False, True]).any()),
    ("all_nan_is_true", lambda m: m.tensor(NAN).all()),
    ("all_empty", lambda m: m.zeros(0, 3).all(0)),
    ("any_empty", lambda m: m.zeros(0, 3).any()),
    ("any_scalar_dim", lambda m: m.tensor(0.0).any(0, keepdim=True)),
    ("all_dim_range", lambda m: m.tensor(A).all(2)),
    ("all_dim_repeated", lambda m: m.tensor(A).all((0, 0))),
    ("equal_same", lambda m: m.equal(m.tensor(A), m.tensor(A))),
    ("equal_promoted", lambda m: m.equal(m.tensor([1, 2]), m.tensor([1.0, 2.0]))),
    ("equal_shape", lambda m: m.tensor(A).equal(m.tensor(A)[0])),
    ("equal_values", lambda m: m.tensor(A).equal(m.tensor(A) + 1)),
    ("equal_nan", lambda m: m.equal(m.tensor(NAN), m.tensor(NAN))),
    ("equal_broadcastable", lambda m: m.equal(m.ones(2, 3), m.ones(3))),
    ("ndimension", lambda m: m.ones(2, 3, 4).ndimension()),
    ("numel", lambda m: m.numel(m.ones(2, 3, 4))),
    ("numel_scalar", lambda m: m.numel(m.tensor(3.0))),
    ("nbytes", lambda m: m.ones(2, 3, dtype=m.float64).nbytes),
    ("nbytes_expanded", lambda m: m.ones(3, 1).expand(3, 4).nbytes),
    ("itemsize", lambda m: [m.ones(1, dtype=d).itemsize for d in (m.float32, m.int64, m.bool)]),
    ("reshape_as", lambda m: m.arange(6.0).reshape_as(m.ones(3, 2))),
    ("reshape_as_copy", lambda m: m.arange(6.0).reshape(2, 3).t().reshape_as(m.ones(6))),
    ("reshape_as_bad", lambda m: m.arange(6.0).reshape_as(m.ones(4))),
    # legacy x.new: Tensor(...) in x's dtype
    ("new_data", lambda m: m.ones(2, dtype=m.int64).new([1.5, 2])),
    ("new_sizes", lambda m: m.ones(2, dtype=m.float64).new(2, 3).shape),
    ("new_size", lambda m: m.ones(2).new(m.Size([4])).shape),
    ("new_nothing", lambda m: m.ones(2, dtype=m.int64).new()),
    ("new_tuple_is_data", lambda m: m.ones(2, dtype=m.float64).new((2, 3))),
    ("new_tensor_same_dtype", lambda m: m.ones(2).new(m.arange(3.0))),
    ("new_no_grad", lambda m: m.ones(2, requires_grad=True).new([1.0]).requires_grad),
    ("new_float_data", lambda m: m.ones(2).new(3.0)),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_names_match_torch(name, fn):
    _compare(fn)


def test_all_any_under_vmap_and_grad_mode():
    x = np.array([[1.0, 0.0], [2.0, 3.0], [0.0, 0.0]])
    for op in ("all", "any"):
        got = dg.vmap(lambda t, op=op: getattr(t, op)(0))(dg.tensor(x))
        want = torch.vmap(lambda t, op=op: getattr(t, op)(0))(torch.tensor(x))
        assert got.tolist() == want.tolist() and got.dtype == dg.bool
        r = getattr(dg.tensor(x, requires_grad=True), op)()
        assert not r.requires_grad and r.grad_fn is None


# ------------------------------------------------------------------ in-place shape methods
def _shape_inplace(call):
    """``call(lib, x)`` on a fresh 2x3 (or 1x3x1 for squeeze) tensor: x's own shape, values,
    stride and version after it, and that the method returned x itself."""

    def fn(m):
        x = m.arange(6.0).reshape(2, 3).clone()
        r = call(m, x)
        return [r is x, tuple(x.shape), x.stride(), x.tolist(), x._version]

    return fn


SHAPE_CASES = [
    ("unsqueeze_", lambda m, x: x.unsqueeze_(1)),
    ("unsqueeze_neg", lambda m, x: x.unsqueeze_(-1)),
    ("unsqueeze_range", lambda m, x: x.unsqueeze_(4)),
    ("squeeze_", lambda m, x: x.reshape(1, 2, 1, 3).clone().squeeze_()),
    ("squeeze_dim", lambda m, x: x.unsqueeze_(0).squeeze_(0)),
    ("squeeze_dims", lambda m, x: x.unsqueeze_(0).unsqueeze_(2).squeeze_((0, 2))),
    ("squeeze_non_one", lambda m, x: x.squeeze_(1)),
    ("t_", lambda m, x: x.t_()),
    ("t_3d", lambda m, x: x.unsqueeze_(0).t_()),
    ("transpose_", lambda m, x: x.transpose_(0, 1)),
    ("transpose_neg", lambda m, x: x.transpose_(-1, 0)),
    ("transpose_range", lambda m, x: x.transpose_(0, 5)),
]


@pytest.mark.parametrize("name, call", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_inplace_shape_methods_match_torch(name, call):
    _compare(_shape_inplace(call))


def test_inplace_shape_on_a_view_keeps_sharing_memory():
    def fn(m):
        base = m.arange(6.0).reshape(2, 3)
        v = base[0]
        v.unsqueeze_(0)
        v.mul_(10)
        return [tuple(v.shape), v.tolist(), base.tolist()]

    _compare(fn)


ERROR_CASES = [
    ("leaf", lambda m: m.ones(3, requires_grad=True).unsqueeze_(0), "a leaf Variable"),
    ("view_of_leaf", lambda m: m.ones(3, requires_grad=True)[:2].t_(), "a view of a leaf"),
]


@pytest.mark.parametrize("name, fn, phrase", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_inplace_shape_errors_match_torch(name, fn, phrase):
    _compare(fn, phrase)


def test_inplace_shape_refusals():
    # torch allows these on a non-leaf; dualgrad refuses with the fix (NOTE: [in-place shape
    # changes]) rather than give nodes that saved x a tensor of another shape
    a = dg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"write x = x.unsqueeze\(...\)"):
        (a * 2).unsqueeze_(0)
    # no history recorded: allowed, as in torch
    with dg.no_grad():
        assert a.unsqueeze_(0).shape == (1, 3)
    # a tensor a node saved gets a new version: that node refuses at backward, as torch's
    for m in (torch, dg):
        w, x = m.ones(2, 3, requires_grad=True), m.ones(2, 3)
        y = (w * x).sum()
        x.t_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
