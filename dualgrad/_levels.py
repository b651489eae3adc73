"""The level stack shared by dual (forward-mode) levels and vmap levels.

# NOTE: [levels]
Every transform level gets a number from one counter, and live levels form a stack: a level
entered later is nested deeper and has a larger number. A tensor stores its tangent for level
L in ``tensor._fw[L]``; the dispatcher handles the highest level present among an op's inputs
first, then lower ones (see NOTE: [dispatch order] in _dispatch.py). Because numbers are never
reused, a stale level can never be confused with a new one, and a tangent for level L is only
ever computed from values that carry levels below L (NOTE: [canonical form]).

# NOTE: [vmap levels: where the tape sits]
The ordinary reverse tape records each op once, at the outermost dispatch, saving the inputs
with all their tangents: that is what makes forward-over-reverse work (a backward run inside
a dual level sees dual saved tensors). A vmap level's frame never records: its batching rule
calls ops on physical tensors, and those calls record, so the ordinary tape sits below every
vmap level (``grad(vmap(f))``, ``jacrev = vmap(vjp)``). A reverse transform called *inside* a
vmap gets a level of its own, numbered when it is called, and records there on logical
tensors (NOTE: [grad under vmap] in _grad_levels.py): that is what makes ``vmap(grad(f))`` one
vectorised backward. The case that still runs per batch element is recording on the ordinary
tape under a dual level above a vmap level (``_apply_dual_over_batched`` raises NeedsLoop).
"""

from __future__ import annotations

import threading
import weakref


class Level:
    """One live level: its number, kind ('dual' or 'vmap'), and who holds its tangents."""

    __slots__ = ("number", "kind", "holders", "alive", "info", "directions_only", "_prune_at")

    def __init__(self, number: int, kind: str):
        self.number = number
        self.kind = kind
        self.holders: list[weakref.ref] = []  # tensors given a tangent at this level
        self.alive = True
        self.info = None  # vmap: the randomness mode
        self.directions_only = False  # vmap over tangents/cotangents only (func._over_directions)
        self._prune_at = 4096

    def hold(self, t) -> None:
        """Remember that ``t`` holds a tangent of this level (dropped on exit). Dead entries are
        pruned as the list grows, so a long loop inside one level does not grow it forever."""
        holders = self.holders
        holders.append(weakref.ref(t))
        if len(holders) >= self._prune_at:
            holders[:] = [r for r in holders if r() is not None]
            self._prune_at = max(4096, 2 * len(holders))

    def __repr__(self) -> str:
        return f"Level({self.number}, {self.kind!r})"


class _Stack(threading.local):
    def __init__(self):
        self.levels: list[Level] = []
        self.by_number: dict[int, Level] = {}


_counter = [0]
_lock = threading.Lock()
stack = _Stack()


def new_number() -> int:
    """A level number after every one given so far (levels are ordered by when they began)."""
    with _lock:
        number = _counter[0]
        _counter[0] += 1
    return number


def push(kind: str) -> Level:
    number = new_number()
    level = Level(number, kind)
    stack.levels.append(level)
    stack.by_number[number] = level
    return level


def pop(number: int) -> Level:
    if not stack.levels or stack.levels[-1].number != number:
        live = [lv.number for lv in stack.levels]
        raise RuntimeError(
            f"exit_dual_level: level {number} is not the innermost live level (live: {live}); "
            "exit levels in the reverse order of entering them"
        )
    level = stack.levels.pop()
    del stack.by_number[number]
    level.alive = False
    return level


def top(kind: str | None = None) -> Level | None:
    for level in reversed(stack.levels):
        if kind is None or level.kind == kind:
            return level
    return None


def get(number: int) -> Level | None:
    return stack.by_number.get(number)


def any_live() -> bool:
    return bool(stack.levels)
