"""``dualgrad.autograd.graph`` (torch.autograd.graph): the backward graph's nodes.

They are defined in dualgrad/_graph.py, below the dispatcher that records them (NOTE: [import
order] in dualgrad/__init__.py); this module gives them their public place.
"""

from .._graph import *  # noqa: F401,F403
from .._graph import _COUNTS_KNOWN, _FREED, AccumulateGrad, Node, OpNode  # noqa: F401
from .._graph import (  # noqa: F401
    RemovableHandle,
    SavedTensor,
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)


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
