"""Op-table rows for issue 15's second list of everyday names: composites (diagflat, angle,
conj_physical, fill_diagonal_, the margin losses, lp_pool, local_response_norm,
channel_shuffle), so each row checks that the ops they are made of give torch's values and
derivatives in every mode; tests/op_table.py gathers them into ROWS."""

import numpy as np
from op_table_base import Const, F, I, Row  # noqa: F401

# rows of composites: they exercise no primitive of their own
_NONE = ("mul", "sum")


def _nnf(m):
    return m.nn.functional


def _multi_margin(t, x, y, p=1, margin=1.0):
    """multi_margin_loss's formula in plain ops (torch's own op has no forward-mode rule and
    no double backward)."""
    c = x.shape[1]
    others = t.tensor(np.arange(c)[None, :] != np.asarray(y)[:, None])
    h = (margin - x.gather(1, t.tensor(y)[:, None]) + x).relu()
    h = h * h if p == 2 else h
    return (h * others).sum(1) / c


def _multilabel_margin(t, x, target):
    """multilabel_margin_loss's formula in plain ops, for a target of distinct classes."""
    target = np.asarray(target)
    n, c = target.shape
    listed = np.zeros((n, c))
    for r in range(n):
        for j in target[r]:
            if j < 0:
                break
            listed[r, j] = 1.0
    pairs = t.tensor(listed[:, :, None] * (1 - listed)[:, None, :])
    h = (1 - x.unsqueeze(2) + x.unsqueeze(1)).relu()
    return ((h * pairs).sum((1, 2)) / c).mean()


def _filled(m, x, wrap):
    return x.clone().fill_diagonal_(0.5, wrap=wrap)


ROWS: list = [
    Row("diagflat", lambda m, x: m.diagflat(x), [[F((2, 3))], [F((4,))]], ops=_NONE),
    Row("diagflat_offset", lambda m, x: m.diagflat(x, -1), [[F((3,))]], ops=_NONE),
    Row(
        "angle",
        lambda m, x: m.angle(x),
        [[F((3, 4))], [Const([-1.0, 0.5, 2.0, -3.0], diff=True)]],
        ops=_NONE,
    ),
    Row("conj_physical", lambda m, x: m.conj_physical(x) * 1, [[F((3, 4))]], ops=_NONE),
    Row(
        "fill_diagonal_",
        lambda m, x: (_filled(m, x, False), _filled(m, x, True)),
        [[F((3, 3))], [F((7, 3))], [F((2, 5))]],
        ops=_NONE,
    ),
    Row(
        "triplet_margin_loss",
        lambda m, a, p, n: (
            _nnf(m).triplet_margin_loss(a, p, n, margin=2.0),
            _nnf(m).triplet_margin_loss(a, p, n, p=1, swap=True, reduction="none"),
        ),
        [[F((4, 3)), F((4, 3)), F((4, 3))]],
        ops=_NONE,
    ),
    Row(
        "multi_margin_loss",
        lambda m, x: (
            _nnf(m).multi_margin_loss(x, m.tensor([0, 3, 1])),
            _nnf(m).multi_margin_loss(x, m.tensor([2, 2, 0]), p=2, margin=0.5, reduction="none"),
        ),
        [[F((3, 4))]],
        ops=_NONE,
        second_order=False,
        torch_fn=lambda t, x: (
            _multi_margin(t, x, [0, 3, 1]).mean(),
            _multi_margin(t, x, [2, 2, 0], p=2, margin=0.5),
        ),
    ),
    Row(
        "multilabel_margin_loss",
        lambda m, x: _nnf(m).multilabel_margin_loss(x, m.tensor([[3, 0, -1, 1], [1, 2, 3, -1]])),
        [[F((2, 4))]],
        ops=_NONE,
        second_order=False,
        torch_fn=lambda t, x: _multilabel_margin(t, x, [[3, 0, -1, 1], [1, 2, 3, -1]]),
    ),
    Row(
        "multilabel_soft_margin_loss",
        lambda m, x, y: _nnf(m).multilabel_soft_margin_loss(x, y),
        [[F((3, 4), -2.0, 2.0), F((3, 4), 0.0, 1.0)]],
        ops=_NONE,
    ),
    Row(
        "lp_pool2d",
        lambda m, x: _nnf(m).lp_pool2d(x, 2, 2, 1),
        [[F((1, 2, 3, 4), 0.3, 1.0)]],
        ops=_NONE,
    ),
    Row(
        "lp_pool1d_p3",
        lambda m, x: _nnf(m).lp_pool1d(x, 3, 2),
        [[F((2, 2, 6), 0.3, 1.0)]],
        ops=_NONE,
    ),
    Row(
        "local_response_norm",
        lambda m, x: _nnf(m).local_response_norm(x, 3, alpha=0.2),
        [[F((2, 4, 3))], [F((1, 3, 2, 2))]],
        ops=_NONE,
    ),
    Row("channel_shuffle", lambda m, x: _nnf(m).channel_shuffle(x, 2), [[F((2, 4, 3))]], ops=_NONE),
]


# ---------------------------------------------------------------- LU and the linalg wrappers
def _wc(m, a):
    """A well-conditioned square matrix whose pivots are far from ties."""
    return a + 3 * m.eye(a.shape[-1], dtype=a.dtype)


def _spd(m, a):
    n = a.shape[-1]
    return a @ a.mT + n * m.eye(n, dtype=a.dtype)


def _torch_solve(m, a, b):
    return (m.linalg.inv(a) @ b.unsqueeze(-1)).squeeze(-1) if b.ndim == 1 else m.linalg.inv(a) @ b


def _chol_inv(m, a):
    L = m.linalg.cholesky(_spd(m, a))
    return m.linalg.inv(L @ L.mT)


def _lu_solve(m, a, b, **kw):
    f = m.linalg.lu_factor(a)
    return m.linalg.lu_solve(f.LU, f.pivots, b, **kw)


ROWS += [
    Row(
        "linalg_lu",
        lambda m, a: tuple(m.linalg.lu(a))[1:],
        [[F((3, 3))], [F((2, 4, 4))], [F((3, 5))], [F((5, 3))], [F((2, 2, 4))]],
    ),
    Row(
        "linalg_lu_nonsquare_values",
        lambda m, a: tuple(m.linalg.lu(a)),
        [[F((4, 3))], [F((2, 3, 5))]],
        ops=("linalg_lu",),
        nondiff=True,
    ),
    Row(
        "lu_pivots",
        lambda m, a: m.linalg.lu_factor(a).pivots,
        [[F((4, 4))], [F((5, 3))], [F((2, 3, 4))]],
        nondiff=True,
    ),
    Row(
        "lu_factor",
        lambda m, a: m.linalg.lu_factor(_wc(m, a)).LU,
        [[F((3, 3))], [F((2, 3, 3))]],
        ops=_NONE,
    ),
    Row(
        "lu_solve",
        lambda m, a, b: (
            _lu_solve(m, _wc(m, a), b),
            _lu_solve(m, _wc(m, a), b, adjoint=True),
            _lu_solve(m, _wc(m, a), b.mT, left=False),
        ),
        [[F((3, 3)), F((3, 2))]],
        ops=_NONE,
    ),
    Row(
        "linalg_cond",
        lambda m, a: (
            m.linalg.cond(_wc(m, a)),
            m.linalg.cond(_wc(m, a), -2),
            m.linalg.cond(_wc(m, a), "fro"),
            m.linalg.cond(_wc(m, a), 1),
            m.linalg.cond(_wc(m, a), "nuc"),
        ),
        [[F((3, 3))], [F((2, 3, 3))]],
        ops=_NONE,
        # torch's cond(p='fro'/1/'nuc') writes into inv_ex's output in place, so its own
        # backward refuses ("modified by an inplace operation"): the reference spells it out
        torch_fn=lambda m, a: (
            m.linalg.cond(_wc(m, a)),
            m.linalg.cond(_wc(m, a), -2),
            *(
                m.linalg.matrix_norm(_wc(m, a), p)
                * m.linalg.matrix_norm(m.linalg.inv(_wc(m, a)), p)
                for p in ("fro", 1, "nuc")
            ),
        ),
    ),
    Row("linalg_vander", lambda m, x: m.linalg.vander(x, N=4), [[F((3,))], [F((2, 3))]], ops=_NONE),
    Row(
        "linalg_diagonal",
        lambda m, a: m.linalg.diagonal(a, offset=1) * 2,
        [[F((3, 4))], [F((2, 3, 3))]],
        ops=_NONE,
    ),
    Row(
        "inv_ex",
        lambda m, a: m.linalg.inv_ex(_wc(m, a)).inverse,
        [[F((3, 3))], [F((2, 3, 3))]],
        ops=_NONE,
    ),
    Row(
        "solve_ex",
        lambda m, a, b: m.linalg.solve_ex(_wc(m, a), b).result,
        [[F((3, 3)), F((3,))], [F((3, 3)), F((3, 2))]],
        ops=_NONE,
        # NOTE: [torch nested jvp of LU-based ops] in op_rows_linalg.py
        torch_fn=lambda m, a, b: _torch_solve(m, _wc(m, a), b),
    ),
    Row(
        "cholesky_ex",
        lambda m, a: m.linalg.cholesky_ex(_spd(m, a)).L,
        [[F((3, 3))]],
        ops=_NONE,
    ),
    Row(
        "cholesky_inverse",
        lambda m, a: (
            m.cholesky_inverse(m.linalg.cholesky(_spd(m, a))),
            m.cholesky_inverse(m.linalg.cholesky(_spd(m, a)).mT, upper=True),
        ),
        [[F((3, 3))]],
        ops=_NONE,
        # torch 2.13's forward-mode rule of cholesky_inverse disagrees with finite differences
        # (dualgrad's composite agrees): the reference is the inverse of L L^T
        torch_fn=lambda m, a: (_chol_inv(m, a), _chol_inv(m, a)),
    ),
    Row(
        "tensorinv",
        lambda m, a: m.linalg.tensorinv(_wc(m, a.reshape(4, 4)).reshape(4, 2, 2), ind=1),
        [[F((4, 4))]],
        ops=_NONE,
    ),
    Row(
        "tensorsolve",
        lambda m, a, b: m.linalg.tensorsolve(_wc(m, a).reshape(2, 3, 6), b),
        [[F((6, 6)), F((2, 3))]],
        ops=_NONE,
        torch_fn=lambda m, a, b: _torch_solve(m, _wc(m, a), b.reshape(6)),
    ),
    Row(
        "lu_permutation",
        lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)).P,
        [[F((4, 4))], [F((2, 3, 3))]],
        nondiff=True,
    ),
    Row(
        "cholesky_info",
        lambda m, a: m.linalg.cholesky_ex(a @ a.mT - 0.5 * m.eye(3, dtype=a.dtype)).info,
        [[F((3, 3))], [F((2, 3, 3))]],
        nondiff=True,
    ),
    Row(
        "matrix_rank",
        lambda m, a: (m.linalg.matrix_rank(a), m.linalg.matrix_rank(a[..., :1] * a, atol=0.5)),
        [[F((3, 4))], [F((2, 3, 3))]],
        ops=_NONE,
        nondiff=True,
    ),
]


def _strided_scatter_reference(m, x, s, *args):
    """torch's as_strided_scatter fails its own gradcheck in 2.13 (its input's gradient is
    not the one finite differences give); the same values by a clone and a strided write."""
    out = x.clone()
    out.as_strided(*args).copy_(s)
    return out


ROWS += [
    Row(
        "as_strided_scatter",
        # (contiguous: positions count in memory, and the vmap column's per-example loop
        # slices the batch, which would leave gaps in an example's memory)
        lambda m, x, s: m.as_strided_scatter(x.contiguous(), s, (2, 2), (1, 5), 2),
        [[F((3, 4)), F((2, 2))]],
        ops=_NONE,
        torch_fn=lambda m, x, s: _strided_scatter_reference(m, x, s, (2, 2), (1, 5), 2),
    ),
    Row(
        "linalg_ldl_factor_ex",
        lambda m, a: tuple(m.linalg.ldl_factor_ex(a + a.mT)),
        [[F((4, 4))], [F((2, 3, 3))]],
        nondiff=True,
    ),
    Row(
        "linalg_ldl_solve",
        lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor(a + a.mT), b),
        [[F((4, 4)), F((4, 2))], [F((2, 3, 3)), F((2, 3, 1))]],
        nondiff=True,
    ),
]
