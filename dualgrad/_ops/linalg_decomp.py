"""Linear algebra beyond products: solvers, decompositions, norms and matrix functions.

Primitives (hand-written vjp and jvp, each written only in dualgrad ops and so
differentiable to any order in both modes; the formulas follow PyTorch's FunctionsManual.cpp):
``linalg_solve``, ``solve_triangular``, ``slogdet``, ``det``, ``cholesky``, ``qr``, ``eigh``,
``svd``, ``matrix_exp`` and ``pinv``. Everything else is a composite of those and of the
products in linalg.py: inv (solve with I), logdet (slogdet), eigvalsh and svdvals (the
decompositions), lstsq (pinv), cholesky_solve, the norms, matrix_power, kron, tensordot,
addmm, baddbmm.

Every primitive works on stacks of matrices (leading batch dims); the public functions
broadcast the batch dims of their operands first, so the primitives see equal batch dims and
the broadcast is undone by ``expand``'s own adjoint.

# NOTE: [gauge]
Eigenvectors and singular vectors are defined up to sign (and, for repeated values, up to a
rotation). As in PyTorch, the rules of eigh and svd assume a loss that does not depend on that
choice (eigenvalues, V diag(f(L)) V^T, U U^T, ...), and distinct eigenvalues / singular values:
for repeated ones the rules divide by zero and give inf or nan, as torch's do.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._batching import BatchedTensor
from .._dispatch import apply
from .._kernel_errors import _LINALG_ERRORS, LinAlgError
from .._factories import eye as _eye
from .._factories import zeros as _zeros
from .._grad_mode import is_grad_enabled, no_grad
from .._tensor import Tensor
from .composite import norm as _vector_norm_impl
from .composite import norm_input
from .elementwise import abs as _abs
from .elementwise import log, where
from .linalg import addmm_checked, einsum, matmul
from .reduction import amax, amin, normalize_dims
from .reduction import sum as _sum
from .registry import custom, nondiff
from .shape import cat, diag_embed, movedim
from ._methods import tensor_method

__all__ = [
    "inverse",
    "det",
    "logdet",
    "slogdet",
    "pinverse",
    "matrix_exp",
    "matrix_power",
    "kron",
    "tensordot",
    "addmm",
    "baddbmm",
    "cholesky_solve",
    "svd",
    "qr",
]

SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("linalg_qr", ["Q", "R"])
SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
TorchSVDResult = namedtuple("svd", ["U", "S", "V"])
LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


# ------------------------------------------------------------------ helpers (dualgrad ops)
def _eye_like(x, n=None):
    return _eye(x.shape[-1] if n is None else n, dtype=x.dtype)


def _sym(x):
    return x + x.mT


def _skew(x):
    return x - x.mT


def _diag(x):
    return x.diagonal(0, -2, -1)


def _offdiag_ratio(num, den):
    """``num / den`` off the diagonal and 0 on it (``den``'s diagonal may be 0)."""
    eye = _eye_like(den)
    return num / (den + eye) * (1.0 - eye)


def _check_float(x, fn, arg="A"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    if not x.is_floating_point():
        raise RuntimeError(
            f"{fn}: expected a floating point tensor for '{arg}', got {x.dtype}; use {arg}.double()"
        )


def _check_square(x, fn, arg="A"):
    _check_float(x, fn, arg)
    if x.ndim < 2:
        raise RuntimeError(
            f"{fn}: The input tensor {arg} must have at least 2 dimensions (got {x.ndim})."
        )
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(
            f"{fn}: {arg} must be batches of square matrices, but they are "
            f"{x.shape[-2]} by {x.shape[-1]} matrices"
        )


def _check_matrix(x, fn, arg="A"):
    _check_float(x, fn, arg)
    if x.ndim < 2:
        raise RuntimeError(
            f"{fn}: The input tensor {arg} must have at least 2 dimensions (got {x.ndim})."
        )


def _broadcast_batch(a, b, fn):
    """``a`` and ``b`` expanded to their common batch dims (all but the last two)."""
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{fn}: expected both inputs to have the same dtype, got {a.dtype} and {b.dtype}; "
            "convert one, e.g. B.to(A.dtype)"
        )
    try:
        batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    except ValueError:
        raise RuntimeError(
            f"{fn}: the batch dims of shapes {list(a.shape)} and {list(b.shape)} do not broadcast"
        ) from None
    sa, sb = batch + tuple(a.shape[-2:]), batch + tuple(b.shape[-2:])
    return (a if tuple(a.shape) == sa else a.expand(sa)), (
        b if tuple(b.shape) == sb else b.expand(sb)
    )


def _as_dtype(raw, like):
    return np.asarray(raw, dtype=like.dtype)


# ------------------------------------------------------------------ solve
# X = A^{-1} B.  jvp: A^{-1}(B_t - A_t X).  vjp: g_B = A^{-T} g, g_A = -g_B X^T.
def _solve_kernel(a, b):
    return _as_dtype(np.linalg.solve(a, b), a)


def _solve_vjp(g, a, b, *, out, needs):
    g_b = apply(SOLVE, a.mT, g)
    return (-matmul(g_b, out.mT) if needs[0] else None), (g_b if needs[1] else None)


def _solve_jvp(tangents, a, b, *, out):
    a_t, b_t = tangents
    rhs = b_t
    if a_t is not None:
        rhs = -matmul(a_t, out) if rhs is None else rhs - matmul(a_t, out)
    return apply(SOLVE, a, rhs)


SOLVE = custom(
    "linalg_solve",
    _solve_kernel,
    _solve_vjp,
    _solve_jvp,
    uses_out=True,
    node_name="LinalgSolveExBackward0",
)


def solve(A, B, *, left=True):
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``); ``B`` may be a
    (batch of) vector(s). Batch dims broadcast.

    >>> import dualgrad as dg
    >>> dg.linalg.solve(dg.eye(2, dtype=dg.float64) * 2, dg.ones(2, dtype=dg.float64)).tolist()
    [0.5, 0.5]
    """
    _check_square(A, "linalg.solve")
    _check_float(B, "linalg.solve", "B")
    if not left:
        return solve(A.mT, B.mT).mT.clone()  # contiguous, as torch's (so X.view works)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        B = B.unsqueeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    A, B = _broadcast_batch(A, B, "linalg.solve")
    X = apply(SOLVE, A, B)
    return X.squeeze(-1) if vector else X


def inv(A):
    """The inverse of a (batch of) square matrices: ``solve(A, I)``."""
    _check_square(A, "linalg.inv")
    eye = _eye_like(A)
    try:
        return solve(A, eye.expand(tuple(A.shape)) if A.ndim > 2 else eye)
    except LinAlgError:
        raise LinAlgError(
            "linalg.inv: The inversion could not be completed because the input matrix is singular."
        ) from None


inverse = tensor_method(inv, "inverse")


# ------------------------------------------------------------------ solve_triangular
def _masked_triangle(x, upper, unitriangular):
    out = np.triu(x) if upper else np.tril(x)
    if unitriangular:
        out = out.copy()
        n = out.shape[-1]
        out[..., range(n), range(n)] = 1
    return out


def _substitute(t, b, upper):
    """``t^{-1} b`` for triangular ``t`` by substitution, row by row: with a zero on the
    diagonal it gives the inf and nan that torch's (LAPACK's trsm) gives."""
    n = t.shape[-1]
    x = np.zeros(
        np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype=np.result_type(t, b)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n - 1, -1, -1) if upper else range(n):
            x[..., i, :] = (b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)) / t[
                ..., i, i, None
            ]
    return x


# NOTE: [triangular solves by SciPy] NumPy has no triangular solve, and np.linalg.solve factors
# the matrix first (LU, O(n^3)) where a triangular one needs only substitution (O(n^2) per
# column): 512x512 with 64 columns, 4.6 ms against SciPy's 0.5 ms (LAPACK trtrs, as torch's
# trsm). So with SciPy importable (an optional extra) a single matrix goes to
# scipy.linalg.solve_triangular; without it, for a batch of matrices (one LU call in C beats
# a Python loop of trtrs calls for the small matrices batches usually hold), or below 32x32
# (SciPy's call costs ~10 us, more than NumPy's whole LU there), np.linalg.solve.
def _scipy_solve_triangular():
    try:
        from scipy.linalg import solve_triangular
    except ImportError:
        return None
    return solve_triangular


def _triangular_solve(t, b, upper):
    if not np.all(np.diagonal(t, 0, -2, -1)):
        return _substitute(t, b, upper)  # singular: inf and nan, no error, as in torch
    if (
        t.ndim == 2
        and b.ndim == 2
        and t.shape[0] >= 32
        and t.dtype.kind == "f"
        and t.dtype.itemsize > 2
    ):
        solve_triangular = _scipy_solve_triangular()
        if solve_triangular is not None:
            return solve_triangular(t, b, lower=not upper, check_finite=False)
    return np.linalg.solve(t, b)


def _solve_triangular_kernel(a, b, *, upper, left, unitriangular):
    t = _masked_triangle(a, upper, unitriangular)
    if left:
        x = _triangular_solve(t, b, upper)
    else:
        x = np.swapaxes(
            _triangular_solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2), not upper), -1, -2
        )
    return _as_dtype(x, a)


def _project_triangle(x, upper, unitriangular):
    k = 1 if unitriangular else 0
    return x.triu(k) if upper else x.tril(-k)


def _solve_triangular_vjp(g, a, b, *, out, needs, upper, left, unitriangular):
    g_b = apply(SOLVE_TRIANGULAR, a.mT, g, upper=not upper, left=left, unitriangular=unitriangular)
    g_a = None
    if needs[0]:
        g_a = -(matmul(g_b, out.mT) if left else matmul(out.mT, g_b))
        g_a = _project_triangle(g_a, upper, unitriangular)
    return g_a, (g_b if needs[1] else None)


def _solve_triangular_jvp(tangents, a, b, *, out, upper, left, unitriangular):
    a_t, b_t = tangents
    rhs = b_t
    if a_t is not None:
        a_t = _project_triangle(a_t, upper, unitriangular)
        term = matmul(a_t, out) if left else matmul(out, a_t)
        rhs = -term if rhs is None else rhs - term
    return apply(SOLVE_TRIANGULAR, a, rhs, upper=upper, left=left, unitriangular=unitriangular)


SOLVE_TRIANGULAR = custom(
    "solve_triangular",
    _solve_triangular_kernel,
    _solve_triangular_vjp,
    _solve_triangular_jvp,
    uses_out=True,
    node_name="LinalgSolveTriangularBackward0",
)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The solution of ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``: only
    its upper (``upper=True``) or lower triangle is read, and with ``unitriangular`` its
    diagonal is taken to be ones. Batch dims broadcast."""
    _check_square(A, "linalg.solve_triangular")
    _check_matrix(B, "linalg.solve_triangular", "B")
    k = B.shape[-2] if left else B.shape[-1]
    if k != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if B.dtype != A.dtype:  # torch solves in A's dtype (the only linalg solver that converts)
        B = B.to(A.dtype)
    A, B = _broadcast_batch(A, B, "linalg.solve_triangular")
    return apply(
        SOLVE_TRIANGULAR,
        A,
        B,
        upper=bool(upper),
        left=bool(left),
        unitriangular=bool(unitriangular),
    )


@tensor_method
def cholesky_solve(B, L, upper=False):
    """The solution of ``A X = B`` with ``A = L L^T`` (``U^T U`` with ``upper``), given the
    Cholesky factor; only its triangle is read."""
    _check_matrix(B, "cholesky_solve", "input")
    _check_square(L, "cholesky_solve", "input2")
    if B.dtype != L.dtype:  # torch refuses (solve_triangular, used below, would convert)
        raise RuntimeError(
            f"cholesky_solve: Expected b and A to have the same dtype, but found b of type "
            f"{B.dtype} and A of type {L.dtype} instead; convert one, e.g. B.to(L.dtype)"
        )
    if upper:
        Y = solve_triangular(L.mT, B, upper=False)
        return solve_triangular(L, Y, upper=True)
    Y = solve_triangular(L, B, upper=False)
    return solve_triangular(L.mT, Y, upper=True)


# ------------------------------------------------------------------ slogdet, det, logdet
# NOTE: [determinants at singular matrices]
# d det = tr(C^T dA) with C the cofactor matrix, det(A) A^{-T} where A is invertible. At a
# singular A (rank n - 1: C is not 0) that formula cannot be evaluated, so det is a primitive
# whose rules use C from the SVD there: A = U diag(S) Vh gives C = a U diag(prod_{j!=i} S_j) Vh
# with a = det(U) det(Vh) = +-1 (torch's linalg_det_backward does the same). Near singular it
# is the SVD too, as det(A) A^{-T} loses its digits there: where A's condition number
# ||A||_1 ||A^{-1}||_1 (from the inverse, which the other path needs anyway) passes
# 1/sqrt(eps). A well-conditioned A keeps det(A) A^{-T}, whose own derivatives do not divide
# by gaps between singular values (torch's SVD path gives nan for the Hessian at the
# identity). Inside vmap the check reads every batch element's matrix. logabsdet's rules are
# C / det(A): inf and nan at a singular A, where torch's are inf and nan too.
def _stacked_values(t):
    """``t``'s values with the batch dims of the vmap levels it is batched at in front, so
    that its last two dims are its (logical) matrix dims."""
    if not isinstance(t, BatchedTensor):
        return t._data
    inner = _stacked_values(t._value)
    return np.moveaxis(inner, inner.ndim - t._value.ndim + t._bdim, 0)


def _conditioned_inv_mT(a):
    """``A^{-T}`` where every matrix of the stack (of every batch element inside vmap) is
    well conditioned, else None (NOTE: [determinants at singular matrices])."""
    data = _stacked_values(a)
    try:
        inv_mT = inv(a.mT)
    except LinAlgError:
        return None
    if not data.size or not np.isfinite(data).all():  # (nan in, nan out: A^{-T} gives it)
        return inv_mT
    with np.errstate(invalid="ignore", over="ignore"):
        kappa = np.abs(data).sum(-2).max(-1) * np.abs(_stacked_values(inv_mT)).sum(-1).max(-1)
    return inv_mT if bool(np.all(kappa < np.finfo(data.dtype).eps ** -0.5)) else None


def _cofactors(a, det_a=None):
    """The cofactor matrix of ``a`` (the gradient of det), as dualgrad ops."""
    inv_mT = _conditioned_inv_mT(a)
    if inv_mT is not None:
        det_a = _det(a) if det_a is None else det_a
        return inv_mT * det_a.unsqueeze(-1).unsqueeze(-1)
    U, S, Vh = apply(SVD, a)
    n = S.shape[-1]
    others = where(_eye_like(a, n) > 0, 1.0, S.unsqueeze(-2).expand(*S.shape, n))
    with no_grad():  # +-1: a constant
        alpha = apply(SLOGDET, U)[0] * apply(SLOGDET, Vh)[0]
    return matmul(U * others.prod(-1).unsqueeze(-2), Vh) * alpha.unsqueeze(-1).unsqueeze(-1)


def _slogdet_kernel(a):
    with np.errstate(invalid="ignore"):  # nan in, nan out, without NumPy's warning (as torch)
        sign, logabsdet = np.linalg.slogdet(a)
    return _as_dtype(sign, a), _as_dtype(logabsdet, a)


def _inv_mT_or_ratio(a):
    """A^{-T}, or C / det(A) where A is (near) singular (NOTE: [determinants at singular
    matrices])."""
    inv_mT = _conditioned_inv_mT(a)
    if inv_mT is not None:
        return inv_mT
    return _cofactors(a) / _det(a).unsqueeze(-1).unsqueeze(-1)


def _slogdet_vjp(g, a, *, out, needs):
    g_lad = g[1]
    if g_lad is None:
        return (None,)
    return (_inv_mT_or_ratio(a) * g_lad.unsqueeze(-1).unsqueeze(-1),)


def _slogdet_jvp(tangents, a, *, out):
    return None, (_inv_mT_or_ratio(a) * tangents[0]).sum((-2, -1))


def _det_kernel(a):
    with np.errstate(invalid="ignore"):  # nan in, nan out, without NumPy's warning (as torch)
        return _as_dtype(np.linalg.det(a), a)


def _det_vjp(g, a, *, out, needs):
    return (_cofactors(a, out) * g.unsqueeze(-1).unsqueeze(-1),)


def _det_jvp(tangents, a, *, out):
    return (_cofactors(a, out) * tangents[0]).sum((-2, -1))


DET = custom("det", _det_kernel, _det_vjp, _det_jvp, uses_out=True, node_name="LinalgDetBackward0")


def _det(a):
    return apply(DET, a)


SLOGDET = custom(
    "slogdet",
    _slogdet_kernel,
    _slogdet_vjp,
    _slogdet_jvp,
    multi_output=True,
    uses_out=True,
    node_name="LinalgSlogdetBackward0",
    outputs_read=(0,),
)  # as torch, which saves the sign, not logabsdet


@tensor_method
def slogdet(A):
    """``(sign, logabsdet)`` of the determinant; ``logabsdet`` is differentiable (on
    non-singular matrices), ``sign`` is piecewise constant."""
    _check_square(A, "linalg.slogdet")
    return SlogdetResult(*apply(SLOGDET, A))


@tensor_method
def det(A):
    """The determinant; differentiable at singular matrices too (NOTE: [determinants at
    singular matrices])."""
    _check_square(A, "linalg.det")
    return apply(DET, A)


@tensor_method
def logdet(A):
    """``log(det(A))``: nan for a negative determinant, -inf for a singular matrix."""
    _check_square(A, "logdet")
    sign, logabsdet = apply(SLOGDET, A)
    return logabsdet + log(sign.detach())


# ------------------------------------------------------------------ cholesky
# jvp: dL = L Phi(L^{-1} dA L^{-T}), Phi = lower triangle with half the diagonal.
# vjp: the symmetric part of L^{-T} Phi(L^T gL) L^{-1} (torch's cholesky_backward).
def _phi(x):
    return x.tril() - 0.5 * diag_embed(_diag(x))


def _cholesky_kernel(a):
    try:
        out = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "linalg.cholesky: The factorization could not be completed because the input is "
            "not positive-definite."
        ) from None
    # LAPACK's potrf, torch's kernel, stops at a pivot that is not finite (a nan or an inf in
    # the lower triangle): NumPy's returns the nans and infs, torch raises
    pivots = ~np.isfinite(np.diagonal(out, axis1=-2, axis2=-1))
    if pivots.any():
        where = np.argwhere(pivots)[0]
        batch = f"(Batch element {np.ravel_multi_index(tuple(where[:-1]), pivots.shape[:-1])}): "
        raise LinAlgError(
            f"linalg.cholesky: {batch if a.ndim > 2 else ''}The factorization could not be "
            "completed because the input is not positive-definite (the leading minor of order "
            f"{where[-1] + 1} is not positive-definite)."
        )
    return out


def _cholesky_vjp(g, a, *, out, needs):
    L = out
    p = _phi(matmul(L.mT, g))
    s = 0.5 * (p + p.mT)
    s = apply(SOLVE_TRIANGULAR, L.mT, s, upper=True, left=True, unitriangular=False)
    return (apply(SOLVE_TRIANGULAR, L, s, upper=False, left=False, unitriangular=False),)


def _cholesky_jvp(tangents, a, *, out):
    L = out
    x = apply(SOLVE_TRIANGULAR, L, tangents[0], upper=False, left=True, unitriangular=False)
    x = apply(SOLVE_TRIANGULAR, L.mT, x, upper=True, left=False, unitriangular=False)
    return matmul(L, _phi(x))


CHOLESKY = custom(
    "cholesky",
    _cholesky_kernel,
    _cholesky_vjp,
    _cholesky_jvp,
    uses_out=True,
    node_name="LinalgCholeskyExBackward0",
)


def cholesky(A, *, upper=False):
    """The Cholesky factor ``L`` (lower) of a symmetric positive-definite ``A = L L^T``; with
    ``upper``, ``U = L^T``. Only the lower triangle of ``A`` is read."""
    _check_square(A, "linalg.cholesky")
    L = apply(CHOLESKY, A)
    return L.mT if upper else L


# ------------------------------------------------------------------ qr (reduced)
def _qr_kernel(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return _as_dtype(q, a), _as_dtype(r, a)


def _qr_vjp(g, a, *, out, needs):
    g_q, g_r = g
    Q, R = out
    m, n = Q.shape[-2], R.shape[-1]
    if g_q is None and g_r is None:
        return (None,)
    if g_q is None:
        gA = matmul(g_r, R.mT)
    elif g_r is None:
        gA = -matmul(Q.mT, g_q)
    else:
        gA = matmul(g_r, R.mT) - matmul(Q.mT, g_q)
    if m >= n:
        t = gA.triu()
        gA = matmul(Q, t + t.mT - diag_embed(_diag(t)))
        if g_q is not None:
            gA = gA + g_q
        return (apply(SOLVE_TRIANGULAR, R.mT, gA, upper=False, left=False, unitriangular=False),)
    gA = matmul(Q, _skew(-gA).tril())
    gA = apply(SOLVE_TRIANGULAR, R[..., :m].mT, gA, upper=False, left=False, unitriangular=False)
    gA = cat([gA, _zeros(tuple(R.shape[:-1]) + (n - m,), dtype=R.dtype)], -1)
    if g_r is not None:
        gA = gA + matmul(Q, g_r)
    return (gA,)


def _qr_jvp(tangents, a, *, out):
    dA = tangents[0]
    Q, R = out
    m, n = dA.shape[-2], dA.shape[-1]
    if m >= n:
        dARinv = apply(SOLVE_TRIANGULAR, R, dA, upper=True, left=False, unitriangular=False)
        x = _sym(matmul(Q.mT, dARinv))
        dR = x.triu() - 0.5 * diag_embed(_diag(x))
        dQ = dARinv - matmul(Q, dR)
        return dQ, matmul(dR, R)
    QtdA = matmul(Q.mT, dA)
    x = apply(
        SOLVE_TRIANGULAR, R[..., :m], QtdA[..., :m], upper=True, left=False, unitriangular=False
    )
    x = x.tril(-1)
    dQ = x - x.mT
    dR = QtdA - matmul(dQ, R)
    return matmul(Q, dQ), dR


QR = custom(
    "qr",
    _qr_kernel,
    _qr_vjp,
    _qr_jvp,
    multi_output=True,
    uses_out=True,
    node_name="LinalgQrBackward0",
)


def _qr_values_kernel(a, *, mode):
    if mode == "r":  # torch returns an empty Q
        return np.empty((0,), a.dtype), _as_dtype(np.linalg.qr(a, mode="r"), a)
    q, r = np.linalg.qr(a, mode="complete")
    return _as_dtype(q, a), _as_dtype(r, a)


# mode='complete' with more rows than columns, and mode='r': values only, as in torch, whose
# derivative is not defined for them either
QR_VALUES = nondiff("qr_values", _qr_values_kernel, multi_output=True)


def linalg_qr(A, mode="reduced"):
    """``Q, R`` with ``A = Q R``, ``Q`` with orthonormal columns, ``R`` upper triangular.

    ``mode='reduced'`` is differentiable in every mode. ``'complete'`` equals it when ``A`` has
    no more rows than columns; with more rows, and with ``mode='r'`` (``R`` only, ``Q`` empty),
    the values come without derivatives, as in torch.
    """
    _check_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
            "(default), 'r', or 'complete'"
        )
    m, n = A.shape[-2], A.shape[-1]
    if mode == "r" or (mode == "complete" and m > n):
        if (A.requires_grad and is_grad_enabled()) or A._fw:
            raise RuntimeError(
                "linalg.qr: the QR decomposition is not differentiable when mode='complete' and "
                "nrows > ncols, or when mode='r' (Q is not computed); use mode='reduced' to "
                "differentiate, or detach() the input"
            )
        return QRResult(*apply(QR_VALUES, A, mode=mode))
    return QRResult(*apply(QR, A))


@tensor_method
def qr(A, some=True):
    """torch.qr: the reduced QR decomposition (``some=False`` is not supported)."""
    if not some:
        return linalg_qr(A, "complete")
    return linalg_qr(A)


# ------------------------------------------------------------------ eigh
# jvp: dP = V^T dA V; dL = diag(dP); dV = V (dP / E) off the diagonal, E_ij = L_j - L_i.
# vjp: gA = V (skew(V^T gV) / 2E + diag(gL)) V^T. NOTE: [gauge]
def _eigh_kernel(a, *, UPLO):
    _finite_for_lapack(a, _LINALG_ERRORS["eigh"])
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return _as_dtype(w, a), _as_dtype(v, a)


def _eigh_gaps(L):
    return L.unsqueeze(-2) - L.unsqueeze(-1)


def _eigh_vjp(g, a, *, out, needs, UPLO):
    g_l, g_v = g
    L, V = out
    if g_v is None:
        if g_l is None:
            return (None,)
        return (matmul(V * g_l.unsqueeze(-2), V.mT),)
    inner = _offdiag_ratio(0.5 * _skew(matmul(V.mT, g_v)), _eigh_gaps(L))
    if g_l is not None:
        inner = inner + diag_embed(g_l)
    return (matmul(V, matmul(inner, V.mT)),)


def _eigh_jvp(tangents, a, *, out, UPLO):
    L, V = out
    dP = matmul(matmul(V.mT, tangents[0]), V)
    dV = matmul(V, _offdiag_ratio(dP, _eigh_gaps(L)))
    return _diag(dP), dV


EIGH = custom(
    "eigh",
    _eigh_kernel,
    _eigh_vjp,
    _eigh_jvp,
    multi_output=True,
    uses_out=True,
    node_name="LinalgEighBackward0",
)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; only the
    ``UPLO`` triangle is read. Differentiate only gauge-invariant functions of the
    eigenvectors (NOTE: [gauge])."""
    _check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*apply(EIGH, A, UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending."""
    return eigh(A, UPLO)[0]


# ------------------------------------------------------------------ svd (reduced)
# NOTE: [non-finite input to LAPACK's iterations] The SVD's bidiagonal QR iteration (dbdsqr)
# can run for minutes on a matrix holding an inf (random programs with special values hung in
# it), and its result would be nan anyway; torch checks first and raises. So do these kernels:
# the SVD's callers (svd, svdvals, pinv, matrix_rank, the 2- and nuclear norms) with torch's
# words, and eigh's with its words (its iteration is of the same kind).
_SVD_NON_FINITE = (
    "linalg.svd: The algorithm failed to converge because the input matrix contained "
    "non-finite values."
)


def _finite_for_lapack(a, message):
    if not np.isfinite(a).all():
        raise LinAlgError(message)


def _svd_kernel(a):
    _finite_for_lapack(a, _SVD_NON_FINITE)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _as_dtype(u, a), _as_dtype(s, a), _as_dtype(vh, a)


def _svd_gaps(S):
    s2 = S * S
    return s2.unsqueeze(-2) - s2.unsqueeze(-1)  # E_jk = S_k^2 - S_j^2


def _svd_vjp(g, a, *, out, needs):
    g_u, g_s, g_vh = g
    U, S, Vh = out
    m, n = U.shape[-2], Vh.shape[-1]
    if g_u is None and g_vh is None:
        if g_s is None:
            return (None,)
        return (matmul(U * g_s.unsqueeze(-2), Vh),)
    E = _svd_gaps(S)
    inner = None
    if g_u is not None:
        inner = _offdiag_ratio(_skew(matmul(U.mT, g_u)), E) * S.unsqueeze(-2)
    if g_vh is not None:
        term = S.unsqueeze(-1) * _offdiag_ratio(_skew(matmul(Vh, g_vh.mT)), E)
        inner = term if inner is None else inner + term
    if g_s is not None:
        inner = inner + diag_embed(g_s)
    if m > n and g_u is not None:
        gA = matmul(U, inner)
        gUSinv = g_u / S.unsqueeze(-2)
        gA = gA + gUSinv - matmul(U, matmul(U.mT, gUSinv))
        return (matmul(gA, Vh),)
    if m < n and g_vh is not None:
        gA = matmul(inner, Vh)
        SinvgVh = g_vh / S.unsqueeze(-1)
        gA = gA + SinvgVh - matmul(matmul(SinvgVh, Vh.mT), Vh)
        return (matmul(U, gA),)
    return (matmul(U, matmul(inner, Vh)),)


def _svd_jvp(tangents, a, *, out):
    dA = tangents[0]
    U, S, Vh = out
    m, n = dA.shape[-2], dA.shape[-1]
    V = Vh.mT
    dP = matmul(matmul(U.mT, dA), V)
    dS = _diag(dP)
    dX = dP - diag_embed(dS)
    E = _svd_gaps(S)
    dU = matmul(U, _offdiag_ratio(_sym(dX * S.unsqueeze(-2)), E))
    if m > n:
        dAVSinv = matmul(dA, V / S.unsqueeze(-2))
        dU = dU + dAVSinv - matmul(U, matmul(U.mT, dAVSinv))
    dVh = matmul(_offdiag_ratio(_sym(dX * (-S).unsqueeze(-1)), E), Vh)
    if m < n:
        UtdASinv = matmul(U.mT / S.unsqueeze(-1), dA)
        dVh = dVh + UtdASinv - matmul(matmul(UtdASinv, V), Vh)
    return dU, dS, dVh


SVD = custom(
    "svd",
    _svd_kernel,
    _svd_vjp,
    _svd_jvp,
    multi_output=True,
    uses_out=True,
    node_name="LinalgSvdBackward0",
)


def _orth_complement_kernel(u):
    """An orthonormal basis of the complement of the orthonormal columns of ``u``."""
    q = np.linalg.qr(u, mode="complete")[0]
    return np.ascontiguousarray(q[..., :, u.shape[-1] :])


# The extra columns of a full SVD: a basis of the complement, a values-only op (no derivative,
# as in torch, whose svd backward narrows U and Vh to their first min(m, n) columns).
ORTH_COMPLEMENT = nondiff("orth_complement", _orth_complement_kernel)


def linalg_svd(A, full_matrices=True):
    """``U, S, Vh`` with ``A = U diag(S) Vh``, ``S`` descending. With ``full_matrices`` (the
    default) a non-square ``A`` also gets the complement's columns in ``U`` (or rows in
    ``Vh``), as values only: gradients flow through the first min(m, n), as in torch.
    Differentiate only gauge-invariant functions of ``U`` and ``Vh`` (NOTE: [gauge])."""
    _check_matrix(A, "linalg.svd")
    U, S, Vh = apply(SVD, A)
    m, n = A.shape[-2], A.shape[-1]
    if full_matrices and m > n:
        U = cat([U, apply(ORTH_COMPLEMENT, U.detach())], -1)
    elif full_matrices and n > m:
        Vh = cat([Vh, apply(ORTH_COMPLEMENT, Vh.detach().mT).mT], -2)
    return SVDResult(U, S, Vh)


def svdvals(A):
    """The singular values, descending."""
    _check_matrix(A, "linalg.svdvals")
    return apply(SVD, A)[1]


@tensor_method
def svd(A, some=True, compute_uv=True):
    """torch.svd: ``U, S, V`` (not ``Vh``); the reduced SVD, or the full one with
    ``some=False``."""
    U, S, Vh = linalg_svd(A, full_matrices=not some)
    if not compute_uv:
        batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])  # torch's zero-filled U, V
        return TorchSVDResult(
            _zeros(batch + (m, m), dtype=A.dtype), S, _zeros(batch + (n, n), dtype=A.dtype)
        )
    return TorchSVDResult(U, S, Vh.mT)


# ------------------------------------------------------------------ pinv, lstsq
def _rank_tolerance(S, atol, rtol, m, n, dtype):
    if rtol is None:
        eps = float(np.finfo(dtype.np).eps)
        rtol = eps * max(m, n) if atol is None or atol == 0 else 0.0
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    tol = smax * rtol
    if atol is not None:
        tol = where(tol > atol, tol, atol)
    return tol


def _pinv_kernel(a, *, atol, rtol):
    """The SVD with singular values at or below the tolerance dropped (torch's rule)."""
    m, n = a.shape[-2], a.shape[-1]
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (n, m), a.dtype)
    _finite_for_lapack(a, _SVD_NON_FINITE)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(m, n) if not atol else 0.0
    tol = s.max(-1, keepdims=True) * rtol
    if atol is not None:
        tol = np.maximum(tol, atol)
    keep = s > tol
    s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    return _as_dtype(np.swapaxes(vh, -1, -2) * s_inv[..., None, :] @ np.swapaxes(u, -1, -2), a)


# Torch's pinv_backward and pinv_jvp (FunctionsManual.cpp): the derivative of the
# pseudo-inverse P of A where the rank is locally constant, written with P itself, so every
# order is again these rules; the products are arranged to keep the smaller of m, n inside.
def _pinv_vjp(g, a, *, out, needs, atol, rtol):
    P, gT = out, g.mT
    if a.shape[-2] <= a.shape[-1]:
        K = matmul(gT, P)
        KPt = matmul(K, P.mT)
        return (
            -matmul(P, K).mT
            + KPt
            - matmul(matmul(a, P), KPt)
            + matmul(matmul(P.mT, P), gT - matmul(K, a)),
        )
    K = matmul(P, gT)
    PtK = matmul(P.mT, K)
    return (
        -matmul(K, P).mT
        + PtK
        - matmul(PtK, matmul(P, a))
        + matmul(gT - matmul(a, K), matmul(P, P.mT)),
    )


def _pinv_jvp(tangents, a, *, out, atol, rtol):
    P, dA = out, tangents[0]
    dAT = dA.mT
    if a.shape[-2] <= a.shape[-1]:
        K = matmul(P.mT, dAT)
        return matmul(P, K - K.mT - matmul(K, matmul(a, P))) + matmul(
            dAT - matmul(P, matmul(a, dAT)), matmul(P.mT, P)
        )
    K = matmul(P, dA)
    KT = K.mT
    return matmul(KT - K - matmul(matmul(P, a), KT), P) + matmul(
        matmul(P, P.mT), dAT - matmul(matmul(dAT, a), P)
    )


PINV = custom(
    "pinv", _pinv_kernel, _pinv_vjp, _pinv_jvp, uses_out=True, node_name="LinalgPinvBackward0"
)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse: the SVD with singular values at or below
    ``max(atol, rtol * max(S))`` dropped (``hermitian`` changes only torch's method, not the
    result). Its derivatives are torch's: exact where the rank does not change nearby."""
    _check_matrix(A, "linalg.pinv")
    atol = None if atol is None else float(atol)
    rtol = None if rtol is None else float(rtol)
    return apply(PINV, A, atol=atol, rtol=rtol)


@tensor_method
def pinverse(A, rcond=1e-15):
    """torch.pinverse: ``pinv`` with ``rtol=rcond``."""
    return pinv(A, rtol=rcond)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` (``pinv(A) @ B``), with what torch's CPU
    ``driver`` returns beside it: ``rank`` (not from 'gels'), ``singular_values`` (from 'gelsd'
    and 'gelss'), and ``residuals``, the squared residual norms of each column, where every
    matrix has more rows than columns and full rank (not from the default 'gelsy')."""
    _check_matrix(A, "linalg.lstsq")
    _check_float(B, "linalg.lstsq", "B")
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1"
        )
    # a vector (batch) only when B's shape is A's without its last dim, as in solve: else B
    # is a matrix whose batch dims broadcast against A's
    vector = B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1])
    Bm = B.unsqueeze(-1) if vector else B
    A2, Bm = _broadcast_batch(A, Bm, "linalg.lstsq")
    X = matmul(pinv(A2, rtol=rcond), Bm)
    m, n = A.shape[-2], A.shape[-1]
    empty = _zeros((0,), dtype=A.dtype)
    with no_grad():
        S = svdvals(A.detach())
        tol = _rank_tolerance(S, None, rcond, m, n, A.dtype)
        rank = _sum((S > tol).long(), -1)
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = _sum((matmul(A2, X) - Bm) ** 2, -2)  # (a vector b's keeps its 1, as torch)
    if vector:
        X = X.squeeze(-1)
    singular_values = S if driver in ("gelsd", "gelss") else empty
    if driver == "gels":
        rank = _zeros((0,), dtype=rank.dtype)
    return LstsqResult(X, residuals, rank, singular_values)


# ------------------------------------------------------------------ norms
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all dims by default), seen as a vector."""
    x = norm_input(x, dtype, "linalg.vector_norm")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if ord in (math.inf, -math.inf) and x.numel() == 0:  # a max or min of nothing
        dims = normalize_dims(dim, x.ndim)
        where = "an empty tensor" if dim is None else f"the dimension {dim}"
        if dim is None or any(x.shape[d] == 0 for d in dims):
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on {where} because the "
                "operation does not have an identity"
            )
    return _vector_norm_impl(x, ord, dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims ``dim``: 'fro', 'nuc', 2, -2 (largest / smallest
    singular value), 1, -1 (max / min column abs sum), inf, -inf (max / min row abs sum)."""
    A = norm_input(A, dtype, "linalg.matrix_norm")
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    dims = normalize_dims(dim, A.ndim)
    if len(dims) != 2 or dims[0] == dims[1]:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple of different dims, got {dim}"
        )
    d0, d1 = (dim[0] % A.ndim, dim[1] % A.ndim)
    if ord == "fro":
        return _vector_norm_impl(A, 2, (d0, d1), keepdim, None)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    table = {1: (d0, amax), -1: (d0, amin), math.inf: (d1, amax), -math.inf: (d1, amin)}
    if ord not in table:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    sum_dim, reduce = table[ord]
    other = d1 if sum_dim == d0 else d0
    out = reduce(_sum(_abs(A), sum_dim, keepdim=True), other, keepdim=True)
    if not keepdim:
        out = out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    return out


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm for one dim (or a 1-D input), a matrix norm for two
    dims (or a 2-D input with ``ord`` given); the 2-norm of the flattened input by default."""
    norm_input(A, None, "linalg.vector_norm" if ord is None or A.ndim == 1 else "linalg.norm")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(
        f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
    )


# ------------------------------------------------------------------ matrix_power, matrix_exp
@tensor_method
def matrix_power(A, n):
    """``A`` multiplied by itself ``n`` times (by squaring); a negative ``n`` inverts first,
    ``n = 0`` gives the identity."""
    _check_square(A, "linalg.matrix_power")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:  # I, with a zero gradient for A: exactly 0, as torch's (``A * 0`` would pass
        # on a nan or inf cotangent as nan)
        return where(_zeros(tuple(A.shape), dtype=bool), A, _eye_like(A))
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while True:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            return result.clone() if result is A else result  # a new tensor even for n = 1
        base = matmul(base, base)


def _expm_pade(a):
    """exp of a stack of matrices: Pade 13 with scaling and squaring (Higham 2005), for
    when SciPy is missing."""
    b = (
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    )
    norm1 = np.abs(a).sum(-2).max(-1) if a.size else np.zeros(a.shape[:-2])
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm1, 1e-300) / 5.371920351148152))).astype(int)
    a = a / (2.0**s)[..., None, None]
    ident = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (
        a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
        + b[7] * a6
        + b[5] * a4
        + b[3] * a2
        + b[1] * ident
    )
    v = (
        a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
        + b[6] * a6
        + b[4] * a4
        + b[2] * a2
        + b[0] * ident
    )
    r = np.linalg.solve(v - u, v + u)
    out = r.copy()
    for idx in np.ndindex(*s.shape):
        for _ in range(int(s[idx])):
            out[idx] = out[idx] @ out[idx]
    return out


def _matrix_exp_kernel(a):
    try:
        from scipy.linalg import expm
    except ImportError:  # NOTE: SciPy is optional; the Pade fallback is exact to rounding
        return _as_dtype(_expm_pade(a.astype(np.float64)), a)
    if a.size == 0:
        return a.copy()
    return _as_dtype(expm(a), a)


def _expm_frechet(A, E):
    """The derivative of exp at ``A`` along ``E``: the top-right block of
    exp([[A, E], [0, A]]) (Mathias 1996), one more call of the primitive."""
    n = A.shape[-1]
    top = cat([A, E], -1)
    bottom = cat([_zeros(tuple(A.shape), dtype=A.dtype), A], -1)
    return apply(MATRIX_EXP, cat([top, bottom], -2))[..., :n, n:]


MATRIX_EXP = custom(
    "matrix_exp",
    _matrix_exp_kernel,
    lambda g, a, *, out, needs: (_expm_frechet(a.mT, g),),
    lambda tangents, a, *, out: _expm_frechet(a, tangents[0]),
    node_name="LinalgMatrixExpBackward0",
)


@tensor_method
def matrix_exp(A):
    """The matrix exponential of a (batch of) square matrices."""
    _check_square(A, "linalg.matrix_exp")
    return apply(MATRIX_EXP, A)


# ------------------------------------------------------------------ products
def multi_dot(tensors):
    """The product of a list of matrices (the first and last may be vectors), left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got " + str(len(tensors)))
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim`` (broadcasting)."""
    return _sum(x * y, dim)


@tensor_method
def kron(a, b):
    """The Kronecker product: block (i, j) of the result is ``a[i, j] * b``, for any ranks and
    dtypes (a product: integers and bools as torch's, promoted as ``*``)."""
    for x, arg in ((a, "input"), (b, "other")):
        if not isinstance(x, Tensor):
            raise TypeError(f"kron(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    a2 = a.reshape(tuple(x for s in sa for x in (s, 1)))
    b2 = b.reshape(tuple(x for s in sb for x in (1, s)))
    return (a2 * b2).reshape(tuple(p * q for p, q in zip(sa, sb)))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def tensordot(a, b, dims=2):
    """Sums of products over ``dims``: an int (the last ``dims`` of ``a`` with the first of
    ``b``) or two lists of dims."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    sa = list(_LETTERS[: a.ndim])
    sb = list(_LETTERS[a.ndim : a.ndim + b.ndim])
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} "
                f"and second has size {b.shape[j]} in dim {j}"
            )
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in da] + [
        c for k, c in enumerate(sb) if k not in db
    ]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def _add_scaled(inp, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (inp if beta == 1 else inp * beta)


@tensor_method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts, and is ignored when
    ``beta`` is 0."""
    return addmm_checked(input, mat1, mat2, beta, alpha)  # one node (NOTE: [addmm])


@tensor_method
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(
            f"baddbmm: batch1 and batch2 must be 3D, got {batch1.ndim}D and {batch2.ndim}D"
        )
    return _add_scaled(input, matmul(batch1, batch2), beta, alpha)
