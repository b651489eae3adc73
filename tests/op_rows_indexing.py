"""Op-table rows for the indexing ops (issue 3); tests/op_table.py gathers them into ROWS.

scatter, index_copy, index_put (accumulate=False) and masked_scatter write one value per
position: their rows use unique indices (torch leaves repeated ones unspecified). prod rows
have no zeros among the factors (NOTE: [scatter_reduce derivatives] in _ops/scatter.py).
"""

import numpy as np

from op_table_base import B, Const, F, I, R, Row  # noqa: F401

_rng = np.random.default_rng(3)


def _away(shape, low=0.5, high=1.5):
    """Floats of either sign whose magnitude is in [low, high): no zeros, for prod."""
    return Const(_rng.uniform(low, high, shape) * _rng.choice([-1.0, 1.0], shape), diff=True)


U34_D1 = Const(np.array([[0, 2], [3, 1], [2, 0]]))  # unique along dim 1 of a (3, 4)
U43_D0 = Const(np.array([[0, 1, 3], [2, 3, 0]]))  # unique along dim 0 of a (4, 3)
U43_D0_NARROW = Const(np.array([[3, 1], [0, 2]]))  # index smaller than x in dim 1 too
# amax/amin ties: among src, and between src and self
TIE_X = Const([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 2.0, 1.0]], diff=True)
TIE_SRC = Const([[2.0, 2.0, 1.0, 4.0, 0.0], [2.0, 1.0, 2.0, 0.5, 0.25]], diff=True)
TIE_X_OFF = Const([[11.0, 12.0, 13.0, 14.0], [10.5, 10.5, 12.0, 11.0]], diff=True)  # no self ties
TIE_I = Const(np.array([[1, 1, 0, 3, 2], [0, 3, 0, 1, 1]]))


def _fp(m):
    return m.nn.functional.pad if m.__name__ == "torch" else m.pad


def _pad(*args, **kw):
    return lambda m, x: _fp(m)(x, *args, **kw)


def _prod_reference(include_self):
    """scatter_reduce(x, 1, i, s, 'prod') as a chain of scatters into ones: torch 2.13's
    forward AD of scatter_reduce 'prod' returns zero tangents (its reverse mode is right), so
    the reference is built from ops whose every mode torch gets right."""

    def fn(m, x, i, s):
        out = x if include_self else x.scatter(1, i, 1.0)
        for j in range(i.shape[1]):
            out = out * m.ones_like(x).scatter(1, i[:, j : j + 1], s[:, j : j + 1])
        return out

    return fn


def _scatter_reduce_rows():
    rows = []
    for reduce in ("sum", "mean", "amax", "amin", "prod"):
        for include_self in (True, False):
            name = f"scatter_reduce_{reduce}{'' if include_self else '_exclude_self'}"

            def fn(m, x, i, s, reduce=reduce, include_self=include_self):
                return m.scatter_reduce(x, 1, i, s, reduce, include_self=include_self)

            torch_fn = None
            if reduce == "prod":
                samples = [[_away((3, 4)), I((3, 5), 0, 4), _away((3, 5))]]
                torch_fn = _prod_reference(include_self)
            else:
                samples = [[F((3, 4)), I((3, 5), 0, 4), F((3, 5))]]
            rows.append(
                Row(
                    name,
                    fn,
                    samples,
                    ops=("scatter_reduce_values", "scatter_add_zeros"),
                    torch_fn=torch_fn,
                )
            )
    return rows


ROWS: list = [
    # ---------------------------------------------------------------- gather, scatter
    Row(
        "gather_narrow_index",
        lambda m, x, i: m.gather(x, 0, i),
        [[F((4, 3)), U43_D0_NARROW]],
        ops=("gather", "scatter_add_zeros"),
    ),
    Row(
        "gather_method",
        lambda m, x, i: x.gather(-1, i),
        [[F((2, 3, 4)), I((2, 3, 5), 0, 4)]],
        ops=("gather",),
    ),
    Row(
        "scatter",
        lambda m, x, i, s: m.scatter(x, 1, i, s),
        [[F((3, 4)), U34_D1, F((3, 2))]],
        ops=("scatter", "gather"),
    ),
    # torch's own backward fails on a src larger than index ("invalid gradient ... got [3, 2]
    # but expected shape compatible with [4, 3]"): the reference reads the corner explicitly
    Row(
        "scatter_src_larger",
        lambda m, x, i, s: x.scatter(1, i, s),
        [[F((3, 4)), U34_D1, F((4, 3))]],
        ops=("scatter", "select"),
        torch_fn=lambda m, x, i, s: x.scatter(1, i, s[:3, :2]),
    ),
    Row(
        "scatter_dim0",
        lambda m, x, i, s: m.scatter(x, 0, i, s),
        [[F((4, 3)), U43_D0, F((2, 3))], [F((4, 3)), U43_D0_NARROW, F((2, 2))]],
        ops=("scatter",),
    ),
    Row(
        "scatter_value",
        lambda m, x, i: x.scatter(1, i, 2.5),
        [[F((3, 4)), I((3, 3), 0, 4)]],
        ops=("scatter",),
    ),
    Row(
        "scatter_value_fn",
        lambda m, x, i: m.scatter(x, 0, i, value=-1.0),
        [[F((4, 3)), U43_D0]],
        ops=("scatter",),
    ),
    Row(
        "scatter_add",
        lambda m, x, i, s: m.scatter_add(x, 1, i, s),
        [[F((3, 4)), I((3, 5), 0, 4), F((3, 5))]],
        ops=("scatter_add_zeros", "add"),
    ),
    Row(
        "scatter_add_src_larger",
        lambda m, x, i, s: m.scatter_add(x, 1, i, s),
        [[F((3, 4)), I((2, 2), 0, 4), F((3, 3))]],
        ops=("scatter_add_zeros", "select"),
        torch_fn=lambda m, x, i, s: m.scatter_add(x, 1, i, s[:2, :2]),
    ),
    Row(
        "scatter_add_method",
        lambda m, x, i, s: x.scatter_add(0, i, s),
        [[F((4, 3)), I((5, 3), 0, 4), F((5, 3))]],
        ops=("scatter_add_zeros",),
    ),
    *_scatter_reduce_rows(),
    Row(
        "scatter_reduce_method_dim0",
        lambda m, x, i, s: x.scatter_reduce(0, i, s, "amax"),
        [[F((4, 3)), I((5, 3), 0, 4), F((5, 3))]],
        ops=("scatter_reduce_values",),
    ),
    Row(
        "scatter_reduce_amax_ties",
        lambda m, x, i, s: m.scatter_reduce(x, 1, i, s, "amax"),
        [[TIE_X, TIE_I, TIE_SRC]],
        ops=("scatter_reduce_values",),
        gradcheck=False,
    ),
    Row(
        "scatter_reduce_amin_ties",
        lambda m, x, i, s: m.scatter_reduce(x, 1, i, s, "amin"),
        [[TIE_X, TIE_I, TIE_SRC]],
        ops=("scatter_reduce_values",),
        gradcheck=False,
    ),
    Row(
        "scatter_reduce_amax_ties_exclude_self",
        lambda m, x, i, s: m.scatter_reduce(x, 1, i, s, "amax", include_self=False),
        [[TIE_X_OFF, TIE_I, TIE_SRC]],
        ops=("scatter_reduce_values",),
        gradcheck=False,
    ),
    Row(
        "scatter_reduce_int",
        lambda m, x, i, s: m.scatter_reduce(x, 0, i, s, "mean", include_self=False),
        [[I((4,), -9, 9), I((6,), 0, 3), I((6,), -9, 9)]],
        nondiff=True,
        ops=("scatter_reduce_values",),
    ),
    Row(
        "scatter_reduce_int_amax",
        lambda m, x, i, s: m.scatter_reduce(x, 0, i, s, "amax"),
        [[I((4,), -9, 9), I((6,), 0, 3), I((6,), -9, 9)]],
        nondiff=True,
        ops=("scatter_reduce_values",),
    ),
    # ---------------------------------------------------------------- index_*
    Row(
        "index_select",
        lambda m, x, i: m.index_select(x, 0, i),
        [[F((4, 3)), Const(np.array([2, 0, 2]))]],
        ops=("index", "index_add_zeros"),
    ),
    Row(
        "index_select_method",
        lambda m, x, i: x.index_select(-1, i),
        [[F((2, 3, 4)), I((5,), 0, 4)]],
        ops=("index",),
    ),
    Row(
        "index_add",
        lambda m, x, i, s: m.index_add(x, 0, i, s, alpha=2.0),
        [[F((4, 3)), Const(np.array([0, 2, 0])), F((3, 3))]],
        ops=("index_add_zeros", "add", "mul"),
    ),
    Row(
        "index_add_method",
        lambda m, x, i, s: x.index_add(1, i, s),
        [[F((4, 3)), Const(np.array([2, 2])), F((4, 2))]],
        ops=("index_add_zeros",),
    ),
    Row(
        "index_copy",
        lambda m, x, i, s: m.index_copy(x, 0, i, s),
        [[F((4, 3)), Const(np.array([3, 0])), F((2, 3))]],
        ops=("index_put",),
    ),
    Row(
        "index_copy_method",
        lambda m, x, i, s: x.index_copy(1, i, s),
        [[F((2, 4, 3)), Const(np.array([1, 3, 0])), F((2, 3, 3))]],
        ops=("index_put",),
    ),
    Row(
        "index_fill",
        lambda m, x, i: m.index_fill(x, 1, i, -1.5),
        [[F((3, 4)), Const(np.array([0, 2, 0]))]],
        ops=("index_put",),
    ),
    Row(
        "index_fill_tensor_value",
        lambda m, x, i, v: x.index_fill(1, i, v),
        [[F((3, 4)), Const(np.array([0, 2, 0])), F(())]],
        ops=("index_put",),
    ),
    Row(
        "index_put",
        lambda m, x, i, j, v: m.index_put(x, (i, j), v),
        [
            [F((3, 4)), Const(np.array([0, 2, 1])), Const(np.array([3, 3, 0])), F((3,))],
            [F((3, 4)), Const(np.array([0, 2, 1])), Const(np.array([3, 3, 0])), F(())],
        ],
        ops=("index_put",),
    ),
    Row(
        "index_put_accumulate",
        lambda m, x, i, v: m.index_put(x, (i,), v, accumulate=True),
        [
            [F((4, 3)), Const(np.array([0, 2, 0, 3])), F((4, 3))],
            [F((4, 3)), Const(np.array([1, 1])), F((3,))],
        ],
        ops=("index_add_zeros", "add"),
    ),
    Row(
        "index_put_method_list",
        lambda m, x, i, v: x.index_put([i], v, True),
        [[F((4, 3)), I((5,), 0, 4), F((5, 3))]],
        ops=("index_add_zeros",),
    ),
    # ---------------------------------------------------------------- masked_*
    Row(
        "masked_fill",
        lambda m, x, b: m.masked_fill(x, b, 2.5),
        [[F((3, 4)), B((3, 4))], [F((3, 4)), B((4,))]],
        ops=("where",),
    ),
    Row(
        "masked_fill_tensor_value",
        lambda m, x, b, v: x.masked_fill(b, v),
        [[F((3, 4)), B((3, 4)), F(())]],
        ops=("where",),
    ),
    Row(
        "masked_fill_int",
        lambda m, x, b: x.masked_fill(b, 7),
        [[I((3, 4), -5, 5), B((3, 4))]],
        nondiff=True,
        ops=("where",),
    ),
    Row(
        "masked_select",
        lambda m, x, b: m.masked_select(x, b),
        [[F((3, 4)), B((3, 4))], [F((3, 1)), B((3, 4))]],
        ops=("index", "expand"),
    ),
    Row(
        "masked_select_method",
        lambda m, x, b: x.masked_select(b),
        [[F((3, 4)), B((4,))]],
        ops=("index",),
    ),
    Row(
        "masked_scatter",
        lambda m, x, b, s: m.masked_scatter(x, b, s),
        [[F((3, 4)), B((3, 4)), F((12,))], [F((3, 4)), B((4,)), F((4, 4))]],
        ops=("index_put",),
        torch_fn=lambda m, x, b, s: x.masked_scatter(b, s),
    ),
    Row(
        "masked_scatter_method",
        lambda m, x, b, s: x.masked_scatter(b, s),
        [[F((2, 3)), B((2, 3)), F((2, 3))]],
        ops=("index_put",),
    ),
    # ---------------------------------------------------------------- take
    Row(
        "take",
        lambda m, x, i: m.take(x, i),
        [[F((3, 4)), I((2, 3), -12, 12)], [F(()), I((2,), 0, 1)]],
        ops=("index",),
    ),
    Row("take_method", lambda m, x, i: x.take(i), [[F((3, 4)), I((5,), 0, 12)]], ops=("index",)),
    Row(
        "take_along_dim",
        lambda m, x, i: m.take_along_dim(x, i, 1),
        [[F((3, 4)), I((3, 2), 0, 4)], [F((3, 4)), I((1, 5), 0, 4)], [F((1, 4)), I((3, 2), 0, 4)]],
        ops=("gather", "expand"),
    ),
    Row(
        "take_along_dim_flat",
        lambda m, x, i: m.take_along_dim(x, i),
        [[F((3, 4)), I((5,), 0, 12)]],
        ops=("gather",),
    ),
    Row(
        "take_along_dim_method",
        lambda m, x, i: x.take_along_dim(i, dim=0),
        [[F((3, 4)), I((2, 4), 0, 3)]],
        ops=("gather",),
    ),
    # ---------------------------------------------------------------- nonzero
    Row(
        "argwhere",
        lambda m, x: m.argwhere(x),
        [[B((3, 4))], [F((2, 3))]],
        nondiff=True,
        ops=("nonzero",),
    ),
    Row(
        "nonzero_tuple",
        lambda m, x: m.nonzero(x, as_tuple=True),
        [[B((3, 4))]],
        nondiff=True,
        ops=("nonzero",),
    ),
    # ---------------------------------------------------------------- narrow, select, unfold
    Row("narrow", lambda m, x: m.narrow(x, 1, 1, 3), [[F((4, 5))]], ops=("select",)),
    Row("narrow_method", lambda m, x: x.narrow(0, -2, 2), [[F((4, 5))]], ops=("select",)),
    Row(
        "select_dim", lambda m, x: m.select(x, 1, 2), [[F((3, 4))], [F((2, 3, 4))]], ops=("select",)
    ),
    Row("select_method", lambda m, x: x.select(-1, -1), [[F((3, 4))]], ops=("select",)),
    Row(
        "unfold",
        lambda m, x: x.unfold(1, 3, 2),
        [[F((2, 7))], [F((2, 6))]],
        ops=("unfold",),
    ),
    Row(
        "unfold_overlap", lambda m, x: x.unfold(0, 3, 1), [[F((5, 2))], [F((4,))]], ops=("unfold",)
    ),
    # ---------------------------------------------------------------- roll, tile, repeat_interleave
    Row("roll_flat", lambda m, x: m.roll(x, 2), [[F((3, 4))]], ops=("index", "reshape")),
    Row("roll_dims", lambda m, x: m.roll(x, (1, -2), (0, 1)), [[F((3, 4))]], ops=("index",)),
    Row("roll_method", lambda m, x: x.roll(-1, 0), [[F((3, 4))], [F((4,))]], ops=("index",)),
    Row("tile", lambda m, x: m.tile(x, (2,)), [[F((2, 3))]], ops=("repeat",)),
    Row("tile_more", lambda m, x: x.tile((2, 1, 2)), [[F((2, 3))]], ops=("repeat",)),
    Row("repeat_interleave", lambda m, x: x.repeat_interleave(2), [[F((2, 3))]], ops=("index",)),
    Row(
        "repeat_interleave_tensor",
        lambda m, x, r: m.repeat_interleave(x, r, dim=0),
        [[F((3, 2)), Const(np.array([1, 0, 2]))]],
        ops=("index",),
    ),
    Row(
        "repeat_interleave_dim",
        lambda m, x: m.repeat_interleave(x, 3, dim=-1),
        [[F((2, 2))]],
        ops=("index",),
    ),
    Row(
        "repeat_interleave_counts",
        lambda m, r: m.repeat_interleave(r),
        [[Const(np.array([2, 0, 1]))]],
        nondiff=True,
        ops=("repeat_interleave_counts",),
    ),
    # ---------------------------------------------------------------- pad
    Row("pad_constant", _pad((1, 2)), [[F((2, 3))]], ops=("index_put",)),
    Row(
        "pad_constant_value",
        _pad((1, 0, 2, 1), value=1.5),
        [[F((2, 3))], [F((2, 2, 3))]],
        ops=("index_put",),
    ),
    Row("pad_constant_negative", _pad((-1, 2, 0, -1)), [[F((3, 4))]], ops=("index_put", "select")),
    Row("pad_reflect", _pad((2, 1), mode="reflect"), [[F((2, 4))], [F((2, 3, 4))]], ops=("index",)),
    Row("pad_reflect_2d", _pad((1, 2, 2, 1), mode="reflect"), [[F((1, 2, 3, 4))]], ops=("index",)),
    Row(
        "pad_replicate",
        _pad((2, 3), mode="replicate"),
        [[F((2, 3))], [F((2, 2, 3))]],
        ops=("index",),
    ),
    Row(
        "pad_replicate_3d",
        _pad((1, 1, 0, 2, 1, 0), mode="replicate"),
        [[F((1, 2, 2, 3))]],
        ops=("index",),
    ),
    Row(
        "pad_circular",
        _pad((2, 1, 1, 3), mode="circular"),
        [[F((1, 3, 4))], [F((2, 1, 3, 4))]],
        ops=("index",),
    ),
    # ---------------------------------------------------------------- meshgrid, factories
    Row(
        "meshgrid_ij",
        lambda m, a, b, c: m.meshgrid(a, b, c, indexing="ij"),
        [[F((2,)), F((3,)), F((4,))]],
        ops=("reshape", "expand"),
    ),
    Row(
        "meshgrid_xy",
        lambda m, a, b: m.meshgrid([a, b], indexing="xy"),
        [[F((2,)), F((3,))]],
        ops=("expand",),
    ),
    Row("tril_indices", lambda m: m.tril_indices(3, 4, 1), [[]], nondiff=True, ops=()),
    Row("tril_indices_neg", lambda m: m.tril_indices(4, 3, -1), [[]], nondiff=True, ops=()),
    Row("triu_indices", lambda m: m.triu_indices(4, 4), [[]], nondiff=True, ops=()),
    Row("triu_indices_offset", lambda m: m.triu_indices(3, 5, 2), [[]], nondiff=True, ops=()),
    Row(
        "one_hot",
        lambda m, x: m.one_hot(x, 5),
        [[I((3, 4), 0, 5)]],
        nondiff=True,
        ops=(),
        torch_fn=lambda m, x: m.nn.functional.one_hot(x, 5),
    ),
    Row(
        "one_hot_infer",
        lambda m, x: m.one_hot(x),
        [[Const(np.array([2, 0, 3]))]],
        nondiff=True,
        ops=("one_hot_infer",),
        torch_fn=lambda m, x: m.nn.functional.one_hot(x),
    ),
]
