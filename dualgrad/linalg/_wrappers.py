"""torch.linalg's names built on its factorisations: inv_ex, solve_ex, cholesky_ex (the result
and LAPACK's ``info``), matrix_rank, tensorinv, tensorsolve, and the deprecated torch-level
cholesky, cholesky_inverse and triangular_solve. Each is a composite of dualgrad's linalg
ops, so its derivatives are theirs.

NOTE: [info instead of an error] The ``_ex`` forms return torch's ``info`` (0 on success,
else the 1-based index of the failing pivot or minor) instead of raising. Where info is
nonzero, the result's values are undefined in torch (LAPACK's partial work); here they are
nan, so nothing computed from them passes for a number.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from .. import _factories
from .._batching import _array
from .._kernel_errors import LinAlgError
from .._ops import linalg_decomp as D
from .._dispatch import apply
from ._factor import CHOLESKY_INFO, lu_factor_ex

InvExResult = namedtuple("linalg_inv_ex", ["inverse", "info"])
SolveExResult = namedtuple("linalg_solve_ex", ["result", "info"])
CholeskyExResult = namedtuple("linalg_cholesky_ex", ["L", "info"])
TriangularSolveResult = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def _per_matrix(info, x):
    """info != 0 shaped to mask x's matrices."""
    failed = info != 0
    return failed.reshape(tuple(failed.shape) + (1,) * (x.ndim - failed.ndim))


def _safe(A, info):
    """A with each failing matrix replaced by the identity, so the others can be computed."""
    eye = _factories.eye(A.shape[-1], dtype=A.dtype)
    return A.masked_fill(_per_matrix(info, A), 0.0) + eye * _per_matrix(info, A)


def _nan_where_failed(x, info):
    """x, with nan in every matrix whose info is nonzero (NOTE: [info instead of an error])."""
    return x.masked_fill(_per_matrix(info, x), math.nan)


def _first_failure(info):
    bad = np.asarray(_array(info)).reshape(-1)
    bad = bad[bad != 0]
    return int(bad[0]) if bad.size else 0


def inv_ex(A, *, check_errors=False):
    """``inverse, info``: ``inv(A)`` with LAPACK's ``info`` (the 1-based index of a zero
    pivot, 0 if A is invertible) instead of an error, unless ``check_errors``.

    >>> import dualgrad as dg
    >>> dg.linalg.inv_ex(dg.tensor([[2.0, 0.0], [0.0, 4.0]])).inverse
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    D._check_square(A, "linalg.inv_ex")
    LU, pivots, info = lu_factor_ex(A)
    bad = _first_failure(info)
    if check_errors and bad:
        raise LinAlgError(
            f"linalg.inv_ex: The diagonal element {bad} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )
    if bad:
        return InvExResult(_nan_where_failed(D.inv(_safe(A, info)), info), info)
    return InvExResult(D.inv(A), info)


def solve_ex(A, B, *, left=True, check_errors=False):
    """``result, info``: ``solve(A, B)`` with LAPACK's ``info`` instead of an error, unless
    ``check_errors``."""
    D._check_square(A, "linalg.solve_ex")
    _, _, info = lu_factor_ex(A)
    bad = _first_failure(info)
    if check_errors and bad:
        raise LinAlgError(
            "torch.linalg.solve_ex: The solver failed because the input matrix is singular."
        )
    if bad:
        X = D.solve(_safe(A, info), B, left=left)
        vector = X.ndim == A.ndim - 1
        mask = _per_matrix(info, X.unsqueeze(-1) if vector else X)
        return SolveExResult(X.masked_fill(mask.squeeze(-1) if vector else mask, math.nan), info)
    return SolveExResult(D.solve(A, B, left=left), info)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``L, info``: the Cholesky factor with LAPACK's ``info`` (the order of the first leading
    minor that is not positive-definite, 0 if none) instead of an error, unless
    ``check_errors``."""
    D._check_square(A, "linalg.cholesky_ex")
    info = _cholesky_info(A)
    bad = _first_failure(info)
    if check_errors and bad:
        raise LinAlgError(
            f"linalg.cholesky_ex: The factorization could not be completed because the input "
            f"is not positive-definite (the leading minor of order {bad} is not "
            "positive-definite)."
        )
    if bad:
        L = D.cholesky(_safe(A, info), upper=upper)
        return CholeskyExResult(_nan_where_failed(L, info), info)
    return CholeskyExResult(D.cholesky(A, upper=upper), info)


def _cholesky_info(A):
    return apply(CHOLESKY_INFO, A.detach())


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above ``max(atol, rtol * largest)`` (torch's defaults:
    rtol = eps * max(m, n) where atol is not given); int64.

    >>> import dualgrad as dg
    >>> dg.linalg.matrix_rank(dg.tensor([[1.0, 2.0], [2.0, 4.0]]))
    tensor(1)
    """
    D._check_matrix(A, "linalg.matrix_rank")
    if tol is not None:  # torch's older spelling: an absolute tolerance
        atol, rtol = tol, 0.0 if rtol is None else rtol
    A = A.detach()
    S = D.eigvalsh(A).abs() if hermitian else D.svdvals(A)
    m, n = A.shape[-2], A.shape[-1]
    atol = atol.detach() if hasattr(atol, "detach") else atol
    rtol = rtol.detach() if hasattr(rtol, "detach") else rtol
    tolerance = D._rank_tolerance(S, atol, rtol, m, n, A.dtype)
    return (S > tolerance).sum(-1)


def tensorinv(A, ind=2):
    """The inverse of ``A`` as a tensor: ``tensordot(tensorinv(A), A, ind)`` is the identity;
    ``A.shape[:ind]`` and ``A.shape[ind:]`` must hold as many elements."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n = math.prod(rows)
    if n != math.prod(cols):
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {math.prod(cols)} != {n}"
        )
    return D.inv(A.reshape(n, n)).reshape(cols + rows)


def tensorsolve(A, B, dims=None):
    """The ``X`` with ``tensordot(A, X, X.ndim) == B``; ``dims`` moves those dims of ``A`` to
    the end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        keep = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(keep + dims)
    rows = tuple(B.shape)
    result_shape = tuple(A.shape[B.ndim :])
    n = math.prod(rows)
    if n != math.prod(result_shape) or tuple(A.shape[: B.ndim]) != rows:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {math.prod(result_shape)} != "
            f"{math.prod(A.shape[: B.ndim])}"
        )
    return D.solve(A.reshape(n, n), B.reshape(n)).reshape(result_shape)


# ------------------------------------------------------------------ torch's deprecated names
_CHOLESKY_DEPRECATED = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
    "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs."
)
_TRIANGULAR_SOLVE_DEPRECATED = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
    "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
    "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
    "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B)."
)


def cholesky(input, upper=False):
    """torch.cholesky (deprecated, with torch's warning): ``linalg.cholesky``, upper with
    ``upper``."""
    warnings.warn(_CHOLESKY_DEPRECATED, UserWarning, stacklevel=2)
    return D.cholesky(input, upper=upper)


def cholesky_inverse(L, upper=False):
    """The inverse of ``A = L L^T`` (``U^T U`` with ``upper``) from its Cholesky factor.

    >>> import dualgrad as dg
    >>> dg.cholesky_inverse(dg.tensor([[2.0, 0.0], [0.0, 1.0]]))
    tensor([[0.2500, 0.0000],
            [0.0000, 1.0000]])
    """
    D._check_square(L, "cholesky_inverse", "input")
    eye = _factories.eye(L.shape[-1], dtype=L.dtype)
    return D.cholesky_solve(eye.expand(tuple(L.shape)) if L.ndim > 2 else eye, L, upper)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (deprecated, with torch's warning): ``solution, cloned_coefficient``
    with ``A X = b`` (``A^T X = b`` with ``transpose``) for triangular ``A``."""
    warnings.warn(_TRIANGULAR_SOLVE_DEPRECATED, UserWarning, stacklevel=2)
    D._check_matrix(b, "triangular_solve", "input")
    D._check_square(A, "triangular_solve")
    A_, b_ = D._broadcast_batch(A, b, "triangular_solve")
    coefficient = A_.mT if transpose else A_
    X = D.solve_triangular(coefficient, b_, upper=upper != transpose, unitriangular=unitriangular)
    return TriangularSolveResult(X, A_.clone())
