"""torch.linalg's names that are compositions of other ops: ``cond``, ``diagonal``, ``vander``.
Each is written with dualgrad's ops, so its derivatives (every order, every transform) are
theirs.
"""

from __future__ import annotations

import math

from .._ops.linalg_decomp import matrix_norm, svdvals
from .._ops.shape import cat
from ._wrappers import inv_ex

# the norms cond takes besides the spectral ones (None, 2, -2), as torch's check lists them
_INVERSE_NORMS = ("fro", "nuc", math.inf, -math.inf, 1, -1)


def cond(A, p=None):
    """The condition number of ``A`` in the matrix norm ``p``: ``norm(A) * norm(inv(A))``.

    ``p`` None, 2 or -2: the ratio of the largest and smallest singular values (any shape;
    inf for a rank-deficient matrix). ``p`` 'fro', 'nuc', inf, -inf, 1 or -1: square matrices
    only, inf where ``A`` is singular, as torch's.

    >>> import dualgrad as dg
    >>> dg.linalg.cond(dg.tensor([[1.0, 2.0], [3.0, 4.0]]), "fro")
    tensor(15.0000)
    """
    if p is None or (not isinstance(p, str) and p in (2, -2)):
        s = svdvals(A)  # descending
        if p == -2:
            return s[..., -1] / s[..., 0]
        return s[..., 0] / s[..., -1]
    if p not in _INVERSE_NORMS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    m, n = A.shape[-2], A.shape[-1]
    if m != n:
        raise RuntimeError(
            f"linalg.cond(ord={p}): A must be batches of square matrices, but they are {m} by "
            f"{n} matrices"
        )
    inverse, info = inv_ex(A)  # a singular matrix's inverse is nan: its condition is inf
    return (matrix_norm(A, p) * matrix_norm(inverse, p)).masked_fill(info != 0, math.inf)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix in ``A`` (``Tensor.diagonal`` with the last two dims by
    default), a view."""
    return A.diagonal(offset, dim1, dim2)


def vander(x, *, N=None):
    """The Vandermonde matrix of ``x``: column j holds ``x ** j``, j = 0 .. N-1 (N defaults to
    ``x.shape[-1]``), computed by running products as torch does (so integers stay exact).

    >>> import dualgrad as dg
    >>> dg.linalg.vander(dg.tensor([1.0, 2.0, 3.0]))
    tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    """
    n = (x.shape[-1] if x.ndim else 0) if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    column = x.unsqueeze(-1)
    return cat([column.new_ones(column.shape), column.expand(*x.shape, n - 1)], -1).cumprod(-1)
