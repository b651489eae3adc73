"""In-place ops: ``x.op_(...)``, ``x[i] = v``, ``zero_``/``fill_``/``copy_``, as PyTorch makes
them (see NOTE: [in-place ops] below and NOTE: [views and in-place] in _views.py)."""

from __future__ import annotations


import numpy as np

from . import _dtype
from ._batching import BatchedTensor
from ._errors import cannot_batch
from ._grad_mode import state as _grad_state
from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import shape as S
from ._tensor import INPLACE_EPOCH, Tensor, alias, bump_version, set_tangent
from ._ops import view_scatter as VS
from ._views import _View, multi_error, scatter_into

# NOTE: [in-place ops]
# An in-place op ``x.op_(...)`` is the out-of-place op on a snapshot of x (``_source``), then
# ``_commit_inplace``: checks as PyTorch makes them (leaf, view of a leaf, shape, dtype cast,
# expanded memory), the write into x's buffer, a version bump, and x's new history and
# tangents. On a view the new history goes to the base (NOTE: [views and in-place] in
# _views.py). The op's node saved its output (exp_'s, sigmoid_'s) as a tensor of its own;
# after the write that output is x, so the saved output takes x's version counter, at x's
# new version: a later write into x (or a view of it) makes the node refuse, as torch's does.

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_NO_GRAD_VIEW_ERROR = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled "
    "({name}). Given that this use case is ambiguous and error-prone, it is forbidden. You can "
    "clarify your code by moving both the view and the inplace either both inside the no_grad "
    "block (if you don't want the inplace to be tracked) or both outside (if you want the "
    "inplace to be tracked)."
)
_VIEW_OF_LEAF_ERROR = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def _tracks(x: Tensor) -> bool:
    """Whether an in-place op on ``x`` must keep a history or tangents."""
    return bool((_grad_state.enabled and x._requires_grad) or x._fw)


def _check_inplace(x: Tensor, out: Tensor, name: str) -> None:
    if _grad_state.enabled:
        if isinstance(x, _View):
            base = x._base
            if x._multi is not None and (base._requires_grad or out._requires_grad):
                raise multi_error(
                    x._multi, "is being modified inplace"
                )  # NOTE: [multi-output views]
            if base._requires_grad and base.grad_fn is None:
                raise RuntimeError(
                    _VIEW_OF_LEAF_ERROR + f" ({name}) Do it under 'with dualgrad.no_grad():' "
                    "or on a clone."
                )
            if not x._view_grad and base._requires_grad:
                raise RuntimeError(_NO_GRAD_VIEW_ERROR.format(name=name))
        elif x._requires_grad and x.grad_fn is None:
            raise RuntimeError(
                _LEAF_ERROR + f" ({name}) Do it under 'with dualgrad.no_grad():' or on a clone."
            )
    if out._data.shape != x._data.shape:
        raise RuntimeError(
            f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
            f"{list(out._data.shape)}"
        )
    out_dt = out._data.dtype
    if out_dt != x._data.dtype and _dtype.from_numpy_dtype(out_dt).category > x.dtype.category:
        raise RuntimeError(
            f"result type {_dtype.torch_name(out_dt.name)} can't be cast to the "
            f"desired output type {_dtype.torch_name(x._data.dtype.name)}"
        )
    if not x._data.flags.writeable and x._data.size:  # (nothing is written into an empty one)
        # NOTE: [read-only arrays] Memory that is read-only without overlapping elements is a
        # NumPy array the user made read-only (from_numpy warned): torch would write into it
        # (undefined behaviour); dualgrad refuses and says how to get a writable tensor.
        data = x._data
        if not _overlaps(data):
            raise RuntimeError(
                f"{name}: this tensor shares memory with a read-only NumPy array (from_numpy of a "
                "non-writable array, e.g. a memory map opened read-only), "
                "so it cannot be written in place; use dualgrad.tensor(array) or "
                "from_numpy(array.copy()) for a writable copy"
            )
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location. Please clone() the tensor before performing the "
            "operation (an expanded tensor, or overlapping unfold windows, cannot be written in place)."
        )


def _overlaps(data: np.ndarray) -> bool:
    """Whether two elements of ``data`` may share a memory location: an expanded dim, or
    windows that overlap (unfold with step < size: NOTE: [unfold views] in _ops/reindex.py).
    With the dims ordered by stride, each stride must pass the span of the dims below it."""
    span = 0
    for st, n in sorted((abs(st), n) for st, n in zip(data.strides, data.shape) if n > 1):
        if st <= span:
            return True
        span += st * (n - 1)
    return False


def _commit_inplace(x: Tensor, out: Tensor, name: str, src: Tensor | None = None) -> Tensor:
    """Make ``x`` hold ``out``: its values (in x's own buffer), history and tangents.

    ``src`` is the snapshot ``out`` was computed from: when ``out`` carries no history (an
    integer-valued op such as ``eq_``) x keeps one that gives its old value a zero gradient,
    as PyTorch's ``EqBackward0`` does.
    """
    if (
        isinstance(x, BatchedTensor)
        or isinstance(out, BatchedTensor)
        or (x._below is not None and x._requires_grad)
    ):
        return _commit_wrapped(x, out, name)
    _check_inplace(x, out, name)
    if not x._data.flags.writeable:  # an empty region of an expanded tensor: nothing to write
        return x
    if isinstance(x, _View):
        return _commit_view_inplace(x, out)
    if (
        x._base is not None
        and (out._requires_grad or out._fw)
        and (x._base._requires_grad or x._requires_grad or x._base._fw)
    ):  # a dual from make_dual shares its primal's memory but is not a view op's output
        raise RuntimeError(
            f"{name}: in-place modification of a dual tensor made by make_dual whose primal "
            "requires grad or carries a tangent is not supported; make the dual from a clone"
        )
    if src is not None and _tracks(src) and not (out._requires_grad or out._fw):
        out = E.where(_false_mask(x), src, out.to(x.dtype))
    if (out._requires_grad or out._fw) and out._data.dtype != x._data.dtype:
        out = out.to(x.dtype)
    if out._requires_grad and out.grad_fn is None and _grad_state.enabled:
        out = E.clone(out)  # x.copy_(leaf): x gets a node of its own, not the leaf's identity
    np.copyto(x._data, out._data, casting="unsafe")
    bump_version(x)
    _saved_output_is(x._vc, out)
    _take_history(x, out)
    return x


def _saved_output_is(vc, out):
    """The node of ``out`` saved it: from now on that saved output is the written tensor, with
    version counter ``vc`` at its current version (NOTE: [in-place ops])."""
    node = out.grad_fn
    saved = getattr(node, "out", None) if node is not None and out._requires_grad else None
    if saved is None:
        return
    if type(saved) is tuple:
        saved = saved[out._out_nr]
    saved._vc = vc
    saved._saved_version = vc[0]


# NOTE: [in-place on a wrapper]
# Inside vmap a tensor is a wrapper (NOTE: [wrappers] in _batching.py): a BatchedTensor over its
# physical value, or, on a transform's tape (``vmap(grad(f))``), a logical tensor over
# ``_below``. A write into one is the ground's write one level up: the values are written one
# level down (``inner``: the physical tensor, which keeps its own history and tangents), and at
# this level x takes out's history and tangents, through its root if x is a view (CopySlices:
# ``view_scatter``); the shared version moves, so every other view of the root re-derives its
# history and tangents lazily, as on the ground (NOTE: [views at every level] in _views.py).
# The write itself is an op on wrappers, so the level it belongs to records it.
def _commit_wrapped(x: Tensor, out: Tensor, name: str) -> Tensor:
    """In-place inside vmap (NOTE: [in-place on a wrapper])."""
    if isinstance(out, BatchedTensor) and (
        not isinstance(x, BatchedTensor) or out._vlevel > x._vlevel
    ):
        # x is not batched at the level of the value written: torch.func.vmap refuses this at
        # the op, and so do we (a per-element run would write into x once per element)
        raise RuntimeError(
            f"vmap: {name}(self, *extra_args) is not possible because there exists a Tensor `other` in "
            "extra_args that has more elements than `self`. This happened due to `other` being vmapped "
            "over but `self` not being vmapped over in a vmap. Please try to use out-of-place operators "
            f"instead of {name}. If said operator is being called inside the PyTorch framework, please "
            "file a bug report instead."
        )
    view = isinstance(x, _View)
    root = x._base if view else x
    if view and not all(op.differentiable for op, _ in x._chain):
        out = out.detach()  # through view(dtype): bytes change, not history (NOTE: [dtype views])
    on_tape = x._requires_grad and x._below is not None
    if not (on_tape or x._requires_grad or x._fw) and out._requires_grad and out._glevel >= 0:
        # a batched constant (or a view of one) takes a value with history on a tape: it joins
        # the tape (NOTE: [grad under vmap] in _grad_levels.py)
        for t in {id(root): root, id(x): x}.values():
            t._below = BatchedTensor.wrap(t._value, t._bdim, t._vlevel)
            t._glevel = out._glevel
        on_tape = True
    elif on_tape and root.grad_fn is None and _grad_state.enabled:
        raise RuntimeError(
            (_VIEW_OF_LEAF_ERROR if view else _LEAF_ERROR)
            + f" ({name}) Do it under 'with dualgrad.no_grad():' or on a clone."
        )
    if (on_tape and out._glevel != x._glevel) or (not on_tape and out._requires_grad):
        raise cannot_batch(f"{name}: an in-place write of a value with history on another tape")
    if view and _grad_state.enabled:  # as on the ground
        if x._multi is not None and (root._requires_grad or out._requires_grad):
            raise multi_error(x._multi, "is being modified inplace")  # [multi-output views]
        if not x._view_grad and root._requires_grad:
            raise RuntimeError(_NO_GRAD_VIEW_ERROR.format(name=name))
    carried = on_tape or x._fw or out._fw  # history or tangents the write must update
    if carried and view:  # the root's new history and tangents (CopySlices)
        new_root = VS.view_scatter(root, out, x._chain)
    if on_tape:  # the values, one level down
        _commit_inplace(x._below, out._below, name)
    else:
        if out._data.shape != x._data.shape:
            raise RuntimeError(
                f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
                f"{list(out._data.shape)}"
            )
        if isinstance(out, BatchedTensor) and out._vlevel == x._vlevel:
            phys = out._value if out._bdim == x._bdim else out._value.movedim(out._bdim, x._bdim)
        else:  # the same for every element of x's vmap
            phys = out.unsqueeze(x._bdim).expand(*x._value.shape)
        _commit_inplace(x._value, phys, name)
    bump_version(root)  # (shared with its views, which re-derive lazily)
    if carried:
        _take_history(root, new_root if view else out)
        _saved_output_is(root._version_counter(), out)
    return x


def _snapshot_on_tape(x: Tensor) -> Tensor:
    """``_source`` for a tensor on a transform's tape inside vmap: a copy of its values, below
    and on the tape alike, with x's edges (NOTE: [in-place on a wrapper])."""
    below = _snapshot(x._below)
    if isinstance(x, BatchedTensor):
        snap = x._alias_hook()
        snap._value = below._value
    else:  # an unbatched tensor on the tape (vmap(grad(f), in_dims=None) for it)
        snap = alias(x)
        snap._data = below._data
        snap._vc = None
    snap._below = below
    return snap


def _snapshot(t: Tensor) -> Tensor:
    """A copy of ``t``'s values that keeps its edges and tangents (a batched tensor: its
    physical value copied)."""
    if t._below is not None:
        return _snapshot_on_tape(t)
    if isinstance(t, BatchedTensor):
        snap = t._alias_hook()
        snap._value = _snapshot(t._value)
        return snap
    src = alias(t)
    src._data = t._data.copy()
    src._vc = None
    src._base = None
    return src


def _take_history(x: Tensor, out: Tensor) -> None:
    if out._requires_grad and out.grad_fn is not None:
        x.grad_fn, x._out_nr, x._requires_grad = out.grad_fn, out._out_nr, True
        if out._glevel != x._glevel and not isinstance(x, BatchedTensor):
            _join_tape(x, out)
    if out._fw:
        x._fw = None
        for level, tangent in out._fw.items():
            set_tangent(x, level, tangent)
    elif x._fw:
        x._fw = None


def _join_tape(x: Tensor, out: Tensor) -> None:
    """``x``, which had no history on the transform's tape that ``out`` is on (a constant made
    inside ``vmap(grad(f))``), takes the write of ``out``: it becomes a tensor of that tape
    (NOTE: [grad under vmap] in _grad_levels.py), standing for its own memory with the history
    ``out`` has below the tape."""
    x._glevel = out._glevel
    if out._below is not None:
        below = Tensor._make(x._data)
        below._vc = x._version_counter()
        _take_history(below, out._below)
        x._below = below


def _commit_view_inplace(x: Tensor, out: Tensor) -> Tensor:
    """In-place on a view: the base gets ``view_scatter(base, out)`` as its new history
    (NOTE: [views and in-place] in _views.py); x re-derives its own from the base lazily."""
    base = x._base
    vc = x._version_counter()
    # through a view autograd cannot see (view(dtype)): the bytes change, the base's history
    # does not, as in torch (NOTE: [dtype views] in _ops/shape.py)
    tracked = all(op.differentiable for op, _ in x._chain)
    if tracked and (
        (_grad_state.enabled and (base._requires_grad or out._requires_grad)) or base._fw or out._fw
    ):
        if out._data.dtype != x._data.dtype:
            out = out.to(x.dtype)
        new_base = VS.view_scatter(alias(base), out, x._chain)
        np.copyto(base._data, new_base._data)
        if not x._view_shares:
            np.copyto(x._data, out._data, casting="unsafe")
        vc[0] += 1
        INPLACE_EPOCH[0] += 1
        _saved_output_is(vc, out)
        _take_history(base, new_base)
    else:
        if x._view_shares:
            np.copyto(x._data, out._data, casting="unsafe")
        else:
            value = out._data.astype(x._data.dtype, copy=False)
            scatter_into(base._data, x._chain, value)
            np.copyto(x._data, value)
        vc[0] += 1
        INPLACE_EPOCH[0] += 1
    return x


def _false_mask(x: Tensor) -> Tensor:
    return Tensor._make(np.zeros(x._data.shape, dtype=bool))


def _source(x: Tensor, others=()) -> Tensor:
    """The value an in-place op reads: a snapshot when the op may record or carry tangents.

    The node of ``x.mul_(y)`` must save x's *old* values; a snapshot alias keeps them (and x's
    autograd edge) while x's buffer is overwritten. That holds too when only an ``other``
    operand records (``x.mul_(y)`` with y requiring grad saves x for y's gradient; torch saves
    a clone of x then). Inside vmap the physical tensor is what records (``grad(vmap(f))``):
    it gets the snapshot, the batched tensor wraps it.
    """
    if _grad_state.enabled and x._requires_grad and x._below is not None and not x._fw:
        return _snapshot_on_tape(x)
    if isinstance(x, BatchedTensor):
        if not (x._requires_grad or x._fw):
            inner = _source(x._value, others)
            return x if inner is x._value else BatchedTensor.wrap(inner, x._bdim, x._vlevel)
    if (_grad_state.enabled and x._requires_grad) or x._fw:
        return _snapshot(x)
    for o in others:
        if isinstance(o, Tensor) and _tracks(o):
            return _snapshot(x)
    return x


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        src = _source(self, (*args, *kwargs.values()))
        return _commit_inplace(self, fn(src, *args, **kwargs), name, src)

    method.__name__ = name
    # (the generated methods' docstring, written once here: issue 15's docstrings)
    method.__doc__ = (
        f"In-place ``{fn.__name__}``: ``x.{name}(...)`` writes ``{fn.__name__}(x, ...)`` into "
        "``x`` and returns it, bumping its version counter; autograd records the write as torch "
        "does."
    )
    return method


def _setitem(self, index, value):
    if isinstance(value, np.ndarray):
        from ._factories import tensor

        value = tensor(value)
    if not isinstance(self, BatchedTensor) and not self._data.flags.writeable:
        # expanded: torch allows writing an empty region
        region = I.getitem(_source(self), index)
        if not region._data.size:
            shape = value.shape if isinstance(value, Tensor) else ()
            try:
                np.broadcast_shapes(tuple(shape), tuple(region.shape))
            except ValueError:
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(shape)} cannot be broadcast to "
                    f"indexing result of shape {list(region.shape)}"
                ) from None
            return
    out = I.index_put(_source(self), index, value)
    _commit_inplace(self, out, "__setitem__")


def _zero_(self):
    """Fill x with zeros in place and return it."""
    return _fill(self, 0, "zero_")


def _fill_(self, value):
    """Fill x with ``value`` (a number or a 0-d tensor, through which gradients flow) in place."""
    return _fill(self, value, "fill_")


def _check_fill_value(value, dt):
    """torch's errors for a number the tensor's dtype cannot hold (NumPy would raise its own
    OverflowError, or wrap, or make it inf): NOTE: [checked scalars] in _dtype.py."""
    from ._dtype import check_scalar

    check_scalar(value, dt, "fill_")


def _fill(self, value, name):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                "dimensions."
            )
        if value._requires_grad or value._fw:
            return _copy_(self, value, name=name)
        value = value._data
    elif isinstance(value, (int, float)):
        _check_fill_value(value, self._data.dtype)
    if _tracks(self):
        src = _source(self)
        out = E.where(_false_mask(self), src, float(value))
        return _commit_inplace(self, out.to(self.dtype), name)
    out = Tensor._make(np.full(self._data.shape, value, dtype=self._data.dtype))
    return _commit_inplace(self, out, name)


def _copy_(self, src, non_blocking=False, *, name="copy_"):
    """Copy ``src`` into x in place, broadcasting and converting to x's dtype; gradients flow to
    src."""
    from ._factories import tensor as _tensor

    if not isinstance(src, Tensor):
        src = _tensor(src)
    value = src.to(self.dtype) if src.dtype != self.dtype else src
    if tuple(value.shape) != tuple(self.shape):
        from ._kernel_errors import _broadcast_mismatch

        mismatch = _broadcast_mismatch([tuple(self.shape), tuple(value.shape)])
        if mismatch is not None:  # torch's broadcast message, not expand's
            raise RuntimeError(mismatch)
        value = S.expand(value, tuple(self.shape))
    if _tracks(self):
        value = E.where(_false_mask(self), _source(self), value)
    return _commit_inplace(self, value, name)


# ------------------------------------------------------------------ in-place shape methods
# x.unsqueeze_(d), x.squeeze_(d), x.t_(), x.transpose_(d0, d1): they change which elements x
# shows and in what layout, never a value.
# NOTE: [in-place shape changes]
# The out-of-place view op (with torch's checks and errors) computes the new layout, and a
# tensor that records no history takes it (a view included: it becomes the new view of the
# same base); its version goes up, as torch's does. A tensor that records history (or carries
# tangents) refuses, with torch's messages for a leaf and a view of a leaf and a fix
# otherwise: nodes hold the tensors they saved (an op's input, exp's output) as they are, and
# read their shapes at backward, so a tensor whose layout changed under them would give them
# wrong shapes; torch saves its own copy of the metadata instead. A tensor that records
# nothing but that a node saved (``y = w * x``, then ``x.t_()``) gets a new version, so that
# node refuses at backward, as torch's does.


def _change_shape(x: Tensor, out: Tensor, name: str) -> Tensor:
    if isinstance(x, BatchedTensor) or isinstance(out, BatchedTensor):
        raise cannot_batch(f"{name}() changes a tensor's shape in place", f"Use x.{name[:-1]}().")
    tracked = (_grad_state.enabled and x._requires_grad) or x._fw
    if not tracked:
        if isinstance(x, _View):  # the new layout is a view of the same base: x becomes it
            x.__dict__.update(out.__dict__)
        else:
            x._data = out._data
        bump_version(x)
        return x
    base = x._base
    if x._requires_grad and x.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR + f" ({name})")
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError(_VIEW_OF_LEAF_ERROR + f" ({name})")
    raise RuntimeError(
        f"{name}(): dualgrad cannot change in place the shape of a tensor that records history "
        f"or carries tangents; write x = x.{name[:-1]}(...) instead (NOTE: [in-place shape "
        "changes])"
    )


def unsqueeze_(self, dim):
    """In-place ``unsqueeze``. Unlike torch, refused on a tensor that records history or carries
    tangents (write ``x = x.unsqueeze(d)``)."""
    return _change_shape(self, S.unsqueeze(self, dim), "unsqueeze_")


def squeeze_(self, dim=None):
    """In-place ``squeeze``. Unlike torch, refused on a tensor that records history or carries
    tangents (write ``x = x.squeeze(d)``)."""
    return _change_shape(self, S.squeeze(self, dim), "squeeze_")


def t_(self):
    """In-place ``t``. Unlike torch, refused on a tensor that records history or carries tangents
    (write ``x = x.t()``)."""
    if self.ndim > 2:  # (t()'s check, under this method's name)
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return _change_shape(self, S.t(self), "t_")


def transpose_(self, dim0, dim1):
    """In-place ``transpose``. Unlike torch, refused on a tensor that records history or carries
    tangents (write ``x = x.transpose(a, b)``)."""
    return _change_shape(self, S.transpose(self, dim0, dim1), "transpose_")


SHAPE_METHODS = {"unsqueeze_": unsqueeze_, "squeeze_": squeeze_, "t_": t_, "transpose_": transpose_}
