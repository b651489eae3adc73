"""The primitives behind in-place writes through views: view_scatter, and a writable diagonal.

``view_scatter(base, value, *, chain)`` is ``base`` with the region that ``chain`` views
replaced by ``value`` (NOTE: [views and in-place] in _views.py). It is linear in (base,
value) jointly, so its jvp is itself applied to the tangents; its adjoint sends the gradient
outside the region to the base and the region itself to the value.

``diagonal_view`` is diagonal as a true, writable view (``np.diagonal`` is read-only), so
``x.diagonal().zero_()`` reaches ``x`` as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .._dispatch import apply
from .._views import Chain, apply_chain, scatter_into
from .args import int_arg
from .registry import _zeros_like, linear
from . import shape as S
from .reduction import normalize_dims
from ._methods import tensor_method


def _view_scatter_kernel(base, value, *, chain):
    out = base.copy()
    scatter_into(out, chain.ops, value)
    return out


def _view_scatter_adjoint(g, base, value, *, needs, chain):
    g_base = apply(VIEW_SCATTER, g, _zeros_like(value), chain=chain) if needs[0] else None
    g_value = apply_chain(g, chain.ops) if needs[1] else None
    return g_base, g_value


VIEW_SCATTER = linear(
    "view_scatter",
    _view_scatter_kernel,
    _view_scatter_adjoint,
    n_linear=2,
    node_name="CopySlices",
)


def view_scatter(base, value, chain):
    """``base`` with the region that ``chain`` (a tuple of (view op, params)) views set to
    ``value``.

    >>> import dualgrad as dg
    >>> from dualgrad._ops.view_scatter import view_scatter
    >>> x = dg.zeros(2, 3)
    >>> view_scatter(x, dg.ones(3), x[1]._chain)
    tensor([[0., 0., 0.],
            [1., 1., 1.]])
    """
    return apply(VIEW_SCATTER, base, value, chain=Chain(chain))


def _diagonal_view_kernel(x, *, offset, dim1, dim2):
    moved = np.moveaxis(x, (dim1, dim2), (-2, -1))
    moved = moved[..., :, offset:] if offset >= 0 else moved[..., -offset:, :]
    n = max(min(moved.shape[-2], moved.shape[-1]), 0)
    return np.lib.stride_tricks.as_strided(
        moved,
        shape=moved.shape[:-2] + (n,),
        strides=moved.strides[:-2] + (moved.strides[-2] + moved.strides[-1],),
    )


DIAGONAL_VIEW = linear(
    "diagonal_view",
    _diagonal_view_kernel,
    lambda g, x, *, needs, offset, dim1, dim2: (
        apply(
            S.DIAGONAL_SCATTER_ZEROS, g, shape=tuple(x.shape), offset=offset, dim1=dim1, dim2=dim2
        ),
    ),
    node_name="DiagonalBackward0",
    view=True,
)


@tensor_method
def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal of ``x`` over ``dim1`` and ``dim2`` as a new last dim: a view of ``x``.

    >>> import dualgrad as dg
    >>> x = dg.ones(2, 2)
    >>> _ = x.diagonal().zero_()
    >>> x
    tensor([[0., 1.],
            [1., 0.]])
    """
    d1, d2 = (normalize_dims(d, x.ndim)[0] for d in (dim1, dim2))
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int_arg(offset, "diagonal", "offset", 2)
    return apply(DIAGONAL_VIEW, x, offset=offset, dim1=d1, dim2=d2)


__all__ = ["view_scatter"]
