"""``dualgrad.autograd.graph`` (torch.autograd.graph): the backward graph's nodes.

They are defined in dualgrad/_graph.py, below the dispatcher that records them (NOTE: [import
order] in dualgrad/__init__.py); this module gives them their public place.
"""

import contextlib
import weakref

from .._graph import *  # noqa: F401,F403
from .._graph import _COUNTS_KNOWN, _FREED, AccumulateGrad, Node, OpNode  # noqa: F401
from .._graph import (  # noqa: F401
    RemovableHandle,
    SavedTensor,
    _copy,
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)


# ------------------------------------------------------------------ mutation of saved tensors
# NOTE: [mutation of saved tensors]
# torch's context manager is a pair of saved-tensor hooks and a dispatch mode that clones a
# saved tensor just before an in-place op writes it. dualgrad has no dispatch mode that sees a
# write before it happens (writes commit in _inplace.py at every level), so the pack hook keeps
# a copy of the value when it is saved, and unpack gives the tensor itself while its version is
# unchanged and the copy once it has been written. Backward reads the same values as torch's;
# the cost is one copy per saved tensor inside the block, which torch pays only for written
# ones (docs/differences.md). As torch's, backward must run inside the block that recorded the
# graph (else AssertionError with torch's message), and blocks do not nest.

_ENABLED = [False]

_OUTSIDE = (
    "Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
    "in which the graph was originally recorded."  # (torch's words, its missing space too)
)


class _Handle:
    """What the pack hook returns for one saved tensor (its key in the context's maps)."""

    __slots__ = ("version", "__weakref__")

    def __init__(self, version: int):
        self.version = version


class _AllowMutationOnSavedContext:
    """The state of one ``allow_mutation_on_saved_tensors`` block, as torch's: per saved
    tensor (by handle), ``original`` the tensor and ``cloned`` its value when saved; both are
    cleared when the block ends."""

    def __init__(self) -> None:
        self.cloned: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.original: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def clear(self) -> None:
        self.cloned.clear()
        self.original.clear()


class _swap_with_cloned(saved_tensors_hooks):
    """The hooks of one block (NOTE: [mutation of saved tensors])."""

    def __init__(self, ctx: _AllowMutationOnSavedContext):
        def pack_hook(tensor):
            handle = _Handle(tensor._version)
            ctx.original[handle] = tensor
            ctx.cloned[handle] = _copy(tensor)
            return handle

        def unpack_hook(handle):
            if not _ENABLED[0] or handle not in ctx.original:
                raise AssertionError(_OUTSIDE)
            original = ctx.original[handle]
            return original if original._version == handle.version else ctx.cloned[handle]

        super().__init__(pack_hook, unpack_hook)


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Inside the block, tensors saved for backward may be written in place: backward uses
    the values they had when saved (torch's; NOTE: [mutation of saved tensors]). Run the
    forward and the backward in the same block. Yields the block's state.

    >>> import dualgrad as dg
    >>> with dg.autograd.graph.allow_mutation_on_saved_tensors():
    ...     a = dg.ones(2, 3, requires_grad=True)
    ...     b = a.clone()
    ...     out = (b**2).sum()
    ...     _ = b.sin_()
    ...     out.backward()
    >>> a.grad
    tensor([[2., 2., 2.],
            [2., 2., 2.]])
    """
    if _ENABLED[0]:  # (torch's check; here it leaves the outer block working)
        raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
    ctx = _AllowMutationOnSavedContext()
    with _swap_with_cloned(ctx):
        _ENABLED[0] = True
        try:
            yield ctx
        finally:
            ctx.clear()
            _ENABLED[0] = False


# ------------------------------------------------------------------ the Node API's helpers
def increment_version(tensor) -> None:
    """Bump the version counter of ``tensor`` (or of each of an iterable of them), as an
    in-place write would, so a saved copy of it is refused at backward (torch's)."""
    from .._tensor import Tensor, bump_version

    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        bump_version(t)


def _node_of(t):
    edge = t._edge()
    if edge is None:
        raise RuntimeError(
            "register_multi_grad_hook: a tensor does not require grad; pass tensors that "
            "require grad (or are made from ones that do)"
        )
    return edge


class _MultiHandle:
    def __init__(self, handles):
        self.handles = tuple(handles)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """Call ``fn`` once the gradients of ``tensors`` are computed in a backward, as torch's.

    ``mode="all"``: ``fn(grads)`` with one gradient per tensor (None for those this backward
    does not reach), after the last of them; ``mode="any"``: ``fn(grad)`` with the first one.

    >>> import dualgrad as dg
    >>> a, b = dg.ones(2, requires_grad=True), dg.ones(2, requires_grad=True)
    >>> seen = []
    >>> h = dg.autograd.graph.register_multi_grad_hook((a, b), lambda gs: seen.append(len(gs)))
    >>> (a * 2 + b).sum().backward()
    >>> seen
    [2]
    """
    from .engine import current_task

    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    edges = [_node_of(t) for t in tensors]
    state = {"task": None, "grads": None, "count": 0, "expected": 0}

    def begin(task):
        state["task"] = task
        state["grads"] = [None] * len(tensors)
        state["count"] = 0
        state["expected"] = sum(
            1 for node, _ in edges if task is not None and task.will_execute(node)
        )

    def make_hook(i):
        def hook(grad):
            task = current_task()
            if state["task"] is not task:
                begin(task)
            if mode == "any":
                if state["count"] == 0:
                    state["count"] = 1
                    fn(grad)
                return None
            state["grads"][i] = grad
            state["count"] += 1
            if state["count"] == state["expected"]:
                grads = tuple(state["grads"])
                state["task"] = None  # a next backward (retain_graph) starts afresh
                fn(grads)
            return None

        return hook

    return _MultiHandle(t.register_hook(make_hook(i)) for i, t in enumerate(tensors))


def _register_post_accumulate_grad_hook(self, hook):
    """Call ``hook(tensor)`` after a backward has accumulated into this leaf's ``.grad``
    (torch's; e.g. to step an optimizer per parameter). Returns a handle."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    acc = self._edge()[0]
    if acc.post_accumulate_hooks is None:
        acc.post_accumulate_hooks = {}
    handle = RemovableHandle(acc.post_accumulate_hooks)
    acc.post_accumulate_hooks[handle.id] = hook
    return handle


def _install():
    from .._tensor import Tensor

    # Tensor stands below autograd (NOTE: [import order] in dualgrad/__init__.py)
    Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook


_install()
