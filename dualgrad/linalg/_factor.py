"""The LU factorisation with partial pivoting, ``A = P L U``, and what is built on it:
linalg.lu, lu_factor, lu_factor_ex, lu_solve, lu_unpack and the deprecated torch.lu;
LAPACK's ``info`` of a Cholesky factorisation (for linalg.cholesky_ex); and the LDL
factorisation of symmetric matrices (ldl_factor, ldl_factor_ex, ldl_solve: values only).

One primitive, ``linalg_lu`` (outputs P, L, U; P carries no derivative), whose kernel is
SciPy's LAPACK getrf where SciPy is installed (the ``scipy`` extra, imported lazily) and a
partial-pivoting elimination in NumPy otherwise: the same pivots (the first largest
magnitude in each column, as LAPACK's), other rounding in the last bits. The packed form
and the pivots are made from P, L and U by dualgrad ops, so their derivatives follow.

NOTE: [LU derivatives] The rules are torch's (FunctionsManual.cpp, linalg_lu_backward and
linalg_lu_jvp) for square A: with dX = L^{-1} P^T dA U^{-1}, dL = L tril(dX, -1) and
dU = triu(dX) U; the adjoint is gA = P L^{-H} (tril(L^H gL, -1) + triu(gU U^H)) U^{-H}.
A wide A (U = [U1 | U2]) and a tall one (L = [L1; L2]) take torch's rules for those cases:
the square rule on the square blocks, and U2's (L2's) part through them. Written with
triangular solves and matmuls, the rules are differentiable again.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from .._dispatch import apply
from .._kernel_errors import LinAlgError
from .._ops.linalg import matmul
from .._ops.shape import cat
from .._ops.linalg_decomp import CHOLESKY, SOLVE_TRIANGULAR, _check_float
from .._ops.registry import batched_as, custom, nondiff
from .._dtype import int32
from .._tensor import Tensor

LUResult = namedtuple("linalg_lu", ["P", "L", "U"])
LUFactorResult = namedtuple("linalg_lu_factor", ["LU", "pivots"])
LUFactorExResult = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LUUnpackResult = namedtuple("lu_unpack", ["P", "L", "U"])


# ------------------------------------------------------------------ the kernel
def _scipy_lu():
    try:
        from scipy.linalg import lu
    except ImportError:
        return None
    return lu


def _numpy_lu(a):
    """getrf's partial pivoting, vectorised over the batch: returns P, L, U."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    w = a.reshape(-1, m, n).astype(a.dtype, copy=True)
    order = np.tile(np.arange(m), (w.shape[0], 1))
    rows = np.arange(w.shape[0])
    for j in range(k):
        p = j + np.argmax(np.abs(w[:, j:, j]), axis=1)  # (the first largest, as idamax)
        w[rows, j], w[rows, p] = w[rows, p].copy(), w[rows, j].copy()
        order[rows, j], order[rows, p] = order[rows, p].copy(), order[rows, j].copy()
        pivot = w[:, j, j : j + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            factors = np.where(pivot != 0, w[:, j + 1 :, j] / np.where(pivot != 0, pivot, 1), 0)
        w[:, j + 1 :, j] = factors
        w[:, j + 1 :, j + 1 :] -= factors[:, :, None] * w[:, j : j + 1, j + 1 :]
    L = np.tril(w[:, :, :k], -1) + np.eye(m, k, dtype=a.dtype)
    U = np.triu(w[:, :k, :])
    P = np.zeros((w.shape[0], m, m), dtype=a.dtype)
    P[rows[:, None], order, np.arange(m)] = 1  # (P^T A = L U: row i of L U is A's order[i])
    return (P.reshape(*batch, m, m), L.reshape(*batch, m, k), U.reshape(*batch, k, n))


def _lu_kernel(a):
    lu = _scipy_lu()
    if lu is None or a.size == 0:
        return _numpy_lu(a)
    P, L, U = lu(a) if a.ndim == 2 else (np.asarray(x) for x in lu(a))
    return tuple(np.asarray(x, dtype=a.dtype) for x in (P, L, U))


def _solve(a, b, *, upper, left, unitriangular=False):
    return apply(SOLVE_TRIANGULAR, a, b, upper=upper, left=left, unitriangular=unitriangular)


def _lu_vjp(g, a, *, out, needs):
    P, L, U = out
    _, g_l, g_u = g
    if g_l is None and g_u is None:
        return (None,)
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    if m == n:
        inner = None if g_l is None else matmul(L.mT, g_l).tril(-1)
        if g_u is not None:
            upper = matmul(g_u, U.mT).triu()
            inner = upper if inner is None else inner + upper
        x = _solve(U.mT, inner, upper=False, left=False)
        return (matmul(P, _solve(L.mT, x, upper=True, left=True, unitriangular=True)),)
    if m < n:  # wide: U = [U1 | U2], U1 k x k
        x = None if g_l is None else matmul(L.mT, g_l)
        if g_u is not None:
            term = matmul(g_u.triu(), U.mT)
            x = -term if x is None else x - term
        x = _solve(U[..., :k].mT, x.tril(-1), upper=False, left=False)
        if g_u is not None:
            x = cat([x + g_u[..., :k].triu(), g_u[..., k:]], -1)
        x = _solve(L.mT, x, upper=True, left=True, unitriangular=True)
        if g_u is None:
            x = cat([x, U[..., k:] * 0], -1)
        return (matmul(P, x),)
    # tall: L = [L1; L2], L1 k x k
    x = None if g_u is None else matmul(g_u, U.mT)
    if g_l is not None:
        term = matmul(L.mT, g_l.tril(-1))
        x = -term if x is None else x - term
    x = _solve(L[..., :k, :].mT, x.triu(), upper=True, left=True, unitriangular=True)
    if g_l is not None:
        x = cat([x + g_l[..., :k, :].tril(-1), g_l[..., k:, :]], -2)
    x = _solve(U.mT, x, upper=False, left=False)
    if g_l is None:
        x = cat([x, L[..., k:, :] * 0], -2)
    return (matmul(P, x),)


def _lu_jvp(tangents, a, *, out):
    P, L, U = out
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    pda = matmul(P.mT, tangents[0])
    if m <= n:  # square or wide: X = L^{-1} P^T dA, split by U = [U1 | U2]
        x = _solve(L, pda, upper=False, left=True, unitriangular=True)
        x1 = _solve(U[..., :k], x[..., :k], upper=True, left=False)
        d_l = matmul(L, x1.tril(-1))
        d_u = matmul(x1.triu(), U[..., :k])
        if m < n:
            d_u = cat([d_u, x[..., k:] - matmul(x1.tril(-1), U[..., k:])], -1)
        return None, d_l, d_u
    # tall: Y = P^T dA U^{-1}, split by L = [L1; L2]
    y = _solve(U, pda, upper=True, left=False)
    z = _solve(L[..., :k, :], y[..., :k, :], upper=False, left=True, unitriangular=True)
    d_l1 = matmul(L[..., :k, :], z.tril(-1))
    d_l2 = y[..., k:, :] - matmul(L[..., k:, :], z.triu())
    return None, cat([d_l1, d_l2], -2), matmul(z.triu(), U)


LU = custom(
    "linalg_lu",
    _lu_kernel,
    _lu_vjp,
    _lu_jvp,
    multi_output=True,
    diff_outputs=lambda n: (1, 2),
    uses_out=True,
    batch=batched_as(CHOLESKY),  # (a stack of matrices, batch dims in front)
    node_name="LinalgLuBackward0",
)


def _pivots_kernel(p, *, k):
    """LAPACK's k = min(m, n) pivots (1-based, int32) from P: the row swapped with row i at
    step i (the one swap that brings the row P puts at i there)."""
    m = p.shape[-1]
    flat = p.reshape(-1, m, m)
    out = np.empty((flat.shape[0], k), dtype=np.int32)
    for b, perm in enumerate(np.argmax(flat, axis=-2)):  # row i of P^T A is A's perm[i]
        rows, where = list(range(m)), list(range(m))
        for i in range(k):
            j = where[perm[i]]
            out[b, i] = j + 1
            where[rows[i]], where[rows[j]] = j, i
            rows[i], rows[j] = rows[j], rows[i]
    return out.reshape(*p.shape[:-2], k)


LU_PIVOTS = nondiff("lu_pivots", _pivots_kernel, batch=batched_as(CHOLESKY))


# ------------------------------------------------------------------ the public functions
def _check_lu_input(A, fn):
    _check_float(A, fn)
    if A.ndim < 2:
        raise RuntimeError(
            f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
            f"{list(A.shape)} instead"
        )


def _check_pivot(pivot, fn):
    if not pivot:
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")


def lu(A, *, pivot=True):
    """``P, L, U`` with ``A = P L U``: ``P`` a permutation, ``L`` unit lower triangular (m x k),
    ``U`` upper triangular (k x n), k = min(m, n); by partial pivoting, as LAPACK's getrf.

    >>> import dualgrad as dg
    >>> P, L, U = dg.linalg.lu(dg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> U
    tensor([[3.0000, 4.0000],
            [0.0000, 0.6667]])
    """
    _check_lu_input(A, "linalg.lu")
    _check_pivot(pivot, "linalg.lu_factor")
    return LUResult(*apply(LU, A))


def _packed(L, U):
    """L's strict lower triangle and U in one m x n matrix, as LAPACK stores them."""
    m, k, n = L.shape[-2], L.shape[-1], U.shape[-1]
    low = L.tril(-1)
    if n > k:  # wide: L is m x m
        low = _pad(low, (0, n - k))
    if m > k:  # tall: U is n x n
        U = _pad(U, (0, 0, 0, m - k))
    return low + U


def _pad(x, widths):
    from .._ops.pad import pad

    return pad(x, widths)


def _info(U):
    """LAPACK's info: the 1-based index of U's first zero diagonal element, 0 if none."""
    d = U.detach().diagonal(0, -2, -1) == 0
    first = d.int().argmax(-1) + 1
    return (first * d.any(-1)).int()


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``LU, pivots, info``: the packed factorisation (L's strict lower triangle and U in one
    matrix), LAPACK's 1-based int32 pivots, and ``info`` (the 1-based index of a zero on U's
    diagonal, 0 if none; with ``check_errors`` such a zero raises)."""
    _check_lu_input(A, "linalg.lu_factor_ex")
    _check_pivot(pivot, "linalg.lu_factor")
    P, L, U = apply(LU, A)
    info = _info(U)
    if check_errors:
        _raise_for_zero_pivot(info, "torch.linalg.lu_factor_ex")
    pivots = apply(LU_PIVOTS, P, k=min(A.shape[-2], A.shape[-1]))
    return LUFactorExResult(_packed(L, U), pivots, info)


def _raise_for_zero_pivot(info, fn):
    from .._batching import _array

    bad = np.asarray(_array(info)).reshape(-1)
    bad = bad[bad > 0]
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(
            f"{fn}: U[{i},{i}] is zero and using it on lu_solve would result in a division by "
            "zero. If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )


def lu_factor(A, *, pivot=True):
    """``LU, pivots``: ``lu_factor_ex`` that raises where U has a zero on its diagonal.

    >>> import dualgrad as dg
    >>> dg.linalg.lu_factor(dg.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots
    tensor([2, 2], dtype=dualgrad.int32)
    """
    LU_, pivots, info = lu_factor_ex(A, pivot=pivot)
    _raise_for_zero_pivot(info, "torch.linalg.lu_factor")
    return LUFactorResult(LU_, pivots)


def _permutation_kernel(pivots, *, m, dtype):
    """P from LAPACK's 1-based pivots: the swaps replayed on the rows of the identity."""
    piv = pivots.astype(np.int64) - 1
    flat = piv.reshape(-1, piv.shape[-1])
    P = np.zeros((flat.shape[0], m, m), dtype=dtype)
    for b, swaps in enumerate(flat):
        order = list(range(m))
        for i, j in enumerate(swaps):
            order[i], order[j] = order[j], order[i]
        P[b, order, np.arange(m)] = 1
    return P.reshape(*piv.shape[:-1], m, m)


LU_PERMUTATION = nondiff("lu_permutation", _permutation_kernel, batch=batched_as(CHOLESKY))


def _cholesky_info_kernel(a):
    """LAPACK potrf's info per matrix: the order of the first leading minor (of the symmetric
    matrix A's lower triangle defines) that is not positive-definite, 0 if none."""
    flat = a.reshape(-1, a.shape[-2], a.shape[-1])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for b, m in enumerate(flat):
        sym = np.tril(m) + np.tril(m, -1).T
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(sym[:k, :k])
            except np.linalg.LinAlgError:
                info[b] = k
                break
    return info.reshape(a.shape[:-2])


CHOLESKY_INFO = nondiff("cholesky_info", _cholesky_info_kernel, batch=batched_as(CHOLESKY))


def _check_pivots(pivots, message):
    """Pivots are lu_factor's int32 tensor, as torch requires: a float or int64 tensor was
    read as positions and gave a wrong permutation without a word."""
    if not isinstance(pivots, Tensor) or pivots.dtype != int32:
        raise RuntimeError(message)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``P, L, U`` from ``lu_factor``'s packed ``LU`` and ``pivots`` (L and U are linear in
    ``LU``, so gradients reach it); a part not unpacked is an empty tensor, as torch's."""
    from .._factories import empty, eye

    _check_pivots(
        LU_pivots,
        "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
        "of torch.int32 dtype.\nNote: this function is intended to be used with the "
        "output produced by torch.linalg.lu_factor",
    )
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + eye(m, k, dtype=LU_data.dtype)
        U = LU_data[..., :k, :].triu()
    else:
        L = U = empty(0, dtype=LU_data.dtype)
    if unpack_pivots:
        P = apply(LU_PERMUTATION, LU_pivots, m=m, dtype=LU_data.dtype.np)
    else:
        P = empty(0, dtype=LU_data.dtype)
    return LUUnpackResult(P, L, U)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """The solution of ``A X = B`` from ``A``'s ``lu_factor`` (``X A = B`` with ``left=False``;
    ``A^H`` for ``A`` with ``adjoint``), by two triangular solves and the permutation."""
    from .._ops.linalg_decomp import solve_triangular

    _check_pivots(pivots, "linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:  # P L U X = B
        y = solve_triangular(L, matmul(P.mT, B), upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    if left:  # U^T L^T P^T X = B
        y = solve_triangular(U.mT, B, upper=False)
        return matmul(P, solve_triangular(L.mT, y, upper=True, unitriangular=True))
    if not adjoint:  # X P L U = B
        y = solve_triangular(U, B, upper=True, left=False)
        return matmul(solve_triangular(L, y, upper=False, left=False, unitriangular=True), P.mT)
    # X U^T L^T P^T = B
    y = matmul(B, P)
    y = solve_triangular(L.mT, y, upper=True, left=False, unitriangular=True)
    return solve_triangular(U.mT, y, upper=False, left=False)


_LU_DEPRECATED = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
    "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\n"
    "should be replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)"
)


def lu_legacy(A, pivot=True, get_infos=False):
    """torch.lu (deprecated, with torch's warning): ``LU, pivots`` (and ``info`` with
    ``get_infos``, else a zero pivot raises)."""
    warnings.warn(_LU_DEPRECATED, UserWarning, stacklevel=2)
    LU_, pivots, info = lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return LU_, pivots, info
    _raise_for_zero_pivot(info, "torch.linalg.lu_factor")
    return LU_, pivots


def lu_solve_legacy(b, LU_data, LU_pivots):
    """torch.lu_solve (deprecated in torch's documentation): ``linalg.lu_solve(LU_data,
    LU_pivots, b)``, its arguments in the old order, with torch's warning."""
    warnings.warn(
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
        "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
        "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
        "X = torch.linalg.lu_solve(LU, pivots, B)",
        UserWarning,
        stacklevel=2,
    )
    return lu_solve(LU_data, LU_pivots, b)


METHODS = {"lu": lu_legacy, "lu_solve": lu_solve_legacy}  # (bound to Tensor by __init__.py)


# ------------------------------------------------------------------ LDL (Bunch-Kaufman)
# NOTE: [LDL without derivatives] torch's ldl_factor and ldl_solve have no derivative (its
# backward raises "derivative for aten::linalg_ldl_factor_ex is not implemented"); here the
# rules raise the same way, so a gradient through them is an error, never a silent zero. The
# kernels are LAPACK's sytrf / sytrs through SciPy (the ``scipy`` extra): NumPy has no
# symmetric-indefinite factorisation.
LDLFactorResult = namedtuple("linalg_ldl_factor", ["LD", "pivots"])
LDLFactorExResult = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def _lapack(fn):
    try:
        from scipy.linalg import lapack
    except ImportError:
        raise ImportError(
            f"linalg.{fn} needs SciPy (LAPACK's symmetric-indefinite routines, which NumPy "
            "lacks): pip install dualgrad[scipy] (or pip install scipy)"
        ) from None
    return lapack


def _per_matrix(a, *rest):
    """Pairs of (index, matrix) over a's batch dims."""
    batch = a.shape[:-2]
    for i in np.ndindex(*batch):
        yield i, a[i], tuple(r[i] for r in rest)


def _ldl_kernel(a):
    lapack = _lapack("ldl_factor")
    sytrf = lapack.get_lapack_funcs("sytrf", (a,))
    n = a.shape[-1]
    LD = np.zeros_like(a)
    pivots = np.zeros(a.shape[:-1], dtype=np.int32)
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for i, m, _ in _per_matrix(a):
        if n == 0:
            continue
        ldu, ipiv, inf = sytrf(m, lower=1)
        LD[i], pivots[i], info[i] = np.tril(ldu), ipiv, inf
    return LD, pivots, info


def _no_derivative(name):
    def rule(*args, **kwargs):
        raise NotImplementedError(f"derivative for aten::{name} is not implemented")

    return rule


LDL_FACTOR = custom(
    "linalg_ldl_factor_ex",
    _ldl_kernel,
    _no_derivative("linalg_ldl_factor_ex"),
    _no_derivative("linalg_ldl_factor_ex"),
    multi_output=True,
    diff_outputs=lambda n: (0,),
    batch=batched_as(CHOLESKY),
    node_name="LinalgLdlFactorExBackward0",
)


def _ldl_solve_kernel(ld, pivots, b):
    lapack = _lapack("ldl_solve")
    sytrs = lapack.get_lapack_funcs("sytrs", (ld,))
    out = np.zeros(np.broadcast_shapes(ld.shape[:-2], b.shape[:-2]) + b.shape[-2:], ld.dtype)
    ld = np.broadcast_to(ld, out.shape[:-2] + ld.shape[-2:])
    pivots = np.broadcast_to(pivots, out.shape[:-2] + pivots.shape[-1:])
    b = np.broadcast_to(b, out.shape)
    for i, m, (p, rhs) in _per_matrix(ld, pivots, b):
        if m.shape[-1]:
            out[i] = sytrs(m, p, rhs, lower=1)[0]
    return out


LDL_SOLVE = custom(
    "linalg_ldl_solve",
    _ldl_solve_kernel,
    _no_derivative("linalg_ldl_solve"),
    _no_derivative("linalg_ldl_solve"),
    batch=batched_as(CHOLESKY),
    node_name="LinalgLdlSolveBackward0",
)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """``LD, pivots, info``: the Bunch-Kaufman factorisation ``A = P L D L^T P^T`` of a
    symmetric matrix (its lower triangle is read) in LAPACK's compact form; ``info`` > 0 is
    the index of a zero in D (singular A). Values only (NOTE: [LDL without derivatives])."""
    _check_lu_input(A, "linalg.ldl_factor_ex")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.ldl_factor_ex: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    LD, pivots, info = apply(LDL_FACTOR, A)
    if check_errors:
        _raise_for_zero_pivot_ldl(info)
    return LDLFactorExResult(LD, pivots, info)


def _raise_for_zero_pivot_ldl(info):
    from .._batching import _array

    bad = np.asarray(_array(info)).reshape(-1)
    bad = bad[bad != 0]
    if bad.size:
        raise LinAlgError(
            f"torch.linalg.ldl_factor_ex: The factorization could not be completed because "
            f"the input is singular (D[{int(bad[0])},{int(bad[0])}] is zero)."
        )


def ldl_factor(A, *, hermitian=False):
    """``LD, pivots``: ``ldl_factor_ex`` that raises where A is singular.

    >>> import dualgrad as dg
    >>> dg.linalg.ldl_factor(dg.tensor([[4.0, 2.0], [2.0, 3.0]])).LD
    tensor([[4.0000, 0.0000],
            [0.5000, 2.0000]])
    """
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    _raise_for_zero_pivot_ldl(info)
    return LDLFactorResult(LD, pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """The solution of ``A X = B`` from ``A``'s ``ldl_factor``. Values only (NOTE: [LDL
    without derivatives])."""
    if B.ndim < 2:
        raise RuntimeError("linalg.ldl_solve: The input tensor B must have at least 2 dimensions.")
    if LD.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.ldl_solve: Expected LD and B to have the same dtype, but found LD of type "
            f"{LD.dtype} and B of type {B.dtype} instead; convert one, e.g. B.to(LD.dtype)"
        )
    return apply(LDL_SOLVE, LD, pivots, B)
