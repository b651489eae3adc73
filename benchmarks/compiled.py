"""dualgrad.compile against eager dualgrad and jax.jit (issue 17, point 3).

The workloads, each a function of its tensor arguments, run three ways in one process:
dualgrad eagerly, ``dualgrad.compile`` of the same function, and ``jax.jit`` of the same
function spelled with JAX (JAX is a benchmark extra: without it its columns say 'jax not
installed'). One thread each.

- W4: ``func.grad`` of the 300-op chain ``t = sin(x); t = t * -0.05; t = exp(t); x = x + t``
  (75 times), then ``sum``; x (16,) float32.
- W5: ``func.hessian`` of ``sum(tanh(A @ x)**2) + x @ x / 2``, A 64x64, float64.
- W6: one step: ``func.grad`` of the cross-entropy of an MLP 784-256-256-10 (relu, batch 64,
  float32) over the list of its weights, then ``w - 0.01 * g`` for every weight.
- W7: ``grad(x -> sum(grad(u -> sum(u**3))(x)))``, x in R^10000 float64.

Compile time is the first call (trace, optimise, generate; jax: trace and XLA compile); the
second call (dualgrad's first replay, checked against an eager run: NOTE: [checked replays])
is made before timing. Goals (issue 17): compiled / jax.jit <= 2 on W4 and W7, <= 3 on W5,
<= 1.5 on W6, and compiled no slower than eager anywhere. A benchmark, never a test.

    python benchmarks/compiled.py            # the table
    python benchmarks/compiled.py --json -   # the figures as JSON
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from _timing import add_arguments, median_times  # noqa: E402

import dualgrad as dg  # noqa: E402

GOALS = {"W4": 2.0, "W5": 3.0, "W6": 1.5, "W7": 2.0}  # compiled / jax.jit


def make_arrays():
    rng = np.random.default_rng(0)
    a = {"w4_x": rng.standard_normal(16).astype(np.float32)}
    a["w5_A"] = rng.standard_normal((64, 64)) / 8
    a["w5_x"] = rng.standard_normal(64)
    params = []
    for n_in, n_out in ((784, 256), (256, 256), (256, 10)):
        params.append((rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32))
        params.append((0.1 * rng.standard_normal(n_out)).astype(np.float32))
    a["w6_params"] = params
    a["w6_x"] = rng.standard_normal((64, 784)).astype(np.float32)
    a["w6_labels"] = rng.integers(0, 10, 64)
    a["w7_x"] = rng.standard_normal(10000)
    return a


def dualgrad_workloads(a):
    """(function, arguments) per workload, spelled with dualgrad."""
    F = dg.func

    def chain(x):
        for _ in range(75):
            t = dg.sin(x)
            t = t * -0.05
            t = dg.exp(t)
            x = x + t
        return x

    def w4(x):
        return F.grad(lambda u: chain(u).sum())(x)

    def w5(A, x):
        return F.hessian(lambda u: (dg.tanh(A @ u) ** 2).sum() + u @ u / 2)(x)

    def mlp(params, x):
        for i in range(0, len(params), 2):
            x = x @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                x = dg.relu(x)
        return x

    def w6(params, x, y):
        g = F.grad(lambda p: dg.nn.functional.cross_entropy(mlp(p, x), y))(params)
        return [w - 0.01 * gw for w, gw in zip(params, g)]

    def w7(x):
        return F.grad(lambda v: F.grad(lambda u: (u**3).sum())(v).sum())(x)

    T = dg.from_numpy
    return {
        "W4": (w4, (T(a["w4_x"]),)),
        "W5": (w5, (T(a["w5_A"]), T(a["w5_x"]))),
        "W6": (w6, ([T(p) for p in a["w6_params"]], T(a["w6_x"]), T(a["w6_labels"]))),
        "W7": (w7, (T(a["w7_x"]),)),
    }


def jax_workloads(a):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def chain(x):
        for _ in range(75):
            t = jnp.sin(x)
            t = t * -0.05
            t = jnp.exp(t)
            x = x + t
        return x

    def w4(x):
        return jax.grad(lambda u: jnp.sum(chain(u)))(x)

    def w5(A, x):
        return jax.hessian(lambda u: jnp.sum(jnp.tanh(A @ u) ** 2) + u @ u / 2)(x)

    def mlp(params, x):
        for i in range(0, len(params), 2):
            x = x @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                x = jax.nn.relu(x)
        return x

    def w6(params, x, y):
        def loss(p):
            logp = jax.nn.log_softmax(mlp(p, x))
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        g = jax.grad(loss)(params)
        return [w - 0.01 * gw for w, gw in zip(params, g)]

    def w7(x):
        return jax.grad(lambda v: jnp.sum(jax.grad(lambda u: jnp.sum(u**3))(v)))(x)

    J = jnp.asarray
    return {
        "W4": (w4, (J(a["w4_x"]),)),
        "W5": (w5, (J(a["w5_A"]), J(a["w5_x"]))),
        "W6": (w6, ([J(p) for p in a["w6_params"]], J(a["w6_x"]), J(a["w6_labels"]))),
        "W7": (w7, (J(a["w7_x"]),)),
    }


def _first(v):
    return v[0] if isinstance(v, list) else v


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, repeat=7, min_time=0.2, warmup=2)
    parser.add_argument("--only", action="append", help="one workload (repeatable)")
    args = parser.parse_args(argv)
    a = make_arrays()
    ours = dualgrad_workloads(a)
    try:
        theirs = jax_workloads(a)
    except ImportError:
        theirs = None
    rows = {}
    for name in args.only or sorted(ours):
        fn, xs = ours[name]
        compiled = dg.compile(fn)
        fns = {"eager": lambda fn=fn, xs=xs: fn(*xs)}
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a fallback to eager would make the figure a lie
            compiled(*xs)
            compile_s = time.perf_counter() - start
            compiled(*xs)  # the checked first replay
        fns["compiled"] = lambda c=compiled, xs=xs: c(*xs)
        reference = _first(fn(*xs)).numpy()
        got = _first(compiled(*xs)).numpy()
        row = {"compile_s": compile_s, "agrees": bool(np.allclose(got, reference, rtol=1e-4))}
        if theirs is not None:
            import jax

            jfn, jxs = theirs[name]
            jitted = jax.jit(jfn)
            start = time.perf_counter()
            jax.block_until_ready(jitted(*jxs))
            row["jax_compile_s"] = time.perf_counter() - start
            fns["jax.jit"] = lambda j=jitted, jxs=jxs: jax.block_until_ready(j(*jxs))
            row["agrees_jax"] = bool(
                np.allclose(np.asarray(_first(jitted(*jxs))), reference, rtol=1e-3, atol=1e-5)
            )
        times = median_times(fns, repeat=args.repeat, min_time=args.min_time, warmup=args.warmup)
        row.update({k + "_s": v for k, v in times.items()})
        rows[name] = row
    if args.json is not None:
        text = json.dumps(rows, indent=1)
        if args.json == "-":
            print(text)
            return
        with open(args.json, "w") as f:
            f.write(text)
    print(
        f"{'':4} {'eager':>10} {'compiled':>10} {'jax.jit':>10} {'comp/jit':>9} {'goal':>5} "
        f"{'comp/eager':>10} {'compile':>9} {'jax comp':>9}"
    )
    for name, r in rows.items():
        jit = r.get("jax.jit_s")
        ratio = f"{r['compiled_s'] / jit:9.2f}" if jit else f"{'':>9}"
        print(
            f"{name:4} {r['eager_s'] * 1e3:8.3f}ms {r['compiled_s'] * 1e3:8.3f}ms "
            + (f"{jit * 1e3:8.3f}ms" if jit else f"{'-':>10}")
            + f" {ratio} {GOALS[name]:5.1f} {r['compiled_s'] / r['eager_s']:10.2f}"
            + f" {r['compile_s'] * 1e3:7.1f}ms"
            + (f" {r['jax_compile_s'] * 1e3:7.1f}ms" if jit else "")
            + ("" if r["agrees"] else "  (compiled DISAGREES with eager)")
        )
    if theirs is None:
        print("jax not installed")


if __name__ == "__main__":
    main()
