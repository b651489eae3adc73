"""make_dot: a picture of the reverse graph behind some tensors, with torchviz's conventions.

# NOTE: [make_dot conventions]
As torchviz draws PyTorch's graphs: grey boxes are backward nodes, named by ``node.name()``
(``MulBackward0``, ``CubeBackward``); an edge goes from a node to the node that consumes its
gradient's input, i.e. in the direction the forward computation ran. Tensors are coloured boxes
labelled ``name\\n (shape)``, the name coming from ``params``:
- light blue: a leaf that requires grad, drawn above its ``AccumulateGrad``;
- dark olive green 1: a tensor passed in ``var`` (the outputs; several at once as a tuple);
  dark olive green 3: the base of an output that is a view (dotted edge);
- orange: a saved tensor, joined to its node by an undirected edge. A custom Function's saved
  tensors are always drawn (as torchviz does); a primitive's only with ``show_saved``.
Unlike torchviz, each tensor is one DOT node declared once: a tensor that is several of these
takes the first colour of the list (torchviz re-declares it and the last declaration wins).
A graph made with ``create_graph=True`` needs nothing special: the backward pass recorded its
own nodes, whose edges lead into the forward graph's nodes, so the second backward is drawn
hanging off the first; a backward that was not recorded (the seed's SinhBad) leaves its
gradient a lone box.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import BackwardCFunction
from .._graph import AccumulateGrad, OpNode, rule_reads
from ._graphviz import new_digraph

__all__ = ["make_dot"]

NODE_ATTR = dict(
    style="filled",
    shape="box",
    align="left",
    fontsize="10",
    ranksep="0.1",
    height="0.2",
    fontname="monospace",
)
LEAF, OUTPUT, VIEW_BASE, SAVED = "lightblue", "darkolivegreen1", "darkolivegreen3", "orange"
_PRIORITY = {LEAF: 0, OUTPUT: 1, VIEW_BASE: 2, SAVED: 3}
_ARG_NAMES = ("self", "other")
# What a Function's ctx holds for the machinery, not for the user (NOTE: [custom function modes])
_CTX_FIELDS = frozenset(
    {
        "edges",
        "pre_hooks",
        "needs_input_grad",
        "to_save",
        "saved_for_forward",
        "dirty_tensors",
        "non_differentiable",
        "materialize_grads",
    }
)


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """A ``graphviz.Digraph`` of the backward graph behind ``var`` (a tensor or a tuple of them).

    ``params`` maps names to tensors, to label them; ``show_saved`` also draws the tensors that
    primitives saved for backward; ``show_attrs`` lists each node's non-tensor attributes
    (truncated to ``max_attr_chars``). Colours and layout follow torchviz: NOTE: [make_dot
    conventions]. Needs the ``graphviz`` package (``pip install 'dualgrad[viz]'``); rendering
    (``.render``, ``.pipe``) also needs the Graphviz ``dot`` program, ``.source`` does not.

    >>> import dualgrad as dg
    >>> from dualgrad.viz import make_dot
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> dot = make_dot(y, params={"x": x, "y": y})
    >>> [w for w in ("SumBackward0", "MulBackward0", "AccumulateGrad") if w in dot.source]
    ['SumBackward0', 'MulBackward0', 'AccumulateGrad']
    """
    roots = tuple(var) if isinstance(var, (tuple, list)) else (var,)
    for i, r in enumerate(roots):
        if not isinstance(r, Tensor):
            raise TypeError(
                f"make_dot: var must be a Tensor or a tuple of Tensors; item {i} is "
                f"{type(r).__name__}"
            )
    param_map = {}
    for name, p in dict(params or {}).items():
        if not isinstance(p, Tensor):
            raise TypeError(f"make_dot: params[{name!r}] is {type(p).__name__}, not a Tensor")
        param_map[id(p)] = name
    return _Drawing(param_map, show_attrs, show_saved, max_attr_chars).draw(roots)


def size_to_str(shape) -> str:
    return "(" + ", ".join("%d" % v for v in shape) + ")"


def _short(value, limit: int) -> str:
    s = str(value).replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 3] + "..."


class _Drawing:
    def __init__(self, param_map, show_attrs, show_saved, max_attr_chars):
        self.param_map = param_map
        self.show_attrs = show_attrs
        self.show_saved = show_saved
        self.max_attr_chars = max(max_attr_chars, 3)
        self.tensors = {}  # id -> [tensor, colour, name]; first-seen order
        self.by_data = {}  # id of a tensor's array -> the key it was first drawn under
        self.nodes = {}  # id -> (node, label)
        self.edges = []  # (tail id, head id, attrs)
        self.keep = []  # hold every object drawn, so no id is reused while drawing

    # ------------------------------------------------------------ collecting
    def _key(self, t, colour):
        """One picture node per tensor. A node saves a stand-in for its output (NOTE: [saved
        outputs] in autograd/graph.py): a saved tensor is the same picture node as the tensor
        whose data it shares."""
        key = id(t)
        if key in self.tensors:
            return key
        other = self.by_data.get(id(t._data))
        if other is not None and (colour == SAVED or self.tensors[other][1] == SAVED):
            return other
        return key

    def tensor(self, t, colour, name=None):
        key = self._key(t, colour)
        entry = self.tensors.get(key)
        if entry is None:
            self.keep.append(t)
            self.tensors[key] = [t, colour, name]
            self.by_data.setdefault(id(t._data), key)
        else:
            if _PRIORITY[colour] < _PRIORITY[entry[1]]:
                entry[1] = colour
            if name and not entry[2]:
                entry[2] = name
            elif name and name not in entry[2].split(" / "):  # saved by several nodes
                entry[2] = f"{entry[2]} / {name}"
        return str(key)

    def edge(self, tail, head, **attrs):
        self.edges.append((tail, head, attrs))

    def add_root(self, t, colour=OUTPUT):
        key = self._key(t, colour)
        if key in self.tensors and self.tensors[key][1] != SAVED:
            self.tensor(t, colour)
            return
        key = self.tensor(t, colour)
        if t.grad_fn is not None:
            self.add_node(t.grad_fn)
            self.edge(str(id(t.grad_fn)), key)
        if t._base is not None:
            base = self._key(t._base, VIEW_BASE)
            self.add_root(t._base, VIEW_BASE)
            self.edge(str(base), key, style="dotted")

    def add_node(self, fn):
        stack = [fn]
        while stack:  # iterative: deep graphs must not hit the recursion limit
            fn = stack.pop()
            if id(fn) in self.nodes:
                continue
            self.keep.append(fn)
            self.nodes[id(fn)] = (fn, self.label(fn))
            if isinstance(fn, AccumulateGrad):
                leaf = fn.variable
                if leaf is not None:
                    self.edge(self.tensor(leaf, LEAF), str(id(fn)))
            for name, t in self.saved(fn):
                self.edge(self.tensor(t, SAVED, name), str(id(fn)), dir="none")
            nexts = [u for u, _ in fn.next_functions if u is not None]
            for u in nexts:
                self.edge(str(id(u)), str(id(fn)))
            stack.extend(reversed(nexts))

    def saved(self, fn):
        """(name, tensor) of what ``fn`` saved for backward, as far as it is still there."""
        if isinstance(fn, BackwardCFunction):
            try:
                saved = fn.saved_tensors
            except RuntimeError:  # freed by a backward without retain_graph, or modified
                return []
            return [(None, t) for t in saved if isinstance(t, Tensor)]
        if not (self.show_saved and isinstance(fn, OpNode)) or fn.freed or not fn.op.saves:
            return []
        found = [
            (_arg_name(i), a)
            for i in _read_inputs(fn)
            if isinstance(fn.args[i], Tensor)
            for a in (fn.args[i],)
        ]
        if fn.op.uses_out and fn.out is not None:
            outs = fn.out if isinstance(fn.out, tuple) else (fn.out,)
            found += [
                ("result" if len(outs) == 1 else f"result[{i}]", o)
                for i, o in enumerate(outs)
                if isinstance(o, Tensor)
            ]
        return found

    # ------------------------------------------------------------ labels
    def label(self, fn) -> str:
        # torchviz labels a leaf's node with its class name, not name()'s C++ one
        name = "AccumulateGrad" if isinstance(fn, AccumulateGrad) else fn.name()
        if not self.show_attrs:
            return name
        attrs = self.attrs(fn)
        if not attrs:
            return name
        col1 = max(len(k) for k in attrs)
        col2 = min(max(len(v) for v in attrs.values()), self.max_attr_chars)
        sep = "-" * max(col1 + col2 + 2, len(name))
        rows = [f"{k:<{col1}}: {_short(v, col2):>{col2}}" for k, v in attrs.items()]
        return name + "\n" + sep + "\n" + "\n".join(rows)

    def attrs(self, fn) -> dict:
        if isinstance(fn, OpNode):
            out = {}
            if not fn.freed:
                read = set(_read_inputs(fn)) if fn.op.saves else set()
                for i, a in enumerate(fn.args):
                    if isinstance(a, Tensor):
                        if i in read:
                            out[_arg_name(i)] = "[saved tensor]"
                    elif a is not None:
                        out[_arg_name(i)] = str(a)
                if fn.op.uses_out and fn.out is not None:
                    out["result"] = "[saved tensor]"
            out.update({k: str(v) for k, v in fn.params.items()})
            return out
        if isinstance(fn, BackwardCFunction):
            out = {}
            for k, v in vars(fn).items():
                if k.startswith("_") or k in _CTX_FIELDS or callable(v):
                    continue
                out[k] = f"[tensor {size_to_str(v.shape)}]" if isinstance(v, Tensor) else str(v)
            return out
        return {}

    def tensor_label(self, t, name) -> str:
        if not name:
            name = self.param_map.get(id(t), "")
        return "%s\n %s" % (name, size_to_str(t.shape))

    # ------------------------------------------------------------ output
    def draw(self, roots):
        for r in roots:
            self.add_root(r)
        dot = new_digraph(node_attr=NODE_ATTR, graph_attr=dict(size="12,12"))
        for key, (t, colour, name) in self.tensors.items():
            # a named tensor keeps its params name even where it is drawn as saved
            label_name = self.param_map.get(key) or name
            dot.node(str(key), self.tensor_label(t, label_name), fillcolor=colour)
        for key, (fn, label) in self.nodes.items():
            dot.node(str(key), label)
        for tail, head, attrs in self.edges:
            dot.edge(tail, head, **attrs)
        resize_graph(dot)
        return dot


def _arg_name(i: int) -> str:
    return _ARG_NAMES[i] if i < len(_ARG_NAMES) else f"arg{i}"


def _read_inputs(fn):
    """Indices of the inputs that ``fn``'s needed rules read (NOTE: [saved reads])."""
    reads = fn.op.reads
    if reads is None:
        return [i for i, a in enumerate(fn.args) if isinstance(a, Tensor)]
    found = set()
    for i, need in enumerate(fn.needs):
        if need:
            found.update(rule_reads(fn.op, i, len(fn.args)))
    return sorted(found)


def resize_graph(dot, size_per_element=0.15, min_size=12):
    """Grow the drawing's size bound with its content, as torchviz does."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=f"{size},{size}")
