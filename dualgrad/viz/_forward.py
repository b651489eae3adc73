"""Pictures of forward-mode computations: which primals and tangents flowed through which ops.

PyTorch keeps no forward graph, so torchviz cannot draw forward mode. Here a ``ForwardTrace``
records the ops that run while it is active, with the tangents (per dual level) that went in
and came out of each, and draws them: primals as solid black edges, tangents as dashed edges
coloured by level.

# NOTE: [forward trace hook]
The core has no tracing hook, so a trace wraps module-level functions while it is active
(restored on exit, also on error): ``dualgrad._dispatch._apply_at_levels`` and
``_apply_at_its_level`` (its one-input form), one of which every primitive call takes while a
level is live, and ``_dispatch.ground``, which a call recording a
view or several outputs takes outside levels (NOTE: [hot path] in _dispatch.py), and
``dualgrad.autograd.function._apply``, the call of a custom Function. Calls nested inside
another recorded call are the jvp rules at work (their ops re-enter the dispatcher; NOTE:
[dispatch order]) or a Function's hidden forward; they are not drawn, so one box is one op of
the user's program. The trace records only on the thread that opened it, and only ops that
reach those: inside a dual level every op does; outside one, only ops recording a gradient
that are not on the hot path's plain route.
"""

from __future__ import annotations

import threading

import numpy as np

from .._tensor import Tensor
from ._backward import NODE_ATTR, resize_graph, size_to_str
from ._graphviz import new_digraph

__all__ = ["ForwardTrace", "forward_trace", "trace_dot"]

# Tangent colours by level (outermost first); primals are black.
LEVEL_COLOURS = ("red", "blue", "darkgreen", "purple", "darkorange", "brown")
INPUT, OUTPUT, CONSTANT, TANGENT_FILL = "lightblue", "darkolivegreen1", "white", "mistyrose"
_DISPATCH_ENTRIES = (
    "_apply_at_levels",
    "_apply_at_its_level",
    "ground",
)  # NOTE: [forward trace hook]


class _Call:
    """One recorded op (or custom Function) call."""

    __slots__ = ("name", "kind", "inputs", "outputs", "out_tangents", "mixed")

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind  # "op" or "function"
        self.inputs = []  # (primal source, {level: tangent source}) per tensor input
        self.outputs = []  # tensors
        self.out_tangents = []  # {level: tangent} per output
        self.mixed = {}  # id(tangent) -> {lower level: its tangent}: mixed partials


class ForwardTrace:
    """Records the ops run while active; ``dot(outputs)`` draws them. See ``forward_trace``."""

    def __init__(self):
        self.calls: list[_Call] = []
        self._producer = {}  # id(tensor) -> (call index, output number)
        self._by_node = {}  # (id(grad_fn), output number) -> (call index, output number)
        self._tangent_src = {}  # id(tangent) -> (call index, output number, level)
        self._keep = []  # every tensor seen: their ids stay unique while the trace lives
        self._depth = 0
        self._thread = None
        self._saved = None

    # ------------------------------------------------------------ activation
    def __enter__(self) -> "ForwardTrace":
        from .. import _dispatch
        from ..autograd import function

        if self._saved is not None:
            raise RuntimeError("this ForwardTrace is already active")
        entries = [getattr(_dispatch, name, None) for name in _DISPATCH_ENTRIES]
        fn_apply = getattr(function, "_apply", None)
        if None in entries or fn_apply is None:
            raise RuntimeError(
                f"forward_trace: one of dualgrad._dispatch.{_DISPATCH_ENTRIES} or "
                "dualgrad.autograd.function._apply is gone; update the hook described in "
                "NOTE: [forward trace hook] (dualgrad/viz/_forward.py)"
            )
        self._thread = threading.get_ident()
        self._saved = (entries, fn_apply)
        trace = self

        def traced(entry):
            def traced_entry(op, args, params):
                if threading.get_ident() != trace._thread:
                    return entry(op, args, params)
                return trace._call(entry, (op, args, params), op.name, "op", args)

            return traced_entry

        def traced_function(cls, args, kwargs):
            if threading.get_ident() != trace._thread:
                return fn_apply(cls, args, kwargs)
            return trace._call(fn_apply, (cls, args, kwargs), cls.__name__, "function", args)

        for name, entry in zip(_DISPATCH_ENTRIES, entries):
            setattr(_dispatch, name, traced(entry))
        function._apply = traced_function
        return self

    def __exit__(self, *exc) -> bool:
        from .. import _dispatch
        from ..autograd import function

        entries, function._apply = self._saved
        for name, entry in zip(_DISPATCH_ENTRIES, entries):
            setattr(_dispatch, name, entry)
        self._saved = None
        return False

    def _call(self, fn, fn_args, name, kind, args):
        depth = self._depth
        if depth:  # inside a rule or a Function's forward: NOTE: [forward trace hook]
            self._depth += 1
            try:
                return fn(*fn_args)
            finally:
                self._depth -= 1
        call = _Call(name, kind)
        for a in args:
            if isinstance(a, Tensor):
                self._keep.append(a)
                tangents = {lv: self._tangent_source(t) for lv, t in (a._fw or {}).items()}
                call.inputs.append((self._source(a), tangents))
        self._depth += 1
        try:
            out = fn(*fn_args)
        finally:
            self._depth -= 1
        index = len(self.calls)
        self.calls.append(call)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor):
                continue
            self._keep.append(o)
            call.outputs.append(o)
            tangents = dict(o._fw or {})
            call.out_tangents.append(tangents)
            self._producer[id(o)] = (index, len(call.outputs) - 1)
            if o.grad_fn is not None:
                self._by_node[(id(o.grad_fn), o._out_nr)] = (index, len(call.outputs) - 1)
            for level, t in tangents.items():
                self._keep.append(t)
                self._tangent_src[id(t)] = (index, len(call.outputs) - 1, level)
                if t._fw:  # read now: leaving a level drops its tangents
                    call.mixed[id(t)] = dict(t._fw)
                    self._keep.extend(t._fw.values())
        return out

    # ------------------------------------------------------------ where values came from
    def _source(self, t):
        """("call", index) for a tensor an op recorded here made, else ("tensor", tensor)."""
        found = self._producer.get(id(t))
        if found is None and t.grad_fn is not None:  # e.g. x after an in-place op
            found = self._by_node.get((id(t.grad_fn), t._out_nr))
        if found is None:
            for tangent in (t._fw or {}).values():
                src = self._tangent_src.get(id(tangent))
                if src is not None:
                    found = src[:2]
                    break
        return ("call", found[0]) if found is not None else ("tensor", t)

    def _tangent_source(self, tangent):
        self._keep.append(tangent)
        found = self._tangent_src.get(id(tangent))
        return ("call", found[0]) if found is not None else ("tensor", tangent)

    # ------------------------------------------------------------ drawing
    def dot(self, outputs, params=None, show_values=False):
        """A ``graphviz.Digraph`` of the recorded ops that lead to ``outputs``.

        ``outputs``: a tensor or a tuple of them; ``params``: names for tensors (a dual made by
        ``make_dual`` is also found under its primal's name); ``show_values``: write small
        tensors' values into their boxes. Boxes: grey ops (``mul``) and custom Functions;
        light blue inputs; dark olive green outputs; pink boxes with a dashed border, tangents.
        Edges: solid black carries a primal, dashed coloured (one colour per dual level, red for
        the outermost) carries a tangent.
        """
        outs = tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                raise TypeError(f"dot: outputs must be Tensors; item {i} is {type(o).__name__}")
        names = {}
        for name, p in dict(params or {}).items():
            if not isinstance(p, Tensor):
                raise TypeError(f"dot: params[{name!r}] is {type(p).__name__}, not a Tensor")
            names[id(p)] = name
        return _Picture(self, names, show_values).draw(outs)


def forward_trace() -> ForwardTrace:
    """A context manager that records the ops run inside it, to draw forward mode.

    >>> import dualgrad as dg
    >>> import dualgrad.autograd.forward_ad as fwAD
    >>> from dualgrad.viz import forward_trace
    >>> x, v = dg.tensor([1.0, 2.0]), dg.tensor([1.0, 0.0])
    >>> with forward_trace() as tr, fwAD.dual_level():
    ...     y = dg.sin(fwAD.make_dual(x, v)) * 2
    >>> [c.name for c in tr.calls]
    ['sin', 'mul']
    >>> dot = tr.dot(y, params={"x": x, "y": y})  # a graphviz.Digraph

    NOTE: [forward trace hook] says what it sees. Inside it one may also run a backward pass in
    a dual level (forward-over-reverse): its ops are drawn with the tangents they carried.
    """
    return ForwardTrace()


def trace_dot(fn, *primals, tangents, names=None, show_values=False):
    """Run ``fn(*duals)`` in a new dual level and draw which primals and tangents flowed where.

    ``tangents`` has one entry per primal (a Tensor, or None for an input without tangent);
    ``names`` optionally names the inputs (default ``x0, x1, ...``), the outputs are named
    ``out`` (``out0, out1, ...`` for several). Returns a ``graphviz.Digraph``: primals are
    solid black edges, tangents dashed red edges (dashed in other colours for levels that
    ``fn`` opens itself); see ``ForwardTrace.dot`` for the boxes.

    >>> import dualgrad as dg
    >>> from dualgrad.viz import trace_dot
    >>> dot = trace_dot(lambda x, y: x ** 2 + y ** 2, dg.ones(3), dg.ones(3),
    ...                 tangents=(dg.ones(3), None), names=("x", "y"))
    >>> "x.tangent" in dot.source and "style=dashed" in dot.source
    True
    """
    from ..autograd import forward_ad as fwAD

    if isinstance(tangents, Tensor) or tangents is None:
        tangents = (tangents,)
    tangents = tuple(tangents)
    if len(tangents) != len(primals):
        raise ValueError(
            f"trace_dot: {len(primals)} primals but {len(tangents)} tangents; give "
            "one tangent (or None) per primal"
        )
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(len(primals)))
    if len(names) != len(primals):
        raise ValueError(f"trace_dot: {len(primals)} primals but {len(names)} names")
    params = {}
    with ForwardTrace() as trace, fwAD.dual_level():
        args = []
        for p, t, name in zip(primals, tangents, names):
            a = fwAD.make_dual(p, t) if t is not None else p
            if isinstance(a, Tensor):
                params[name] = a
            args.append(a)
        out = fn(*args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = tuple(o for o in outs if isinstance(o, Tensor))
    if len(outs) == 1:
        params["out"] = outs[0]
    else:
        params.update({f"out{i}": o for i, o in enumerate(outs)})
    return trace.dot(outs, params=params, show_values=show_values)


# ---------------------------------------------------------------------------- the picture
def _values(t, limit=6) -> str:
    data = np.asarray(t._data) + 0  # + 0: no "-0." in a picture
    if data.size > limit:
        return ""
    return "\n " + np.array2string(
        data.reshape(-1) if data.ndim > 1 else data,
        precision=3,
        suppress_small=True,
        separator=", ",
    )


class _Picture:
    def __init__(self, trace, names, show_values):
        self.trace = trace
        self.names = names
        self.show_values = show_values
        self.levels = sorted(
            {lv for c in trace.calls for tans in c.out_tangents for lv in tans}
            | {lv for c in trace.calls for _, tans in c.inputs for lv in tans}
        )
        self.dot = new_digraph(node_attr=NODE_ATTR, graph_attr=dict(size="12,12"))
        self.drawn_calls = set()
        self.drawn_tensors = set()

    def name_of(self, t) -> str:
        name = self.names.get(id(t))
        while name is None and t._base is not None:  # a dual from make_dual: its primal's
            t = t._base
            name = self.names.get(id(t))
        return name or ""

    def level_name(self, level) -> str:
        return f"level {self.levels.index(level) + 1}" if level in self.levels else "level ?"

    def colour(self, level) -> str:
        i = self.levels.index(level) if level in self.levels else 0
        return LEVEL_COLOURS[i % len(LEVEL_COLOURS)]

    def tangent_attrs(self, level) -> dict:
        return dict(style="dashed", color=self.colour(level))

    def tensor_box(self, t, fill) -> str:
        key = f"t{id(t)}"
        if key not in self.drawn_tensors:
            self.drawn_tensors.add(key)
            name = self.name_of(t) or ("constant" if fill == CONSTANT else "")
            label = "%s\n %s" % (name, size_to_str(t.shape))
            if self.show_values:
                label += _values(t)
            self.dot.node(key, label, fillcolor=fill)
        return key

    def tangent_box(self, tangent, level, of, prefix=None) -> str:
        key = f"g{id(tangent)}"
        if key not in self.drawn_tensors:
            self.drawn_tensors.add(key)
            if prefix is None:
                prefix = self.name_of(of) if of is not None else ""
            prefix = f"{prefix}.tangent ({self.level_name(level)})"
            label = "%s\n %s" % (prefix, size_to_str(tangent.shape))
            if self.show_values:
                label += _values(tangent)
            self.dot.node(
                key, label, fillcolor=TANGENT_FILL, style="filled,dashed", color=self.colour(level)
            )
            # A tangent of a tangent (nested levels) is a mixed partial: draw it hanging off.
            src = self.trace._tangent_src.get(id(tangent))
            mixed = self.trace.calls[src[0]].mixed.get(id(tangent), {}) if src else {}
            for lower, tt in sorted(mixed.items()):
                self.dot.edge(
                    key, self.tangent_box(tt, lower, None, prefix), **self.tangent_attrs(lower)
                )
        return key

    def source_key(self, src, level=None, of=None) -> str:
        kind, what = src
        if kind == "call":
            self.draw_call(what)
            return f"c{what}"
        if level is None:
            named = self.name_of(what) or what._requires_grad
            return self.tensor_box(what, INPUT if named else CONSTANT)
        return self.tangent_box(what, level, of)

    def draw_call(self, index) -> None:
        if index in self.drawn_calls:
            return
        self.drawn_calls.add(index)
        call = self.trace.calls[index]
        pushed = sorted({lv for tans in call.out_tangents for lv in tans})
        label = call.name if call.kind == "op" else f"{call.name}\n(Function)"
        attrs = {}
        if pushed:  # it computed tangents: its border in the colour of the outermost level
            attrs = dict(color=self.colour(pushed[0]), penwidth="2")
        self.dot.node(f"c{index}", label, fillcolor="lightgrey", **attrs)
        for src, tangents in call.inputs:
            of = src[1] if src[0] == "tensor" else None
            self.dot.edge(self.source_key(src), f"c{index}")
            for level, tsrc in sorted(tangents.items()):
                self.dot.edge(
                    self.source_key(tsrc, level, of), f"c{index}", **self.tangent_attrs(level)
                )

    def draw(self, outs):
        for o in outs:
            src = self.trace._source(o)
            out_key = self.tensor_box(o, OUTPUT)
            if src[0] == "call":
                self.draw_call(src[1])
                self.dot.edge(f"c{src[1]}", out_key)
                call = self.trace.calls[src[1]]
                nr = next((i for i, t in enumerate(call.outputs) if t is o), None)
                tangents = call.out_tangents[nr] if nr is not None else dict(o._fw or {})
            else:
                tangents = dict(o._fw or {})
            for level, t in sorted(tangents.items()):
                tsrc = self.trace._tangent_src.get(id(t))
                key = self.tangent_box(t, level, o)
                tail = f"c{tsrc[0]}" if tsrc is not None else None
                if tail is not None:
                    self.draw_call(tsrc[0])
                    self.dot.edge(tail, key, **self.tangent_attrs(level))
        if self.levels:
            legend = "\n".join(
                ["solid black edges: primal values"]
                + [
                    f"dashed {self.colour(lv)} edges: tangents of dual {self.level_name(lv)}"
                    for lv in self.levels
                ]
                + ["an op with a coloured border computed a tangent"]
            )
            self.dot.attr(label=legend, labelloc="b", fontsize="10", fontname="monospace")
        resize_graph(self.dot)
        return self.dot
