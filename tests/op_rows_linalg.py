"""Op-table rows for the linalg ops (issue 3); tests/op_table.py gathers them into ROWS."""

import numpy as np

from op_table_base import F, I, B, Const, Row, R  # noqa: F401

ROWS: list = []


# ---------------------------------------------------------------- helpers: inputs made valid
def _wc(m, a):
    """A well-conditioned square matrix (diagonally dominant)."""
    return a + 3 * m.eye(a.shape[-1], dtype=a.dtype)


def _spd(m, a):
    """A symmetric positive-definite matrix."""
    n = a.shape[-1]
    return a @ a.mT + n * m.eye(n, dtype=a.dtype)


def _sym(m, a):
    return a + a.mT


def _eigh_invariant(r):
    """Gauge-invariant outputs of eigh (NOTE: [gauge] in linalg_decomp.py)."""
    L, V = r
    return L, V * V, (V * (L * L).unsqueeze(-2)) @ V.mT


def _svd_invariant(r, torch_svd=False):
    U, S, Vh = r
    if torch_svd:
        Vh = Vh.mT
    return S, (U * (S * S).unsqueeze(-2)) @ Vh, U @ U.mT, Vh.mT @ Vh


# NOTE: [torch nested jvp of LU-based ops]
# PyTorch's jvps of linalg.solve and slogdet/det go through a saved LU factorisation that does
# not carry the outer level's tangent, so torch's forward-over-forward (nested torch.func.jvp)
# of these ops is wrong (checked against the analytic mixed partial of A^{-1}B). The torch
# references below compute the same values with ops whose nested jvps are right: the inverse
# (its jvp uses the output) and the singular values.
def _torch_solve(m, a, b):
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return (m.linalg.inv(a) @ b.unsqueeze(-1)).squeeze(-1)
    return m.linalg.inv(a) @ b


def _torch_slogdet(m, a):
    return m.linalg.slogdet(a).sign, m.linalg.svdvals(a).log().sum(-1)


def _torch_det(m, a):
    sign, logabsdet = _torch_slogdet(m, a)
    return sign * logabsdet.exp()


INF = float("inf")

ROWS += [
    # ------------------------------------------------------------ solve and inverses
    R(
        "linalg_solve",
        "linalg_solve",
        lambda m, a, b: m.linalg.solve(_wc(m, a), b),
        (3, 3),
        (3, 2),
        torch_fn=lambda m, a, b: _torch_solve(m, _wc(m, a), b),
    ),
    R(
        "linalg_solve_vector",
        "linalg_solve",
        lambda m, a, b: m.linalg.solve(_wc(m, a), b),
        (3, 3),
        (3,),
        torch_fn=lambda m, a, b: _torch_solve(m, _wc(m, a), b),
    ),
    R(
        "linalg_solve_batch_vector",
        "linalg_solve",
        lambda m, a, b: m.linalg.solve(_wc(m, a), b),
        (2, 3, 3),
        (2, 3),
        torch_fn=lambda m, a, b: _torch_solve(m, _wc(m, a), b),
    ),
    R(
        "linalg_solve_bcast",
        "linalg_solve",
        lambda m, a, b: m.linalg.solve(_wc(m, a), b),
        (2, 1, 3, 3),
        (4, 3, 2),
        torch_fn=lambda m, a, b: _torch_solve(m, _wc(m, a), b),
    ),
    R(
        "linalg_solve_right",
        "linalg_solve",
        lambda m, a, b: m.linalg.solve(_wc(m, a), b, left=False),
        (3, 3),
        (2, 3),
        torch_fn=lambda m, a, b: b @ m.linalg.inv(_wc(m, a)),
    ),
    R("linalg_inv", "linalg_solve", lambda m, a: m.linalg.inv(_wc(m, a)), (3, 3)),
    R("linalg_inv_batch", "linalg_solve", lambda m, a: m.linalg.inv(_wc(m, a)), (2, 3, 3)),
    R("inverse", "linalg_solve", lambda m, a: m.inverse(_wc(m, a)), (3, 3)),
    R("inverse_method", "linalg_solve", lambda m, a: _wc(m, a).inverse(), (2, 2)),
    # ------------------------------------------------------------ determinants
    R(
        "slogdet",
        "slogdet",
        lambda m, a: tuple(m.linalg.slogdet(_wc(m, a) - 2)),
        (3, 3),
        torch_fn=lambda m, a: _torch_slogdet(m, _wc(m, a) - 2),
    ),
    R(
        "slogdet_batch",
        "slogdet",
        lambda m, a: m.linalg.slogdet(a).logabsdet,
        (2, 3, 3),
        torch_fn=lambda m, a: _torch_slogdet(m, a)[1],
    ),
    R(
        "slogdet_torch",
        "slogdet",
        lambda m, a: m.slogdet(_wc(m, a))[1],
        (3, 3),
        torch_fn=lambda m, a: _torch_slogdet(m, _wc(m, a))[1],
    ),
    R(
        "slogdet_method",
        "slogdet",
        lambda m, a: _wc(m, a).slogdet()[1],
        (3, 3),
        torch_fn=lambda m, a: _torch_slogdet(m, _wc(m, a))[1],
    ),
    R("det", "det", lambda m, a: m.linalg.det(a), (3, 3), torch_fn=lambda m, a: _torch_det(m, a)),
    R(
        "det_batch",
        "det",
        lambda m, a: m.linalg.det(_wc(m, a)),
        (2, 3, 3),
        torch_fn=lambda m, a: _torch_det(m, _wc(m, a)),
    ),
    R(
        "det_torch",
        "det",
        lambda m, a: m.det(a) * a.det(),
        (2, 2),
        torch_fn=lambda m, a: _torch_det(m, a) ** 2,
    ),
    R(
        "logdet",
        "slogdet",
        lambda m, a: m.logdet(_spd(m, a)),
        (3, 3),
        torch_fn=lambda m, a: _torch_slogdet(m, _spd(m, a))[1],
    ),
    R(
        "logdet_method",
        "slogdet",
        lambda m, a: _spd(m, a).logdet(),
        (2, 3, 3),
        torch_fn=lambda m, a: _torch_slogdet(m, _spd(m, a))[1],
    ),
    # ------------------------------------------------------------ triangular solves, cholesky
    R(
        "solve_triangular_lower",
        "solve_triangular",
        lambda m, a, b: m.linalg.solve_triangular(_wc(m, a), b, upper=False),
        (3, 3),
        (3, 2),
    ),
    R(
        "solve_triangular_upper",
        "solve_triangular",
        lambda m, a, b: m.linalg.solve_triangular(_wc(m, a), b, upper=True),
        (3, 3),
        (3, 2),
    ),
    R(
        "solve_triangular_right",
        "solve_triangular",
        lambda m, a, b: m.linalg.solve_triangular(_wc(m, a), b, upper=True, left=False),
        (3, 3),
        (2, 3),
    ),
    R(
        "solve_triangular_unit",
        "solve_triangular",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
        (3, 3),
        (3, 2),
    ),
    R(
        "solve_triangular_unit_right",
        "solve_triangular",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True, left=False, unitriangular=True),
        (3, 3),
        (2, 3),
    ),
    R(
        "solve_triangular_bcast",
        "solve_triangular",
        lambda m, a, b: m.linalg.solve_triangular(_wc(m, a), b, upper=False),
        (2, 1, 3, 3),
        (4, 3, 2),
    ),
    R("cholesky", "cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a)), (3, 3)),
    R("cholesky_batch", "cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a)), (2, 3, 3)),
    R("cholesky_upper", "cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True), (3, 3)),
    R(
        "cholesky_solve",
        "solve_triangular",
        lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(_spd(m, a))),
        (3, 2),
        (3, 3),
    ),
    R(
        "cholesky_solve_upper",
        "solve_triangular",
        lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(_spd(m, a), upper=True), upper=True),
        (2, 3, 2),
        (2, 3, 3),
    ),
    R(
        "cholesky_solve_method",
        "solve_triangular",
        lambda m, b, a: b.cholesky_solve(m.linalg.cholesky(_spd(m, a))),
        (3, 1),
        (3, 3),
    ),
    # ------------------------------------------------------------ qr
    R("qr_tall", "qr", lambda m, a: tuple(m.linalg.qr(a)), (4, 3)),
    R("qr_square", "qr", lambda m, a: tuple(m.linalg.qr(a)), (3, 3)),
    R("qr_wide", "qr", lambda m, a: tuple(m.linalg.qr(a)), (3, 4)),
    # values only, as in torch: complete with more rows than columns, and mode='r'
    Row(
        "qr_complete_tall",
        lambda m, a: m.linalg.qr(a, mode="complete")[1].abs(),
        [[Const(np.arange(12.0).reshape(4, 3) ** 1.5)]],
        ops=("qr_values",),
        nondiff=True,
    ),
    Row(
        "qr_r",
        lambda m, a: m.linalg.qr(a, mode="r")[1].abs(),
        [[Const(np.arange(12.0).reshape(3, 4) ** 1.5)]],
        ops=("qr_values",),
        nondiff=True,
    ),
    R("qr_batch", "qr", lambda m, a: tuple(m.linalg.qr(a)), (2, 4, 3)),
    R("qr_only_q", "qr", lambda m, a: m.linalg.qr(a).Q, (4, 3)),
    R("qr_only_r_wide", "qr", lambda m, a: m.linalg.qr(a).R, (3, 4)),
    R(
        "qr_torch",
        "qr",
        lambda m, a: tuple(m.qr(a)),
        (4, 3),
        torch_fn=lambda m, a: tuple(m.linalg.qr(a)),
    ),  # torch.qr warns that it is deprecated
    R("qr_method", "qr", lambda m, a: a.qr()[1], (3, 3), torch_fn=lambda m, a: m.linalg.qr(a)[1]),
    # ------------------------------------------------------------ eigh
    R("eigh", "eigh", lambda m, a: _eigh_invariant(m.linalg.eigh(_sym(m, a))), (3, 3)),
    R(
        "eigh_upper",
        "eigh",
        lambda m, a: _eigh_invariant(m.linalg.eigh(_sym(m, a), UPLO="U")),
        (4, 4),
    ),
    R("eigh_batch", "eigh", lambda m, a: _eigh_invariant(m.linalg.eigh(_sym(m, a))), (2, 3, 3)),
    R("eigh_values_only", "eigh", lambda m, a: m.linalg.eigh(_sym(m, a)).eigenvalues, (3, 3)),
    R("eigh_vectors_only", "eigh", lambda m, a: m.linalg.eigh(_sym(m, a))[1] ** 2, (3, 3)),
    R("eigvalsh", "eigh", lambda m, a: m.linalg.eigvalsh(_sym(m, a)), (3, 3)),
    # ------------------------------------------------------------ svd
    # full_matrices: the complement's projector (gauge-invariant); values only, as torch's
    # gradient through the extra columns is cut (its backward narrows U and Vh)
    Row(
        "svd_full_tall",
        lambda m, a: (lambda u: u @ u.mT)(m.linalg.svd(a)[0][..., 3:]),
        [[F((5, 3))]],
        ops=("orth_complement", "svd"),
        nondiff=True,
    ),
    Row(
        "svd_full_wide",
        lambda m, a: (lambda v: v.mT @ v)(m.linalg.svd(a)[2][..., 2:, :]),
        [[F((2, 2, 4))]],
        ops=("orth_complement", "svd"),
        nondiff=True,
    ),
    R("svd_tall", "svd", lambda m, a: _svd_invariant(m.linalg.svd(a, full_matrices=False)), (4, 3)),
    R("svd_square", "svd", lambda m, a: _svd_invariant(m.linalg.svd(a)), (3, 3)),
    R("svd_wide", "svd", lambda m, a: _svd_invariant(m.linalg.svd(a, full_matrices=False)), (3, 4)),
    R(
        "svd_batch",
        "svd",
        lambda m, a: _svd_invariant(m.linalg.svd(a, full_matrices=False)),
        (2, 4, 3),
    ),
    R(
        "svd_u_only",
        "svd",
        lambda m, a: (lambda r: r.U @ r.U.mT)(m.linalg.svd(a, full_matrices=False)),
        (4, 3),
    ),
    R(
        "svd_vh_only",
        "svd",
        lambda m, a: (lambda r: r.Vh.mT @ r.Vh)(m.linalg.svd(a, full_matrices=False)),
        (3, 4),
    ),
    R("svd_torch", "svd", lambda m, a: _svd_invariant(m.svd(a), torch_svd=True), (4, 3)),
    R("svd_method", "svd", lambda m, a: _svd_invariant(a.svd(), torch_svd=True), (3, 4)),
    R("svdvals", "svd", lambda m, a: m.linalg.svdvals(a), (4, 3)),
    R("svdvals_batch", "svd", lambda m, a: m.linalg.svdvals(a), (2, 3, 4)),
    # ------------------------------------------------------------ pinv, lstsq
    R("pinv_tall", "pinv", lambda m, a: m.linalg.pinv(a), (4, 3)),
    R("pinv_wide", "pinv", lambda m, a: m.linalg.pinv(a), (2, 3, 4)),
    R("pinv_square", "pinv", lambda m, a: m.linalg.pinv(_wc(m, a)), (3, 3)),
    R(
        "pinv_rank_deficient",
        "pinv",
        lambda m, a: m.linalg.pinv(m.cat([a, a[:, :1] * 2], 1)),
        (4, 2),
    ),
    R("pinverse", "pinv", lambda m, a: m.pinverse(a), (4, 3)),
    R("pinverse_method", "pinv", lambda m, a: a.pinverse(), (3, 4)),
    R("lstsq", "pinv", lambda m, a, b: m.linalg.lstsq(a, b).solution, (4, 3), (4, 2)),
    R("lstsq_vector", "pinv", lambda m, a, b: m.linalg.lstsq(a, b)[0], (5, 3), (5,)),
    R("lstsq_batch", "pinv", lambda m, a, b: m.linalg.lstsq(a, b).solution, (2, 4, 3), (2, 4, 2)),
    # ------------------------------------------------------------ norms
    R("matrix_norm_fro", "", lambda m, a: m.linalg.matrix_norm(a), (3, 4)),
    R("matrix_norm_nuc", "svd", lambda m, a: m.linalg.matrix_norm(a, "nuc"), (3, 4)),
    R("matrix_norm_2", "svd", lambda m, a: m.linalg.matrix_norm(a, 2), (2, 3, 4)),
    R("matrix_norm_neg2", "svd", lambda m, a: m.linalg.matrix_norm(a, -2), (4, 3)),
    R("matrix_norm_1", "", lambda m, a: m.linalg.matrix_norm(a, 1), (3, 4)),
    R("matrix_norm_neg1", "", lambda m, a: m.linalg.matrix_norm(a, -1), (2, 3, 4)),
    R("matrix_norm_inf", "", lambda m, a: m.linalg.matrix_norm(a, INF), (3, 4)),
    R("matrix_norm_neg_inf", "", lambda m, a: m.linalg.matrix_norm(a, -INF), (3, 4)),
    R(
        "matrix_norm_dims_keepdim",
        "svd",
        lambda m, a: m.linalg.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True),
        (3, 2, 4),
    ),
    R(
        "matrix_norm_1_dims_keepdim",
        "",
        lambda m, a: m.linalg.matrix_norm(a, 1, dim=(2, 0), keepdim=True),
        (3, 2, 4),
    ),
    R("matrix_norm_inf_dims", "", lambda m, a: m.linalg.matrix_norm(a, INF, dim=(2, 0)), (3, 2, 4)),
    R("vector_norm", "", lambda m, a: m.linalg.vector_norm(a), (3, 4)),
    R("vector_norm_1_dim", "", lambda m, a: m.linalg.vector_norm(a, 1, dim=1), (3, 4)),
    R(
        "vector_norm_inf_keepdim",
        "",
        lambda m, a: m.linalg.vector_norm(a, INF, dim=0, keepdim=True),
        (3, 4),
    ),
    R("vector_norm_3_dims", "", lambda m, a: m.linalg.vector_norm(a, 3, dim=(0, 2)), (2, 3, 4)),
    R("linalg_norm", "", lambda m, a: m.linalg.norm(a), (2, 3, 4)),
    R("linalg_norm_keepdim", "", lambda m, a: m.linalg.norm(a, keepdim=True), (3, 4)),
    R("linalg_norm_vec_ord", "", lambda m, a: m.linalg.norm(a, 1), (4,)),
    R("linalg_norm_mat_ord", "svd", lambda m, a: m.linalg.norm(a, "nuc"), (3, 4)),
    R("linalg_norm_dim", "", lambda m, a: m.linalg.norm(a, 3, dim=1), (3, 4)),
    R("linalg_norm_dims", "svd", lambda m, a: m.linalg.norm(a, 2, dim=(0, 1)), (3, 4, 2)),
    # ------------------------------------------------------------ matrix functions
    R("matrix_power_3", "matmul", lambda m, a: m.linalg.matrix_power(a, 3), (3, 3)),
    R("matrix_power_5_batch", "matmul", lambda m, a: m.linalg.matrix_power(a, 5), (2, 3, 3)),
    R(
        "matrix_power_neg",
        "linalg_solve",
        lambda m, a: m.linalg.matrix_power(_wc(m, a), -2),
        (3, 3),
    ),
    R("matrix_power_0", "mul", lambda m, a: m.linalg.matrix_power(a, 0), (2, 3, 3)),
    R("matrix_power_method", "matmul", lambda m, a: a.matrix_power(2), (3, 3)),
    R("matrix_exp", "matrix_exp", lambda m, a: m.linalg.matrix_exp(a), (3, 3)),
    R("matrix_exp_batch", "matrix_exp", lambda m, a: m.linalg.matrix_exp(2 * a), (2, 3, 3)),
    R("matrix_exp_torch", "matrix_exp", lambda m, a: m.matrix_exp(a) + a.matrix_exp(), (1, 1)),
    # ------------------------------------------------------------ products
    R("kron", "mul", lambda m, a, b: m.kron(a, b), (2, 3), (2, 2)),
    R("kron_vectors", "mul", lambda m, a, b: m.kron(a, b), (2,), (3,)),
    R("kron_ranks", "mul", lambda m, a, b: a.kron(b), (2, 3), (4,)),
    R("tensordot", "einsum", lambda m, a, b: m.tensordot(a, b, 1), (2, 3), (3, 4)),
    R("tensordot_2", "einsum", lambda m, a, b: m.tensordot(a, b), (2, 3, 4), (3, 4, 2)),
    R(
        "tensordot_lists",
        "einsum",
        lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])),
        (3, 2, 4),
        (2, 5, 3),
    ),
    R("tensordot_0", "einsum", lambda m, a, b: m.tensordot(a, b, 0), (2,), (3,)),
    R("addmm", "addmm", lambda m, c, a, b: m.addmm(c, a, b), (3, 2), (3, 4), (4, 2)),
    # mat2 a transposed view: its gradient is made in the weight's layout (NOTE: [addmm])
    R("addmm_t", "addmm", lambda m, c, a, w: m.addmm(c, a, w.t()), (2,), (3, 4), (2, 4)),
    R(
        "addmm_scaled",
        "addmm",
        lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2),
        (2,),
        (3, 4),
        (4, 2),
    ),
    R("addmm_beta0", "addmm", lambda m, c, a, b: c.addmm(a, b, beta=0), (3, 2), (3, 4), (4, 2)),
    R(
        "baddbmm",
        "matmul",
        lambda m, c, a, b: m.baddbmm(c, a, b, alpha=1.5),
        (2, 3, 2),
        (2, 3, 4),
        (2, 4, 2),
    ),
    R(
        "baddbmm_method",
        "matmul",
        lambda m, c, a, b: c.baddbmm(a, b, beta=2),
        (3, 2),
        (2, 3, 4),
        (2, 4, 2),
    ),
    R(
        "multi_dot",
        "matmul",
        lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
        (3,),
        (3, 4),
        (4, 2),
    ),
    R("vecdot", "mul", lambda m, a, b: m.linalg.vecdot(a, b), (2, 3), (3,)),
]
