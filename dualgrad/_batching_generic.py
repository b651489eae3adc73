"""The batching rules shared by many ops (NOTE: [batching by kind] in _batching_rules.py):
element-wise with broadcasting, reductions over dims, shape ops, matmul, joins.

A rule maps one call on logical tensors to calls on physical ones: ``rule(op, physical, bdims,
params, size)`` returns ``(out, out_bdim)``, or NotImplemented for the per-element loop
(NOTE: [vmap levels] in _vmap_level.py).
"""

from __future__ import annotations

import math

from ._dispatch import apply, apply_fast
from ._dtype import result_type_of_arrays
from ._tensor import Tensor


def _to_front(p, d):
    return p if d in (None, 0) else p.movedim(d, 0)


def _front(p, d, size):
    """``p`` with its batch dim in front; an unbatched tensor gets one by expanding (a view)."""
    if d is None:
        return p.unsqueeze(0).expand(size, *p.shape) if isinstance(p, Tensor) else p
    return _to_front(p, d)


def _logical_ndim(p, d):
    return p.ndim - (d is not None)


def _pointwise(op, physical, bdims, params, size):
    """Element-wise ops with broadcasting: batch dims to the front, logical dims right-aligned."""
    rank = 0
    batched_scalar = False  # a per-sample 0-d operand (NOTE: [promotion by logical ranks])
    for p, d in zip(physical, bdims):
        if isinstance(p, Tensor):
            n = p._data.ndim
            if d is not None:
                n -= 1
                batched_scalar = batched_scalar or n == 0
            rank = max(rank, n)
    if batched_scalar:
        physical = _promoted_as_logical(physical, bdims)
    aligned = []
    for p, d in zip(physical, bdims):
        if d is None:
            aligned.append(p)
            continue
        p = _to_front(p, d)
        missing = rank - (p.ndim - 1)
        if missing:
            p = p.reshape((p.shape[0],) + (1,) * missing + tuple(p.shape[1:]))
        aligned.append(p)
    return apply_fast(op, aligned, params), 0


# NOTE: [promotion by logical ranks] torch promotes a dimensioned tensor's dtype over a 0-d
# tensor's of the same category (float32 tensor * float64 0-d: float32). Inside vmap a
# per-sample 0-d tensor is physically 1-d, so the kernel, seeing the physical arrays, promoted
# it as dimensioned: float32 per-sample 0-d * an unbatched float64 0-d gave float32 where each
# sample (and torch's vmap) gives float64. amax/amin's rule under vmap(grad) met it (the mask's
# share, float32, times a float64 cotangent), a float64 gradient off in its 8th digit. Where the
# two promotions differ, the per-sample 0-d operands are cast to the logical result dtype first:
# it dominates every operand's, so the physical promotion then gives it too, and the kernel
# computes in the dtype the unbatched call would. Bool operands are left alone (where's
# condition); a Python number promotes alike on both sides.
class _LogicalArray:
    """A batched operand's logical shape and dtype, for result_type_of_arrays."""

    def __init__(self, p, d):
        self.shape = tuple(p.shape[:d]) + tuple(p.shape[d + 1 :]) if d is not None else p.shape
        self.dtype = p._data.dtype


def _promoted_as_logical(physical, bdims):
    """``physical`` with its per-sample 0-d operands cast to the dtype the logical operands
    promote to, where that differs from the physical promotion (NOTE: [promotion by logical
    ranks])."""
    tensors = [p for p in physical if isinstance(p, Tensor)]
    if all(t._data.dtype == tensors[0]._data.dtype for t in tensors):
        return physical
    raw = [p._data if isinstance(p, Tensor) else p for p in physical]
    logical = result_type_of_arrays(
        *[_LogicalArray(p, d) if isinstance(p, Tensor) else p for p, d in zip(physical, bdims)]
    )
    if logical == result_type_of_arrays(*raw):
        return physical
    return [
        p.to(logical) if d is not None and p.ndim == 1 and p._data.dtype.kind != "b" else p
        for p, d in zip(physical, bdims)
    ]


def vectorized(op, physical, bdims, params, size):
    """Element-wise ops of one input (sin, exp): the op runs on the physical tensor as it is
    and the batch dim stays where it was (JAX's ``defvectorized``). ``VmapLevel.process`` runs
    this rule inline, without its unwrapping loop (NOTE: [vectorized ops] in _vmap_level.py)."""
    return apply(op, physical[0], **params), bdims[0]


def _unary_same_layout(op, physical, bdims, params, size):
    """Ops applied element by element to one tensor (clone, casts): the batch dim stays."""
    return apply(op, *physical, **params), bdims[0]


def _batch_in_front(op, physical, bdims, params, size):
    """Ops on the logical dims of one tensor that keep its leading dims (view(dtype), which
    may resize the last dim): the batch dim in front."""
    return apply(op, _to_front(physical[0], bdims[0]), **params), 0


def _shift(dims, by=1):
    return tuple(d + by for d in dims)


def _reduce_dims(op, physical, bdims, params, size):
    x = _to_front(physical[0], bdims[0])
    p = dict(params)
    p["dims"] = _shift(params["dims"])
    out = apply(op, x, *physical[1:], **p)
    return out, 0


def _one_dim(op, physical, bdims, params, size):
    if params.get("dim") is None or any(d is not None for d in bdims[1:]):
        return NotImplemented
    x = _to_front(physical[0], bdims[0])
    p = dict(params)
    p["dim"] = params["dim"] + 1
    return apply(op, x, *physical[1:], **p), 0


def _reshape(op, physical, bdims, params, size):
    x = _to_front(physical[0], bdims[0])
    return apply(op, x, shape=(size,) + tuple(params["shape"])), 0


def _expand(op, physical, bdims, params, size):
    x = _to_front(physical[0], bdims[0])
    shape = tuple(params["shape"])
    missing = len(shape) - (x.ndim - 1)
    if missing:
        x = x.reshape((size,) + (1,) * missing + tuple(x.shape[1:]))
    return apply(op, x, shape=(size,) + shape), 0


def _permute(op, physical, bdims, params, size):
    x = _to_front(physical[0], bdims[0])
    return apply(op, x, dims=(0,) + _shift(params["dims"])), 0


def _flip(op, physical, bdims, params, size):
    x = _to_front(physical[0], bdims[0])
    return apply(op, x, dims=_shift(params["dims"])), 0


def _select(op, physical, bdims, params, size):
    """Basic indexing: the batch dim in front is kept by a leading full slice."""
    x = _to_front(physical[0], bdims[0])
    index = params["index"]
    return apply(op, x, index=type(index)((slice(None),) + tuple(index.value))), 0


def _matmul(op, physical, bdims, params, size):
    """matmul with NumPy's broadcasting: batch dims to the front; a batched vector becomes a
    one-row (or one-column) matrix and that dim is squeezed after; the batched operands get
    size-1 dims so that their logical batch dims line up with the other operand's."""
    (a, b), (da, db) = physical, bdims
    ra, rb = _logical_ndim(a, da), _logical_ndim(b, db)
    a, b = _to_front(a, da), _to_front(b, db)
    # A batch of vectors against one matrix is one matrix product (a GEMM, not a stack of
    # matrix-vector products).
    if da is not None and db is None and ra == 1 and rb == 2:
        return apply(op, a, b), 0
    if da is None and db is not None and ra == 2 and rb == 1:
        return apply(op, b, a.mT), 0
    # A batch of matrices against one matrix: fold the batch into the rows (or columns) so
    # NumPy makes one GEMM call instead of one per batch element.
    if da is not None and db is None and ra >= 2 and rb == 2:
        n = a.shape[-1]
        rows = math.prod(a.shape[:-1])  # not -1: n may be 0
        out = apply(op, a.reshape((rows, n)), b)
        return out.reshape(tuple(a.shape[:-1]) + (b.shape[-1],)), 0
    if da is None and db is not None and ra in (1, 2) and rb == 2:
        n, m = b.shape[1], b.shape[2]
        cols = b.permute((1, 0, 2)).reshape((n, size * m))
        out = apply(op, a, cols)  # (k, B*m), or (B*m,) for a vector a
        if ra == 1:
            return out.reshape((size, m)), 0
        return out.reshape((a.shape[0], size, m)), 1
    a_vec = da is not None and ra == 1
    b_vec = db is not None and rb == 1
    if a_vec:
        a, ra = a.unsqueeze(-2), 2
    if b_vec:
        b, rb = b.unsqueeze(-1), 2
    lead = max(ra - 2, rb - 2, 0)
    if da is not None and ra - 2 < lead:
        a = a.reshape((size,) + (1,) * (lead - ra + 2) + tuple(a.shape[1:]))
    if db is not None and rb - 2 < lead:
        b = b.reshape((size,) + (1,) * (lead - rb + 2) + tuple(b.shape[1:]))
    out = apply(op, a, b)
    if b_vec:
        out = out.squeeze(-1)
    if a_vec:
        out = out.squeeze(-1 if b_vec or rb == 1 else -2)
    return out, 0


def _join(op, physical, bdims, params, size):
    """cat / stack: every input batched at the front (unbatched ones expanded), dim + 1."""
    parts = [_front(p, d, size) for p, d in zip(physical, bdims)]
    return apply(op, *parts, dim=params["dim"] + 1), 0


def per_element(refusal: str):
    """A rule for an op whose output's shape is decided by its input's values: one call per
    batch element, stacked, where the shapes agree; where they differ, one batched tensor
    cannot hold the result, and the rule raises ``refusal`` (torch.func's message for the op)
    with the shapes. Like the per-element loop of an op without a rule, it is logged in
    ``_batching.fallbacks``, but it does not warn: it is the op's batching, not a gap."""

    def rule(op, physical, bdims, params, size):
        from ._batching import LOOP_HINT, note_fallback
        from ._ops.shape import stack

        note_fallback(op.name)
        outs = [
            apply(
                op,
                *[p.select(d, b) if d is not None else p for p, d in zip(physical, bdims)],
                **params,
            )
            for b in range(size)
        ]
        shapes = [tuple(o.shape) for o in outs]
        if len(set(shapes)) > 1:
            raise RuntimeError(
                f"{refusal} (dualgrad runs '{op.name}' once per batch element where the shapes "
                f"agree; here they are {shapes}){LOOP_HINT}"
            )
        return stack(outs, 0), 0

    return rule
