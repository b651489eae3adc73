"""Issue 18's benchmark: the Laplacian of a tanh MLP 50-256-256-128-1 in float64, at one point
and batched over 256 points with vmap, in one run.

Ways (ratio = time / the faster torch.func way; the issue's goal: collapsed <= 0.67):

- dualgrad collapsed: ``func.laplacian(f)`` (collapsed Taylor mode, NOTE: [collapsed Taylor
  mode] in dualgrad/_taylor/level.py); batched: ``vmap(laplacian(f))``;
- dualgrad nested: ``func.hessian(f)(x).trace()`` (jacfwd over jacrev);
- torch hessian: ``torch.func.hessian(f)(x).trace()``;
- torch HVPs: ``torch.func.vmap`` of forward-over-reverse HVPs (``jvp`` of ``grad``) over the 50
  unit vectors, the diagonal entries summed;
- JAX (``jax.hessian`` trace, and ``jax.experimental.jet``-free forward-over-reverse HVPs under
  ``jax.vmap``) and folx's forward Laplacian, each only where it imports (not in dualgrad's
  venv: run this file with /work/venv-peers/bin/python and PYTHONPATH to get those columns).

Peak memory: tracemalloc's peak during one call for dualgrad (NumPy reports its buffers to it);
for torch and JAX, whose allocators tracemalloc does not see, the rise of the resident set
during one call, sampled every 0.5 ms by a thread (a lower bound: memory the allocator reuses
from earlier calls does not show). Each in a fresh subprocess, after one warm-up call.

One thread each (torch.set_num_threads(1), OPENBLAS/OMP/MKL_NUM_THREADS=1). Best of
``--repeat`` timed runs, the ways alternating (benchmarks/_timing.py). A benchmark, not a test:
it exits 0 whatever the figures.

    python benchmarks/taylor.py
    python benchmarks/taylor.py --json
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
import subprocess  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import add_arguments, best_times  # noqa: E402

SIZES = (50, 256, 256, 128, 1)
POINTS = 256


def weights(seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((o, i)) / np.sqrt(i), rng.standard_normal(o) * 0.1)
        for i, o in zip(SIZES[:-1], SIZES[1:])
    ]


def points(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(SIZES[0]), rng.standard_normal((POINTS, SIZES[0]))


# ------------------------------------------------------------------ the ways
def dualgrad_ways():
    import dualgrad as dg
    from dualgrad.func import hessian, laplacian, vmap

    params = [(dg.tensor(w), dg.tensor(b)) for w, b in weights()]

    def f(x):
        for k, (w, b) in enumerate(params):
            x = dg.nn.functional.linear(x, w, b)
            if k < len(params) - 1:
                x = dg.tanh(x)
        return x.sum()

    x1, xs = (dg.tensor(a) for a in points())
    lap = laplacian(f)
    nested = lambda x: hessian(f)(x).trace()  # noqa: E731
    return {
        "dualgrad collapsed, 1 point": lambda: lap(x1),
        "dualgrad nested, 1 point": lambda: nested(x1),
        "dualgrad collapsed, 256 points": lambda: vmap(lap)(xs),
        "dualgrad nested, 256 points": lambda: vmap(nested)(xs),
    }


def torch_ways():
    import torch

    torch.set_num_threads(1)
    params = [(torch.tensor(w), torch.tensor(b)) for w, b in weights()]

    def f(x):
        for k, (w, b) in enumerate(params):
            x = torch.nn.functional.linear(x, w, b)
            if k < len(params) - 1:
                x = torch.tanh(x)
        return x.sum()

    x1, xs = (torch.tensor(a) for a in points())
    eye = torch.eye(SIZES[0], dtype=torch.float64)
    by_hessian = lambda x: torch.func.hessian(f)(x).trace()  # noqa: E731

    def by_hvps(x):
        hvp = lambda v: torch.func.jvp(torch.func.grad(f), (x,), (v,))[1]  # noqa: E731
        return (torch.func.vmap(hvp)(eye) * eye).sum()

    return {
        "torch hessian, 1 point": lambda: by_hessian(x1),
        "torch HVPs, 1 point": lambda: by_hvps(x1),
        "torch hessian, 256 points": lambda: torch.func.vmap(by_hessian)(xs),
        "torch HVPs, 256 points": lambda: torch.func.vmap(by_hvps)(xs),
    }


def jax_ways():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in weights()]

    def f(x):
        for k, (w, b) in enumerate(params):
            x = w @ x + b
            if k < len(params) - 1:
                x = jnp.tanh(x)
        return x.sum()

    x1, xs = (jnp.asarray(a) for a in points())
    eye = jnp.eye(SIZES[0])
    by_hessian = jax.jit(lambda x: jnp.trace(jax.hessian(f)(x)))
    by_hvps = jax.jit(
        lambda x: (jax.vmap(lambda v: jax.jvp(jax.grad(f), (x,), (v,))[1])(eye) * eye).sum()
    )
    ways = {
        "jax.jit hessian, 1 point": lambda: by_hessian(x1).block_until_ready(),
        "jax.jit HVPs, 1 point": lambda: by_hvps(x1).block_until_ready(),
        "jax.jit hessian, 256 points": lambda: jax.vmap(by_hessian)(xs).block_until_ready(),
        "jax.jit HVPs, 256 points": lambda: jax.vmap(by_hvps)(xs).block_until_ready(),
    }
    try:
        import folx

        fl = jax.jit(lambda x: folx.forward_laplacian(f)(x).laplacian)
        ways["folx forward laplacian (jit), 1 point"] = lambda: fl(x1).block_until_ready()
        ways["folx forward laplacian (jit), 256 points"] = lambda: jax.vmap(fl)(
            xs
        ).block_until_ready()
    except ImportError:
        pass
    return ways


FAMILIES = {"dualgrad": dualgrad_ways, "torch": torch_ways, "jax": jax_ways}


# ------------------------------------------------------------------ memory
def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _sampled_peak(fn):
    """The highest resident set above the one before the call, sampled every 0.5 ms by a
    thread while ``fn`` runs (the process's own peak is set by the imports, not the call)."""
    import threading
    import time

    before = _rss_bytes()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.0005)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        fn()
    finally:
        done.set()
        thread.join()
    peak[0] = max(peak[0], _rss_bytes())
    return (peak[0] - before) / 2**20


def _memory_child(family, name):
    """In a fresh process, after the way's set-up and one warm-up call: the peak memory of one
    call in MB (tracemalloc for dualgrad; the sampled resident set for the others)."""
    ways = FAMILIES[family]()
    fn = ways[name]
    fn()
    if family == "dualgrad":
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20
    return _sampled_peak(fn)


def memory_of(family, name):
    code = (
        "import sys, json; sys.argv=['x']; sys.path.insert(0, %r); import taylor; "
        "print(json.dumps(taylor._memory_child(%r, %r)))"
        % (os.path.dirname(os.path.abspath(__file__)), family, name)
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=900, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def check_agreement(ways):
    """Every way gives the same Laplacians (a benchmark of wrong numbers is worthless)."""
    values = {}
    for name, fn in ways.items():
        v = fn()
        values[name] = np.asarray(v.detach().numpy() if hasattr(v, "detach") else v)
    for where in ("1 point", "256 points"):
        group = {k: v for k, v in values.items() if k.endswith(where)}
        ref = next(iter(group.values()))
        for k, v in group.items():
            np.testing.assert_allclose(v, ref, rtol=1e-8, err_msg=k)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, repeat=5, min_time=0.2, warmup=1)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    args = parser.parse_args(argv)
    ways = {}
    for make in FAMILIES.values():
        ways.update(make())
    check_agreement(ways)
    rows = []
    for where in ("1 point", "256 points"):
        group = {k: v for k, v in ways.items() if k.endswith(where)}
        times = best_times(group, repeat=args.repeat, min_time=args.min_time, warmup=args.warmup)
        torch_best = min(times[f"torch hessian, {where}"], times[f"torch HVPs, {where}"])
        for name, sec in times.items():
            family = name.split()[0].split(".")[0]
            mem = None if args.no_memory else memory_of(family if family != "folx" else "jax", name)
            rows.append({"way": name, "ms": sec * 1e3, "ratio": sec / torch_best, "peak_mb": mem})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(
        f"Laplacian of a tanh MLP {'-'.join(map(str, SIZES))}, float64 (ratio: / faster torch.func)"
    )
    for r in rows:
        mem = "" if r["peak_mb"] is None else f"{r['peak_mb']:9.1f} MB"
        print(f"  {r['way']:<42} {r['ms']:10.2f} ms  {r['ratio']:6.2f}x  {mem}")
    goal = [r for r in rows if r["way"].startswith("dualgrad collapsed")]
    print("goal (collapsed <= 0.67x):", ", ".join(f"{r['ratio']:.2f}x" for r in goal))
    return 0


if __name__ == "__main__":
    sys.exit(main())
