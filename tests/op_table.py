"""The op test table: one row per primitive (or per public function that reaches it).

A row's function takes the module as its first argument, so the same code runs on dualgrad
and on torch: ``lambda m, x: m.sin(x)``. Samples list the inputs (see op_table_base.py).
tests/test_ops.py runs every row in every mode, and a meta-test fails when a registered
primitive has no row. Rows of later op families live in op_rows_*.py and are gathered here.
"""

from __future__ import annotations

import math

import op_rows_indexing
import op_rows_linalg
import op_rows_names
import op_rows_names2
import op_rows_nn
import op_rows_sorting
import op_rows_special
from op_table_base import B, Const, F, I, R, Row, make_inputs  # noqa: F401

INF = math.inf

# Sample shapes used by many rows.
UNARY = [[F((3, 4))], [F((4, 3), transposed=True)], [F(())], [F((2, 0))]]
POS = [[F((3, 4), 0.5, 2.0)], [F((), 0.5, 2.0)], [F((4, 3), 0.5, 2.0, transposed=True)]]
UNIT = [[F((3, 4), -0.9, 0.9)], [F((), -0.9, 0.9)]]
BINARY = [
    [F((3, 4)), F((3, 4))],
    [F((3, 4)), F((4,))],  # broadcasting
    [F((2, 1, 4)), F((3, 1))],
    [F(()), F((2, 3))],  # 0-d with dimensioned
    [F((3, 4), transposed=True), F((3, 4))],
]
M34 = [[F((3, 4))], [F((4, 3), transposed=True)]]
NONFINITE = Const([1.0, float("nan"), float("inf"), -float("inf"), -2.0])
AWAY = 0.3  # keep samples of kinked functions this far from the kink


def _away_from_zero(m, x):
    return x + m.sign(x).detach() * AWAY if hasattr(x, "detach") else x


ROWS = [
    # ---------------------------------------------------------------- arithmetic
    Row("add", lambda m, x, y: x + y, BINARY + [[F((3,)), 2.5]]),
    Row("sub", lambda m, x, y: x - y, BINARY + [[F((3,)), 2.5], [1.5, F((3,))]]),
    Row("rsub", lambda m, x: 1.5 - x, UNARY),
    Row("mul", lambda m, x, y: x * y, BINARY + [[F((3,)), -0.05]]),
    Row(
        "div",
        lambda m, x, y: x / (y.abs() + 0.5) if hasattr(y, "abs") else x / y,
        BINARY + [[F((3,)), 4.0]],
    ),
    # (x * 3 keeps the samples off the jumps of the rounded quotient)
    Row(
        "div_rounding",
        lambda m, x, y: m.div(x * 3, y.abs() + 0.5, rounding_mode="floor"),
        BINARY[:2],
        second_order=False,
    ),
    Row(
        "div_rounding_trunc",
        lambda m, x: m.div(x * 3, -2.0, rounding_mode="trunc"),
        UNARY,
        second_order=False,
        ops=("div_rounding",),
    ),
    Row(
        "div_scalar_numerator",
        lambda m, x: 2.0 / (x.abs() + 0.5),
        UNARY[:3],
        ops=("div", "abs", "add"),
    ),
    Row("neg", lambda m, x: -x, UNARY),
    Row(
        "pow",
        lambda m, x, y: x**y,
        [[F((3, 4), 0.5, 2.0), F((3, 4))], [F((3, 1), 0.5, 2.0), F((4,))]],
    ),
    Row("pow_scalar", lambda m, x: x**3, UNARY),
    Row("pow_scalar_frac", lambda m, x: x**2.5, POS, ops=("pow_scalar",)),
    Row("rpow", lambda m, x: 2.0**x, UNARY),
    Row("reciprocal", lambda m, x: m.reciprocal(x), POS),
    Row("square", lambda m, x: m.square(x), UNARY),
    # ---------------------------------------------------------------- unary math
    Row("exp", lambda m, x: m.exp(x), UNARY),
    Row("exp2", lambda m, x: m.exp2(x), UNARY),
    Row("log", lambda m, x: m.log(x), POS),
    Row("log2", lambda m, x: m.log2(x), POS),
    Row("log10", lambda m, x: m.log10(x), POS),
    Row("log1p", lambda m, x: m.log1p(x), POS),
    Row("expm1", lambda m, x: m.expm1(x), UNARY),
    Row("sqrt", lambda m, x: m.sqrt(x), POS),
    Row("rsqrt", lambda m, x: m.rsqrt(x), POS),
    Row("abs", lambda m, x: m.abs(_away_from_zero(m, x)), UNARY, ops=("abs", "sign", "add", "mul")),
    Row("sign", lambda m, x: m.sign(x), UNARY, second_order=False),
    Row("sin", lambda m, x: m.sin(x), UNARY),
    Row("cos", lambda m, x: m.cos(x), UNARY),
    Row("tan", lambda m, x: m.tan(x), UNARY),
    Row("asin", lambda m, x: m.asin(x), UNIT),
    Row("acos", lambda m, x: m.acos(x), UNIT),
    Row("atan", lambda m, x: m.atan(x), UNARY),
    Row(
        "atan2",
        lambda m, y, x: m.atan2(y, x),
        [[F((3, 4)), F((3, 4), 0.2, 1.0)], [F((3, 1)), F((4,), 0.2, 1.0)]],
    ),
    Row("sinh", lambda m, x: m.sinh(x), UNARY),
    Row("cosh", lambda m, x: m.cosh(x), UNARY),
    Row("tanh", lambda m, x: m.tanh(x), UNARY),
    Row("asinh", lambda m, x: m.asinh(x), UNARY),
    Row("acosh", lambda m, x: m.acosh(x), [[F((3, 4), 1.2, 3.0)], [F((), 1.2, 3.0)]]),
    Row("atanh", lambda m, x: m.atanh(x), UNIT),
    Row("sigmoid", lambda m, x: m.sigmoid(x), UNARY + [[F((5,), -30.0, 30.0)]]),
    Row(
        "relu",
        lambda m, x: m.relu(_away_from_zero(m, x)),
        UNARY,
        ops=("relu", "sign", "add", "mul"),
        second_order=False,
    ),
    Row(
        "clamp",
        lambda m, x: m.clamp(x, -0.5, 0.5),
        [[Const([-0.9, -0.2, 0.1, 0.7, 0.3])]] and [[F((3, 4))]],
        second_order=False,
    ),
    Row(
        "clamp_min_only",
        lambda m, x: m.clamp(x, min=0.1),
        [[F((3, 4))]],
        ops=("clamp",),
        second_order=False,
    ),
    Row(
        "clamp_tensor",
        lambda m, x, lo: m.clamp(x, min=lo),
        [[F((3, 4)), F((4,))]],
        ops=("maximum",),
        second_order=False,
    ),
    Row("maximum", lambda m, x, y: m.maximum(x, y), BINARY[:4], second_order=False),
    Row("minimum", lambda m, x, y: m.minimum(x, y), BINARY[:4], second_order=False),
    Row("floor", lambda m, x: m.floor(x * 3), UNARY, second_order=False, ops=("floor", "mul")),
    Row("ceil", lambda m, x: m.ceil(x * 3), UNARY, second_order=False, ops=("ceil", "mul")),
    Row("round", lambda m, x: m.round(x * 3), UNARY, second_order=False, ops=("round", "mul")),
    Row("trunc", lambda m, x: m.trunc(x * 3), UNARY, second_order=False, ops=("trunc", "mul")),
    Row(
        "where",
        lambda m, c, x, y: m.where(c, x, y),
        [[B((3, 4)), F((3, 4)), F((3, 4))], [B((3, 1)), F((4,)), F((3, 4))]],
    ),
    Row(
        "where_scalar", lambda m, c, x: m.where(c, x, 0.0), [[B((3, 4)), F((3, 4))]], ops=("where",)
    ),
    Row("clone", lambda m, x: x.clone(), UNARY),
    Row(
        "to_dtype",
        lambda m, x: x.float().double() * 1.0,
        [[F((3,), 0.0, 0.5)]],
        atol=1e-6,
        gradcheck=False,
    ),
    # ---------------------------------------------------------------- non-differentiable
    *[
        Row(
            n,
            (lambda op: lambda m, x, y: getattr(m, op)(x, y))(n),
            [[F((3, 4)), F((4,))]],
            nondiff=True,
        )
        for n in ("eq", "ne", "lt", "le", "gt", "ge")
    ],
    *[
        Row(
            n,
            (lambda op: lambda m, x, y: getattr(m, op)(x, y))(n),
            [[B((3, 4)), B((4,))]],
            nondiff=True,
        )
        for n in (
            "logical_and",
            "logical_or",
            "logical_xor",
            "bitwise_and",
            "bitwise_or",
            "bitwise_xor",
        )
    ],
    Row("logical_not", lambda m, x: m.logical_not(x), [[B((3, 4))]], nondiff=True),
    Row("bitwise_not", lambda m, x: m.bitwise_not(x), [[I((3, 4), -5, 5)]], nondiff=True),
    *[
        Row(
            n,
            (lambda op: lambda m, x, y: getattr(m, op)(x, y))(n),
            [[I((3, 4), -9, 9), I((4,), 0, 5)]],
            nondiff=True,
        )
        for n in ("bitwise_left_shift", "bitwise_right_shift")
    ],
    *[
        Row(n, (lambda op: lambda m, x: getattr(m, op)(x))(n), [[NONFINITE]], nondiff=True)
        for n in ("isnan", "isinf", "isfinite", "signbit")
    ],
    Row(
        "floor_divide",
        lambda m, x, y: m.floor_divide(x, y),
        [[I((3, 4), -9, 9), I((4,), 1, 4)]],
        nondiff=True,
    ),
    Row(
        "view_dtype",
        lambda m, x: x.view(m.int64),
        [[F((3, 4))], [F((2, 3), transposed=True)]],
        nondiff=True,
    ),
    Row("argmax", lambda m, x: m.argmax(x, dim=1), [[F((3, 4))]], nondiff=True),
    Row("argmin", lambda m, x: m.argmin(x), [[F((3, 4))]], nondiff=True),
    Row("nonzero", lambda m, x: m.nonzero(x), [[B((3, 4))]], nondiff=True),
    Row("all", lambda m, x: m.all(x), [[B((3, 4))], [F((3, 4))]], nondiff=True),
    Row(
        "all_dim",
        lambda m, x: x.all(dim=(0, -1), keepdim=True),
        [[B((2, 3, 4))]],
        nondiff=True,
        ops=("all",),
    ),
    Row("any", lambda m, x: x.any(), [[B((3, 4))], [I((3, 4), 0, 2)]], nondiff=True),
    Row(
        "any_dim",
        lambda m, x: m.any(x, 1),
        [[B((3, 4))], [F((4, 3), transposed=True)]],
        nondiff=True,
        ops=("any",),
    ),
    # ---------------------------------------------------------------- reductions
    Row("sum", lambda m, x: x.sum(), UNARY),
    Row(
        "sum_dim",
        lambda m, x: x.sum(dim=(0, -1), keepdim=True),
        [[F((2, 3, 4))], [F((4, 3), transposed=True)]],
    ),
    Row(
        "mean",
        lambda m, x: x.mean(1),
        [[F((3, 4))], [F((4, 3), transposed=True)]],
        ops=("mean_dim",),
    ),
    Row("mean_all", lambda m, x: x.mean(), UNARY[:3], ops=("mean",)),
    Row(
        "mean_keepdim",
        lambda m, x: m.mean(x, (0, 2), keepdim=True),
        [[F((2, 3, 4))]],
        ops=("mean_dim",),
    ),
    Row(
        "prod",
        lambda m, x: x.prod(1),
        [
            [F((3, 4))],
            [Const([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]], diff=True)],
            [Const([[1.5, 0.0, 2.0, 0.5]], diff=True)],
        ],
    ),
    Row("prod_all", lambda m, x: x.prod(), [[F((2, 3))], [F(())]], ops=("prod",)),
    Row("amax", lambda m, x: m.amax(x, 1), [[F((3, 4))]], second_order=False),
    Row("amin", lambda m, x: m.amin(x, (0, 1)), [[F((3, 4))]], second_order=False),
    Row("max_dim", lambda m, x: m.max(x, 1)[0], [[F((3, 4))]], second_order=False),
    Row("max_all", lambda m, x: m.max(x), [[F((3, 4))]], second_order=False),
    Row("min_all", lambda m, x: x.min(), [[F((3, 4))]], second_order=False),
    Row("aminmax", lambda m, x: m.aminmax(x, dim=1), M34, second_order=False),
    Row(
        "aminmax_all",
        lambda m, x: tuple(x.aminmax(keepdim=True)),
        M34 + [[F(())]],
        ops=("aminmax",),
        second_order=False,
    ),
    Row("min_dim", lambda m, x: m.min(x, 0, keepdim=True)[0], [[F((3, 4))]], second_order=False),
    Row("cumsum", lambda m, x: m.cumsum(x, 1), [[F((3, 4))]]),
    # ---------------------------------------------------------------- shapes
    Row("reshape", lambda m, x: x.reshape(4, -1), [[F((3, 4))], [F((4, 3), transposed=True)]]),
    Row(
        "view_unsqueeze_squeeze",
        lambda m, x: x.unsqueeze(1).squeeze(),
        [[F((3, 4))]],
        ops=("unsqueeze", "squeeze"),
    ),
    Row("unsqueeze", lambda m, x: x.unsqueeze(-1), [[F((3, 4))], [F(())]]),
    Row("squeeze", lambda m, x: x.squeeze(), [[F((3, 1, 4))], [F((1, 1))]]),
    Row("squeeze_dim", lambda m, x: m.squeeze(x, 1), [[F((3, 1, 4))], [F((3, 4))]]),
    Row("squeeze_dims", lambda m, x: x.squeeze((0, 2)), [[F((1, 3, 1, 4))]]),
    Row("flatten", lambda m, x: x.flatten(1), [[F((2, 3, 4))]], ops=("reshape",)),
    Row("expand", lambda m, x: x.expand(2, 3, 4), [[F((3, 1))], [F((4,))]]),
    Row("permute", lambda m, x: x.permute(2, 0, 1), [[F((2, 3, 4))]]),
    Row("transpose", lambda m, x: x.transpose(0, 1), [[F((3, 4))], [F((2, 3, 4))]]),
    Row("t", lambda m, x: x.t(), [[F((3, 4))], [F((4,))], [F((4, 3), transposed=True)]]),
    Row("T", lambda m, x: x.T * 1, [[F((3, 4))]], ops=("permute",)),
    Row("movedim", lambda m, x: m.movedim(x, 0, 2), [[F((2, 3, 4))]], ops=("permute",)),
    Row("flip", lambda m, x: m.flip(x, (0, 1)), [[F((3, 4))]]),
    # ---------------------------------------------------------------- indexing
    Row("select", lambda m, x: x[1:, None, ..., 2], [[F((3, 4))]]),
    Row(
        "select_int",
        lambda m, x: (x[1], x[:, 2], x[..., 0]),
        [[F((3, 4))], [F((4, 3), transposed=True)]],
    ),
    Row(
        "index",
        lambda m, x, i: x[i],
        [[F((4, 3)), Const([0, 2, 2, 1])]],
        ops=("index", "index_add_zeros"),
    ),
    Row("index_mask", lambda m, x, b: x[b], [[F((3, 4)), B((3, 4))]], ops=("index",)),
    Row(
        "index_put",
        lambda m, x, v: _setitem(m, x, v),
        [[F((3, 4)), F((4,))]],
        ops=("index_put", "clone"),
    ),
    Row(
        "gather",
        lambda m, x, i: m.gather(x, 1, i),
        [[F((3, 4)), I((3, 2), 0, 4)]],
        ops=("gather", "scatter_add_zeros"),
    ),
]


ROWS += [
    # ---------------------------------------------------------------- shape
    R("cat", "cat", lambda m, a, b, c: m.cat([a, b, c], 1), (2, 1, 3), (2, 4, 3), (2, 2, 3)),
    R("cat_neg_dim", "cat", lambda m, a, b: m.cat((a, b), -1), (2, 3), (2, 1)),
    R("stack", "stack", lambda m, a, b: m.stack([a, b], 1), (2, 3), (2, 3)),
    R("stack_last", "stack", lambda m, a, b, c: m.stack([a, b, c], -1), (2,), (2,), (2,)),
    R("split_int", "split", lambda m, x: m.split(x, 2, 1), (3, 5)),
    R("split_sizes", "split", lambda m, x: m.split(x, [1, 3, 1], 1), (3, 5)),
    R("split_one_used", "split", lambda m, x: m.split(x, 2, 0)[1] * 2, (5, 2)),
    R("split_method", "split", lambda m, x: x.split(3), (7,)),
    R("chunk", "split", lambda m, x: m.chunk(x, 3, 0), (7, 2)),
    R("chunk_method", "split", lambda m, x: x.chunk(2, -1), (2, 4)),
    R("unbind", "select", lambda m, x: m.unbind(x, 1), (3, 4)),
    R("unbind_method", "select", lambda m, x: x.unbind(), (2, 3)),
    R("repeat", "repeat", lambda m, x: x.repeat(2, 1, 3), (2, 3)),
    R("repeat_same_rank", "repeat", lambda m, x: x.repeat(3, 2), (2, 3)),
    R("diag_embed_vec", "diagonal_scatter_zeros", lambda m, x: m.diag(x, 1), (3,)),
    R("diag_embed_vec_neg", "diagonal_scatter_zeros", lambda m, x: m.diag(x, -2), (3,)),
    R("diag_of_matrix", "diagonal", lambda m, x: m.diag(x, 1), (3, 4)),
    R("diag_method", "diagonal", lambda m, x: x.diag(), (3, 3)),
    R("diagonal", "diagonal", lambda m, x: m.diagonal(x, 1, 0, 2), (3, 2, 4)),
    R("diagonal_neg", "diagonal", lambda m, x: m.diagonal(x, -1, 2, 0), (3, 2, 4)),
    R("diagonal_method", "diagonal", lambda m, x: x.diagonal(), (3, 3)),
    R("diag_embed", "diagonal_scatter_zeros", lambda m, x: m.diag_embed(x, 1), (2, 3)),
    R("trace", "diagonal", lambda m, x: m.trace(x), (3, 4)),
    R("trace_method", "diagonal", lambda m, x: (x * x).trace(), (3, 3)),
    R("tril", "tril", lambda m, x: m.tril(x, -1), (2, 3, 4)),
    R("triu", "triu", lambda m, x: m.triu(x, 1), (3, 4)),
    R("tril_method", "tril", lambda m, x: (x * x).tril(), (3, 3)),
    # ---------------------------------------------------------------- linear algebra
    R("matmul_1d_1d", "matmul", lambda m, a, b: m.matmul(a, b), (3,), (3,)),
    R("matmul_1d_nd", "matmul", lambda m, a, b: m.matmul(a, b), (3,), (2, 3, 4)),
    R("matmul_nd_1d", "matmul", lambda m, a, b: m.matmul(a, b), (2, 3, 4), (4,)),
    R("matmul_2d_2d", "matmul", lambda m, a, b: m.matmul(a, b), (3, 4), (4, 2)),
    R("matmul_1d_2d", "matmul", lambda m, a, b: m.matmul(a, b), (4,), (4, 2)),
    R("matmul_2d_1d", "mv", lambda m, a, b: m.matmul(a, b), (3, 4), (4,)),
    R("matmul_batch_bcast", "matmul", lambda m, a, b: m.matmul(a, b), (2, 1, 3, 4), (5, 4, 2)),
    R("matmul_batch_2d", "matmul", lambda m, a, b: m.matmul(a, b), (3, 4), (2, 4, 2)),
    R("matmul_operator", "matmul", lambda m, a, b: (a @ b) * a.sum(), (3, 3), (3, 3)),
    R("matmul_rmatmul_square", "matmul", lambda m, a: a @ a @ a, (3, 3)),
    R("mm", "matmul", lambda m, a, b: m.mm(a, b), (3, 4), (4, 2)),
    R("bmm", "bmm", lambda m, a, b: m.bmm(a, b), (2, 3, 4), (2, 4, 5)),
    R("mv", "mv", lambda m, a, b: m.mv(a, b), (3, 4), (4,)),
    R("dot", "dot", lambda m, a, b: m.dot(a, b), (4,), (4,)),
    R("dot_method", "dot", lambda m, a: a.dot(a), (4,)),
    R("inner", "matmul", lambda m, a, b: m.inner(a, b), (2, 4), (3, 4)),
    R("outer", "mul", lambda m, a, b: m.outer(a, b), (3,), (4,)),
    R("einsum_mm", "einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), (2, 3), (3, 4)),
    R("einsum_bmm", "einsum", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), (2, 2, 3), (2, 3, 4)),
    R("einsum_sum", "einsum", lambda m, a: m.einsum("ij->j", a), (3, 4)),
    R("einsum_diag", "einsum", lambda m, a: m.einsum("ii->i", a), (3, 3)),
    R("einsum_trace_3", "einsum", lambda m, a, b: m.einsum("iji,j->j", a, b), (3, 2, 3), (2,)),
    R("einsum_full", "einsum", lambda m, a, b: m.einsum("ij,ij->", a, b), (3, 4), (3, 4)),
    R("einsum_outer", "einsum", lambda m, a, b: m.einsum("i,j->ij", a, b), (3,), (2,)),
    R(
        "einsum_ellipsis",
        "einsum",
        lambda m, a, b: m.einsum("...ij,jk->...ik", a, b),
        (2, 3, 4),
        (4, 5),
    ),
    R("einsum_implicit", "einsum", lambda m, a, b: m.einsum("ijk,k", a, b), (2, 3, 4), (4,)),
    R("einsum_lonely", "einsum", lambda m, a, b: m.einsum("ij,k->jk", a, b), (3, 2), (4,)),
    R(
        "einsum_three",
        "einsum",
        lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c),
        (2, 3),
        (3, 4),
        (4, 2),
    ),
    R("einsum_list", "einsum", lambda m, a, b: m.einsum("ij,ji", [a, b]), (2, 3), (3, 2)),
    R("cross_dim", "cross", lambda m, a, b: m.cross(a, b, dim=1), (4, 3), (4, 3)),
    R(
        "cross_bcast",
        "cross",
        lambda m, a, b: m.cross(a, b, dim=-1),
        (4, 3),
        (1, 3),
        torch_fn=lambda m, a, b: m.linalg.cross(a, b, dim=-1),
    ),
    R(
        "linalg_cross_default_last_dim",
        "cross",
        lambda m, a, b: m.linalg.cross(a, b),
        (3, 3),
        (3, 3),
    ),
    R("cross_method", "cross", lambda m, a, b: a.cross(b, dim=0), (3, 2), (3, 2)),
    # ---------------------------------------------------------------- composites
    R("softmax", None, lambda m, x: m.softmax(x, 1), (3, 4)),
    R("softmax_method", None, lambda m, x: x.softmax(-1) * x, (2, 3)),
    R("softmax_large", None, lambda m, x: m.softmax(x * 1000, 0), (4,)),
    R("log_softmax", None, lambda m, x: m.log_softmax(x, 0), (3, 4)),
    R("log_softmax_method", None, lambda m, x: x.log_softmax(1), (3, 4)),
    R("logsumexp", None, lambda m, x: m.logsumexp(x, 1), (3, 4)),
    R("logsumexp_keepdim", None, lambda m, x: m.logsumexp(x, (0, 1), keepdim=True), (3, 4)),
    R("logsumexp_method", None, lambda m, x: x.logsumexp(0), (3,)),
    R("var", None, lambda m, x: m.var(x), (3, 4)),
    R("var_dim", None, lambda m, x: m.var(x, 1), (3, 4)),
    R("var_corr0", None, lambda m, x: m.var(x, 1, keepdim=True, correction=0), (3, 4)),
    R("var_unbiased_false", None, lambda m, x: m.var(x, 0, False), (3, 4)),
    R("var_method", None, lambda m, x: x.var((0, 2)), (2, 3, 2)),
    R("std", None, lambda m, x: m.std(x), (3, 4)),
    R("std_dim", None, lambda m, x: m.std(x, 0, keepdim=True), (3, 4)),
    R("std_method", None, lambda m, x: x.std(-1, correction=0), (3, 4)),
    R("norm", "linalg_vector_norm", lambda m, x: m.norm(x), (3, 4)),
    R("norm_fro_dims", "linalg_vector_norm", lambda m, x: m.norm(x, "fro", (0, 2)), (2, 3, 4)),
    R("norm_1", None, lambda m, x: m.norm(x, 1, 1), (3, 4)),
    R("norm_2_dim", "linalg_vector_norm", lambda m, x: m.norm(x, 2, 0, keepdim=True), (3, 4)),
    R("norm_inf", None, lambda m, x: m.norm(x, INF, 0), (3, 4)),
    R("norm_neg_inf", None, lambda m, x: m.norm(x, -INF), (3, 4)),
    R("norm_3", None, lambda m, x: m.norm(x, 3, 1), (3, 4)),
    R("norm_half", None, lambda m, x: m.norm(x, 0.5), (3, 4)),
    R("norm_0", "nonzero_indicator", lambda m, x: m.norm(x, 0) * x, (3, 4)),
    R("norm_method", "linalg_vector_norm", lambda m, x: x.norm(dim=1), (3, 4)),
    # PyTorch's gradient at zero: 0 for std and the 2-norm, not nan
    R("std_zero", None, lambda m, x: m.std(x * 0 + 1), (3,)),
    R("norm_zero", "linalg_vector_norm", lambda m, x: m.norm(x * 0), (3,)),
    R("norm_zero_dim", "linalg_vector_norm", lambda m, x: m.norm(x * 0, dim=1), (2, 3)),
    R("norm_3_zero", None, lambda m, x: m.norm(x * 0, 3), (3,)),
]


def _setitem(m, x, v):
    y = x.clone()
    y[1] = v
    y[0, 1:3] = 7.0
    return y


for _family in (
    op_rows_linalg,
    op_rows_indexing,
    op_rows_sorting,
    op_rows_special,
    op_rows_nn,
    op_rows_names,
    op_rows_names2,
):
    ROWS += _family.ROWS


def covered_ops():
    ops = set()
    for row in ROWS:
        ops.update(row.covers)
    return ops


# ---------------------------------------------------------------- in-place writes through views
def _write_through_views(m, x, v):
    y = x.clone()
    y[1].mul_(v)
    y.t().diagonal().add_(v[:3])
    y[:, 2:].diagonal(1).exp_()
    return y


def _diagonal_view(m, x):
    return x.diagonal(1, 0, 2) * 1


ROWS += [
    Row(
        "view_scatter",
        _write_through_views,
        [[F((3, 4)), F((4,))]],
        ops=("view_scatter", "diagonal_view"),
    ),
    Row("diagonal_view", _diagonal_view, [[F((2, 3, 4))]], ops=("diagonal_view",)),
]
