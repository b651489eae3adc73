"""vmap's wrapper: the BatchedTensor, and the records that follow views among batched tensors.

A ``BatchedTensor`` is a logical tensor inside ``vmap``: a physical tensor (``_value``) with a
batch dim (``_bdim``) of vmap level ``_vlevel``. The level that processes ops on it is
``VmapLevel`` (NOTE: [vmap levels] in _vmap_level.py); this module imports no dispatcher, so
the op table can ask ``isinstance(x, BatchedTensor)``.
"""

from __future__ import annotations

import math

import numpy as np

from ._grad_mode import state as _grad_state
from ._tensor import (
    TENSOR_INSTANCE_NAMES,
    enter_instance_names,
    inner,
    requires_grad_anywhere,
    Tensor,
)
from ._views import PIECES, VIEW_INSTANCE_NAMES, _View, mark_multi


class _Logical:
    """What ``._data`` of a batched tensor is: its logical shape, dtype and layout (the physical
    array's strides without the batch dim, as functorch's BatchedTensor reports them), and no
    values."""

    __slots__ = ("shape", "dtype", "strides", "_physical")

    def __init__(self, shape, dtype, strides, physical):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.strides = tuple(strides)
        self._physical = physical  # the physical array (or _Logical), whose flags can change

    @property
    def writeable(self):
        return self._physical.flags.writeable

    @property
    def flags(self):
        return _Flags(self)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    # NOTE: [reading batched values] A batched tensor has one value per batch element, so
    # nothing that needs *the* value (a Python bool, float or int, NumPy on the data) can be
    # computed in the batched run. Each raises where it happens, with torch.func's message
    # where torch has one; a per-element run is the caller's choice, made before the call
    # (NOTE: [asked-for loops] in func/_transforms.py), never taken behind their back.
    def _refuse(self, *args, **kwargs):
        raise RuntimeError(NUMPY_ON_BATCHED)

    def _refuse_bool(self):
        raise RuntimeError(CONTROL_FLOW)

    def _refuse_number(self):
        raise RuntimeError(ITEM)

    __array__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __getitem__ = _refuse
    __iter__ = __len__ = _refuse
    __bool__ = _refuse_bool
    __float__ = __int__ = __index__ = _refuse_number
    __hash__ = None

    def __getattr__(self, name):
        self._refuse()


LOOP_FIX = (
    "to run the function once per batch element instead, pass fallback='loop' to dualgrad.func.vmap"
)
LOOP_HINT = f" (dualgrad: {LOOP_FIX})"
CONTROL_FLOW = (
    "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. "
    "We don't support that yet, please file an issue at https://github.com/pytorch/pytorch/issues ."
    + LOOP_HINT
)
ITEM = (
    "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
    "calling .item() on a Tensor, please try to rewrite what you're doing with other "
    "operations. If error is occurring somewhere inside PyTorch internals, please file a "
    "bug report." + LOOP_HINT
)
NUMPY_ON_BATCHED = (
    "vmap: the values of a batched tensor were read as one array (.numpy(), .tolist(), "
    "np.asarray, or an op that reads its data): inside vmap a tensor holds one value per batch "
    "element; write it with dualgrad ops" + LOOP_HINT
)


class _Flags:
    """The ``flags`` of NumPy that code reads on ``_data``: layout, never values."""

    __slots__ = ("c_contiguous", "f_contiguous", "writeable")

    def __init__(self, logical):
        shape, strides, size = logical.shape, logical.strides, logical.dtype.itemsize
        self.c_contiguous = _dense(shape[::-1], strides[::-1], size)
        self.f_contiguous = _dense(shape, strides, size)
        self.writeable = logical.writeable


def _dense(shape, strides, itemsize) -> bool:
    """Whether dims laid out innermost first are contiguous (NumPy's rule: size-1 dims and
    empty arrays do not count)."""
    if 0 in shape:
        return True
    expected = itemsize
    for n, stride in zip(shape, strides):
        if n != 1 and stride != expected:
            return False
        expected *= n
    return True


class BatchedTensor(Tensor):
    """A logical tensor inside vmap: ``_value`` with batch dim ``_bdim`` at level ``_vlevel``."""

    _bdim = 0

    @classmethod
    def wrap(cls, value, bdim, level):
        t = object.__new__(cls)
        t._value = value
        t._bdim = bdim
        t._vlevel = level
        return t

    # NOTE: [logical data cached] ``_data`` is read many times per op under vmap (shapes and
    # dtypes by the op's checks, its batching rule, the engine's dtype check per gradient), and
    # each read made a _Logical: ~150 per 64x64 jacrev(jacrev). The last one is kept with the
    # physical array and batch dim it was made from; a new physical value (an in-place shape
    # change swaps ``_value`` and ``_bdim``) makes a new one. NumPy arrays' shapes are never
    # set in place here, and ``writeable`` is read from the physical array when asked.
    _logical = None

    @property
    def _data(self):
        v = self._value._data
        d = self._bdim
        cached = self._logical
        if cached is not None and cached[0] is v and cached[1] == d:
            return cached[2]
        logical = _Logical(
            v.shape[:d] + v.shape[d + 1 :], v.dtype, v.strides[:d] + v.strides[d + 1 :], v
        )
        self._logical = (v, d, logical)
        return logical

    # (``_requires_grad`` of a batched tensor is *logical*: it belongs to a transform called
    # inside this vmap, NOTE: [grad under vmap] in _grad_levels.py; the physical tensor keeps
    # its own)

    def requires_grad_(self, requires_grad=True):
        if requires_grad:
            raise RuntimeError(
                "You are attempting to call Tensor.requires_grad_() (or perhaps using "
                "torch.autograd.functional.* APIs) inside of a function being transformed by a "
                "functorch transform. This is unsupported, please attempt to use the functorch "
                "transforms (e.g. grad, vjp, jacrev, jacfwd, hessian) or call requires_grad_() "
                "outside of a function being transformed instead." + LOOP_HINT
            )
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

            t.grad_fn, t._out_nr, t._requires_grad = self.grad_fn, self._out_nr, True
            t._acc, t._glevel = self._acc, self._glevel
            if self.grad_fn is None:
                self._edge()
                t._acc = self._acc
            if self._below is not None:
                t._below = alias(self._below, below_level)
        return t

    def _edge(self):
        if self._requires_grad:
            return Tensor._edge(self)
        if requires_grad_anywhere(self._value):
            raise RuntimeError(
                "backward() called inside a functorch transform. This is not supported, please "
                "use functorch.grad or functorch.vjp instead or call backward() outside of "
                "functorch transforms." + LOOP_HINT
            )
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

    # torch.func's refusals, at the point (NOTE: [reading batched values])
    def item(self):
        raise RuntimeError(ITEM)

    def __bool__(self):
        raise RuntimeError(CONTROL_FLOW)

    def numpy(self, *, force=False):
        raise RuntimeError(NUMPY_ON_BATCHED)

    tolist = __array__ = numpy

    def __repr__(self):
        return f"BatchedTensor(level={self._vlevel}, bdim={self._bdim}, value={self._value!r})"


class BatchedView(_View, BatchedTensor):
    """A batched tensor made by a view op: a view of a logical root, as on the ground
    (NOTE: [views at every level] in _views.py)."""


def wrapped(t) -> bool:
    """Whether ``t`` is a wrapper (batched, or on a transform's tape: NOTE: [wrappers])."""
    return isinstance(t, BatchedTensor) or (isinstance(t, Tensor) and t._below is not None)


def view_at_level(parent, out, op, params):
    """``out``, the result of view op ``op`` on ``parent`` at a wrapper level, as a view of
    ``parent``'s root: its root, the chain of view ops from it, the root's version counter
    (NOTE: [views at every level] in _views.py). Only where the values do share memory (a
    reshape may copy); the outputs of a multi-output view op are views by their pieces (NOTE:
    [multi-output views] in _views.py)."""
    if type(out) is tuple:
        pieces = PIECES[op](**params)
        views = tuple(view_at_level(parent, o, p_op, p) for o, (p_op, p) in zip(out, pieces))
        return mark_multi(views, op.node_name[: -len("Backward0")])
    if not (wrapped(parent) and wrapped(out)):
        return out
    raw = _array(out)
    if raw.size and not (
        np.may_share_memory(raw, _array(parent)) or (raw.ndim == 0 and op.name == "select")
    ):
        return out
    # Made before the level records its node, so the only field a view derives lazily that
    # the new wrapper may hold is its tangents (lifted with it): they move to the view's slot
    # (NOTE: [views and in-place])
    fw = out._fw
    if fw is not None:
        del out._fw
    out.__class__ = BatchedView if isinstance(out, BatchedTensor) else _View
    out._fwd = fw
    if isinstance(parent, _View):
        out._base, out._chain = parent._base, parent._chain + ((op, params),)
        out._view_tracked = parent._view_tracked and op.differentiable
    else:
        out._base, out._chain = parent, ((op, params),)
        out._view_tracked = op.differentiable
    out._vc = vc = out._base._version_counter()
    out._view_version = vc[0]
    if not _grad_state.enabled:
        out._view_grad = False
    return out


def _array(t):
    """The NumPy array under a (possibly nested) wrapper."""
    while wrapped(t):
        t = inner(t)
    return t._data


# Every fallback taken, in order: an op's name for a per-op loop, "per-element run" when vmap
# ran the whole function once per element. The op table reads it to check that no op loops.
_warned: set = set()  # the ops whose per-element loop has warned (_vmap_level._loop)
fallbacks: list = []


def note_fallback(what: str) -> None:
    """Log a fallback; only the latest ones are kept (a long run must not grow it forever)."""
    if len(fallbacks) >= 1000:
        del fallbacks[:500]
    fallbacks.append(what)


# ------------------------------------------------------------------ the wrapper protocol
# NOTE: [wrappers] The two wrapper levels hold their values the same way: a wrapper tensor
# stands for ``inner(t)``, the tensor one level down (a BatchedTensor's physical ``_value``, a
# tape tensor's ``_below``: NOTE: [grad under vmap] in _grad_levels.py); the level's
# ``process`` unwraps its inputs, re-enters the dispatcher below, and wraps the results.
# (``inner`` and ``requires_grad_anywhere`` live in _tensor.py, beside the fields they read,
# so the view model below this module uses them too)


def grad_below(t, level: int) -> bool:
    """Whether ``t`` (or a tensor it wraps) requires grad on a tape below ``level``."""
    while isinstance(t, Tensor):
        if t._requires_grad and t._glevel < level:
            return True
        t = t._value
    return False


# NOTE: [instance attribute keys] in _tensor.py
_BATCHED_NAMES = ("_value", "_bdim", "_vlevel", "_logical")
enter_instance_names(BatchedTensor, TENSOR_INSTANCE_NAMES + _BATCHED_NAMES)
enter_instance_names(BatchedView, VIEW_INSTANCE_NAMES + _BATCHED_NAMES)
