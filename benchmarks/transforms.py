"""Function transforms against torch.func, in the same run: Jacobians, a Hessian, per-sample
gradients.

Cases (float32; torch with ``torch.set_num_threads(1)``):

- ``jacrev`` and ``jacfwd`` of a 256 -> 256 network ``tanh(W2 tanh(W1 x + b1) + b2)`` (a
  256x256 Jacobian): dualgrad's are ``vmap(vjp)`` and ``vmap(jvp)``, one vectorised pass;
  and ``autograd.functional.jacobian(vectorize=True)`` of the same (dualgrad's is jacrev);
- ``hessian`` of ``sum(tanh(W2 tanh(W1 x)))`` for x in R^64 (a 64x64 Hessian), forward over
  reverse (``jacfwd(jacrev)``) in both libraries;
- ``vmap(grad)``: per-sample gradients of a 64-32-1 MLP's squared error over a batch of 128,
  with respect to the weights (the batch is mapped, the weights are not): NOTE [grad under
  vmap] makes this one vectorised backward; ``loop`` is the same done one sample at a time in
  dualgrad, to show what the vectorisation buys.

Targets (issue 5): jacrev, jacfwd and hessian at <= 1.5x torch.func. A benchmark only: it
reports ratios and exits 0.

    python benchmarks/transforms.py
    python benchmarks/transforms.py --json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import numpy as np
from _timing import add_arguments, best_times

import dualgrad as dg

try:
    import torch
except ImportError:  # torch is optional here: the dualgrad column still means something
    torch = None

TARGETS = {"jacrev 256x256": 1.5, "jacfwd 256x256": 1.5, "hessian 64x64": 1.5}


def make_cases(lib, arrays):
    """The cases for dualgrad or torch, as zero-argument callables."""
    F = lib.func
    t = {k: lib.tensor(v) for k, v in arrays.items()}

    def net(x):
        return lib.tanh(t["W2"] @ lib.tanh(t["W1"] @ x + t["b1"]) + t["b2"])

    def scalar(x):
        return lib.tanh(t["V2"] @ lib.tanh(t["V1"] @ x)).sum()

    def sample_loss(w1, w2, x, y):
        return ((lib.tanh(x @ w1) @ w2 - y) ** 2).sum()

    per_sample = F.vmap(F.grad(sample_loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))
    cases = {
        "jacrev 256x256": lambda: F.jacrev(net)(t["x"]),
        "functional.jacobian 256x256": lambda: lib.autograd.functional.jacobian(
            net, t["x"], vectorize=True
        ),
        "jacfwd 256x256": lambda: F.jacfwd(net)(t["x"]),
        "hessian 64x64": lambda: F.hessian(scalar)(t["z"]),
        "vmap(grad) 128 samples": lambda: per_sample(t["w1"], t["w2"], t["X"], t["Y"])[0],
    }
    if lib is dg:
        grad = F.grad(sample_loss, argnums=(0, 1))
        cases["loop of grad 128 samples"] = lambda: dg.stack(
            [grad(t["w1"], t["w2"], t["X"][i], t["Y"][i])[0] for i in range(128)]
        )
    return cases


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(p, repeat=5, min_time=0.2, warmup=2)
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)

    def r(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    arrays = dict(
        W1=r(256, 256, scale=0.06),
        b1=r(256),
        W2=r(256, 256, scale=0.06),
        b2=r(256),
        x=r(256),
        V1=r(64, 64, scale=0.12),
        V2=r(64, 64, scale=0.12),
        z=r(64),
        w1=r(64, 32, scale=0.12),
        w2=r(32, scale=0.2),
        X=r(128, 64),
        Y=r(128),
    )
    cases = {"dualgrad": make_cases(dg, arrays)}
    if torch is not None:
        torch.set_num_threads(1)
        cases["torch"] = make_cases(torch, arrays)

    problems = []
    if torch is not None:
        for name, fn in cases["torch"].items():
            ref = fn().detach().numpy()
            got = cases["dualgrad"][name]().numpy()
            if not np.allclose(got, ref, rtol=1e-3, atol=1e-4):
                problems.append(
                    f"{name}: dualgrad differs from torch by {np.abs(got - ref).max():.3g}"
                )
    loop = cases["dualgrad"]["loop of grad 128 samples"]().numpy()
    if not np.allclose(
        loop, cases["dualgrad"]["vmap(grad) 128 samples"]().numpy(), rtol=1e-4, atol=1e-5
    ):
        problems.append("vmap(grad) differs from the loop of grad")

    timing = dict(repeat=args.repeat, min_time=args.min_time, warmup=args.warmup)
    ms = {lib: {} for lib in cases}
    for name in cases["dualgrad"]:
        fns = {lib: c[name] for lib, c in cases.items() if name in c}
        for lib, seconds in best_times(fns, **timing).items():
            ms[lib][name] = seconds * 1e3

    rows = []
    for name, t_dg in ms["dualgrad"].items():
        t_ref = ms.get("torch", {}).get(name)
        ratio = t_dg / t_ref if t_ref else None
        target = TARGETS.get(name)
        verdict = (
            "" if target is None or ratio is None else ("met" if ratio <= target else "MISSED")
        )
        rows.append(
            dict(
                case=name,
                dualgrad_ms=t_dg,
                torch_ms=t_ref,
                ratio=ratio,
                target=target,
                verdict=verdict,
            )
        )
    report = dict(
        benchmark="transforms",
        python=platform.python_version(),
        numpy=np.__version__,
        torch=None if torch is None else torch.__version__,
        rows=rows,
        problems=problems,
    )
    if args.json == "-":
        json.dump(report, sys.stdout, indent=2)
        return 0
    print(
        f"dualgrad transforms vs torch.func, float32, ms per call, best of {args.repeat} "
        f"(python {report['python']}, numpy {report['numpy']}, torch {report['torch']} 1 thread)"
    )
    print(f"{'case':28} {'dualgrad':>9} {'torch':>8} {'dg/torch':>9} {'target':>8}  verdict")
    for row in rows:
        t_ref = "-" if row["torch_ms"] is None else f"{row['torch_ms']:.2f}"
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        target = "-" if row["target"] is None else f"<= {row['target']}x"
        print(
            f"{row['case']:28} {row['dualgrad_ms']:9.2f} {t_ref:>8} {ratio:>9} {target:>8}  {row['verdict']}"
        )
    vm = ms["dualgrad"]["vmap(grad) 128 samples"]
    print(
        f"vmap(grad) is {ms['dualgrad']['loop of grad 128 samples'] / vm:.1f}x faster than a loop of grad"
    )
    print(
        "values: " + ("; ".join(problems) if problems else "dualgrad and torch agree on every case")
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
