"""dualgrad.viz: the pictures are checked by parsing their DOT source (no ``dot`` binary needed).

make_dot on seed 004's graphs: which nodes exist (the same backward nodes and node-to-node edges
as PyTorch's graph), and whether grad_x's graph reaches x (Square, Exp, Sinh, Cube) or not
(SinhBad). trace_dot / forward_trace: which ops the primals and the tangents (dashed) flowed
through, per dual level.
"""

import collections
import doctest
import re
import sys
import threading

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD
from dualgrad.tour import seed004_functions as define

import graphviz  # noqa: E402  (the test extra installs it)

from dualgrad import viz  # noqa: E402
from dualgrad.viz import _backward, _forward, _graphviz, forward_trace, make_dot, trace_dot  # noqa: E402

import torch  # noqa: E402


# ---------------------------------------------------------------------------- a DOT reader
_TOKEN = re.compile(r'\s*(?:(->|--)|("(?:[^"\\]|\\.)*")|([A-Za-z0-9_.]+)|(.))', re.S)


def _tokens(source):
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        arrow, quoted, word, char = m.groups()
        if arrow:
            yield ("op", arrow)
        elif quoted is not None:
            yield ("id", quoted[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
        elif word is not None:
            yield ("id", word)
        elif char is not None and not char.isspace():
            yield ("op", char)


class Dot:
    """Nodes ``{id: attrs}`` and edges ``[(tail, head, attrs)]`` of graphviz's DOT output."""

    def __init__(self, source):
        self.nodes = collections.OrderedDict()
        self.edges = []
        self.graph = {}
        toks = list(_tokens(source))
        i = 0
        assert toks[0] == ("id", "digraph") and toks[1] == ("op", "{"), source[:40]
        i = 2
        while i < len(toks):
            kind, val = toks[i]
            if (kind, val) == ("op", "}"):
                break
            if kind != "id":
                i += 1
                continue
            if val in ("graph", "node", "edge") and toks[i + 1] == ("op", "["):
                attrs, i = self._attrs(toks, i + 1)
                if val == "graph":
                    self.graph.update(attrs)
                continue
            if i + 1 < len(toks) and toks[i + 1] == ("op", "="):  # a graph attribute
                self.graph[val] = toks[i + 2][1]
                i += 3
                continue
            if i + 1 < len(toks) and toks[i + 1] == ("op", "->"):
                tail, head = val, toks[i + 2][1]
                i += 3
                attrs = {}
                if i < len(toks) and toks[i] == ("op", "["):
                    attrs, i = self._attrs(toks, i)
                self.nodes.setdefault(tail, {})
                self.nodes.setdefault(head, {})
                self.edges.append((tail, head, attrs))
                continue
            attrs = {}
            i += 1
            if i < len(toks) and toks[i] == ("op", "["):
                attrs, i = self._attrs(toks, i)
            self.nodes.setdefault(val, {}).update(attrs)

    @staticmethod
    def _attrs(toks, i):
        assert toks[i] == ("op", "[")
        i += 1
        attrs = {}
        while toks[i] != ("op", "]"):
            if toks[i][0] == "id" and toks[i + 1] == ("op", "="):
                attrs[toks[i][1]] = toks[i + 2][1]
                i += 3
            else:
                i += 1
        return attrs, i + 1

    # ------------------------------------------------------------ queries
    def label(self, node):
        return self.nodes[node].get("label", node)

    def by_label(self, first_line):
        """Ids of the nodes whose label's first line is ``first_line``."""
        return [n for n in self.nodes if self.label(n).split("\n")[0].strip() == first_line]

    def one(self, first_line):
        found = self.by_label(first_line)
        assert len(found) == 1, (first_line, [self.label(n) for n in self.nodes])
        return found[0]

    def names(self, fill=None):
        """First label lines of the nodes (of a fill colour; None: the grey function nodes)."""
        return collections.Counter(
            self.label(n).split("\n")[0]
            for n, a in self.nodes.items()
            if a.get("fillcolor") == fill
        )

    def directed(self, style=None):
        return [
            (t, h)
            for t, h, a in self.edges
            if a.get("dir") != "none" and (style is None or a.get("style") == style)
        ]

    def reaches(self, start, goal, edges=None):
        succ = collections.defaultdict(list)
        for t, h in self.directed() if edges is None else edges:
            succ[t].append(h)
        stack, seen = list(start if isinstance(start, list) else [start]), set()
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(succ[n])
        return False

    def sources_of(self, node):
        """The node itself and the nodes with a directed edge into it."""
        return [node] + [t for t, h in self.directed() if h == node]


def parse_dot(dot):
    return Dot(dot.source)


def test_dot_reader_reads_quoted_multiline_labels():
    d = Dot('digraph {\n\t1 [label="a\n (2)" fillcolor=x]\n\t1 -> 2 [dir=none]\n\tlabel="z"\n}')
    assert d.label("1") == "a\n (2)" and d.nodes["1"]["fillcolor"] == "x"
    assert d.edges == [("1", "2", {"dir": "none"})] and d.graph["label"] == "z"


# ---------------------------------------------------------------------------- seed 004
SEED_NODES = {
    "Square": {"SquareBackward", "MulBackward0", "CloneBackward0", "AccumulateGrad"},
    "Exp": {"ExpBackward", "MulBackward0", "CloneBackward0", "AccumulateGrad"},
    "Sinh": {
        "SinhBackward",
        "SubBackward0",
        "AddBackward0",
        "DivBackward0",
        "MulBackward0",
        "AccumulateGrad",
    },
    "SinhBad": {"SinhBadBackward", "AccumulateGrad"},
    "Cube": {"CubeBackward", "CubeBackwardBackward", "AccumulateGrad"},
}


def seed_graph(lib, name):
    """Seed 004's set-up of each picture, on ``lib``: (grad_x, x, out)."""
    F = define(lib)
    if name in ("Square", "Exp"):
        x = lib.tensor(1.0, requires_grad=True, dtype=lib.double).clone()
        out = F[name].apply(x)
        (grad_x,) = lib.autograd.grad(out, x, create_graph=True)
    elif name in ("Sinh", "SinhBad"):
        x = lib.rand(3, 3, requires_grad=True, dtype=lib.double)
        out = F["sinh"](x) if name == "Sinh" else F["SinhBad"].apply(x)
        (grad_x,) = lib.autograd.grad(out.sum(), x, create_graph=True)
    else:
        x = lib.tensor(2.0, requires_grad=True, dtype=lib.double)
        out = F["Cube"].apply(x)
        (grad_x,) = lib.autograd.grad(out, x, create_graph=True)
    return grad_x, x, out


def seed_dot(name, **kw):
    grad_x, x, out = seed_graph(dg, name)
    dot = make_dot((grad_x, x, out), params={"grad_x": grad_x, "x": x, "out": out}, **kw)
    return dot, Dot(dot.source)


def torch_node_edges(roots):
    """Backward node names and node-to-node edges of torch's graph behind ``roots``."""
    names, edges, seen = collections.Counter(), collections.Counter(), set()
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        names[type(fn).__name__] += 1  # as torchviz names them
        for u, _ in fn.next_functions:
            if u is not None:
                edges[(type(u).__name__, type(fn).__name__)] += 1
                stack.append(u)
    return names, edges


def dot_node_edges(d):
    fns = {n for n, a in d.nodes.items() if "fillcolor" not in a}
    names = collections.Counter(d.label(n).split("\n")[0] for n in fns)
    edges = collections.Counter(
        (d.label(t), d.label(h)) for t, h in d.directed() if t in fns and h in fns
    )
    return names, edges


@pytest.mark.parametrize("name", list(SEED_NODES))
def test_seed004_graph_has_the_seed_nodes(name):
    dot, d = seed_dot(name)
    assert isinstance(dot, graphviz.Digraph)
    assert set(d.names()) == SEED_NODES[name]
    for label in ("grad_x", "x", "out"):
        d.one(label)  # each named once
    assert d.nodes[d.one("grad_x")]["fillcolor"] == "darkolivegreen1"
    assert d.nodes[d.one("out")]["fillcolor"] == "darkolivegreen1"


@pytest.mark.parametrize("name", list(SEED_NODES))
def test_seed004_graph_matches_torch(name):
    torch.manual_seed(0)
    names, edges = torch_node_edges(seed_graph(torch, name))
    _, d = seed_dot(name)
    assert dot_node_edges(d) == (names, edges)


@pytest.mark.parametrize("name", ["Square", "Exp", "Sinh", "Cube"])
def test_seed004_grad_x_connects_to_x(name):
    _, d = seed_dot(name)
    grad_x, x = d.one("grad_x"), d.one("x")
    assert d.reaches(d.sources_of(x), grad_x)  # the second backward hangs off the first
    assert d.reaches(d.sources_of(x), d.one("out"))


def test_seed004_sinhbad_grad_x_is_cut_off_from_x():
    _, d = seed_dot("SinhBad")
    grad_x, x = d.one("grad_x"), d.one("x")
    assert not d.reaches(d.sources_of(x), grad_x)
    assert not any(h == grad_x for _, h, _ in d.edges)  # a lone box
    assert d.reaches(x, d.one("out"))
    assert d.nodes[x]["fillcolor"] == "lightblue"  # a leaf that requires grad


def test_seed004_cube_second_backward_hangs_off_x_and_saves():
    _, d = seed_dot("Cube")
    x, cbb = d.one("x"), d.one("CubeBackwardBackward")
    acc = d.one("AccumulateGrad")
    assert (x, acc) in d.directed() and (acc, cbb) in d.directed()
    saved = [t for t, h, a in d.edges if h == cbb and a.get("dir") == "none"]
    assert x in saved and len(saved) == 2  # x and the saved grad_out, as the seed's picture
    assert d.nodes[x]["fillcolor"] == "lightblue"  # one box per tensor, leaf colour first
    assert sum(1 for a in d.nodes.values() if a.get("fillcolor") == "orange") == 1


def test_leaf_label_is_name_and_shape_like_torchviz():
    _, d = seed_dot("Sinh")
    assert d.label(d.one("x")) == "x\n (3, 3)"
    _, d = seed_dot("Square")
    unnamed_leaf = [n for n, a in d.nodes.items() if a.get("fillcolor") == "lightblue"]
    assert [d.label(n) for n in unnamed_leaf] == ["\n ()"]


def test_custom_function_saved_tensors_always_drawn_primitives_only_with_show_saved():
    _, plain = seed_dot("Sinh")
    assert plain.names("orange") == collections.Counter({"": 2})  # expx, expnegx
    _, saved = seed_dot("Sinh", show_saved=True)
    orange = saved.names("orange")
    assert orange[""] == 2 and orange["self"] >= 1
    mul = [n for n in saved.by_label("MulBackward0")]
    assert any(a.get("dir") == "none" and h in mul for _, h, a in saved.edges)


def test_show_saved_names_inputs_and_results():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = dg.exp(x) * x
    d = parse_dot(make_dot(y, params={"x": x}, show_saved=True))
    exp = d.one("ExpBackward0")
    # exp's rule reads only its output, as torch's (NOTE: [what a rule saves] in elementwise.py)
    saved = [d.label(t) for t, h, a in d.edges if h == exp and a.get("dir") == "none"]
    assert sorted(saved) == ["self / result\n (2)"]  # exp(x) is also mul's self
    mul = d.one("MulBackward0")
    saved = sorted(
        d.label(t).split("\n")[0] for t, h, a in d.edges if h == mul and a.get("dir") == "none"
    )
    assert saved == ["self / result", "x"]  # x (mul's other) keeps its params name


def test_show_attrs_lists_params_scalars_and_ctx_attributes():
    _, d = seed_dot("Sinh", show_attrs=True)
    div = d.one("DivBackward0")
    assert "other: 2" in d.label(div)
    _, bad = seed_dot("SinhBad", show_attrs=True)
    label = bad.label(bad.one("SinhBadBackward"))
    assert "expx" in label and "[tensor (3, 3)]" in label and "expnegx" in label
    x = dg.randn(2, 3, requires_grad=True)
    # (sum over dims is torch's SumBackward1)
    d = parse_dot(make_dot(x.sum(dim=(0, 1), keepdim=True), show_attrs=True, max_attr_chars=5))
    label = d.label(d.one("SumBackward1"))
    assert label.split("\n")[2:] == ["dims   : (0...", "keepdim:  True"]  # truncated, aligned


def test_multiple_roots_single_root_and_lists():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    a, b = x.sin(), x.cos()
    d = parse_dot(make_dot((a, b), params={"a": a, "b": b, "x": x}))
    assert set(d.names()) == {"SinBackward0", "CosBackward0", "AccumulateGrad"}
    assert d.reaches(d.one("x"), d.one("a")) and d.reaches(d.one("x"), d.one("b"))
    assert len(d.by_label("AccumulateGrad")) == 1  # shared
    d2 = parse_dot(make_dot([a, b]))
    assert set(d2.names()) == set(d.names())
    d3 = parse_dot(make_dot(a))
    assert set(d3.names()) == {"SinBackward0", "AccumulateGrad"}


def test_view_output_draws_its_base_dotted():
    x = dg.randn(4, requires_grad=True)
    base = x * 2
    v = base[1:]
    d = parse_dot(make_dot(v, params={"v": v, "base": base}))
    b = d.one("base")
    assert d.nodes[b]["fillcolor"] == "darkolivegreen3"
    assert (b, d.one("v")) in [(t, h) for t, h, a in d.edges if a.get("style") == "dotted"]


def test_freed_graph_and_deep_graph():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    F = define(dg)
    y = F["Square"].apply(x).sum()
    y.backward()  # frees the saved tensors: they are just not drawn
    d = parse_dot(make_dot(y, show_saved=True, show_attrs=True))
    assert "SquareBackward" in d.names()
    z = x
    for _ in range(3000):
        z = z + 1
    d = parse_dot(make_dot(z))
    assert d.names()["AddBackward0"] == 3000


def test_bad_arguments():
    x = dg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="Tensor or a tuple"):
        make_dot((x, 3))
    with pytest.raises(TypeError, match=r"params\['x'\]"):
        make_dot(x, params={"x": 3})


def test_missing_graphviz_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(_graphviz, "_digraph_cls", None)
    x = dg.tensor([1.0], requires_grad=True)
    with pytest.raises(ImportError, match=r"pip install 'dualgrad\[viz\]'"):
        make_dot(x * 2)
    with pytest.raises(ImportError, match=r"dualgrad\[viz\]"):
        trace_dot(lambda x: x * 2, dg.ones(1), tangents=dg.ones(1))


def test_missing_dot_binary_source_works_rendering_explains(monkeypatch, tmp_path):
    x = dg.tensor([1.0], requires_grad=True)
    dot = make_dot(x * 2)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    assert "MulBackward0" in dot.source
    for render in (
        lambda: dot.pipe(format="svg"),
        lambda: dot.render(tmp_path / "g", format="png"),
    ):
        with pytest.raises(graphviz.ExecutableNotFound) as info:
            render()
        msg = str(info.value)
        assert "apt-get install graphviz" in msg and "brew install graphviz" in msg
        assert ".source" in msg
    assert not viz.dot_available()


def test_docstring_examples_run():
    for module in (_backward, _forward):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__


# ---------------------------------------------------------------------------- forward mode
def seed001_trace(**kw):
    def fn(x, y):
        return x**2 + y**2

    primal, tangent, plain = dg.randn(10, 10), dg.randn(10, 10), dg.randn(10, 10)
    return Dot(
        trace_dot(fn, primal, plain, tangents=(tangent, None), names=("x", "y"), **kw).source
    )


def test_trace_dot_seed001_primals_and_tangents():
    d = seed001_trace()
    ops = d.names("lightgrey")
    assert ops == collections.Counter({"pow_scalar": 2, "add": 1})
    x, y, out = d.one("x"), d.one("y"), d.one("out")
    xt, outt = d.one("x.tangent (level 1)"), d.one("out.tangent (level 1)")
    assert d.by_label("y.tangent (level 1)") == []  # y carried no tangent
    assert "dashed" in d.nodes[xt]["style"] and "dashed" in d.nodes[outt]["style"]
    dashed = d.directed("dashed")
    solid = [(t, h) for t, h, a in d.edges if "style" not in a]
    assert all(a.get("color") == "red" for _, _, a in d.edges if a.get("style") == "dashed")
    # the tangent flowed x.tangent -> pow -> add -> out.tangent along dashed edges only
    assert d.reaches(xt, outt, dashed)
    assert not d.reaches(x, outt, solid) and d.reaches(x, out, solid)
    # y's pow got no tangent: no dashed edge in, no coloured border
    (pow_y,) = [h for t, h in solid if t == y]
    assert not any(h == pow_y for _, h in dashed)
    (pow_x,) = [h for t, h in solid if t == x]
    assert d.nodes[pow_x].get("color") == "red" and "color" not in d.nodes[pow_y]
    assert "dashed red edges: tangents of dual level 1" in d.graph["label"]


def test_trace_dot_values_and_custom_function():
    from dualgrad.tour import Fn  # seed 001's Fn, as the tour runs it

    x = dg.tensor([0.0, 1.0], dtype=dg.double)
    d = Dot(
        trace_dot(
            lambda x: Fn.apply(x) * 2,
            x,
            tangents=dg.tensor([1.0, 0.0], dtype=dg.double),
            names=("x",),
            show_values=True,
        ).source
    )
    fn = d.one("Fn")
    assert d.label(fn) == "Fn\n(Function)"
    assert d.one("mul") and "exp" not in d.names("lightgrey")  # forward's ops are hidden
    outt = d.label(d.one("out.tangent (level 1)"))
    assert "[2., 0.]" in outt
    assert d.reaches(
        d.one("x.tangent (level 1)"), d.one("out.tangent (level 1)"), d.directed("dashed")
    )


def test_forward_trace_nested_levels_and_mixed_partial():
    x = dg.tensor([0.5, 1.0])
    with forward_trace() as tr, fwAD.dual_level():
        xd = fwAD.make_dual(x, dg.ones(2))
        with fwAD.dual_level():
            y = dg.sin(fwAD.make_dual(xd, dg.ones(2))) * 3
    d = Dot(tr.dot(y, params={"x": x, "y": y}, show_values=True).source)
    colours = {a.get("color") for _, _, a in d.edges if a.get("style") == "dashed"}
    assert colours == {"red", "blue"}
    t1, t2 = d.one("y.tangent (level 1)"), d.one("y.tangent (level 2)")
    mixed = d.one("y.tangent (level 2).tangent (level 1)")  # d²y / d(level 1) d(level 2)
    assert (t2, mixed) in d.directed("dashed")
    assert "-2.524" in d.label(mixed) or "-2.52" in d.label(mixed)  # -3 sin(x) at 1.0
    assert d.reaches(d.one("x.tangent (level 1)"), t1, d.directed("dashed"))
    assert d.reaches(d.one("x.tangent (level 2)"), t2, d.directed("dashed"))
    assert [c.name for c in tr.calls] == ["sin", "mul"]


def test_forward_trace_forward_over_reverse_draws_the_backward_ops():
    x = dg.tensor([0.5, -1.0], dtype=dg.double, requires_grad=True)
    with forward_trace() as tr, fwAD.dual_level():
        xd = fwAD.make_dual(x, dg.ones(2, dtype=dg.double))
        (g,) = dg.autograd.grad(dg.sum(dg.sin(xd) * xd), x, create_graph=True)
    d = Dot(tr.dot(g, params={"x": x, "grad": g}).source)
    assert "cos" in d.names("lightgrey")  # the backward rule of sin, with tangents
    assert d.reaches(
        d.one("x.tangent (level 1)"), d.one("grad.tangent (level 1)"), d.directed("dashed")
    )


def test_forward_trace_restores_the_core_and_ignores_other_threads():
    from dualgrad import _dispatch
    from dualgrad.autograd import function

    before = (_dispatch._apply_at_levels, _dispatch.ground, function._apply)
    with pytest.raises(ZeroDivisionError):
        with forward_trace():
            1 / 0
    assert (_dispatch._apply_at_levels, _dispatch.ground, function._apply) == before
    with forward_trace() as tr, fwAD.dual_level():
        x = fwAD.make_dual(dg.ones(2), dg.ones(2))
        t = threading.Thread(target=lambda: dg.ones(2, requires_grad=True) * 2)
        t.start()
        t.join()
        x.exp()
    assert [c.name for c in tr.calls] == ["exp"]
    assert (_dispatch._apply_at_levels, _dispatch.ground, function._apply) == before


def test_trace_dot_bad_arguments():
    with pytest.raises(ValueError, match="one tangent"):
        trace_dot(lambda a, b: a + b, dg.ones(1), dg.ones(1), tangents=(dg.ones(1),))
    with pytest.raises(TypeError, match="Tensors"):
        with forward_trace() as tr:
            pass
        tr.dot(3)


def test_trace_values_match_forward_ad():
    x, v = dg.tensor([0.3, 0.7], dtype=dg.double), dg.tensor([1.0, 2.0], dtype=dg.double)
    with forward_trace() as tr, fwAD.dual_level():
        y = dg.exp(fwAD.make_dual(x, v))
        expected = fwAD.unpack_dual(y).tangent
    (call,) = tr.calls
    (tangents,) = call.out_tangents
    (t,) = tangents.values()
    np.testing.assert_allclose(t.tolist(), expected.tolist())
