"""Op table rows for issue 15's everyday names (dualgrad/_ops/joins.py, products.py,
numeric.py, embed.py, statistics.py, integrate.py): composites of existing ops, checked in every
mode like the primitives, and the few new primitives (gcd, lcm, isin, frexp's exponent,
heaviside, nextafter, igamma, igammac, histc, histogram, bincount)."""

from __future__ import annotations

import warnings

from op_table_base import B, Const, F, I, R, Row  # noqa: F401

NAN = float("nan")
INF = float("inf")
M34 = [[F((3, 4))], [F((4, 3), transposed=True)]]


def _chain_matmul(m, a, b, c):
    with warnings.catch_warnings():  # torch and dualgrad: "chain_matmul is deprecated"
        warnings.simplefilter("ignore")
        return m.chain_matmul(a, b, c)


def _index_reduce(reduce, include_self=True):
    def fn(m, x, src):
        with warnings.catch_warnings():  # torch: "index_reduce() is in beta"
            warnings.simplefilter("ignore")
            idx = m.tensor([0, 2, 2, 1])
            return m.index_reduce(x, 1, idx, src, reduce, include_self=include_self)

    return fn


def _vander_reference(n=None, increasing=False, zero=False):
    """torch.vander's own computation (a cumulative product of ones then copies of x), out of
    place, in torch: the reference where torch's vander has no working backward."""

    def fn(m, x):
        x = x * 0 if zero else x
        cols = x.shape[0] if n is None else n
        ones = m.ones(x.shape[0], 1, dtype=x.dtype)
        out = m.cat([ones, x.unsqueeze(1).expand(x.shape[0], cols - 1)], 1).cumprod(1)
        return out if increasing else out.flip(1)

    return fn


ROWS = [
    # ---------------------------------------------------------------- joins (composites)
    R("hstack", None, lambda m, a, b: m.hstack([a, b]), (3, 2), (3, 4)),
    R("hstack_vectors", None, lambda m, a, b: m.hstack((a, b)), (3,), (2,)),
    R("dstack", None, lambda m, a, b: m.dstack([a, b]), (3,), (3,)),
    R("dstack_matrices", None, lambda m, a, b: m.dstack([a, b]), (2, 3), (2, 3)),
    R("column_stack", None, lambda m, a, b, c: m.column_stack([a, b, c]), (3,), (3, 2), (3, 1)),
    R("column_stack_0d", None, lambda m, a, b: m.column_stack((a, b)), (), ()),
    R("atleast_1d", None, lambda m, a, b: m.atleast_1d(a, b), (), (2, 3)),
    R("atleast_2d", None, lambda m, a, b: m.atleast_2d([a, b]), (3,), ()),
    R("atleast_3d", None, lambda m, a, b, c: m.atleast_3d(a, b, c), (), (3,), (2, 3)),
    R("atleast_3d_one", None, lambda m, a: m.atleast_3d(a) * 2, (2, 3)),
    R("hsplit", None, lambda m, x: m.hsplit(x, 2), (3, 4)),
    R("hsplit_indices", None, lambda m, x: x.hsplit([1, 3]), (5,)),
    R("vsplit", None, lambda m, x: m.vsplit(x, [1, 2]), (4, 2)),
    R("dsplit", None, lambda m, x: x.dsplit(2), (2, 1, 4)),
    R("block_diag", None, lambda m, a, b, c: m.block_diag(a, b, c), (2, 3), (3,), ()),
    R("cartesian_prod", None, lambda m, a, b, c: m.cartesian_prod(a, b, c), (2,), (3,), (2,)),
    R("combinations", None, lambda m, x: m.combinations(x), (4,)),
    R("combinations_3", None, lambda m, x: m.combinations(x, 3), (5,)),
    R(
        "combinations_replacement",
        None,
        lambda m, x: m.combinations(x, 2, with_replacement=True),
        (3,),
    ),
    # torch's own vander cannot be differentiated (its backward raises "modified by an inplace
    # operation"): the reference is torch's formula written out of place
    R("vander", None, lambda m, x: m.vander(x), (4,), torch_fn=_vander_reference()),
    R(
        "vander_increasing",
        None,
        lambda m, x: m.vander(x, N=5, increasing=True),
        (3,),
        torch_fn=_vander_reference(5, True),
    ),
    R(
        "vander_zero",
        None,
        lambda m, x: m.vander(x * 0, 3),
        (2,),
        torch_fn=_vander_reference(3, zero=True),
    ),
    R("narrow_copy", None, lambda m, x: m.narrow_copy(x, 1, 1, 2), (3, 4)),
    R("narrow_copy_method", None, lambda m, x: x.t().narrow_copy(0, 0, 2), (3, 4)),
    # ---------------------------------------------------------------- scaled products
    R("addr", None, lambda m, x, a, b: m.addr(x, a, b, beta=0.5, alpha=2), (3, 4), (3,), (4,)),
    R("addr_bcast", None, lambda m, x, a, b: x.addr(a, b), (4,), (3,), (4,)),
    R("addmv", None, lambda m, x, a, v: m.addmv(x, a, v, alpha=-1.5), (3,), (3, 4), (4,)),
    R("addmv_beta0", None, lambda m, x, a, v: m.addmv(x, a, v, beta=0), (1,), (3, 4), (4,)),
    R("addbmm", None, lambda m, x, a, b: m.addbmm(x, a, b, beta=2), (3, 2), (4, 3, 5), (4, 5, 2)),
    R("addmv_inplace", None, lambda m, x, a, v: (x * 1).addmv_(a, v), (3,), (3, 4), (4,)),
    R("chain_matmul", None, _chain_matmul, (2, 3), (3, 4), (4, 2)),
    # ---------------------------------------------------------------- number functions
    R("float_power", None, lambda m, x: m.float_power(x.abs() + 0.5, 2.5), (3, 4)),
    R(
        "float_power_tensor",
        None,
        lambda m, x, y: m.float_power(x.abs() + 0.5, y),
        (3, 4),
        (4,),
    ),
    Row(
        "float_power_float32",
        lambda m, x: m.float_power(x.float(), 2) * 1,
        [[F((3,))]],
        gradcheck=False,  # float32 input: finite differences too coarse
    ),
    Row(
        "fmax",
        lambda m, x, y: m.fmax(x, y),
        [[F((3, 4)), F((3, 4))], [F((3, 4)), F((4,))]],
        second_order=False,
    ),
    Row("fmin", lambda m, x, y: m.fmin(x, y), [[F((3, 4)), F((4,))]], second_order=False),
    # torch's gradient at ties and nans (NOTE: [fmax's gradient]); finite differences are
    # not defined at a tie, so no gradcheck here
    # a nan loses to a number (ties: tests/test_everyday_names.py; torch's forward and reverse
    # modes disagree there)
    Row(
        "fmax_nan",
        lambda m, x, y: (m.fmax(x, y), m.fmin(x, y)),
        [[Const([2.0, NAN, NAN, 3.0], diff=True), Const([NAN, 2.0, NAN, 0.5], diff=True)]],
        second_order=False,
        gradcheck=False,
        torch_second_order=False,
    ),
    # (non-negative exponents: torch's ldexp backward computes 2**e in integers, 0 for e < 0;
    # tests/test_everyday_names.py checks those against finite differences)
    Row("ldexp", lambda m, x, e: m.ldexp(x, e), [[F((3, 4)), I((4,), 0, 4)]]),
    Row(
        "frexp_mantissa", lambda m, x: m.frexp(x * 7)[0], [[F((3, 4))], [F(())]], second_order=False
    ),
    Row(
        "frexp_exponent",
        lambda m, x: m.frexp(x).exponent,
        [[Const([0.0, 8.0, -3.5, INF, NAN, 1e-310])]],
        nondiff=True,
    ),
    Row("nextafter", lambda m, x, y: m.nextafter(x, y), [[F((3, 4)), F((4,))]]),
    Row(
        "heaviside",
        lambda m, x, v: m.heaviside(x, v),
        [[Const([-1.0, 0.0, 2.0, NAN, -0.0]), Const([0.5])]],
        nondiff=True,
    ),
    Row("gcd", lambda m, x, y: m.gcd(x, y), [[I((3, 4), -20, 20), I((4,), -9, 9)]], nondiff=True),
    Row("lcm", lambda m, x, y: x.lcm(y), [[I((3, 4), -20, 20), I((4,), -9, 9)]], nondiff=True),
    Row("isin", lambda m, x, t: m.isin(x, t), [[I((3, 4), 0, 6), I((3,), 0, 6)]], nondiff=True),
    Row(
        "isin_invert",
        lambda m, x, t: m.isin(x, t, invert=True),
        [[F((3,)), F((2, 2))], [I((4,), 0, 3), I((), 0, 3)]],
        nondiff=True,
        ops=("isin",),
    ),
    Row(
        "isposinf_isneginf_isreal",
        lambda m, x: (m.isposinf(x), x.isneginf(), m.isreal(x)),
        [[Const([1.0, NAN, INF, -INF])], [I((3,), -3, 3)]],
        nondiff=True,
        ops=("eq",),
    ),
    Row(
        "igamma",
        lambda m, a, x: m.igamma(a, x),
        [[Const([[0.5, 1.0, 2.5, 4.0]]), F((3, 4), 0.2, 3.0)]],
        torch_forward=False,
    ),
    Row(
        "igammac",
        lambda m, a, x: a.igammac(x),
        [[Const([0.7, 1.5, 3.0]), F((2, 3), 0.2, 3.0)]],
        torch_forward=False,
    ),
    Row(
        "zeta",
        lambda m, x, q: m.special.zeta(x, q),
        [[Const([[1.5, 2.0, 3.5, 6.0]]), F((3, 4), 0.5, 3.0)]],
        torch_forward=False,
    ),
    # ---------------------------------------------------------------- writes into regions
    R("select_scatter", None, lambda m, x, s: m.select_scatter(x, s, 1, -2), (3, 4), (3,)),
    R("select_scatter_method", None, lambda m, x, s: x.select_scatter(s, 0, 0), (2, 3), (3,)),
    R(
        "slice_scatter",
        None,
        lambda m, x, s: m.slice_scatter(x, s, 1, 1, None, 2),
        (3, 5),
        (3, 2),
    ),
    R("slice_scatter_default", None, lambda m, x, s: m.slice_scatter(x, s), (4, 2), (4, 2)),
    R("diagonal_scatter", None, lambda m, x, s: m.diagonal_scatter(x, s), (3, 4), (3,)),
    R(
        "diagonal_scatter_offset",
        None,
        lambda m, x, s: m.diagonal_scatter(x, s, -1, 2, 0),
        (3, 2, 4),
        (2, 3),
    ),
    # (torch has no forward-mode formula for index_reduce: torch_forward=False)
    Row("index_reduce_prod", _index_reduce("prod"), [[F((2, 3)), F((2, 4))]], torch_forward=False),
    Row(
        "index_reduce_mean",
        _index_reduce("mean", include_self=False),
        [[F((2, 3)), F((2, 4))]],
        torch_forward=False,
    ),
    Row(
        "index_reduce_amax",
        _index_reduce("amax"),
        [[F((2, 3)), F((2, 4))]],
        second_order=False,
        torch_forward=False,
    ),
    Row(
        "index_reduce_amin",
        _index_reduce("amin", include_self=False),
        [[F((2, 3)), F((2, 4))]],
        second_order=False,
        torch_forward=False,
    ),
    R("renorm", None, lambda m, x: m.renorm(x * 3, 2, 0, 1.5), (3, 4)),
    R("renorm_p1_dim1", None, lambda m, x: x.renorm(1, 1, 2.0), (3, 4)),
    R("renorm_3d", None, lambda m, x: m.renorm(x, 3, -1, 0.8), (2, 3, 2)),
]


# ---------------------------------------------------------------- statistics and counts
ROWS += [
    R("cov", None, lambda m, x: m.cov(x), (3, 5)),
    R("cov_vector_correction0", None, lambda m, x: x.cov(correction=0), (6,)),
    Row(
        "cov_weights",
        lambda m, x, f, a: m.cov(x, fweights=f, aweights=a),
        [[F((2, 6)), Const([1, 2, 0, 3, 1, 1]), F((6,), 0.1, 1.0)]],
    ),
    Row(
        "cov_fweights_correction2",
        lambda m, x, f: m.cov(x, correction=2, fweights=f),
        [[F((3, 4)), Const([2, 1, 1, 3])]],
    ),
    R("corrcoef", None, lambda m, x: m.corrcoef(x), (3, 5)),
    R("corrcoef_one_variable", None, lambda m, x: x.corrcoef(), (5,)),
    Row("histc", lambda m, x: m.histc(x, bins=5), [[F((3, 4))], [F((7,))]], nondiff=True),
    Row(
        "histc_range",
        lambda m, x: x.histc(4, -0.5, 0.5),
        [[F((3, 4))]],
        nondiff=True,
        ops=("histc",),
    ),
    Row("histogram", lambda m, x: tuple(m.histogram(x, 4)), [[F((3, 4))]], nondiff=True),
    Row(
        "histogram_edges_weight_density",
        lambda m, x, e, w: tuple(m.histogram(x, e, weight=w, density=True)),
        [[F((3, 4)), Const([-1.0, -0.2, 0.1, 0.9]), F((3, 4), 0.0, 1.0)]],
        nondiff=True,
        ops=("histogram",),
    ),
    Row(
        "histogram_range",
        lambda m, x: tuple(x.histogram(3, range=(-0.5, 2.0))),
        [[F((5,))]],
        nondiff=True,
        ops=("histogram",),
    ),
    Row("bincount", lambda m, x: m.bincount(x), [[Const([0, 1, 1, 5, 2])]], nondiff=True),
    Row(
        "bincount_weighted",
        lambda m, x, w: x.bincount(w, minlength=7),
        [[Const([0, 1, 1, 5, 2]), F((5,))]],
        nondiff=True,
    ),
]

# ---------------------------------------------------------------- sampled calculus
ROWS += [
    R("trapezoid", None, lambda m, y: m.trapezoid(y), (3, 5)),
    R("trapezoid_dx_dim", None, lambda m, y: m.trapezoid(y, dx=0.3, dim=0), (3, 5)),
    R("trapezoid_x", None, lambda m, y, x: m.trapezoid(y, x), (3, 5), (5,)),
    R("trapezoid_x_full", None, lambda m, y, x: m.trapezoid(y, x, dim=0), (4, 2), (4, 2)),
    R("trapz", None, lambda m, y, x: m.trapz(y, x), (2, 4), (4,)),
    R("trapz_dx", None, lambda m, y: m.trapz(y, dx=2.0), (4,)),
    R("cumulative_trapezoid", None, lambda m, y: m.cumulative_trapezoid(y), (3, 5)),
    R(
        "cumulative_trapezoid_x",
        None,
        lambda m, y, x: m.cumulative_trapezoid(y, x, dim=0),
        (4, 2),
        (4,),
    ),
    R("gradient", None, lambda m, f: m.gradient(f), (3, 5)),
    R(
        "gradient_spacing_edge2",
        None,
        lambda m, f: m.gradient(f, spacing=[0.5, 2.0], edge_order=2),
        (4, 5),
    ),
    R("gradient_dim", None, lambda m, f: m.gradient(f, spacing=3.0, dim=1), (2, 4)),
    R(
        "gradient_coordinates",
        None,
        lambda m, f, x: m.gradient(f, spacing=(x.cumsum(0),), dim=-1),
        (3, 5),
        [0.5, 0.3, 0.9, 0.4, 0.7],
    ),
    R(
        "gradient_coordinates_edge2",
        None,
        lambda m, f, x: m.gradient(f, spacing=[x.cumsum(0)], dim=0, edge_order=2),
        (4, 2),
        [0.5, 0.3, 0.9, 0.4],
    ),
]
