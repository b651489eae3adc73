"""The peer workloads of issue 17, eagerly: dualgrad against torch, and against JAX (eager and
jax.jit) when ``import jax`` works, all in one run.

Workloads (ratio = dualgrad time / torch time; the goal column is the issue's):

- W1 the JVP of an MLP 512-1024-1024-1024-10 (tanh, batch 128, float32) along a random tangent of
  its 8 weight and bias tensors: ``func.jvp``; dual tensors (``forward_ad``); the double-vjp
  trick (the vjp of a vjp with respect to a dummy cotangent).
- W2 the mean cross-entropy (integer labels) of the same MLP: its gradient (``func.grad``), its
  HVP along a random vector of all parameters forward-over-reverse (``func.jvp`` of
  ``func.grad``) and reverse-over-reverse (``autograd.grad`` twice, ``create_graph=True``).
- W3 the 256x256 Jacobian of ``tanh(W3 tanh(W2 tanh(W1 x + b1) + b2) + b3)``, x in R^256,
  float64: a loop of ``autograd.grad`` over the 256 outputs (``retain_graph=True``); ``jacrev``;
  ``jacfwd``.
- W4 per-op overhead, 300 element-wise ops on (16,) float32, ``t = sin(x); t = t * -0.05;
  t = exp(t); x = x + t`` 75 times: forward on a plain tensor; forward and ``sum().backward()``.
- W5 the 64x64 Hessian of ``sum(tanh(A @ x)**2) + x @ x / 2``, A 64x64, float64:
  ``jacfwd(jacrev)`` and ``jacrev(jacrev)``.
- W6 one training step of an MLP 784-256-256-10 (relu, batch 64, float32): ``func.grad`` of the
  cross-entropy over the list of its weights, then ``w - 0.01 * g``.
- W7 the double backward of ``x**3`` on x in R^10000 float64 (``autograd.grad`` of the sum of
  ``autograd.grad(sum(x**3), x, create_graph=True)``): through a custom ``autograd.Function``,
  and through the built-in power.

JAX spells each the way JAX would (``jax.jvp``, ``jax.vjp``, ``jax.grad``, ``jax.jacrev``,
``jax.custom_vjp`` for W7's custom Function); it has no dual tensors, so that row has no JAX
figure. The jit column times ``jax.jit`` of the whole workload after its compilation.

Threads: ``--threads 1`` (the default) runs every library on one thread:
torch.set_num_threads(1), dualgrad.set_num_threads(1), and OPENBLAS/OMP/MKL_NUM_THREADS=1 and
XLA's single-thread flags set before NumPy and JAX load, unless already in the environment.
``--threads N`` sets N everywhere instead (XLA keeps its own default); ``--threads default``
sets nothing, so each library runs as installed (on this 2-core machine torch, OpenBLAS and
dualgrad's element-wise kernels all take both cores). Timing
reuses _timing: calibrated runs, the libraries alternating run by run, the median of
``--repeat`` runs kept. This is a benchmark, never a test: it reports a missed goal, it does not
fail on one, and it exits 0.

    python benchmarks/peers.py              # table
    python benchmarks/peers.py --only W3    # one workload (repeatable: --only W3 --only W5)
    python benchmarks/peers.py --json       # the figures as JSON on stdout
"""

from __future__ import annotations

import os
import sys


def _threads_asked(argv) -> str:
    """``--threads``'s value, read before the libraries load (their pools read it once)."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


THREADS = _threads_asked(sys.argv[1:])
if THREADS != "default":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, THREADS)
    if THREADS == "1":
        os.environ.setdefault(
            "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402

import numpy as np  # noqa: E402
from _timing import add_arguments, median_times  # noqa: E402

import dualgrad as dg  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional here: the dualgrad column still means something
    torch = None

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # W3, W5 and W7 are float64
except ImportError:  # JAX is a benchmark extra: its columns are left out without it
    jax = None

# (workload, case) -> the goal for dualgrad/torch, lower is better
GOALS = {
    ("W1", "func.jvp"): 0.8,
    ("W1", "dual tensors"): 0.8,
    ("W1", "double-vjp"): 1.0,
    ("W2", "grad"): 1.0,
    ("W2", "hvp fwd-over-rev"): 1.0,
    ("W2", "hvp rev-over-rev"): 1.0,
    ("W3", "rev loop"): 1.0,
    ("W3", "jacrev"): 1.0,
    ("W3", "jacfwd"): 1.0,
    ("W4", "forward"): 0.6,
    ("W4", "fwd+bwd"): 0.8,
    ("W5", "jacfwd(jacrev)"): 1.0,
    ("W5", "jacrev(jacrev)"): 1.0,
    ("W6", "train step"): 1.0,
    ("W7", "custom Function"): 1.0,
    ("W7", "built-in"): 1.0,
}
WORKLOADS = sorted({w for w, _ in GOALS})


def make_arrays():
    """The inputs of every workload, as NumPy arrays shared by all the libraries."""
    rng = np.random.default_rng(0)

    def mlp(sizes, dtype):
        params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            params.append((rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(dtype))
            params.append((0.1 * rng.standard_normal(n_out)).astype(dtype))
        return params

    a = {}
    a["w1_params"] = mlp((512, 1024, 1024, 1024, 10), np.float32)
    a["w1_tangents"] = [rng.standard_normal(p.shape).astype(np.float32) for p in a["w1_params"]]
    a["w1_x"] = rng.standard_normal((128, 512)).astype(np.float32)
    a["w1_labels"] = rng.integers(0, 10, 128)
    a["w3_params"] = mlp((256, 256, 256, 256), np.float64)
    a["w3_x"] = rng.standard_normal(256)
    a["w4_x"] = rng.standard_normal(16).astype(np.float32)
    a["w5_A"] = rng.standard_normal((64, 64)) / 8
    a["w5_x"] = rng.standard_normal(64)
    a["w6_params"] = mlp((784, 256, 256, 10), np.float32)
    a["w6_x"] = rng.standard_normal((64, 784)).astype(np.float32)
    a["w6_labels"] = rng.integers(0, 10, 64)
    a["w7_x"] = rng.standard_normal(10000)
    return a


# ---- dualgrad and torch: the same code, spelled with either library ----------------------------


def make_torch_like_cases(lib, a):
    """Every case for dualgrad or torch, as zero-argument callables returning the value to check."""
    F, fwad, autograd = lib.func, lib.autograd.forward_ad, lib.autograd
    cross_entropy = lib.nn.functional.cross_entropy

    def T(v):
        return lib.tensor(v)

    def mlp(params, x, act):
        for i in range(0, len(params), 2):
            x = x @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                x = act(x)
        return x

    cases = {}

    # W1, W2
    p1 = tuple(T(p) for p in a["w1_params"])
    t1 = tuple(T(t) for t in a["w1_tangents"])
    x1, y1 = T(a["w1_x"]), T(a["w1_labels"])

    def w1_out(*params):
        return mlp(params, x1, lib.tanh)

    def w1_dual():
        with fwad.dual_level():
            out = w1_out(*(fwad.make_dual(p, t) for p, t in zip(p1, t1)))
            return fwad.unpack_dual(out).tangent

    def w1_double_vjp():
        params = [p.detach().requires_grad_() for p in p1]
        out = w1_out(*params)
        u = lib.zeros_like(out, requires_grad=True)
        g = autograd.grad(out, params, u, create_graph=True)
        return autograd.grad(g, u, t1)[0]

    cases["W1", "func.jvp"] = lambda: F.jvp(w1_out, p1, t1)[1]
    cases["W1", "dual tensors"] = w1_dual
    cases["W1", "double-vjp"] = w1_double_vjp

    def w2_loss(params):
        return cross_entropy(mlp(params, x1, lib.tanh), y1)

    def w2_rev_rev():
        params = [p.detach().requires_grad_() for p in p1]
        g = autograd.grad(w2_loss(params), params, create_graph=True)
        return autograd.grad(g, params, t1)[0]

    cases["W2", "grad"] = lambda: F.grad(w2_loss)(p1)[0]
    cases["W2", "hvp fwd-over-rev"] = lambda: F.jvp(F.grad(w2_loss), (p1,), (t1,))[1][0]
    cases["W2", "hvp rev-over-rev"] = w2_rev_rev

    # W3
    p3 = [T(p) for p in a["w3_params"]]
    x3 = T(a["w3_x"])

    def w3_net(x):
        return lib.tanh(mlp(p3, x, lib.tanh))

    def w3_rev_loop():
        x = x3.detach().requires_grad_()
        y = w3_net(x)
        return lib.stack([autograd.grad(y[i], x, retain_graph=True)[0] for i in range(256)])

    cases["W3", "rev loop"] = w3_rev_loop
    cases["W3", "jacrev"] = lambda: F.jacrev(w3_net)(x3)
    cases["W3", "jacfwd"] = lambda: F.jacfwd(w3_net)(x3)

    # W4
    x4 = T(a["w4_x"])
    x4_leaf = T(a["w4_x"]).requires_grad_()

    def w4_chain(x):
        for _ in range(75):
            t = lib.sin(x)
            t = t * -0.05
            t = lib.exp(t)
            x = x + t
        return x

    def w4_fwd_bwd():
        x4_leaf.grad = None
        w4_chain(x4_leaf).sum().backward()
        return x4_leaf.grad

    cases["W4", "forward"] = lambda: w4_chain(x4)
    cases["W4", "fwd+bwd"] = w4_fwd_bwd

    # W5
    A5, x5 = T(a["w5_A"]), T(a["w5_x"])

    def w5_f(x):
        return (lib.tanh(A5 @ x) ** 2).sum() + x @ x / 2

    cases["W5", "jacfwd(jacrev)"] = lambda: F.jacfwd(F.jacrev(w5_f))(x5)
    cases["W5", "jacrev(jacrev)"] = lambda: F.jacrev(F.jacrev(w5_f))(x5)

    # W6
    p6 = [T(p) for p in a["w6_params"]]
    x6, y6 = T(a["w6_x"]), T(a["w6_labels"])

    def w6_loss(params):
        return cross_entropy(mlp(params, x6, lib.relu), y6)

    def w6_step():
        g = F.grad(w6_loss)(p6)
        return [w - 0.01 * gw for w, gw in zip(p6, g)][0]

    cases["W6", "train step"] = w6_step

    # W7
    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    x7 = T(a["w7_x"])

    def w7(cube):
        def run():
            x = x7.detach().requires_grad_()
            (g,) = autograd.grad(cube(x).sum(), x, create_graph=True)
            return autograd.grad(g.sum(), x)[0]

        return run

    cases["W7", "custom Function"] = w7(Cube.apply)
    cases["W7", "built-in"] = w7(lambda x: x**3)
    return cases


# ---- JAX: the same workloads spelled the JAX way -------------------------------------------


def make_jax_cases(a):
    """Every case for JAX as (eager, jitted) zero-argument callables; None where JAX has no
    counterpart."""

    def mlp(params, x, act):
        for i in range(0, len(params), 2):
            x = x @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                x = act(x)
        return x

    def cross_entropy(logits, labels):
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    p1 = tuple(jnp.asarray(p) for p in a["w1_params"])
    t1 = tuple(jnp.asarray(t) for t in a["w1_tangents"])
    x1, y1 = jnp.asarray(a["w1_x"]), jnp.asarray(a["w1_labels"])

    def w1_out(*params):
        return mlp(params, x1, jnp.tanh)

    def w1_double_vjp(p1, t1):
        out, pullback = jax.vjp(w1_out, *p1)
        return jax.vjp(pullback, jnp.zeros_like(out))[1](t1)[0]

    def w2_loss(params):
        return cross_entropy(mlp(params, x1, jnp.tanh), y1)

    def w2_rev_rev(p1, t1):
        return jax.grad(lambda p: sum(jnp.vdot(g, t) for g, t in zip(jax.grad(w2_loss)(p), t1)))(
            p1
        )[0]

    p3 = [jnp.asarray(p) for p in a["w3_params"]]

    def w3_net(x):
        return jnp.tanh(mlp(p3, x, jnp.tanh))

    def w3_rev_loop(x):
        _, pullback = jax.vjp(w3_net, x)
        eye = jnp.eye(256)
        return jnp.stack([pullback(eye[i])[0] for i in range(256)])

    def w4_chain(x):
        for _ in range(75):
            t = jnp.sin(x)
            t = t * -0.05
            t = jnp.exp(t)
            x = x + t
        return x

    A5 = jnp.asarray(a["w5_A"])

    def w5_f(x):
        return jnp.sum(jnp.tanh(A5 @ x) ** 2) + x @ x / 2

    p6 = [jnp.asarray(p) for p in a["w6_params"]]
    x6, y6 = jnp.asarray(a["w6_x"]), jnp.asarray(a["w6_labels"])

    def w6_step(params):
        g = jax.grad(lambda p: cross_entropy(mlp(p, x6, jax.nn.relu), y6))(params)
        return [w - 0.01 * gw for w, gw in zip(params, g)][0]

    @jax.custom_vjp
    def cube(x):
        return x**3

    cube.defvjp(lambda x: (x**3, x), lambda x, g: (g * 3 * x**2,))

    def w7(cube):
        return lambda x: jax.grad(lambda x: jnp.sum(jax.grad(lambda u: jnp.sum(cube(u)))(x)))(x)

    x3, x4 = jnp.asarray(a["w3_x"]), jnp.asarray(a["w4_x"])
    x5, x7 = jnp.asarray(a["w5_x"]), jnp.asarray(a["w7_x"])
    # (function, its arguments): the eager case calls it, the jit case calls jax.jit of it
    spelled = {
        ("W1", "func.jvp"): (lambda p, t: jax.jvp(w1_out, p, t)[1], (p1, t1)),
        ("W1", "double-vjp"): (w1_double_vjp, (p1, t1)),
        ("W2", "grad"): (lambda p: jax.grad(w2_loss)(p)[0], (p1,)),
        ("W2", "hvp fwd-over-rev"): (
            lambda p, t: jax.jvp(jax.grad(w2_loss), (p,), (t,))[1][0],
            (p1, t1),
        ),
        ("W2", "hvp rev-over-rev"): (w2_rev_rev, (p1, t1)),
        ("W3", "rev loop"): (w3_rev_loop, (x3,)),
        ("W3", "jacrev"): (jax.jacrev(w3_net), (x3,)),
        ("W3", "jacfwd"): (jax.jacfwd(w3_net), (x3,)),
        ("W4", "forward"): (w4_chain, (x4,)),
        ("W4", "fwd+bwd"): (jax.grad(lambda x: jnp.sum(w4_chain(x))), (x4,)),
        ("W5", "jacfwd(jacrev)"): (jax.jacfwd(jax.jacrev(w5_f)), (x5,)),
        ("W5", "jacrev(jacrev)"): (jax.jacrev(jax.jacrev(w5_f)), (x5,)),
        ("W6", "train step"): (w6_step, (p6,)),
        ("W7", "custom Function"): (w7(cube), (x7,)),
        ("W7", "built-in"): (w7(lambda u: u**3), (x7,)),
    }
    eager, jitted = {}, {}
    for key, (fn, args) in spelled.items():
        jfn = jax.jit(fn)
        eager[key] = lambda fn=fn, args=args: jax.block_until_ready(fn(*args))
        jitted[key] = lambda jfn=jfn, args=args: jax.block_until_ready(jfn(*args))
    return eager, jitted


# ---- running and reporting -----------------------------------------------------------------


def to_numpy(v):
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def check_values(cases, keys):
    """Every library computes the same numbers, or the comparison means nothing."""
    problems = []
    for key in keys:
        ref_lib = "torch" if "torch" in cases else "dualgrad"
        ref = to_numpy(cases[ref_lib][key]())
        for lib, fns in cases.items():
            if lib == ref_lib or key not in fns:
                continue
            got = to_numpy(fns[key]())
            if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-3, atol=1e-4):
                diff = np.abs(got - ref).max() if got.shape == ref.shape else "shape"
                problems.append(f"{key[0]} {key[1]}: {lib} differs from {ref_lib} by {diff}")
    return problems


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(p, repeat=5, min_time=0.2, warmup=2)
    p.add_argument(
        "--only", action="append", choices=WORKLOADS, help="run only this workload (repeatable)"
    )
    p.add_argument("--no-jax", action="store_true", help="leave JAX out even when importable")
    p.add_argument(
        "--threads",
        default="1",
        help="threads for every library: a number, or 'default' to leave each as installed",
    )
    args = p.parse_args(argv)
    only = args.only or WORKLOADS
    keys = [k for k in GOALS if k[0] in only]

    a = make_arrays()
    cases = {"dualgrad": make_torch_like_cases(dg, a)}
    notes = []
    if args.threads != "default":
        n = int(args.threads)
        if hasattr(dg, "set_num_threads"):
            dg.set_num_threads(n)
        if torch is not None:
            torch.set_num_threads(n)
    threads = {
        "asked": args.threads,
        "dualgrad": dg.get_num_threads() if hasattr(dg, "get_num_threads") else None,
        "torch": None if torch is None else torch.get_num_threads(),
        "env": {v: os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "XLA_FLAGS")},
    }
    if torch is not None:
        cases["torch"] = make_torch_like_cases(torch, a)
    else:
        notes.append("torch is not importable: no ratios")
    if jax is not None and not args.no_jax:
        cases["jax"], cases["jax.jit"] = make_jax_cases(a)
    else:
        notes.append("JAX is not importable or left out: no JAX columns")

    problems = check_values(cases, keys)
    timing = dict(repeat=args.repeat, min_time=args.min_time, warmup=args.warmup)
    ms = {lib: {} for lib in cases}
    for key in keys:
        fns = {lib: c[key] for lib, c in cases.items() if key in c}
        for lib, seconds in median_times(fns, **timing).items():
            ms[lib][key] = seconds * 1e3

    rows = []
    for key in keys:
        row = {"workload": key[0], "case": key[1]}
        for lib in cases:
            row[f"{lib}_ms"] = ms[lib].get(key)
        t_ref = ms.get("torch", {}).get(key)
        row["ratio"] = ms["dualgrad"][key] / t_ref if t_ref else None
        row["goal"] = GOALS[key]
        row["verdict"] = (
            "" if row["ratio"] is None else ("met" if row["ratio"] <= GOALS[key] else "MISSED")
        )
        rows.append(row)
    report = {
        "benchmark": "peers",
        "unit": f"milliseconds per call, median of {args.repeat} runs",
        "rows": rows,
        "value_check_problems": problems,
        "notes": notes,
        "env": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": None if torch is None else torch.__version__,
            "jax": None if jax is None else jax.__version__,
            "threads": threads,
            "dualgrad": dg.__file__,
        },
        "timing": timing,
    }
    if args.json == "-":
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0

    env = report["env"]
    print(
        f"dualgrad peers (issue 17), ms per call, median of {args.repeat}; python {env['python']},"
        f" numpy {env['numpy']}, torch {env['torch']}, jax {env['jax']}; threads: "
        + (
            "one each"
            if args.threads == "1"
            else f"{args.threads} (dualgrad {threads['dualgrad']}, torch {threads['torch']})"
        )
    )
    for note in notes:
        print(note)
    libs = list(cases)
    cols = ["workload", "case", *libs, "dg/torch", "goal", "verdict"]
    table = []
    for row in rows:
        cells = [row["workload"], row["case"]]
        for lib in libs:
            v = row[f"{lib}_ms"]
            cells.append("-" if v is None else f"{v:.3f}" if v < 10 else f"{v:.1f}")
        cells += [
            "-" if row["ratio"] is None else f"{row['ratio']:.2f}x",
            f"<= {row['goal']}x",
            row["verdict"],
        ]
        table.append(cells)
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(cols)]

    def line(cells):
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    print(line(cols))
    print(line(["-" * w for w in widths]))
    for cells in table:
        print(line(cells))
    if problems:
        print("WARNING: the libraries disagree on the values, so the times may not compare:")
        for msg in problems:
            print("  " + msg)
    else:
        print(f"values: {', '.join(libs)} agree on every case")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
