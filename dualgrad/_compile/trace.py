"""The trace: the recorder at the bottom of the stack that ``dualgrad.compile`` runs a function
under, once per guard key (NOTE: [compile] in _compile/api.py).

# NOTE: [the trace sits under the ground]
Every transform inside a compiled function (``autograd.grad``, ``backward``, dual levels, every
``dualgrad.func`` transform) already decomposes into ground kernel calls when it runs eagerly:
its levels' ``process`` re-enter the dispatcher until the ground, or a fast entry, calls the
op's kernel (``op.forward``, or its ufunc ``op.ufunc``). So the trace is a level below the
ground: while it is active every op's two kernel attributes are swapped for recording ones, and
the function runs eagerly, computing real values, while each outermost kernel call is recorded
as one instruction (the callable, its arguments as slots or constants, its output slot).
Swapping the attributes for the length of a trace, rather than a test in the dispatcher, keeps
the hot path exactly as it was (zero cost when no trace is active, and no edit of
_dispatch.py or _ground.py). Arrays are told apart by identity: an array a kernel made is a
slot; an array no kernel made is a constant, held by reference (a closure's weights, a factory's
zeros), so a weight changed in place between calls is read afresh by the replay.

What does not go through a kernel cannot be recorded, so the trace watches the ways a value
leaves it and refuses the call (NOTE: [what the trace refuses]): ``item``/``bool``/``float``/
``int``/``tolist``/``numpy``/``__array__`` of a value computed from the inputs (Python control
flow or NumPy on values), in-place writes (``x.op_()``, ``x[i] = v``, ``copy_``), random draws
(the default generator's state moved), ops whose output shape depends on the values
(``loops=True``: nonzero, unique). A refused call ran eagerly already, so its answer is right;
the compiled function runs that guard key eagerly from then on, with a warning naming the
reason (``fullgraph=True``: it raises ``CompileError`` at the point instead).
"""

from __future__ import annotations

import threading

import numpy as np

from .._ops.registry import REGISTRY
from .._tensor import Tensor

_ndarray = np.ndarray


class CompileError(RuntimeError):
    """``dualgrad.compile(fn, fullgraph=True)``: ``fn`` does something the trace cannot record."""


class Slot:
    """An instruction's argument that is the value of slot ``i`` (a kernel's output, or an input)."""

    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i

    def __repr__(self):
        return f"v{self.i}"


class Instr:
    """One recorded kernel call: ``out = fn(*args, **kwargs)``. ``out`` is a slot number, or a
    tuple of slot numbers for a kernel that returns a tuple; ``scalar``: the kernel returned a
    NumPy scalar (or a tuple holding some), made a 0-d array as the dispatcher makes it."""

    __slots__ = ("fn", "args", "kwargs", "out", "scalar", "name")

    def __init__(self, fn, args, kwargs, out, scalar, name):
        self.fn, self.args, self.kwargs, self.out = fn, args, kwargs, out
        self.scalar, self.name = scalar, name


class Trace:
    """The record of one traced call (NOTE: [the trace sits under the ground])."""

    def __init__(self, fullgraph: bool):
        self.fullgraph = fullgraph
        self.slot_of: dict[int, int] = {}  # id(array) -> slot
        self.value_of: dict[int, object] = {}  # slot -> the traced value (shapes, dtypes)
        self.keep: list = []  # every array seen, alive, so that ids stay unique
        self.instrs: list[Instr] = []
        self.n_slots = 0
        self.reason: str | None = None  # why the call cannot be replayed
        self.depth = 0  # > 0 inside a kernel: a kernel calling a kernel is one instruction
        self.grad_targets: dict = {}  # id -> (tensor whose .grad the call assigned, its old .grad)

    # -------------------------------------------------------------- slots
    def new_slot(self, arr) -> int:
        i = self.n_slots
        self.n_slots += 1
        self.slot_of[id(arr)] = i
        self.value_of[i] = arr
        self.keep.append(arr)
        return i

    def derived(self, arr) -> bool:
        """Whether ``arr`` holds values computed from the inputs (a slot, or a NumPy view of
        one that no kernel made)."""
        while isinstance(arr, _ndarray):
            if id(arr) in self.slot_of:
                return True
            arr = arr.base
        return False

    def _ref(self, a):
        i = self.slot_of.get(id(a))  # (ids of live objects are unique: every slot is kept)
        if i is not None:
            return Slot(i)
        if type(a) is _ndarray or isinstance(a, _ndarray):
            i = self.slot_of.get(id(a))
            if i is not None:
                return Slot(i)
            if self.derived(a):
                self.refuse("a NumPy view of a traced value was made outside the kernels")
            self.keep.append(a)
            return a
        if type(a) in (tuple, list) and any(isinstance(x, _ndarray) for x in a):
            return type(a)(self._ref(x) for x in a)
        return a

    # -------------------------------------------------------------- recording
    def record(self, fn, name, args, kwargs, raw):
        """Record ``raw = fn(*args, **kwargs)``; return ``raw`` as the dispatcher will keep it
        (a NumPy scalar as a 0-d array, so that the tensor's array is the slot's)."""
        rargs = tuple(self._ref(a) for a in args)
        rkw = {k: self._ref(v) for k, v in kwargs.items()} if kwargs else None
        if isinstance(raw, tuple):
            scalar = any(not isinstance(r, _ndarray) and _is_scalar(r) for r in raw)
            raw = tuple(_as_array(r) if _is_scalar(r) else r for r in raw)
            out = tuple(self.new_slot(r) for r in raw)
        else:
            scalar = not isinstance(raw, _ndarray) and _is_scalar(raw)
            if scalar:
                raw = _as_array(raw)
            out = self.new_slot(raw)
        self.instrs.append(Instr(fn, rargs, rkw, out, scalar, name))
        return raw

    def record_object(self, fn, name, args, obj):
        """Record ``obj = fn(*args)`` for a non-array object a kernel takes as a parameter."""
        rargs = tuple(self._ref(a) for a in args)
        self.instrs.append(Instr(fn, rargs, None, self.new_slot(obj), False, name))

    def refuse(self, reason: str) -> None:
        if self.fullgraph:
            raise CompileError(f"dualgrad.compile(fullgraph=True): {reason}")
        if self.reason is None:
            self.reason = reason


def _is_scalar(r) -> bool:
    return isinstance(r, (np.generic, _ndarray))


def _as_array(r):
    return r if type(r) is _ndarray else np.asanyarray(r)


# ---------------------------------------------------------------------------------- hooks
class _Active(threading.local):
    trace: Trace | None = None


_active = _Active()
_install_lock = threading.Lock()
_installed = [0]  # traces live in any thread (the hooks stay while one is)
_kernels: dict = {}  # op -> (forward, recording forward, ufunc, recording ufunc)


def active() -> Trace | None:
    return _active.trace


def _recording(fn, op):
    name = op.name
    loops = op.loops

    def kernel(*args, **kwargs):
        tr = _active.trace
        if tr is None or tr.depth:
            return fn(*args, **kwargs)
        if loops:
            tr.refuse(f"'{name}' makes an output whose shape depends on the values")
        tr.depth += 1
        try:
            raw = fn(*args, **kwargs)
        finally:
            tr.depth -= 1
        return tr.record(fn, name, args, kwargs, raw)

    return kernel


def _watch_value(name, method):
    def watched(self, *args, **kwargs):
        tr = _active.trace
        if tr is not None and tr.derived(getattr(self, "_data", None)):
            tr.refuse(
                f"Tensor.{name} of a value computed from the inputs (Python control flow or "
                "NumPy on tensor values cannot be traced)"
            )
        return method(self, *args, **kwargs)

    watched.__name__ = name
    watched.__doc__ = method.__doc__
    return watched


def _watch_inplace(commit):
    def watched(x, out, name, *rest, **kwargs):
        tr = _active.trace
        if tr is not None:
            tr.refuse(f"an in-place write ('{name}') inside the compiled function")
        return commit(x, out, name, *rest, **kwargs)

    return watched


_VALUE_METHODS = ("item", "tolist", "numpy", "__array__", "__bool__", "__float__", "__int__")
_VALUE_METHODS += ("__index__",)


def _grad_setter(setter):
    def watched(self, value):
        tr = _active.trace
        if tr is not None and id(self) not in tr.grad_targets:
            tr.grad_targets[id(self)] = (self, self._grad)  # the first write: what it replaced
        setter(self, value)

    return watched


def _watch_known_values(known_values):
    def watched(t):
        tr = _active.trace
        if tr is not None and tr.derived(getattr(t, "_data", None)):
            return None  # as inside vmap: the values are not known while tracing
        return known_values(t)

    return watched


def _traced_index(init):
    """``_Index.__init__`` for the trace: an index holding arrays computed from the inputs is
    an instruction of its own (its arrays are copies, made outside the kernels: NOTE: [saved
    indices] in _ops/indexing.py), so the replay makes it from the new arrays."""

    def traced_init(self, value, sources=()):
        init(self, value, sources)
        tr = _active.trace
        if tr is not None and not tr.depth and any(tr.derived(v) for v in value):
            tr.record_object(_rebuild_index, "index", tuple(value), self)

    return traced_init


def _rebuild_index(*value):
    from .._ops.indexing import _Index

    return _Index(value)


def _module_functions(original):
    """(module, name) of every dualgrad module that holds ``original`` by that name."""
    import sys

    return [
        (m, name)
        for mod_name, m in list(sys.modules.items())
        if mod_name.startswith("dualgrad") and m is not None
        for name in ("known_values", "_known_values")
        if getattr(m, name, None) is original
    ]


def _swap_all(install: bool) -> None:
    from .. import _inplace, _inplace_methods
    from .._ops import indexing

    if install:
        replacement = _watch_known_values(indexing.known_values)
        for m, name in _module_functions(indexing.known_values):
            _saved.setdefault("functions", []).append((m, name, indexing.known_values))
            setattr(m, name, replacement)
        _saved["index_init"] = indexing._Index.__init__
        indexing._Index.__init__ = _traced_index(_saved["index_init"])
        for op in REGISTRY.values():
            k = _kernels.get(op)
            if k is None or k[0] is not op.forward:
                uf = op.ufunc
                k = _kernels[op] = (
                    op.forward,
                    _recording(op.forward, op),
                    uf,
                    None if uf is None else _recording(uf, op),
                )
            op.forward = k[1]
            if k[2] is not None:
                op.ufunc = k[3]
        _saved["commit"] = (_inplace._commit_inplace, _inplace_methods._commit_inplace)
        _inplace._commit_inplace = _watch_inplace(_saved["commit"][0])
        _inplace_methods._commit_inplace = _watch_inplace(_saved["commit"][1])
        _saved["methods"] = {m: Tensor.__dict__[m] for m in _VALUE_METHODS if m in Tensor.__dict__}
        for m, f in _saved["methods"].items():
            setattr(Tensor, m, _watch_value(m, f))
        prop = _saved["grad"] = Tensor.__dict__["grad"]
        Tensor.grad = property(prop.fget, _grad_setter(prop.fset), None, prop.__doc__)
    else:
        for op, k in _kernels.items():
            if op.forward is k[1]:
                op.forward = k[0]
            if k[2] is not None and op.ufunc is k[3]:
                op.ufunc = k[2]
        _inplace._commit_inplace, _inplace_methods._commit_inplace = _saved.pop("commit")
        for m, f in _saved.pop("methods").items():
            setattr(Tensor, m, f)
        Tensor.grad = _saved.pop("grad")
        for m, name, original in _saved.pop("functions", ()):
            setattr(m, name, original)
        indexing._Index.__init__ = _saved.pop("index_init")


_saved: dict = {}


class tracing:
    """``with tracing(trace):`` runs the body with ``trace`` recording this thread's kernels."""

    def __init__(self, trace: Trace):
        self.trace = trace

    def __enter__(self):
        with _install_lock:
            if _installed[0] == 0:
                _swap_all(True)
            _installed[0] += 1
        _active.trace = self.trace
        return self.trace

    def __exit__(self, *exc):
        _active.trace = None
        with _install_lock:
            _installed[0] -= 1
            if _installed[0] == 0:
                _swap_all(False)
        return False
