"""The level stack: every live transform level is one ``Level`` object, ordered by number.

# NOTE: [levels]
Every transform level gets a number from one counter, so a level begun later has a larger
number and sits above the earlier ones; numbers are never reused, so a stale level can never be
confused with a new one. A level kind is one subclass of ``Level`` with one method that matters,
``process(op, args, params)``: what this level does to a primitive call whose highest level is
this one. The kinds (each in its own module, above the dispatcher):

- ``DualLevel`` (_dual_level.py): forward mode. Tangents live in the tensor (``t._fw[number]``,
  the PyTorch API); ``process`` computes the value below, then this level's tangent.
- ``VmapLevel`` (_vmap_level.py): vmap. Values are wrappers (``BatchedTensor``, _batching.py);
  ``process`` unwraps them and runs the op's batching rule on the physical tensors.
- ``TapeLevel`` (_grad_levels.py): the tape of a reverse transform called inside vmap. Values
  are wrappers too (``_below``); ``process`` runs the op below and records the node there.

Below every level is the ground: the kernels and the ordinary tape (``_ground.ground``).

``_dispatch.apply`` finds the highest live level among an op's inputs and hands the call to it;
each ``process`` re-enters ``apply`` one level down, until the ground runs the kernel
(NOTE: [dispatch order] in _dispatch.py). A wrapper level goes down by unwrapping its values. The
dual level cannot (the ordinary tape must record the *full* inputs, tangents included, for
forward-over-reverse), so it goes down by hiding itself: while it computes the value, the stack
shows only the levels below it (``below``) and the dispatcher ignores tangents of levels at or
above ``stack.ceiling`` (functorch pops its interpreter the same way).

Dual and vmap levels nest: they are entered and exited in order, and ``stack.levels`` lists the
live ones, innermost last. A tape level lives as long as the vmap it was begun in (its vjp
function may run after the transform returned), so it is registered by number
(``stack.by_number``) and dropped when that vmap exits.

# NOTE: [vmap levels: where the tape sits]
The ordinary tape records each op once, at the ground, saving the inputs with all their
tangents: that is what makes forward-over-reverse work (a backward run inside a dual level sees
dual saved tensors). A vmap level never records: its batching rule calls ops on physical
tensors, and those calls record, so the ordinary tape sits below every vmap level
(``grad(vmap(f))``, ``jacrev = vmap(vjp)``). A reverse transform called *inside* a vmap gets a
level of its own, numbered when it is called, and records there on logical tensors (NOTE: [grad
under vmap] in _grad_levels.py): that is what makes ``vmap(grad(f))`` one vectorised backward.
Under a dual level above a vmap level (``jvp(vmap(f))`` with history, ``vmap`` inside
``hessian``) the ordinary tape records too: the dual level's jvp rule runs on batched
tensors, the vmap level unwraps them, and the ground records the physical calls, as for any
op under vmap.
"""

from __future__ import annotations

import threading
import weakref

NO_CEILING = 1 << 62  # stack.ceiling when no dual level is computing a value below itself


class Level:
    """One live level: its number, and the tensors that hold a tangent of it."""

    kind = "level"  # the subclass's name for messages and ``top(kind)``
    __slots__ = ("number", "holders", "alive", "under", "_forget", "__weakref__")

    def __init__(self):
        self.number = new_number()
        self.holders: set[_Held] = set()  # tensors given a tangent at this level (NOTE: [holders])
        self._forget = self.holders.discard
        self.alive = True
        self.under: list[Level] = []  # the live levels below this one (set by push)

    def process(self, op, args, params):
        """Run primitive ``op`` on ``args``, whose highest live level is this one."""
        raise NotImplementedError(f"{type(self).__name__}.process")

    def process_one(self, op, args, params):
        """``process`` for a call with one tensor input, ``args == (x,)`` (NOTE: [one input's
        level] in _dispatch.py): a kind may take that case its own way."""
        return self.process(op, args, params)

    def process_function(self, op, args, kwargs):
        """Run a custom Function's call (NOTE: [a Function as an op] in autograd/function.py),
        whose highest live level is this one; returns the call's record."""
        raise NotImplementedError(f"{type(self).__name__}.process_function")

    def hold(self, t) -> None:
        """Remember that ``t`` holds a tangent of this level (dropped on exit; NOTE: [holders])."""
        self.holders.add(_Held(t, self._forget))

    def exit(self) -> None:
        """What leaving this level undoes (the kinds add to it)."""
        self.alive = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.number})"


# NOTE: [holders] A level drops its tangents on exit from every tensor that holds one, so it
# keeps a weak reference to each. A tensor that dies first takes its reference out of the set
# itself: the reference's callback is the set's own ``discard`` (C, no Python frame), so a long
# loop inside one level keeps the set as small as the live tensors, with no count checked per
# ``hold``. The references hash and compare by identity: a Tensor's ``==`` is element-wise,
# and its ``__hash__`` is a Python call.
class _Held(weakref.ref):
    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__


class _Stack(threading.local):
    def __init__(self):
        self.levels: list[Level] = []  # live dual and vmap levels, innermost last
        self.by_number: dict[int, Level] = {}  # every live level, tapes too
        self.ceiling = NO_CEILING  # tangents of levels >= this are hidden (NOTE: [levels])


_counter = [0]
_lock = threading.Lock()
stack = _Stack()


def new_number() -> int:
    """A level number after every one given so far (levels are ordered by when they began)."""
    with _lock:
        number = _counter[0]
        _counter[0] += 1
    return number


def push(level: Level) -> Level:
    """Enter ``level``: it becomes the innermost live level."""
    # The lists are never changed in place: ``under`` stays the stack below this level while
    # it lives, and a dual level shows just that list while it computes a value below itself.
    level.under = stack.levels
    stack.levels = stack.levels + [level]
    stack.by_number[level.number] = level
    return level


def register(level: Level) -> Level:
    """Make ``level`` live by number without nesting it (a transform's tape: NOTE: [levels])."""
    stack.by_number[level.number] = level
    return level


def unregister(level: Level) -> None:
    stack.by_number.pop(level.number, None)
    level.exit()


def pop(number: int) -> Level:
    if not stack.levels or stack.levels[-1].number != number:
        live = [lv.number for lv in stack.levels]
        raise RuntimeError(
            f"exit_dual_level: level {number} is not the innermost live level (live: {live}); "
            "exit levels in the reverse order of entering them"
        )
    level = stack.levels[-1]
    stack.levels = stack.levels[:-1]
    del stack.by_number[number]
    level.exit()
    return level


def top(kind: str | None = None) -> Level | None:
    for level in reversed(stack.levels):
        if kind is None or level.kind == kind:
            return level
    return None


def get(number: int) -> Level | None:
    return stack.by_number.get(number)
