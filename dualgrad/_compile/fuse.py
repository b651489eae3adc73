"""Fusion of element-wise chains: a group of element-wise instructions of one shape and dtype
becomes one loop, compiled with numba when it is installed (NOTE: [fusion]).

# NOTE: [fusion]
A replay of many small element-wise kernels pays per call, not per element (W4: 676 ufunc calls
on 16 floats, about 0.75 us each, nearly all of it call overhead). A *group* is a set of
element-wise instructions with the same output shape and floating dtype whose inputs are either
made in the group, or arrays of that shape, or of one element (broadcast), or Python numbers.
The group becomes one function: a loop over the elements whose body is each instruction's
scalar expression in the recorded order, reading the group's inputs once and writing only the
values read outside the group. ``numba.njit`` compiles it on its first call (once per source:
the same group in another program reuses the compiled loop).

Correctness before speed: a ufunc is in the table only if its scalar expression computes what
the ufunc computes, in the same dtype, with the same NaN, inf and signed-zero results.

- The arithmetic (+ - * /, negation, square as x*x, reciprocal as 1/x, abs, sqrt, floor, ceil)
  is IEEE-exact in both, so fused and unfused results are bitwise equal; ``error_model='numpy'``
  makes x/0 inf or NaN, as NumPy's, instead of raising.
- The transcendental functions (sin, cos, exp, log, tanh, ...) are the C library's in numba and
  NumPy's own (often SIMD) versions unfused: equal to rounding, not always bitwise.
- Dtypes: every array input must have the output's dtype and Python numbers are cast to it
  (NumPy 2's weak scalars), so every operation runs in the output's dtype as the ufunc's loop
  does (float32 stays float32: numba computes float32 op float32 in float32).
- Left out: integer and bool outputs (division and remainder sign rules, overflow), maximum and
  minimum (NumPy's choice between -0.0 and 0.0 differs between its loops), power, sign, rint,
  and every kernel that is not a plain ufunc.

Inputs that broadcast along some dimensions only (a bias (256,) added to (64, 256)) end the
group there: the loop reads its inputs flat. A group is placed where its last member was, with
every instruction between its members that does not read the group moved before it; an
instruction that reads a group's value closes the group (the group is emitted there).
Without numba nothing is fused: an interpreted loop is far slower than NumPy's kernels.
"""

from __future__ import annotations

import math

import numpy as np

from .trace import Instr, Slot

MIN_GROUP = 2  # a single instruction stays a plain ufunc call

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# ufunc -> its scalar expression over the operands {0}, {1}; ONE is 1 in the group's dtype
SCALAR = {
    np.add: "{0} + {1}",
    np.subtract: "{0} - {1}",
    np.multiply: "{0} * {1}",
    np.true_divide: "{0} / {1}",
    np.negative: "-{0}",
    np.square: "{0} * {0}",
    np.reciprocal: "ONE / {0}",
    np.absolute: "np.abs({0})",
    np.sqrt: "np.sqrt({0})",
    np.floor: "np.floor({0})",
    np.ceil: "np.ceil({0})",
    np.sin: "np.sin({0})",
    np.cos: "np.cos({0})",
    np.tan: "np.tan({0})",
    np.exp: "np.exp({0})",
    np.expm1: "np.expm1({0})",
    np.log: "np.log({0})",
    np.log1p: "np.log1p({0})",
    np.tanh: "np.tanh({0})",
    np.sinh: "np.sinh({0})",
    np.cosh: "np.cosh({0})",
    np.arctan: "np.arctan({0})",
}

# "numba" (the default when it imports), "python" (the same loop interpreted: tests check the
# generated code without numba with it), or None (no fusion)
# x ** n for the exponents the kernel computes by multiplication (NOTE: [pow by
# multiplication] in _ops/elementwise.py's _POW_SHORTCUTS): the same operations in the same
# order, so fused and unfused results are bitwise equal (float32 and float64 only, as there)
POW_SCALAR_EXPR = {
    1: "{0}",
    2: "{0} * {0}",
    3: "{0} * {0} * {0}",
    -1: "ONE / {0}",
    -2: "ONE / ({0} * {0})",
    0.5: "np.sqrt({0})",
    -0.5: "ONE / np.sqrt({0})",
}

backend: str | None = "auto"
_compiled: dict = {}  # (backend, source) -> the compiled loop


def active_backend() -> str | None:
    global backend
    if backend == "auto":
        try:
            import numba  # noqa: F401
        except ImportError:
            backend = None
        else:
            backend = "numba"
    return backend


def _shape_of(x, value):
    """(shape, dtype) of an array argument, None for a Python number, False if neither."""
    if type(x) is Slot:
        v = value.get(x.i)
        return (v.shape, v.dtype) if isinstance(v, np.ndarray) else False
    if isinstance(x, np.ndarray):
        return x.shape, x.dtype
    if type(x) in (int, float):
        return None
    return False


def _expression(ins: Instr) -> str | None:
    """The scalar expression of ``ins`` (its arguments as {0}, {1}), or None if it has none."""
    fn = _ufunc(ins.fn)
    if fn is not None:
        return SCALAR[fn] if not ins.kwargs and len(ins.args) == fn.nin else None
    from .._ops.elementwise import POW_SCALAR

    if (
        ins.fn is POW_SCALAR.forward
        and len(ins.args) == 1
        and set(ins.kwargs or ()) == {"exponent"}
    ):
        e = ins.kwargs["exponent"]
        return POW_SCALAR_EXPR.get(e) if type(e) in (int, float) else None
    return None


def group_key(ins: Instr, value) -> tuple | None:
    """(shape, dtype) of the group ``ins`` can join, or None if it cannot be fused."""
    if type(ins.out) is not int or _expression(ins) is None:
        return None
    out = value.get(ins.out)
    if not isinstance(out, np.ndarray) or out.dtype not in _FLOATS or out.size < 1:
        return None
    shape, dtype = out.shape, out.dtype
    if not shape:
        return None  # one element: nothing to gain from a loop
    for a in ins.args:
        s = _shape_of(a, value)
        if s is None:
            if not _castable(a, dtype):
                return None
            continue
        if s is False or s[1] != dtype:
            return None
        if s[0] != shape and not (math.prod(s[0]) == 1 and len(s[0]) <= len(shape)):
            return None
    return shape, dtype


def _ufunc(fn):
    """The table's ufunc that ``fn`` computes on float arrays, or None: a kernel marked with
    ``.ufunc`` gives that ufunc's result for float inputs (NOTE: [fast entries] in
    _dispatch.py), and a group's array inputs are all floats."""
    uf = fn if isinstance(fn, np.ufunc) else getattr(fn, "ufunc", None)
    return uf if isinstance(uf, np.ufunc) and uf in SCALAR else None


def _castable(x, dtype) -> bool:
    with np.errstate(all="raise"):
        try:
            c = dtype.type(x)
        except (OverflowError, FloatingPointError):
            return False
    return type(x) is float or float(c) == x  # an int must be exact in the dtype


def fuse(instrs: list, value: dict, results: set) -> list:
    """``instrs`` with element-wise groups fused (NOTE: [fusion]); ``value``: slot -> traced
    value; ``results``: the slots the program returns."""
    if active_backend() is None:
        return instrs
    readers: dict = {}
    for n, ins in enumerate(instrs):
        for s in _reads(ins):
            readers.setdefault(s, set()).add(n)
    position = {id(ins): n for n, ins in enumerate(instrs)}
    # the slots an instruction makes (the others are the program's inputs, whose layout may
    # differ from call to call)
    made = {o for ins in instrs for o in (ins.out if type(ins.out) is tuple else (ins.out,))}
    kept: list = []
    groups: dict = {}  # key -> members, open
    made_by: dict = {}  # slot -> key of the open group that makes it

    def close(key):
        members = groups.pop(key)
        for ins in members:
            made_by.pop(ins.out, None)
        if len(members) < MIN_GROUP:
            kept.extend(members)
            return
        inside = {position[id(ins)] for ins in members}
        needed = [
            ins.out
            for ins in members
            if ins.out in results or any(r not in inside for r in readers.get(ins.out, ()))
        ]
        kept.append(_fused_instr(members, needed, key, value, made))

    for ins in instrs:
        key = group_key(ins, value)
        for k in {made_by[s] for s in _reads(ins) if s in made_by}:
            if k != key:
                close(k)
        if key is None:
            kept.append(ins)
            continue
        groups.setdefault(key, []).append(ins)
        made_by[ins.out] = key
    for key in list(groups):
        close(key)
    return kept


def _reads(ins) -> list:
    acc: list = []
    for a in ins.args:
        _slots(a, acc)
    for v in (ins.kwargs or {}).values():
        _slots(v, acc)
    return acc


def _slots(x, acc):
    if type(x) is Slot:
        acc.append(x.i)
    elif type(x) in (tuple, list):
        for y in x:
            _slots(y, acc)


def _fused_instr(members, needed, key, value, made) -> Instr:
    """One instruction running ``members`` as one loop, its outputs the slots ``needed``."""
    shape, dtype = key
    n = math.prod(shape)
    local = {ins.out: k for k, ins in enumerate(members)}  # names by position: the same
    # chain in another program (or for another shape) has the same source, compiled once
    env_consts: dict = {}  # name -> a number in the group's dtype, frozen into the loop
    inputs: list = []  # the fused function's arguments: Slots and array constants
    names: dict = {}  # key of an argument -> its scalar name in the loop

    def operand(a):
        if type(a) is Slot and a.i in local:
            return f"t{local[a.i]}"
        if type(a) in (int, float):
            k = ("num", type(a), repr(a))
            if k not in names:
                names[k] = f"K{len(env_consts)}"
                env_consts[names[k]] = dtype.type(a)
            return names[k]
        k = ("slot", a.i) if type(a) is Slot else ("const", id(a))
        if k not in names:
            names[k] = f"e{len(inputs)}"  # the element read in the loop
            inputs.append(a)
        return names[k]

    body = []
    for k, ins in enumerate(members):
        expr = _expression(ins).format(*(operand(a) for a in ins.args))
        body.append(f"        t{k} = {expr}")
    head = [f"def fused({', '.join(f'x{j}' for j in range(len(inputs)))}):"]
    loads = []
    size, out_shape = str(n), repr(shape)
    for j, a in enumerate(inputs):
        v = value.get(a.i) if type(a) is Slot else a
        fixed = type(a) is not Slot or a.i in made  # (made by the program: the same layout)
        if fixed and v.ndim and v.size and not any(v.strides):  # an expanded element: once
            head.append(f"    e{j} = x{j}[{', '.join('0' * v.ndim)},]")
        elif _shape_of(a, value)[0] == shape:
            head.append(f"    a{j} = np.ascontiguousarray(x{j}).reshape(x{j}.size)")
            loads.append(f"        e{j} = a{j}[i]")
            size, out_shape = f"a{j}.shape[0]", f"x{j}.shape"
        else:  # one element, broadcast: read once
            head.append(f"    e{j} = x{j}.reshape(1)[0]")
    for k in range(len(needed)):
        head.append(f"    o{k} = np.empty({size}, np.{dtype.name})")
    loop = [f"    for i in range({size}):"] + loads + body
    loop += [f"        o{k}[i] = t{local[out]}" for k, out in enumerate(needed)]
    ret = "".join(f"o{k}.reshape({out_shape}), " for k in range(len(needed)))
    source = "\n".join(head + loop + [f"    return ({ret})"]) + "\n"
    fn = _compile(source, {"ONE": dtype.type(1), **env_consts})
    ops = ", ".join(ins.name for ins in members[:6]) + (", ..." if len(members) > 6 else "")
    return Instr(fn, tuple(inputs), None, tuple(needed), False, f"fused {len(members)} [{ops}]")


def _compile(source: str, consts: dict):
    mode = active_backend()
    key = (mode, source, tuple((k, v.dtype.str, repr(v)) for k, v in sorted(consts.items())))
    fn = _compiled.get(key)
    if fn is not None:
        return fn
    env = {"np": np, **consts}
    exec(compile(source, "<dualgrad.compile fused>", "exec"), env)  # noqa: S102
    fn = env["fused"]
    if mode == "numba":
        import numba

        fn = numba.njit(error_model="numpy", cache=False, nogil=True)(fn)
    else:
        fn = _interpreted(fn)
    fn.source = source  # type: ignore[attr-defined]
    _compiled[key] = fn
    return fn


def _interpreted(fn):
    def run(*args):
        with np.errstate(all="ignore"):
            return fn(*args)

    return run
