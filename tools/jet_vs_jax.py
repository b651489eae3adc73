"""dualgrad's func.jet against jax.experimental.jet (issue 18), float64, rtol 1e-8, orders 1-4.

Cases: element-wise chains, softmax and logsumexp, matmul networks (tanh and sigmoid MLPs),
and a custom autograd.Function with only a backward (jax's side is the same function written
with jnp: jet ignores custom rules, so the reference is the mathematics, not the Function).
CI cannot import JAX; the suite compares jet with nested jvp instead (tests/test_taylor.py,
test_ops.py::test_taylor). Run it where JAX is installed:

    PYTHONPATH=/work/wt-taylor /work/venv-peers/bin/python tools/jet_vs_jax.py

Prints one line per case and order with the largest relative difference; exits 1 if any
exceeds the tolerance.
"""

from __future__ import annotations

import sys

import numpy as np

RTOL = 1e-8


def cases(m, is_jax):
    """(name, function, input shape): the same function spelled in dualgrad or jax.numpy."""
    rng = np.random.default_rng(0)
    w1, w2, w3 = rng.standard_normal((16, 8)), rng.standard_normal((8, 16)), rng.standard_normal(8)
    t = (lambda a: m.asarray(a)) if is_jax else (lambda a: m.tensor(a))
    softmax = (lambda x: __import__("jax").nn.softmax(x)) if is_jax else (lambda x: m.softmax(x, 0))
    logsumexp = (
        (lambda x: __import__("jax").scipy.special.logsumexp(x))
        if is_jax
        else (lambda x: m.logsumexp(x, 0))
    )
    sigmoid = (lambda x: 1 / (1 + m.exp(-x))) if is_jax else m.sigmoid
    if is_jax:
        my_sin = m.sin
    else:

        class MySin(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.sin()

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x.cos()

        my_sin = MySin.apply
    return [
        ("sin-exp-tanh chain", lambda x: m.tanh(m.exp(m.sin(x))), (8,)),
        ("log-sqrt-sigmoid chain", lambda x: m.log(m.sqrt(1.0 + sigmoid(x) ** 2)), (8,)),
        ("div-pow chain", lambda x: (x * x + 1.0) ** 1.5 / (2.0 + m.cos(x)), (8,)),
        ("softmax", lambda x: softmax(x * m.sin(x)), (8,)),
        ("logsumexp", lambda x: logsumexp(m.exp(x) * 0.5 + x), (8,)),
        ("tanh MLP", lambda x: t(w3) @ m.tanh(t(w2) @ m.tanh(t(w1) @ x)), (8,)),
        ("sigmoid MLP, batch", lambda x: sigmoid(x @ t(w1).T) @ t(w2).T, (4, 8)),
        ("Function with backward only", lambda x: my_sin(x) * m.exp(x * 0.3), (8,)),
    ]


def main():
    import jax
    import jax.numpy as jnp
    from jax.experimental.jet import jet as jax_jet

    jax.config.update("jax_enable_x64", True)
    import dualgrad as dg
    from dualgrad.func import jet

    worst = 0.0
    dg_cases, jax_cases = cases(dg, False), cases(jnp, True)
    for k, ((name, f, shape), (_, g, _)) in enumerate(zip(dg_cases, jax_cases)):
        rng = np.random.default_rng(k)
        x = rng.uniform(-1, 1, shape)
        series = [rng.standard_normal(shape) for _ in range(4)]
        for order in range(1, 5):
            y, ys = jet(
                f,
                (dg.tensor(x, dtype=dg.float64),),
                ([dg.tensor(s, dtype=dg.float64) for s in series[:order]],),
            )
            ry, rys = jax_jet(g, (jnp.asarray(x),), ([jnp.asarray(s) for s in series[:order]],))
            diffs = [_rel(y.numpy(), np.asarray(ry))]
            diffs += [_rel(a.numpy(), np.asarray(b)) for a, b in zip(ys, rys)]
            d = max(diffs)
            worst = max(worst, d)
            print(f"{name:<30} order {order}: max rel diff {d:.2e} {'ok' if d <= RTOL else 'FAIL'}")
    print(f"worst {worst:.2e} (rtol {RTOL:g})")
    return 0 if worst <= RTOL else 1


def _rel(a, b):
    scale = np.maximum(np.abs(b), 1e-12 + np.abs(b).max() * 1e-6)
    return float(np.max(np.abs(a - b) / scale))


if __name__ == "__main__":
    sys.exit(main())
