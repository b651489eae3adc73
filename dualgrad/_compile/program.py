"""A traced call as a flat program: optimised (dead code, common subexpressions) and turned
into one Python function whose body calls the kernels directly (NOTE: [replay]).

# NOTE: [replay]
A replay runs no dispatcher, no level, no graph: the kernels the trace resolved, in order, on
raw arrays. The program becomes the source of one function, one line per instruction, with
locals for slots and the kernels and constants as the function's globals, compiled once per
guard key: the cost per kernel call is then the call itself (about 0.1 us over the kernel,
against the dispatcher's 0.5 to 5 us per op with levels live). Kernels are pure functions of
their arguments (in-place writes are refused by the trace), so an instruction whose outputs no
one reads is dropped, and two instructions with the same kernel and the same arguments are one.
"""

from __future__ import annotations

import numpy as np

from .trace import Slot

_ndarray = np.ndarray


def _as_array(r):
    return r if type(r) is _ndarray else np.asanyarray(r)


def _outs(ins):
    return ins.out if isinstance(ins.out, tuple) else (ins.out,)


def _walk(x, fn):
    """Apply ``fn`` to every Slot in an argument (tuples and lists of slots too)."""
    if type(x) is Slot:
        return fn(x)
    if type(x) in (tuple, list):
        return type(x)(_walk(y, fn) for y in x)
    return x


def _slots_in(x, acc):
    if type(x) is Slot:
        acc.append(x.i)
    elif type(x) in (tuple, list):
        for y in x:
            _slots_in(y, acc)
    return acc


def eliminate_dead(instrs, live: set) -> list:
    """The instructions that some output reads, transitively (``live``: the slots read at the
    end); kernels have no side effects (NOTE: [replay])."""
    kept = []
    for ins in reversed(instrs):
        if any(o in live for o in _outs(ins)):
            kept.append(ins)
            for a in ins.args:
                live.update(_slots_in(a, []))
            for v in (ins.kwargs or {}).values():
                live.update(_slots_in(v, []))
    kept.reverse()
    return kept


def _key(x):
    """A hashable stand-in for an argument, or None where it has none that is safe (an array
    constant is itself: compared by identity)."""
    if type(x) is Slot:
        return ("s", x.i)
    if isinstance(x, _ndarray):
        return ("a", id(x))
    if type(x) in (tuple, list):
        keys = tuple(_key(y) for y in x)
        return None if None in keys else (type(x), keys)
    if type(x) is float:
        return (float, repr(x))  # 0.0 and -0.0 are different constants
    if type(x) in (int, bool, str, type(None), np.dtype):
        return (type(x), x)
    try:
        hash(x)
    except TypeError:
        return None
    return ("o", id(x))  # other objects by identity: equal only if the same object


def eliminate_common(instrs) -> tuple[list, dict]:
    """Merge instructions with the same kernel and arguments; returns the instructions and the
    renaming of the slots dropped (slot -> the slot that stands for it)."""
    seen: dict = {}
    rename: dict = {}
    kept = []

    def ren(s):
        j = rename.get(s.i)
        return s if j is None else Slot(j)

    for ins in instrs:
        if rename:
            ins.args = tuple(_walk(a, ren) for a in ins.args)
            if ins.kwargs:
                ins.kwargs = {k: _walk(v, ren) for k, v in ins.kwargs.items()}
        kw = ins.kwargs or {}
        parts = [_key(a) for a in ins.args] + [(k, _key(kw[k])) for k in sorted(kw)]
        if None in parts or any(p[1] is None for p in parts[len(ins.args) :]):
            kept.append(ins)
            continue
        key = (id(ins.fn), tuple(parts))
        first = seen.get(key)
        if first is None:
            seen[key] = ins
            kept.append(ins)
            continue
        for a, b in zip(_outs(ins), _outs(first)):
            rename[a] = b
    return kept, rename


def compose_permutes(instrs) -> tuple[list, dict]:
    """A permute of a permute is one permute, and none where the two undo each other (a
    backward's transpose of a transpose): a copy fewer, and the next kernel reads the array
    in its own layout (W6's update ``w - 0.01 * g`` read g transposed, 4x slower)."""
    made: dict = {}  # slot -> (source slot, dims) of the permutes
    rename: dict = {}
    kept = []
    for ins in instrs:
        if ins.name == "permute" and ins.kwargs and type(ins.args[0]) is Slot:
            src = ins.args[0].i
            src = rename.get(src, src)
            dims = tuple(int(d) for d in ins.kwargs["dims"])
            if src in made:
                src, first = made[src]
                dims = tuple(first[d] for d in dims)
            if dims == tuple(range(len(dims))):
                rename[ins.out] = src
                continue
            made[ins.out] = (src, dims)
            ins.args = (Slot(src),)
            ins.kwargs = {"dims": dims}
        elif rename:
            ins.args = tuple(_walk(a, lambda x: Slot(rename.get(x.i, x.i))) for a in ins.args)
            if ins.kwargs:
                ins.kwargs = {
                    k: _walk(v, lambda x: Slot(rename.get(x.i, x.i))) for k, v in ins.kwargs.items()
                }
        kept.append(ins)
    return kept, rename


def generate(instrs, inputs: list[int], outputs: list, name: str = "program"):
    """One Python function ``f(*input_arrays) -> tuple`` running ``instrs``; ``outputs``: per
    output a Slot, or a constant."""
    # the module NumPy's warnings name: filtered as the kernels' own (NOTE: [numpy warnings])
    env: dict = {"_as_array": _as_array, "__name__": "dualgrad._compile.replay"}
    consts: dict = {}

    def const(x):
        k = id(x)
        if k not in consts:
            consts[k] = f"c{len(consts)}"
            env[consts[k]] = x
        return consts[k]

    def expr(x):
        if type(x) is Slot:
            return f"v{x.i}"
        if type(x) in (tuple, list) and any(type(y) is Slot for y in x):
            inner = ", ".join(expr(y) for y in x)
            return f"({inner},)" if type(x) is tuple else f"[{inner}]"
        if x is None or type(x) in (bool, int) or (type(x) is float and np.isfinite(x)):
            return repr(x)
        return const(x)

    lines = [f"def {name}({', '.join(f'v{i}' for i in inputs)}):"]
    for n, ins in enumerate(instrs):
        fn = f"k{n}"
        env[fn] = ins.fn
        call = ", ".join(
            [expr(a) for a in ins.args] + [f"{k}={expr(v)}" for k, v in (ins.kwargs or {}).items()]
        )
        if isinstance(ins.out, tuple):
            lines.append(f"    t = {fn}({call})  # {ins.name}")
            for j, o in enumerate(ins.out):
                lines.append(
                    f"    v{o} = _as_array(t[{j}])" if ins.scalar else f"    v{o} = t[{j}]"
                )
        elif ins.scalar:
            lines.append(f"    v{ins.out} = _as_array({fn}({call}))  # {ins.name}")
        else:
            lines.append(f"    v{ins.out} = {fn}({call})  # {ins.name}")
    lines.append(f"    return ({''.join(expr(o) + ', ' for o in outputs)})")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<dualgrad.compile {name}>", "exec"), env)  # noqa: S102
    fn = env[name]
    fn.source = source
    return fn
