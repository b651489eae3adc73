"""vmap as a level: batched tensors and the batching rules the dispatcher applies to them.

# NOTE: [vmap levels]
Inside ``vmap`` every mapped input is a ``BatchedTensor``: a *physical* tensor (``_value``,
which may itself be batched at a lower level or carry tangents of lower dual levels) with a
batch dim (``_bdim``) that belongs to the vmap level ``_vlevel``. User code sees the *logical*
tensor, the physical one without that dim. When the highest level among an op's inputs is a vmap
level, the dispatcher calls ``apply_batched``: the op's batching rule maps the call to one
call on physical tensors (re-entering the dispatcher one level down), so batched work is one
NumPy call; an op without a rule runs once per batch element and stacks (correct, slower).

Reverse mode inside vmap records on a tape of the transform's own level (NOTE: [grad under
vmap] in _grad_levels.py), so ``vmap(grad(f))`` is batched too. Where only the per-element run
is known to be right the batched path raises ``NeedsLoop`` and ``dualgrad.func.vmap`` runs the
function once per batch element instead: Python control flow on batched values, recording on
the ordinary tape under a dual level above a vmap level, ``make_dual`` of a batched primal at a
level below, and a custom Function on a transform's tape inside vmap.
The ordinary tape runs happily *below* vmap: ``grad(vmap(f))`` records physical ops, and
``jacrev = vmap(vjp)`` runs a recorded backward on batched cotangents without recording.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _grad_levels, _levels
from ._grad_mode import state as _grad_state
from ._errors import NeedsLoop
from ._tensor import Tensor


class _Logical:
    """What ``._data`` of a batched tensor is: its logical shape and dtype, and no values."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self):
        return self.dtype.itemsize

    def _refuse(self, *args, **kwargs):
        # Code that needs the values of a batched tensor (item(), NumPy on ._data, Python
        # control flow on values) runs per batch element instead.
        raise NeedsLoop(
            "the function reads the values of a batched tensor (Python control flow, item(), "
            "NumPy on its data), which one batched call cannot do"
        )

    __array__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __getitem__ = _refuse
    __bool__ = __float__ = __int__ = __iter__ = __len__ = _refuse
    __hash__ = None

    def __getattr__(self, name):
        self._refuse()


class BatchedTensor(Tensor):
    """A logical tensor inside vmap: ``_value`` with batch dim ``_bdim`` at level ``_vlevel``."""

    @classmethod
    def wrap(cls, value, bdim, level):
        t = object.__new__(cls)
        t.__dict__["_value"] = value
        t.__dict__["_bdim"] = bdim
        t.__dict__["_vlevel"] = level
        return t

    @property
    def _data(self):
        v = self._value._data
        shape = v.shape[: self._bdim] + v.shape[self._bdim + 1 :]
        return _Logical(shape, v.dtype)

    # Reverse mode on a batched tensor is *logical*: it belongs to a transform called inside
    # this vmap (NOTE: [grad under vmap] in _grad_levels.py). The physical tensor keeps its own.
    @property
    def _requires_grad(self):
        return self.__dict__.get("_lrg", False)

    @_requires_grad.setter
    def _requires_grad(self, flag):
        self.__dict__["_lrg"] = flag

    def requires_grad_(self, requires_grad=True):
        if requires_grad:
            raise NeedsLoop("requires_grad_ on a batched tensor")
        return self

    def _alias_hook(self, below_level=None):
        t = BatchedTensor.wrap(self._value, self._bdim, self._vlevel)
        if self._fw:
            kept = {
                lv: tan for lv, tan in self._fw.items() if below_level is None or lv < below_level
            }
            if kept:
                from ._tensor import set_tangent

                for lv, tan in kept.items():
                    set_tangent(t, lv, tan)
        if self._requires_grad:  # keep the logical edge: gradients reach this tensor's node
            from ._tensor import alias

            d = self.__dict__
            for name in ("grad_fn", "_out_nr", "_lrg", "_acc", "_glevel"):
                if name in d:
                    t.__dict__[name] = d[name]
            if self.grad_fn is None:
                self._edge()
                t.__dict__["_acc"] = self._acc
            if self._below is not None:
                t._below = alias(self._below, below_level)
                # the same memory on the same tape: a view of the alias is one of the original
                # (NOTE: [in-place on a transform's tape] in _inplace.py)
                t.__dict__["_view_root"] = d.get("_view_root", self)
                t.__dict__["_view_chain"] = d.get("_view_chain", ())
        return t

    def _edge(self):
        if self._requires_grad:
            return Tensor._edge(self)
        if _grad_levels.requires_grad_anywhere(self._value):
            raise NeedsLoop("backward from a batched tensor inside vmap")
        return None

    def _without_history(self):
        from ._tensor import detach_history, set_tangent

        t = BatchedTensor.wrap(detach_history(self._value), self._bdim, self._vlevel)
        if self._fw:
            for lv, tan in self._fw.items():
                set_tangent(t, lv, tan)
        return t

    def detach(self):
        return BatchedTensor.wrap(self._value.detach(), self._bdim, self._vlevel)

    def item(self):
        # torch.func.vmap refuses .item() (and float(), int()) on a batched tensor: a Python
        # number cannot hold one value per batch element. Control flow on values still runs
        # per element (NOTE: [vmap levels]); item() says so at the point, as torch does.
        raise RuntimeError(
            "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
            "calling .item() on a Tensor, please try to rewrite what you're doing with other "
            "operations. If error is occurring somewhere inside PyTorch internals, please file a "
            "bug report."
        )

    def __repr__(self):
        return f"BatchedTensor(level={self._vlevel}, bdim={self._bdim}, value={self._value!r})"


def live_level(x):
    """The vmap level of ``x`` if ``x`` is batched at a live level, else None."""
    if isinstance(x, BatchedTensor):
        level = _levels.get(x._vlevel)
        if level is None:
            raise RuntimeError(
                "a batched tensor escaped its vmap (it was stored outside the function and used "
                "after vmap returned); return it from the function instead"
            )
        return x._vlevel
    return None


# ------------------------------------------------------------------ the batched call
def apply_batched(op, args, params, level):
    """Run ``op`` on ``args`` where ``level`` (a vmap level) is the highest level among them."""
    physical, bdims = [], []
    for a in args:
        if isinstance(a, BatchedTensor) and a._vlevel == level:
            if a._fw:
                raise NeedsLoop("tangents on a batched tensor at the vmap frame")
            physical.append(a._value)
            bdims.append(a._bdim)
        else:
            physical.append(a)
            bdims.append(None)
    size = next(p.shape[d] for p, d in zip(physical, bdims) if d is not None)
    rule = op.batch
    result = rule(op, physical, bdims, params, size) if rule is not None else NotImplemented
    if result is NotImplemented:
        result = _loop(op, physical, bdims, params, size)
    out = _wrap_result(op, result, level)
    mark_shared(op, args, out)
    return out


def _wrap_result(op, result, level):
    out, bdim = result
    if op.multi_output:
        return tuple(BatchedTensor.wrap(o, bdim, level) for o in out)
    return BatchedTensor.wrap(out, bdim, level)


# Two records of view ops on batched tensors (NOTE: [in-place on a transform's tape] in
# _inplace.py): ``mark_shared``, after every one, says that memory is shared and what the view
# views, which is enough to refuse a write whose effect on the others is not followed;
# ``note_view``, where history or tangents are carried (on a transform's tape, or under a dual
# level above vmap), keeps what following it needs: the root, the chain, the live views.
def mark_shared(op, args, out) -> None:
    """After a view op on batched tensors: mark the logical tensors whose memory is now
    shared, input and output, and what the output views."""
    if not op.view:
        return
    for t in (*args, out):
        if isinstance(t, BatchedTensor):
            t.__dict__["_shares_memory"] = True
    if isinstance(out, BatchedTensor) and isinstance(args[0], BatchedTensor):
        out.__dict__["_view_of"] = args[0]


def note_view(base, out, op, params) -> None:
    """Remember that ``out``, made by view op ``op`` from ``base``, shares its memory: its
    root, the chain of view ops from the root, and, on the root, its live views, so that a
    write into any of them can give the others their new history and tangents (NOTE:
    [in-place on a transform's tape] in _inplace.py). Only batched tensors whose values do
    share memory (a reshape may copy), and each view once."""
    if not (isinstance(base, BatchedTensor) and isinstance(out, BatchedTensor)) or (
        "_view_root" in out.__dict__ or not np.may_share_memory(_array(out), _array(base))
    ):
        return
    d = base.__dict__
    root = d.get("_view_root", base)
    out.__dict__["_view_root"] = root
    out.__dict__["_view_chain"] = d.get("_view_chain", ()) + ((op, params),)
    root.__dict__.setdefault("_live_views", []).append(weakref.ref(out))


def _array(t):
    """The NumPy array under a (possibly nested) batched tensor."""
    while isinstance(t, BatchedTensor):
        t = t._value
    return t._data


def viewed_with_history(t) -> bool:
    """Whether ``t`` is a view (made by a view op inside vmap, maybe under no_grad) of a
    tensor with history on a transform's tape: a write into it must reach that history."""
    while t is not None:
        if t._requires_grad:
            return True
        t = t.__dict__.get("_view_of")
    return False


_warned: set = set()
# Every fallback taken, in order: an op's name for a per-op loop, "per-element run" when vmap
# ran the whole function once per element. The op table reads it to check that no op loops.
fallbacks: list = []


def note_fallback(what: str) -> None:
    """Log a fallback; only the latest ones are kept (a long run must not grow it forever)."""
    if len(fallbacks) >= 1000:
        del fallbacks[:500]
    fallbacks.append(what)


def _loop(op, physical, bdims, params, size):
    """The fallback: one call per batch element, stacked along a new dim 0 (warns once per op)."""
    from ._ops.shape import stack

    note_fallback(op.name)
    if op.name not in _warned:
        _warned.add(op.name)
        warnings.warn(
            f"vmap: op '{op.name}' has no batching rule; it runs once per batch element "
            "(correct, but a Python loop)",
            UserWarning,
            stacklevel=3,
        )
    outs = []
    for b in range(size):
        sliced = [p.select(d, b) if d is not None else p for p, d in zip(physical, bdims)]
        outs.append(apply(op, *sliced, **params))
    if op.multi_output:
        return tuple(stack([o[k] for o in outs], 0) for k in range(len(outs[0]))), 0
    return stack(outs, 0), 0


# ------------------------------------------------------------------ rules
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
    rank = max(
        (_logical_ndim(p, d) for p, d in zip(physical, bdims) if isinstance(p, Tensor)), default=0
    )
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
    return apply(op, *aligned, **params), 0


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
        rows = int(np.prod(a.shape[:-1], dtype=np.int64))  # not -1: n may be 0
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


def _linear(op, physical, bdims, params, size):
    """linear(x, w) is matmul(x, w^T): the weight transposed in its logical dims, then the
    matmul rule (which folds a batch into one GEMM)."""
    (x, w), (dx, dw) = physical, bdims
    w_t = w.mT if dw is None else _to_front(w, dw).mT
    return _matmul(_MATMUL[0], [x, w_t], [dx, None if dw is None else 0], params, size)


def _join(op, physical, bdims, params, size):
    """cat / stack: every input batched at the front (unbatched ones expanded), dim + 1."""
    parts = [_front(p, d, size) for p, d in zip(physical, bdims)]
    return apply(op, *parts, dim=params["dim"] + 1), 0


_MATMUL: list = []  # the matmul op (linear's rule calls matmul's)
apply = None  # the dispatcher's apply, bound by _batching_rules.declare_rules (the dispatcher
# imports this module, so it cannot import the dispatcher)


_ = _grad_state
