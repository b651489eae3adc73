"""Per-op overhead of dualgrad against PyTorch and raw NumPy on tiny tensors.

What it measures: a chain of 300 small element-wise ops on a (16,) float32 tensor, 75
repetitions of ``y = exp(sin(y) * -0.05) + x`` (sin, mul by a Python scalar, exp, add of the
original input ``x``). At this size the array work is negligible, so the time per op is the
framework's own cost: dispatch, graph recording, tangent handling. Three modes:

- ``forward``: the chain on a plain tensor, nothing recording;
- ``fwd+bwd``: the chain from a leaf ``x`` with ``requires_grad=True``, then ``.sum().backward()``
  (the sum and the backward pass are included; the time is still divided by the 300 chain ops);
- ``dual``: the chain inside one dual level on ``make_dual(x, tangent)`` (forward mode).

PyTorch runs in the same process with ``torch.set_num_threads(1)``; NumPy does the forward chain
only, as the floor. (On torch 2.13 CPU, forward-mode ``mul`` by a scalar goes through a Python
decomposition in torch._refs, about 0.4 ms a call, so torch's ``dual`` figure is mostly that.)
Timing is timeit-style: warm-up, then the best of ``--repeat`` runs of ``number`` calls each
(``number`` chosen so that one run lasts at least ``--min-time`` seconds), the libraries' runs
alternating so that load from other processes falls on all of them alike.

Targets (DESIGN.md, "the dispatcher is the one hot path"): forward <= 0.9x torch and
fwd+bwd <= 0.9x torch. This is a benchmark only, never a test: it reports, it does not fail on a
missed target, and it exits 0.

    python benchmarks/overhead.py                  # table
    python benchmarks/overhead.py --json           # the figures as JSON on stdout
    python benchmarks/overhead.py --json out.json  # table, and the figures written to out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import numpy as np
from _timing import add_arguments, best_times

import dualgrad as dg
import dualgrad.autograd.forward_ad as dg_fwad

try:
    import torch
    import torch.autograd.forward_ad as torch_fwad
except ImportError:  # torch is optional here: the dualgrad and numpy columns still mean something
    torch = None

N = 16
REPS = 75
OPS_PER_REP = 4
N_OPS = REPS * OPS_PER_REP  # 300
TARGETS = {"forward": 0.9, "fwd+bwd": 0.9}  # dualgrad/torch, lower is better
MODES = ("forward", "fwd+bwd", "dual")


# ---- the chains: the same code for each library, spelled with that library's functions -------


def numpy_forward(x):
    y = x
    for _ in range(REPS):
        y = np.exp(np.sin(y) * -0.05) + x
    return y


def make_chain(lib):
    sin, exp = lib.sin, lib.exp

    def chain(x):
        y = x
        for _ in range(REPS):
            y = exp(sin(y) * -0.05) + x
        return y

    return chain


def make_cases(lib, fwad, x_np, t_np):
    """The three modes for dualgrad or torch, as zero-argument callables plus a value check."""
    chain = make_chain(lib)
    x = lib.tensor(x_np)
    t = lib.tensor(t_np)
    x_leaf = lib.tensor(x_np, requires_grad=True)

    def forward():
        return chain(x)

    def fwd_bwd():
        x_leaf.grad = None
        chain(x_leaf).sum().backward()
        return x_leaf.grad

    def dual():
        with fwad.dual_level():
            return fwad.unpack_dual(chain(fwad.make_dual(x, t))).tangent

    return {"forward": forward, "fwd+bwd": fwd_bwd, "dual": dual}


# ---- timing -------------------------------------------------------------------------------------


def to_numpy(v):
    if v is None:
        return None
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def check_values(results):
    """Every library computes the same numbers, or the comparison means nothing."""
    problems = []
    ref = results.get("torch") or results["dualgrad"]
    for mode, ref_val in ref.items():
        for lib, vals in results.items():
            if lib == "numpy":  # forward only; checked against dualgrad below
                continue
            val = vals.get(mode)
            if val is None or ref_val is None:
                problems.append(f"{lib} {mode}: no value")
            elif not np.allclose(val, ref_val, rtol=1e-4, atol=1e-5):
                problems.append(
                    f"{lib} {mode}: differs from the reference by "
                    f"{np.max(np.abs(val - ref_val)):.3g}"
                )
    if "numpy" in results and not np.allclose(
        results["numpy"]["forward"], results["dualgrad"]["forward"], rtol=1e-5
    ):
        problems.append("numpy forward differs from dualgrad forward")
    return problems


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(p, repeat=7, min_time=0.1, warmup=5)
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(N).astype(np.float32)
    t_np = rng.standard_normal(N).astype(np.float32)

    cases = {"dualgrad": make_cases(dg, dg_fwad, x_np, t_np)}
    note = None
    if torch is not None:
        torch.set_num_threads(1)
        cases["torch"] = make_cases(torch, torch_fwad, x_np, t_np)
    else:
        note = "torch is not importable: dualgrad and numpy only, no ratios."

    values = {lib: {m: to_numpy(fn()) for m, fn in fns.items()} for lib, fns in cases.items()}
    values["numpy"] = {"forward": numpy_forward(x_np)}
    problems = check_values(values)

    timing = dict(repeat=args.repeat, min_time=args.min_time, warmup=args.warmup)
    us_per_op = {lib: {} for lib in (*cases, "numpy")}
    for mode in MODES:
        fns = {lib: cases[lib][mode] for lib in cases}
        if mode == "forward":
            fns["numpy"] = lambda: numpy_forward(x_np)
        for lib, seconds in best_times(fns, **timing).items():
            us_per_op[lib][mode] = seconds / N_OPS * 1e6

    ratios = {}
    if torch is not None:
        ratios = {m: us_per_op["dualgrad"][m] / us_per_op["torch"][m] for m in MODES}
    ratios_numpy = {"forward": us_per_op["dualgrad"]["forward"] / us_per_op["numpy"]["forward"]}

    report = {
        "benchmark": "overhead",
        "chain": f"{REPS} x [sin, mul -0.05, exp, add x] = {N_OPS} ops on ({N},) float32",
        "unit": "microseconds per op (best of repeats)",
        "us_per_op": us_per_op,
        "ratio_dualgrad_over_torch": ratios,
        "ratio_dualgrad_over_numpy": ratios_numpy,
        "targets_dualgrad_over_torch": TARGETS,
        "value_check_problems": problems,
        "note": note,
        "env": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "numpy": np.__version__,
            "torch": torch.__version__ if torch is not None else None,
            "torch_threads": torch.get_num_threads() if torch is not None else None,
            "dualgrad": getattr(dg, "__version__", None),
        },
        "timing": timing,
    }

    if args.json is not None:
        text = json.dumps(report, indent=2)
        if args.json == "-":
            print(text)
            return 0
        with open(args.json, "w") as f:
            f.write(text + "\n")

    print(
        f"dualgrad overhead: {report['chain']}; µs/op, best of {args.repeat}"
        f" (python {report['env']['python']}, numpy {np.__version__}"
        + (f", torch {torch.__version__} 1 thread)" if torch is not None else ")")
    )
    if note:
        print(note)
    cols = ["mode", "dualgrad", "torch", "numpy", "dg/torch", "target", "verdict"]
    rows = []
    for mode in MODES:
        dgv = us_per_op["dualgrad"][mode]
        tv = us_per_op.get("torch", {}).get(mode)
        nv = us_per_op["numpy"].get(mode)
        r = ratios.get(mode)
        target = TARGETS.get(mode)
        verdict = "" if r is None or target is None else ("met" if r <= target else "MISSED")
        rows.append(
            [
                mode,
                f"{dgv:.2f}",
                "-" if tv is None else f"{tv:.2f}",
                "-" if nv is None else f"{nv:.2f}",
                "-" if r is None else f"{r:.2f}x",
                "-" if target is None else f"<= {target}x",
                verdict,
            ]
        )
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    ).rstrip()
    print(line(cols))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    print(f"dualgrad/numpy, forward: {ratios_numpy['forward']:.1f}x")
    if problems:
        print("WARNING: the libraries disagree on the values, so the times may not compare:")
        for msg in problems:
            print("  " + msg)
    else:
        print(f"values: {', '.join(values)} agree in every mode")
    return 0


if __name__ == "__main__":
    sys.exit(main())
