"""RemovableHandle (torch.utils.hooks.RemovableHandle): what every ``register_*hook`` returns.

# NOTE: [one handle type] torch returns this one type from a tensor's, a node's and a module's
# ``register_*hook`` alike; so does dualgrad. It lives here, below the tensor, the graph and nn
# that all make them (dualgrad.utils.hooks re-exports it). Imports nothing of dualgrad's.
"""

from __future__ import annotations

import itertools


class RemovableHandle:
    """``remove()`` takes the hook out (also on leaving a ``with`` block).

    It holds the hooks' container: a dict keyed by this handle's ``id`` (a module's hooks, as
    torch's), or a list that holds the hook itself (a node's hooks, run in order).
    """

    _ids = itertools.count()

    def __init__(self, hooks, hook=None):
        self._hooks = hooks
        self._hook = hook
        self.id = next(self._ids)

    def remove(self) -> None:
        hooks = self._hooks
        if isinstance(hooks, dict):
            hooks.pop(self.id, None)
            return
        for i, h in enumerate(hooks):  # by identity: two equal hooks are two hooks
            if h is self._hook:
                del hooks[i]
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<dualgrad.utils.hooks.RemovableHandle object at {id(self):#x}>"
