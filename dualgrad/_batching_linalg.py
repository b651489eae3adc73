"""Batching rules for linear algebra, einsum, cross, scans and sorting (NOTE: [vmap levels] in _vmap_level.py).

Each rule takes (op, physical, bdims, params, size): the physical inputs, the batch dim of
each (None: not batched) and the op's params, and returns (result, bdim) or NotImplemented
(then the op runs once per batch element).

Most rules move the batch dim to the front, where it is one more leading (stack) dim: the
NumPy kernels of the linear algebra primitives work on stacks of matrices, and the scans and
index kernels take a ``dim`` that shifts by one.
"""

from __future__ import annotations

import string

from ._batching_generic import _front, _logical_ndim, _to_front
from ._dispatch import apply as _apply


# ------------------------------------------------------------------ stacks of matrices
def _matrix_stack(op, physical, bdims, params, size):
    """The kernel takes stacks of matrices with equal batch dims: every input gets the batch
    dim in front (unbatched ones expanded, so the op's contract of equal batch dims holds)."""
    if len(physical) == 1:
        return _apply(op, _to_front(physical[0], bdims[0]), **params), 0
    return _apply(op, *(_front(p, d, size) for p, d in zip(physical, bdims)), **params), 0


def _qr_values(op, physical, bdims, params, size):
    """Stacks of matrices, but mode='r' returns an empty Q without the stack's dims: give it
    the batch dim so both outputs carry it."""
    q, r = _apply(op, _to_front(physical[0], bdims[0]), **params)
    if params["mode"] == "r":
        q = q.reshape((size, 0))
    return (q, r), 0


# ------------------------------------------------------------------ one dim
def _along_dim(op, physical, bdims, params, size):
    """Scans and index kernels along one (non-negative) ``dim``: it shifts past the batch dim;
    a logical 0-d input becomes a length-1 row (the kernels' 0-d case) and back."""
    x, d = physical[0], bdims[0]
    scalar = _logical_ndim(x, d) == 0
    x = _to_front(x, d)
    if scalar:
        x = x.unsqueeze(-1)
    dim = 1 if scalar else params["dim"] % (x.ndim - 1) + 1
    out = _apply(op, x, **{**params, "dim": dim})
    return (out.squeeze(-1) if scalar else out), 0


def _arg_extreme(op, physical, bdims, params, size):
    """argmax / argmin: with a dim, it shifts past the batch dim; without one, each batch
    element is flattened to a row (the kernel flattens everything), keepdim restores ones."""
    x, d = physical[0], bdims[0]
    n = _logical_ndim(x, d)
    x = _to_front(x, d)
    if params["dim"] is not None:
        return _apply(op, x, dim=params["dim"] % n + 1, keepdim=params["keepdim"]), 0
    out = _apply(op, x.reshape(size, -1), dim=1, keepdim=False)
    return (out.reshape((size,) + (1,) * n) if params["keepdim"] else out), 0


# ------------------------------------------------------------------ products
def _einsum(op, physical, bdims, params, size):
    """A fresh letter for the batch dim, in front of each batched operand and of the output;
    unbatched operands keep their subscripts and broadcast over it."""
    ins, out = params["equation"].split("->")
    ins = ins.split(",")
    b = next((c for c in string.ascii_letters if c not in params["equation"]), None)
    if b is None:  # all 52 letters in use: no name left for the batch dim
        return NotImplemented
    ops, subs = [], []
    for p, d, s in zip(physical, bdims, ins):
        ops.append(_to_front(p, d))
        subs.append(s if d is None else b + s)
    return _apply(op, *ops, equation=",".join(subs) + "->" + b + out), 0


def _cross(op, physical, bdims, params, size):
    """Both operands have the same logical shape (cross expands them): batch dims in front,
    the dim shifts by one."""
    a, b = (_front(p, d, size) for p, d in zip(physical, bdims))
    return _apply(op, a, b, dim=params["dim"] % (a.ndim - 1) + 1), 0


# ------------------------------------------------------------------ searchsorted
def _searchsorted(op, physical, bdims, params, size):
    """A 1-D unbatched sequence serves every value as is. Otherwise the kernel wants the
    leading dims of the sequence and the values to match: batch dims in front of both; a
    logical 1-D sequence then pairs with its batch element's values flattened to a row."""
    (seq, values), (ds, dv) = physical, bdims
    if ds is None and seq.ndim == 1:
        return _apply(op, seq, values, **params), dv
    one_d = _logical_ndim(seq, ds) == 1
    seq, values = _front(seq, ds, size), _front(values, dv, size)
    if not one_d:
        return _apply(op, seq, values, **params), 0
    shape = tuple(values.shape)
    out = _apply(op, seq, values.reshape(size, -1), **params)
    return out.reshape(shape), 0
