"""``dualgrad.compile``: trace a function once per guard key, replay the flat program after.

# NOTE: [compile]
``compile(fn)`` returns a callable that, per *guard key* (each tensor argument's shape, dtype,
requires_grad, whether it is a leaf and has a .grad, its layout and which arguments share an
array; every other argument's value, or identity when it has no hashable value; grad mode and
the default dtype), does one of three things:

1. first call: run ``fn`` eagerly under a trace (NOTE: [the trace sits under the ground] in
   trace.py), which records every kernel call, whatever transforms ``fn`` runs inside;
   return that eager answer; keep the optimised program (NOTE: [replay] in program.py);
2. later calls: run the program on the arguments' arrays and wrap its results as tensors
   (and assign the ``.grad`` a ``backward`` inside ``fn`` assigned);
3. a call the trace refused (NOTE: [what the trace refuses]): run ``fn`` eagerly with a
   warning naming the reason, for this key from then on.

The first replays are checked (NOTE: [checked replays]). A call made under a live transform
(``vmap(compiled)``, a dual level open around it) runs eagerly: the program is of ground
kernels and knows nothing of the levels' wrappers. A compiled call inside another one's trace
simply runs, so the outer trace records its kernels.

# NOTE: [checked replays]
What the trace cannot see is NumPy work outside the kernels on values computed from the inputs
(a library function reading ``._data``): the trace would hold its result as a constant. So the
first replay, and every one after it until one runs on inputs that differ from the traced ones,
also runs ``fn`` eagerly and compares: the eager answer is returned, and a disagreement turns
the key to eager with a warning. A program that reproduced a fresh input's answer has shown
that it computes from its inputs.

Python side effects of ``fn`` (appending to a list, printing) happen on the traced call only,
as with ``torch.compile``; a ``.grad`` assigned by ``backward`` inside ``fn`` is replayed.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .. import _levels
from .._dtype import get_default_dtype
from .._grad_mode import state as _grad_state
from .._tensor import Tensor
from ..func._pytree import tree_flatten, tree_unflatten
from ..random._generator import Generator, default_generator
from . import program as P
from .fuse import fuse
from .region import Link, join
from .trace import CompileError, Slot, Trace, active, tracing

_stack = _levels.stack
_SIMPLE = (int, float, bool, str, type(None), complex)


class CompileWarning(UserWarning):
    """A call of a compiled function ran eagerly (the reason is in the message)."""


def compile(
    model=None,
    *,
    fullgraph=False,
    dynamic=None,
    backend=None,
    mode=None,
    options=None,
    disable=False,
):  # noqa: A001 (torch.compile's name)
    """Compile ``model`` (a function or a module) as ``torch.compile`` does: traced on the first
    call per input shapes, dtypes and requires_grad flags, replayed as a flat program of NumPy
    kernels after (NOTE: [compile] in dualgrad/_compile/api.py).

    ``fullgraph=True`` raises ``CompileError`` where the default runs the call eagerly with a
    warning (Python control flow on tensor values, ``.item()``, ``.numpy()``, random numbers,
    in-place writes). ``dynamic``, ``backend``, ``mode`` and ``options`` are accepted for
    torch's signature and ignored; ``disable=True`` returns ``model`` unchanged.

    >>> import dualgrad as torch
    >>> f = torch.compile(lambda x: torch.sin(x) * 2)
    >>> f(torch.zeros(3))
    tensor([0., 0., 0.])
    """
    if model is None:
        return functools.partial(
            compile,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            disable=disable,
        )
    if disable:
        return model
    if not callable(model):
        raise TypeError(f"compile(): expected a function or a module, got {type(model).__name__}")
    return CompiledFunction(model, fullgraph=fullgraph)


class CompiledFunction:
    """What ``dualgrad.compile(fn)`` returns (NOTE: [compile])."""

    cache_size = 8  # guard keys kept per function (torch's cache_size_limit)

    def __init__(self, fn, *, fullgraph=False):
        self.fn = fn
        self.fullgraph = fullgraph
        self.cache: dict = {}
        functools.update_wrapper(self, fn, updated=())

    def __get__(self, obj, objtype=None):  # a compiled method binds like a function
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if active() is not None:  # inside another compiled function's trace: record there
            return self.fn(*args, **kwargs)
        leaves, self._last_spec = tree_flatten((args, kwargs))
        if _stack.by_number or any(_has_levels(x) for x in leaves):
            return self._eager(
                "called under a transform or with tensors that carry levels "
                "(vmap, a dual level, a transform's tape)",
                args,
                kwargs,
            )
        key = guard_key(leaves)
        entry = self.cache.get(key)
        if entry is None:
            return self._trace(key, leaves, args, kwargs)
        if entry.reason is not None:
            return self._eager(entry.reason, args, kwargs)
        if not entry.ready():
            return self.fn(*args, **kwargs)  # a .grad the program would overwrite is set
        if not entry.checked:
            return self._checked(entry, leaves, args, kwargs)
        out = entry.run(leaves)
        return entry.join(self, leaves, out) if entry.diff_out else out

    # ------------------------------------------------------------------ the three paths
    def _eager(self, reason, args, kwargs):
        self._eager_warning(reason, stacklevel=4)  # (the caller's frame, as _trace's)
        return self.fn(*args, **kwargs)

    def _trace(self, key, leaves, args, kwargs):
        tr = Trace(self.fullgraph)
        # A non-leaf argument that requires grad is traced as a leaf of its own, so that no
        # backward inside fn walks into the caller's graph (its kernels would be constants);
        # the outputs reach the caller's graph through the region's node (NOTE: [compiled
        # region] in region.py).
        work = [_leaf_copy(x) if _non_leaf(x) else x for x in leaves]
        copied = any(w is not x for w, x in zip(work, leaves))
        w_args, w_kwargs = tree_unflatten(self._last_spec, work) if copied else (args, kwargs)
        for x in work:
            if isinstance(x, Tensor) and id(x._data) not in tr.slot_of:
                tr.new_slot(x._data)
        generators = [default_generator] + [x for x in leaves if isinstance(x, Generator)]
        states = [g._np.bit_generator.state for g in generators]
        with tracing(tr):
            out = self.fn(*w_args, **w_kwargs)
        if any(g._np.bit_generator.state != s for g, s in zip(generators, states)):
            tr.refuse("random numbers were drawn (dualgrad.randn, dropout, ...)")
        if copied and any(w is not x and w._grad is not None for w, x in zip(work, leaves)):
            tr.refuse("a backward inside the function reaches a non-leaf argument's history")
        entry = Entry.build(tr, work, out) if tr.reason is None else None
        if entry is None or entry.reason is not None:
            reason = tr.reason if entry is None else entry.reason
            self._store(key, Entry(reason))
            self._eager_warning(reason)
            if copied:  # the traced run's history stops at the copies: run it as it is
                return self.fn(*args, **kwargs)
            return out
        self._store(key, entry)
        self._validate(entry, work, w_args, w_kwargs)
        if entry.reason is None and entry.diff_out:
            return entry.join(self, leaves, out)
        return out

    def _validate(self, entry, leaves, args, kwargs):
        """Replay on perturbed copies of the inputs against an eager run on them (NOTE:
        [checked replays]); the .grad of tensors outside the arguments is put back after."""
        copies = _perturbed(leaves)
        external = [t for n, t, _ in entry.grads if n is None]
        kept = [t._grad for t in external]
        for t in external:
            t._grad = None
        p_args, p_kwargs = tree_unflatten(tree_flatten((args, kwargs))[1], copies)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    out = self.fn(*p_args, **p_kwargs)
                    results = entry.program(*entry.arrays(copies))
        except Exception:  # the perturbed inputs are outside fn's domain: check calls instead
            return
        finally:
            for t, g in zip(external, kept):
                t._grad = g
        reason = entry.compare(results, out, copies)
        if reason is not None:
            entry.reason = reason
            self._eager_warning(reason)
        else:
            entry.checked = True
            entry.traced_inputs = None

    def _eager_warning(self, reason, stacklevel=4):
        if self.fullgraph:
            raise CompileError(f"dualgrad.compile(fullgraph=True): {reason}")
        warnings.warn(
            f"dualgrad.compile: {_name(self.fn)} runs eagerly: {reason}",
            CompileWarning,
            stacklevel=stacklevel,
        )

    def _checked(self, entry, leaves, args, kwargs):
        """A replay checked against the eager run (NOTE: [checked replays])."""
        fresh = entry.differs(leaves)
        results = entry.program(*entry.arrays(leaves))
        out = self.fn(*args, **kwargs)
        reason = entry.compare(results, out, leaves)
        if reason is not None:
            entry.reason = reason
            if self.fullgraph:
                raise CompileError(f"dualgrad.compile(fullgraph=True): {reason}")
            warnings.warn(
                f"dualgrad.compile: {_name(self.fn)} runs eagerly: {reason}",
                CompileWarning,
                stacklevel=3,
            )
        elif fresh:
            entry.checked = True
            entry.traced_inputs = None
        return out

    def _store(self, key, entry):
        if len(self.cache) >= self.cache_size:
            self.cache.pop(next(iter(self.cache)))
        self.cache[key] = entry


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _non_leaf(x) -> bool:
    return isinstance(x, Tensor) and x._requires_grad and x.grad_fn is not None


def _leaf_copy(x):
    return x.detach().requires_grad_()


def _foreign_leaves(outs, tensors) -> bool:
    """Whether the history of ``outs`` reaches a tensor that requires grad and is not among
    the arguments (``tensors``: their ids): a closure's parameters, a leaf made inside fn."""
    seen = set()
    todo = [t.grad_fn for t in outs if t.grad_fn is not None]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None and id(var) not in tensors:
            return True
        todo.extend(n for n, _ in getattr(node, "next_functions", ()) if n is not None)
    return False


def _has_levels(x) -> bool:
    return isinstance(x, Tensor) and (
        bool(x._fw)
        or x._below is not None
        or x._value is not None
        or type(x._data) is not np.ndarray
    )


def _perturbed(leaves):
    """The leaves with every tensor copied (floats moved by a relative 1e-3, integers and bools
    shuffled, so that indices stay in range), aliasing and requires_grad kept: inputs that a
    program computing from its inputs must follow."""
    rng = np.random.default_rng(0)
    copies: dict = {}
    out = []
    for x in leaves:
        if not isinstance(x, Tensor):
            out.append(x)
            continue
        d = x._data
        c = copies.get(id(d))
        if c is None:
            c = d.copy()
            if d.dtype.kind == "f" and d.size:
                with np.errstate(all="ignore"):  # inf and NaN inputs stay inf and NaN
                    c += (np.abs(d) + 1) * (1e-3 * rng.standard_normal(d.shape)).astype(d.dtype)
            elif d.size > 1:  # integers and bools (indices, labels): the same values shuffled
                c = rng.permutation(c.reshape(-1)).reshape(d.shape)
            copies[id(d)] = c
        t = Tensor._make(c)
        if x._requires_grad:
            t.requires_grad_()
        out.append(t)
    return out


def guard_key(leaves) -> tuple:
    """What must match for a replay (NOTE: [compile])."""
    first: dict = {}
    parts: list = [_grad_state.enabled, get_default_dtype()]
    for n, x in enumerate(leaves):
        if isinstance(x, Tensor):
            d = x._data
            parts.append(
                (
                    type(x),
                    d.shape,
                    d.dtype,
                    d.flags.c_contiguous,
                    x._requires_grad,
                    x.grad_fn is None,
                    x._grad is None,
                    first.setdefault(id(d), n),
                )
            )
        elif type(x) in _SIMPLE:
            parts.append((type(x), repr(x) if type(x) is float else x))
        elif type(x) is tuple and all(type(y) in _SIMPLE for y in x):
            parts.append((tuple, x))
        else:
            parts.append(("id", id(x)))
    return tuple(parts)


class Entry:
    """One guard key's program, or the reason it runs eagerly."""

    def __init__(self, reason=None):
        self.reason = reason
        self.checked = False

    @classmethod
    def build(cls, tr: Trace, leaves, out):
        self = cls()
        tensors = {id(x): n for n, x in enumerate(leaves) if isinstance(x, Tensor)}
        # the inputs: one per distinct array, by its position among the leaves
        self.positions = []
        inputs = []
        for n, x in enumerate(leaves):
            if isinstance(x, Tensor) and tr.slot_of[id(x._data)] not in inputs:
                inputs.append(tr.slot_of[id(x._data)])
                self.positions.append(n)
        results: list = []  # what the program returns: Slots and constants

        def result(arr):
            i = tr.slot_of.get(id(arr))
            if i is None:
                if tr.derived(arr):
                    return None
                results.append(("const", arr))  # copied per call: callers may write into it
            else:
                results.append(("slot", Slot(i)))
            return len(results) - 1

        out_leaves, self.spec = tree_flatten(out)
        self.outs = []
        self.diff_out = []  # positions among the output leaves that get the region's node
        diff: list = []
        for x in out_leaves:
            if isinstance(x, Tensor):
                if _has_levels(x):
                    self.reason = "an output carries levels (a tangent or a batched value)"
                    return self
                if id(x) in tensors:
                    self.outs.append(("arg", tensors[id(x)]))
                    continue
                if x._requires_grad and _grad_state.enabled:
                    self.diff_out.append(len(self.outs))
                    diff.append(x)
                j = result(x._data)
                if j is None:
                    self.reason = (
                        "an output is a NumPy view of a traced value made outside the kernels"
                    )
                    return self
                self.outs.append(("result", j))
            else:
                self.outs.append(("py", x))
        if diff and _foreign_leaves(diff, tensors):
            self.reason = (
                "an output's history reaches tensors that require grad and are not arguments "
                "(a module's parameters: pass them as arguments, e.g. with "
                "func.functional_call)"
            )
            return self
        self.tensor_pos = [n for n, x in enumerate(leaves) if isinstance(x, Tensor)]
        self.diff_in = [i for i, n in enumerate(self.tensor_pos) if leaves[n]._requires_grad]
        # .grad assigned by a backward inside fn: replayed (NOTE: [compile])
        self.grads = []
        for t, before in tr.grad_targets.values():
            if before is not None:
                self.reason = (
                    "backward accumulated into an existing .grad (set it to None "
                    "first, as zero_grad() does)"
                )
                return self
            g = t._grad
            if g is None:
                continue
            j = result(g._data)
            if j is None or g._requires_grad or _has_levels(g):
                self.reason = "a .grad assigned inside the function carries history or levels"
                return self
            self.grads.append((tensors.get(id(t)), t, j))
        live = {r[1].i for r in results if r[0] == "slot"}
        instrs = P.eliminate_dead(tr.instrs, set(live))
        instrs, rename = P.eliminate_common(instrs)
        instrs, more = P.compose_permutes(instrs)
        rename = {k: more.get(v, v) for k, v in rename.items()} | more
        results = [(k, Slot(rename.get(v.i, v.i))) if k == "slot" else (k, v) for k, v in results]
        returned = {v.i for k, v in results if k == "slot"}
        instrs = P.eliminate_dead(instrs, set(returned))
        instrs = fuse(instrs, tr.value_of, returned)
        self.n_instrs = (len(tr.instrs), len(instrs))
        self.program = P.generate(instrs, inputs, [v for _, v in results])
        self.results = results
        self.traced_inputs = [leaves[n]._data.copy() for n in self.positions]
        return self

    def arrays(self, leaves):
        return [leaves[n]._data for n in self.positions]

    def ready(self) -> bool:
        """Whether the .grad the program assigns is still unset on the tensors not among the
        arguments (the arguments' are in the guard key)."""
        return all(n is not None or t._grad is None for n, t, _ in self.grads)

    def differs(self, leaves) -> bool:
        return any(
            not np.array_equal(a, b) for a, b in zip(self.arrays(leaves), self.traced_inputs)
        )

    def run(self, leaves):
        res = self.program(*[leaves[n]._data for n in self.positions])
        made: dict = {}

        def tensor(j):
            t = made.get(j)
            if t is None:
                kind, _ = self.results[j]
                arr = res[j]
                t = made[j] = Tensor._make(arr.copy() if kind == "const" else arr)
            return t

        outs = []
        for kind, v in self.outs:
            if kind == "result":
                outs.append(tensor(v))
            elif kind == "arg":
                outs.append(leaves[v])
            else:
                outs.append(v)
        for n, t, j in self.grads:
            (leaves[n] if n is not None else t).grad = tensor(j)
        return tree_unflatten(self.spec, outs)

    def join(self, compiled, leaves, out):
        """``out`` with the outputs that require grad joined to the arguments by one node
        (NOTE: [compiled region] in region.py)."""
        out_leaves, spec = tree_flatten(out)
        link = Link(
            compiled, compiled._last_spec, leaves, self.tensor_pos, self.diff_in, self.diff_out
        )
        tensors = [leaves[n] for n in self.tensor_pos]
        return tree_unflatten(spec, join(link, out_leaves, tensors))

    def compare(self, results, out, leaves):
        """None if the program's ``results`` agree with the eager ``out`` (and the .grad the
        eager run assigned); else the reason."""
        out_leaves, _ = tree_flatten(out)
        pairs = [(x._data, results[v]) for x, (k, v) in zip(out_leaves, self.outs) if k == "result"]
        for n, t, j in self.grads:
            g = (leaves[n] if n is not None else t)._grad
            pairs.append((None if g is None else g._data, results[j]))
        for a, b in pairs:
            if a is None or not _close(a, b):
                return (
                    "the replayed program disagreed with the eager run (a value left the "
                    "trace through code outside the kernels)"
                )
        return None


def _close(a, b) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    tol = 64 * np.finfo(a.dtype).eps
    return np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)
