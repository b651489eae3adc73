"""Indexing and scatter beyond the op table: in-place variants, copies vs views, errors."""

import numpy as np
import pytest
import torch

import dualgrad as dg


def _both(a):
    return dg.tensor(a), torch.tensor(a)


def _same(x, t):
    np.testing.assert_allclose(
        x.detach().numpy() if hasattr(x, "numpy") else x._data, t.detach().numpy(), rtol=1e-12
    )


@pytest.mark.parametrize(
    "name,args",
    [
        ("masked_fill_", lambda m: (m.tensor([True, False, True, False]), 2.0)),
        ("scatter_", lambda m: (1, m.tensor([[0], [1], [2]]), m.ones(3, 1, dtype=m.float64))),
        (
            "scatter_add_",
            lambda m: (1, m.tensor([[0, 0], [1, 3], [2, 2]]), m.ones(3, 2, dtype=m.float64)),
        ),
        ("index_add_", lambda m: (0, m.tensor([2, 2]), m.ones(2, 4, dtype=m.float64))),
        ("index_copy_", lambda m: (1, m.tensor([3, 0]), m.ones(3, 2, dtype=m.float64))),
        ("index_fill_", lambda m: (0, m.tensor([1]), -1.0)),
        (
            "masked_scatter_",
            lambda m: (m.tensor([True, False, False, True]), m.ones(6, dtype=m.float64)),
        ),
    ],
)
def test_inplace_variants_match_torch(name, args):
    a = np.arange(12.0).reshape(3, 4)
    x, t = _both(a)
    getattr(x, name)(*args(dg))
    getattr(t, name)(*args(torch))
    _same(x, t)


def test_inplace_scatter_on_a_non_leaf_gives_torch_gradients():
    a = np.random.default_rng(0).standard_normal((3, 4))
    x, t = dg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for m, v in ((dg, x), (torch, t)):
        y = v * 2
        y.index_put_(
            (m.tensor([0, 0, 2]),), m.tensor(1.0, dtype=m.float64) * v[1, 1], accumulate=True
        )
        (y * y).sum().backward()
    _same(x.grad, t.grad)


def test_unfold_is_a_view():
    # NOTE: [unfold views]: windows that do not overlap are written through, as torch's are;
    # overlapping ones refuse the write (torch's result there depends on the order of writes)
    for m in (dg, torch):
        x = m.arange(5.0)
        x.unfold(0, 2, 2).zero_()
        assert x.tolist() == [0.0, 0.0, 0.0, 0.0, 4.0]
    with pytest.raises(RuntimeError, match="more than one element"):
        dg.arange(5.0).unfold(0, 2, 1).zero_()


def test_narrow_and_select_are_views():
    x = dg.zeros(3, 4)
    x.narrow(1, 1, 2).fill_(1.0)
    x.select(0, 2).fill_(2.0)
    assert x.tolist() == [[0, 1, 1, 0], [0, 1, 1, 0], [2, 2, 2, 2]]


def test_scatter_scalar_with_repeated_indices():
    a = np.random.default_rng(1).standard_normal((3, 4))
    x, t = dg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    i = np.array([[0, 0], [3, 3], [1, 1]])
    y = x.scatter(1, dg.tensor(i), 5.0)
    r = t.scatter(1, torch.tensor(i), 5.0)
    _same(y, r)
    y.sum().backward()
    r.sum().backward()
    _same(x.grad, t.grad)


def test_repeat_interleave_and_roll_match_torch():
    a = np.arange(6.0).reshape(2, 3)
    x, t = _both(a)
    _same(
        dg.repeat_interleave(x, dg.tensor([2, 1]), dim=0, output_size=3),
        torch.repeat_interleave(t, torch.tensor([2, 1]), dim=0, output_size=3),
    )
    _same(x.repeat_interleave(dg.tensor([2]), dim=1), t.repeat_interleave(torch.tensor([2]), dim=1))
    _same(dg.roll(x, (1, 5), (1, 0)), torch.roll(t, (1, 5), (1, 0)))
    _same(dg.roll(x, -7), torch.roll(t, -7))


def test_scatter_reduce_int_matches_torch():
    rng = np.random.default_rng(2)
    x, s, i = rng.integers(-9, 9, (3, 4)), rng.integers(-9, 9, (3, 6)), rng.integers(0, 4, (3, 6))
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            out = dg.scatter_reduce(
                dg.tensor(x), 1, dg.tensor(i), dg.tensor(s), reduce, include_self=include_self
            )
            ref = torch.scatter_reduce(
                torch.tensor(x),
                1,
                torch.tensor(i),
                torch.tensor(s),
                reduce,
                include_self=include_self,
            )
            assert out.tolist() == ref.tolist(), (reduce, include_self)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: dg.gather(dg.zeros(3, 4), 1, dg.tensor([[4]])), "out of bounds"),
        (lambda: dg.gather(dg.zeros(3, 4), 1, dg.tensor([[1.0]])), "int64"),
        (
            lambda: dg.scatter(
                dg.zeros(3, 4), 1, dg.tensor([[1]]), dg.zeros(1, 1, dtype=dg.float64)
            ),
            "dtype",
        ),
        (lambda: dg.scatter_reduce(dg.zeros(3), 0, dg.tensor([1]), dg.zeros(1), "max"), "reduce"),
        (lambda: dg.masked_fill(dg.zeros(3), dg.tensor([1, 0, 1]), 1.0), "BoolTensor"),
        (
            lambda: dg.masked_fill(dg.zeros(3), dg.tensor([True, False, True]), dg.zeros(2)),
            "0-dimensional",
        ),
        (lambda: dg.narrow(dg.zeros(3), 0, 2, 2), "exceeds"),
        (lambda: dg.select(dg.zeros(3), 0, 3), "out of range"),
        (lambda: dg.take(dg.zeros(3), dg.tensor([3])), "out of range"),
        (lambda: dg.pad(dg.zeros(2, 3), (1,)), "divisible by 2"),
        (lambda: dg.pad(dg.zeros(2, 3), (3, 0), mode="reflect"), "less than"),
        (lambda: dg.pad(dg.zeros(3), (1, 1), mode="replicate"), "non-constant"),
        (lambda: dg.pad(dg.zeros(2, 3), (1, 1), mode="wrap"), "mode"),
        (lambda: dg.one_hot(dg.tensor([0, 3]), 3), "smaller than num_classes"),
        (lambda: dg.one_hot(dg.tensor([0.0]), 3), "LongTensor"),
        (lambda: dg.meshgrid(dg.zeros(2), indexing="yx"), "indexing"),
    ],
)
def test_errors_name_the_problem(call, match):
    with pytest.raises((RuntimeError, IndexError, NotImplementedError), match=match):
        call()
