"""Op-table rows for the sorting ops (issue 3); tests/op_table.py gathers them into ROWS."""

from op_table_base import B, Const, F, I, R, Row  # noqa: F401

M34 = [[F((3, 4))], [F((4, 3), transposed=True)]]
NAN = float("nan")
WITH_NAN = Const([[1.5, NAN, 0.3, -2.0], [0.7, -1.1, NAN, NAN], [NAN, 0.2, 0.9, 0.4]], diff=True)
TIES = Const(
    [[1.0, 3.0, 3.0, 2.0, 1.0], [2.0, 0.5, 2.0, 0.5, 4.0], [5.0, 5.0, 5.0, 1.0, 1.0]], diff=True
)
ZEROS = Const([[1.5, 0.0, 2.0, 0.5], [0.0, 0.0, 3.0, 1.2], [2.0, -1.0, 0.5, 0.0]], diff=True)
SEQ = Const([-1.0, 0.0, 0.5, 2.0, 3.0])


def _chain_cumprod(m, x, dim):
    outs = [x.select(dim, 0)]
    for j in range(1, x.shape[dim]):
        outs.append(outs[-1] * x.select(dim, j))
    return m.stack(outs, dim)


def _quantile_with(interpolation):
    return lambda m, x: m.quantile(x, 0.37, 0, interpolation=interpolation)


ROWS: list = [
    # ---------------------------------------------------------------- sort and selection
    Row(
        "sort", lambda m, x: m.sort(x, 1).values, M34 + [[F((2, 3, 4))]], ops=("argsort", "gather")
    ),
    Row("sort_descending", lambda m, x: m.sort(x, 0, descending=True)[0], M34, ops=("argsort",)),
    Row(
        "sort_method_stable",
        lambda m, x: x.sort(stable=True).values * x,
        [[F((2, 5))]],
        ops=("argsort",),
    ),
    Row(
        "sort_indices",
        lambda m, x: m.sort(x, -1, True)[1],
        [[F((3, 4))], [Const([3.0, float("nan"), 1.0])]],
        nondiff=True,
        ops=("argsort",),
    ),
    Row("sort_0d", lambda m, x: m.sort(x).values, [[F(())]], ops=("argsort",)),
    Row("argsort", lambda m, x: m.argsort(x, dim=0, descending=True), [[F((3, 4))]], nondiff=True),
    Row(
        "argsort_method",
        lambda m, x: x.argsort(),
        [[F((3, 4))], [I((6,), 0, 100)]],
        nondiff=True,
        ops=("argsort",),
    ),
    Row("msort", lambda m, x: m.msort(x), M34, ops=("argsort",)),
    Row("topk", lambda m, x: m.topk(x, 2, dim=1).values, M34, ops=("argsort",)),
    Row(
        "topk_smallest",
        lambda m, x: x.topk(3, 0, largest=False)[0],
        [[F((4, 3))]],
        ops=("argsort",),
    ),
    Row(
        "topk_unsorted",
        lambda m, x: m.sort(m.topk(x, 2, sorted=False).values).values,
        [[F((3, 5))]],
        ops=("argsort",),
    ),
    Row(
        "topk_indices",
        lambda m, x: m.topk(x, 2).indices,
        [[F((3, 4))]],
        nondiff=True,
        ops=("argsort",),
    ),
    Row("kthvalue", lambda m, x: m.kthvalue(x, 2, 1).values, M34, ops=("argsort",)),
    Row(
        "kthvalue_keepdim",
        lambda m, x: x.kthvalue(3, 0, keepdim=True)[0],
        [[F((4, 3))]],
        ops=("argsort",),
    ),
    Row(
        "kthvalue_indices",
        lambda m, x: m.kthvalue(x, 2, 0)[1],
        [[F((3, 4))]],
        nondiff=True,
        ops=("argsort",),
    ),
    Row("median", lambda m, x: m.median(x), [[F((3, 4))], [F((3, 3))], [F(())]]),
    Row("median_ties", lambda m, x: m.median(x) * 2, [[TIES]], ops=("median",), gradcheck=False),
    Row("nanmedian", lambda m, x: m.nanmedian(x), M34 + [[WITH_NAN], [F(())]]),
    Row(
        "nanmedian_dim",
        lambda m, x: m.nanmedian(x, 1, keepdim=True).values,
        M34 + [[WITH_NAN]],
        ops=("argsort", "gather"),
    ),
    Row("median_dim", lambda m, x: m.median(x, 1).values, M34 + [[F((3, 5))]], ops=("argsort",)),
    Row(
        "median_keepdim", lambda m, x: x.median(0, keepdim=True)[0], [[F((4, 3))]], ops=("argsort",)
    ),
    Row(
        "median_indices",
        lambda m, x: m.median(x, 1).indices,
        [[F((3, 4))]],
        nondiff=True,
        ops=("argsort",),
    ),
    Row("quantile", lambda m, x: m.quantile(x, 0.3), [[F((3, 4))], [F((5,))]], ops=("argsort",)),
    Row(
        "quantile_q_dim",
        lambda m, x, q: m.quantile(x, q, dim=1, keepdim=True),
        [[F((3, 4)), F((3,), 0.05, 0.95)]],
        ops=("argsort",),
    ),
    Row(
        "quantile_q_all",
        lambda m, x, q: x.quantile(q),
        [[F((3, 4)), F((2,), 0.05, 0.95)]],
        ops=("argsort",),
    ),
    Row(
        "quantile_keepdim_all",
        lambda m, x, q: m.quantile(x, q, keepdim=True),
        [[F((3, 4)), F((2,), 0.05, 0.95)]],
        ops=("argsort",),
    ),
    *[
        Row(
            f"quantile_{mode}",
            _quantile_with(mode),
            [[F((5, 3))]],
            ops=("argsort",),
        )
        for mode in ("lower", "higher", "nearest", "midpoint")
    ],
    Row("mode", lambda m, x: m.mode(x, 1).values, [[TIES]], gradcheck=False, ops=("mode_indices",)),
    Row(
        "mode_dim0",
        lambda m, x: x.mode(0, keepdim=True)[0],
        [[Const([[1.0, 2.0], [1.0, 3.0], [4.0, 3.0]], diff=True)]],
        gradcheck=False,
        ops=("mode_indices",),
    ),
    Row("mode_indices", lambda m, x: m.mode(x).indices, [[TIES], [I((4, 7), 0, 3)]], nondiff=True),
    # ---------------------------------------------------------------- scans
    Row("cummax", lambda m, x: m.cummax(x, 1).values, M34, ops=("cummax_indices",)),
    Row("cummin", lambda m, x: m.cummin(x, 0)[0], M34, ops=("cummin_indices",)),
    Row(
        "cummax_ties",
        lambda m, x: x.cummax(1).values,
        [[TIES]],
        gradcheck=False,
        ops=("cummax_indices",),
    ),
    Row(
        "cummin_ties",
        lambda m, x: x.cummin(-1).values,
        [[TIES]],
        gradcheck=False,
        ops=("cummin_indices",),
    ),
    Row(
        "cummax_indices",
        lambda m, x: m.cummax(x, -1).indices,
        [[TIES], [Const([1.0, float("nan"), 3.0, float("nan")])]],
        nondiff=True,
    ),
    Row(
        "cummin_indices",
        lambda m, x: m.cummin(x, 1).indices,
        [[TIES], [I((3, 6), 0, 3)]],
        nondiff=True,
    ),
    Row("cumprod", lambda m, x: m.cumprod(x, 1), M34 + [[F((2, 3, 2))]]),
    # torch 2.13's forward-over-forward of cumprod is wrong where the input holds zeros (its
    # mixed partial of [0, 0, 2, 3] is -1.1, -2.2, -6.6 where the exact one is -0.98, -1.96,
    # -5.88); the reference for these rows is cumprod as a chain of products, exact in torch.
    Row(
        "cumprod_zeros",
        lambda m, x: m.cumprod(x, 1),
        [[ZEROS]],
        ops=("cumprod",),
        torch_fn=lambda m, x: _chain_cumprod(m, x, 1),
    ),
    Row(
        "cumprod_zeros_dim0",
        lambda m, x: x.cumprod(0),
        [[ZEROS], [Const([0.0, 0.0, 2.0, 3.0], diff=True)]],
        ops=("cumprod",),
        torch_fn=lambda m, x: _chain_cumprod(m, x, 0),
    ),
    Row(
        "cumprod_int",
        lambda m, x: m.cumprod(x, 0),
        [[I((5,), -3, 3)]],
        nondiff=True,
        ops=("cumprod",),
    ),
    Row("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), M34 + [[F((2, 3, 2))]]),
    # torch 2.13's jvp of logcumsumexp loses all precision when the values spread by more than
    # about 20 (out_t[0] of [-5, 0, 3, 30] along e_0 is 0.006, not 1); the reference for the
    # wide row is a logsumexp per prefix, exact in torch in every mode.
    Row(
        "logcumsumexp_wide",
        lambda m, x: x.logcumsumexp(0),
        [[Const([-50.0, 0.0, 30.0, 300.0, -400.0], diff=True)]],
        ops=("logcumsumexp",),
        torch_fn=lambda m, x: m.stack([m.logsumexp(x[: j + 1], 0) for j in range(x.shape[0])]),
    ),
    # ---------------------------------------------------------------- non-differentiable
    Row(
        "unique",
        lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
        [[I((10,), 0, 4)], [F((3,))]],
        nondiff=True,
    ),
    Row(
        "unique_plain", lambda m, x: x.unique(), [[I((3, 4), 0, 4)]], nondiff=True, ops=("unique",)
    ),
    Row(
        "unique_dim",
        lambda m, x: m.unique(x, dim=0, return_inverse=True),
        [[Const([[1, 2], [0, 1], [1, 2], [0, 0]])]],
        nondiff=True,
        ops=("unique",),
    ),
    Row(
        "unique_consecutive",
        lambda m, x: m.unique_consecutive(x, return_inverse=True, return_counts=True),
        [[Const([0, 0, 1, 1, 1, 0, 2, 2])], [Const([[1, 1, 2], [1, 1, 2], [0, 3, 3]])]],
        nondiff=True,
    ),
    Row(
        "unique_consecutive_dim",
        lambda m, x: m.unique_consecutive(x, return_inverse=True, return_counts=True, dim=0),
        [[Const([[1, 2], [1, 2], [0, 1], [1, 2], [1, 2]])]],
        nondiff=True,
        ops=("unique_consecutive",),
    ),
    Row(
        "searchsorted",
        lambda m, s, v: m.searchsorted(s, v),
        [[SEQ, F((3, 4), -2.0, 4.0)]],
        nondiff=True,
    ),
    Row(
        "searchsorted_right",
        lambda m, s, v: m.searchsorted(s, v, right=True) + m.searchsorted(s, v, side="right"),
        [[SEQ, Const([[0.0, 2.0, 5.0]])]],
        nondiff=True,
        ops=("searchsorted",),
    ),
    Row(
        "searchsorted_nd",
        lambda m, s, v: m.searchsorted(s, v),
        [[Const([[0.0, 1.0, 2.0], [-1.0, 5.0, 6.0]]), Const([[1.5, -3.0], [5.0, 7.0]])]],
        nondiff=True,
        ops=("searchsorted",),
    ),
    Row(
        "searchsorted_sorter",
        lambda m, s, v, o: m.searchsorted(s, v, sorter=o),
        [[Const([3.0, 1.0, 2.0]), Const([2.5, 0.0]), Const([1, 2, 0])]],
        nondiff=True,
        ops=("searchsorted",),
    ),
    Row(
        "searchsorted_scalar",
        lambda m, s: m.searchsorted(s, 0.7),
        [[SEQ]],
        nondiff=True,
        ops=("searchsorted",),
    ),
    Row(
        "bucketize",
        lambda m, x, b: m.bucketize(x, b) * 10 + m.bucketize(x, b, right=True),
        [[Const([[-1.0, 0.0, 0.2], [2.0, 3.0, 9.0]]), SEQ]],
        nondiff=True,
        ops=("searchsorted",),
    ),
]
