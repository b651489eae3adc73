"""In-place writes: how ``x.op_(...)``, ``x[i] = v``, ``fill_``/``copy_`` commit their result
into x at every level, as PyTorch makes them (NOTE: [in-place ops] below, NOTE: [views and
in-place] and [views at every level] in _views.py). The methods are in _inplace_methods.py,
torch's refusals in _inplace_checks.py."""

from __future__ import annotations

import numpy as np

from ._batching import BatchedTensor, requires_grad_anywhere
from ._errors import cannot_batch
from ._grad_mode import state as _grad_state
from ._inplace_checks import _batched_into_unbatched, _check_dtype_view_chain, _check_dual_alias
from ._inplace_checks import _check_inplace, _check_leaf, _false_mask, _tracks
from ._ops import elementwise as E
from ._ops import view_scatter as VS
from ._taylor.level import TaylorTensor
from ._taylor.writes import commit_taylor
from ._tensor import INPLACE_EPOCH, Tensor, alias, bump_version, set_tangent
from ._views import _View, scatter_into

# NOTE: [in-place ops]
# An in-place op ``x.op_(...)`` is the out-of-place op on a snapshot of x (``_source``), then
# ``_commit_inplace``: checks as PyTorch makes them (leaf, view of a leaf, shape, dtype cast,
# expanded memory), the write into x's buffer, a version bump, and x's new history and
# tangents. On a view the new history goes to the base (NOTE: [views and in-place] in
# _views.py). The op's node saved its output (exp_'s, sigmoid_'s) as a tensor of its own;
# after the write that output is x, so the saved output takes x's version counter, at x's
# new version: a later write into x (or a view of it) makes the node refuse, as torch's does.


def _commit_inplace(x: Tensor, out: Tensor, name: str, src: Tensor | None = None) -> Tensor:
    """Make ``x`` hold ``out``: its values (in x's own buffer), history and tangents.

    ``src`` is the snapshot ``out`` was computed from: when ``out`` carries no history (an
    integer-valued op such as ``eq_``) x keeps one that gives its old value a zero gradient,
    as PyTorch's ``EqBackward0`` does.
    """
    if type(x) is TaylorTensor or type(out) is TaylorTensor:  # NOTE: [writes at the Taylor level]
        return commit_taylor(x, out, name, _commit_inplace)
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
    _check_dual_alias(x, out, name)
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
        raise _batched_into_unbatched(name)  # (as torch.func.vmap refuses it, at the op)
    # (a view autograd does not see, view(dtype), takes the write's history itself, as a
    # tensor of its own, as on the ground: NOTE: [dtype views])
    view = isinstance(x, _View) and x._view_tracked
    if isinstance(x, _View) and not view:
        _check_dtype_view_chain(x, out)
    root = x._base if view else x
    x_rg, x_fw, out_rg = x._requires_grad, x._fw, out._requires_grad  # (a view's: derived)
    on_tape = x_rg and x._below is not None
    if not (x_rg or x_fw) and out_rg and out._glevel >= 0:
        # a batched constant (or a view of one) takes a value with history on a tape: it joins
        # the tape (NOTE: [grad under vmap] in _grad_levels.py)
        for t in {id(root): root, id(x): x}.values():
            t._below = BatchedTensor.wrap(t._value, t._bdim, t._vlevel)
            t._glevel = out._glevel
        on_tape = True
    if (on_tape and out._glevel != x._glevel) or (not on_tape and out_rg):
        raise cannot_batch(f"{name}: an in-place write of a value with history on another tape")
    _check_leaf(x, out_rg or requires_grad_anywhere(out), name)  # as on the ground
    carried = on_tape or x_fw or out._fw  # history or tangents the write must update
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
    if x._view_tracked and (
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
        _check_dtype_view_chain(x, out)
        if x._view_shares:
            np.copyto(x._data, out._data, casting="unsafe")
        else:
            value = out._data.astype(x._data.dtype, copy=False)
            scatter_into(base._data, x._chain, value)
            np.copyto(x._data, value)
        vc[0] += 1
        INPLACE_EPOCH[0] += 1
        if not x._view_tracked:
            # a view autograd does not see takes the write's history itself, as a tensor of
            # its own (torch's non-differentiable views): w = v.view(v.dtype); w.mul_(y) gives
            # w a MulBackward0 and y a gradient, while v's history stays (NOTE: [dtype views])
            _take_history(x, out)
    return x
