"""What one in-place write through a view costs inside dualgrad, counted, not timed: the
Python calls and the distinct ``if``s that ``v.mul_(3.0)`` (``v = y[:]``, ``y`` a clone of an
input that requires grad) evaluates on the ordinary tape, and the same write inside
``vmap(grad(f))``.

Issue "One model of views and in-place writes" measures the aliasing model by this: a write
under ``vmap(grad)`` should cost within 4x the calls of the same write on the ordinary tape.
A structural count with ``sys.settrace`` (dispatch_branches.trace), not a timing.

    python benchmarks/write_cost.py
"""

from __future__ import annotations

from dispatch_branches import trace

import dualgrad as dg


def main():
    rows = []

    def f(b):
        y = b.clone()
        v = y[:]
        rows.append(trace(lambda: v.mul_(3.0)))
        return (y * y).sum()

    x = dg.randn(8, requires_grad=True)
    f(x)  # warm caches
    rows.clear()
    f(x)
    dg.func.vmap(dg.func.grad(f))(dg.randn(4, 8))
    (plain_ifs, plain_calls), (vg_ifs, vg_calls) = rows[0], rows[-1]
    print(f"{'one write v.mul_(3.0), v = y[:]':<34} {'distinct ifs':>12} {'calls':>6}")
    print(f"{'ordinary tape':<34} {len(plain_ifs):>12} {plain_calls:>6}")
    print(f"{'vmap(grad(f))':<34} {len(vg_ifs):>12} {vg_calls:>6}")
    print(f"vmap(grad) / ordinary: {vg_calls / plain_calls:.1f}x the calls (goal <= 4x)")


if __name__ == "__main__":
    main()
