"""How much decision-making one op goes through: the distinct `if`/`elif` statements and
conditional expressions (and calls) that a single `sin` evaluates inside dualgrad, on the plain
path, in a dual level and under vmap.

A condition written over several lines counts once, as the statement it belongs to: each
executed line is mapped to the `if` whose test spans it (from the module's syntax tree), so the
count does not depend on how a condition is wrapped.

Issue "Levels as interpreters" measures the dispatcher by this (autodidax: 2 on the jvp path,
3 under vmap). It is a structural count, not a timing: it uses sys.settrace.

    python benchmarks/dispatch_branches.py
"""

from __future__ import annotations

import ast
import functools
import os
import sys

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD

PACKAGE = os.path.dirname(dg.__file__)


@functools.cache
def _tests_by_line(path):
    """{line: (path, first line of the if)} for every line of every `if`/`elif` test and
    conditional expression's test in the module at ``path``."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    where = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp)):
            test = node.test
            for line in range(test.lineno, test.end_lineno + 1):
                where.setdefault(line, (path, node.lineno))
    return where


def trace(fn):
    """Run fn() once under sys.settrace; return (distinct ifs, calls) inside the package."""
    ifs, calls = set(), 0

    def local(frame, event, arg):
        if event == "line":
            found = _tests_by_line(frame.f_code.co_filename).get(frame.f_lineno)
            if found is not None:
                ifs.add(found)
        return local

    def global_(frame, event, arg):
        nonlocal calls
        if frame.f_code.co_filename.startswith(PACKAGE):
            calls += 1
            return local
        return None

    sys.settrace(global_)
    try:
        fn()
    finally:
        sys.settrace(None)
    return ifs, calls


def main():
    x = dg.randn(8)
    t = dg.randn(8)
    dg.sin(x)  # warm caches
    rows = []
    rows.append(("plain", *trace(lambda: dg.sin(x))))
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, t)
        dg.sin(xd)
        rows.append(("dual level (jvp)", *trace(lambda: dg.sin(xd))))
    batched = []

    def under_vmap(v):
        batched.append(trace(lambda: dg.sin(v)))
        return v

    dg.func.vmap(under_vmap)(dg.randn(4, 8))
    rows.append(("vmap", *batched[0]))
    print(f"{'path of one sin':<20} {'distinct ifs':>12} {'calls':>6}   where (module: ifs)")
    for name, ifs, calls in rows:
        where = {}
        for path, _ in ifs:
            module = os.path.relpath(path, PACKAGE)
            where[module] = where.get(module, 0) + 1
        detail = ", ".join(f"{m} {n}" for m, n in sorted(where.items(), key=lambda kv: -kv[1]))
        print(f"{name:<20} {len(ifs):>12} {calls:>6}   {detail}")


if __name__ == "__main__":
    main()
