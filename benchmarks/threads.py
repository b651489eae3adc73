"""Large element-wise kernels split over threads (dualgrad/_parallel.py, issue 17) against the single
NumPy call and against torch with the same number of threads.

Cases: exp, tanh (compute-bound) and add (memory-bound) at sizes 1e3..1e7, float32 and float64.
Columns: the plain ufunc (one core), ``parallel_call`` with its thresholds lowered to 0 so that
every size is split ("split"; below 2 chunks of _ALIGN elements it is not split and costs the
checks only), and torch with ``torch.set_num_threads(THREADS)``; ratios numpy/split (above 1:
the split pays) and numpy/torch. "auto" is what the dispatcher gets at that size, the split or
the ufunc itself, by the kernel's measured threshold (NOTE: [parallel threshold]). Timing is the median of ``--repeat`` runs, the three alternating in
one run (benchmarks/_timing.py). The numpy/split column is what _MIN_WORK_NS in
dualgrad/_parallel.py is read from. A benchmark only: it reports, and exits 0.

    python benchmarks/threads.py                 # table
    python benchmarks/threads.py --threads 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np
from _timing import add_arguments, median_times

import dualgrad as dg
from dualgrad import _parallel

try:
    import torch
except ImportError:  # torch is optional here: the numpy and split columns still mean something
    torch = None

SIZES = (1_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
OPS = {"exp": (np.exp, 1), "tanh": (np.tanh, 1), "add": (np.add, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="threads for the split and torch")
    parser.add_argument("--sizes", type=int, nargs="*", default=SIZES)
    add_arguments(parser, repeat=7, min_time=0.02, warmup=3)
    args = parser.parse_args(argv)

    dg.set_num_threads(args.threads)
    # the size from which each kernel is split by its measured cost (NOTE: [parallel
    # threshold]), read before the thresholds are lowered so that every size is split here
    rng = np.random.default_rng(0)
    split_from = {
        (name, dtype): _parallel._kernel(uf, *[np.ones(1, dtype)] * nin, *[None] * (2 - nin))[1]
        for dtype in ("float32", "float64")
        for name, (uf, nin) in OPS.items()
    }
    _parallel._MIN_SIZE = _parallel._MIN_WORK_NS = 0
    _parallel._KERNELS.clear()
    if torch is not None:
        torch.set_num_threads(args.threads)
    rows = []
    for dtype in ("float32", "float64"):
        for name, (uf, nin) in OPS.items():
            for n in args.sizes:
                xs = [rng.standard_normal(n).astype(dtype) for _ in range(nin)]
                fns = {
                    "numpy": lambda: uf(*xs),
                    "split": lambda: _parallel.parallel_call(uf, *xs),
                }
                if torch is not None:
                    ts = [torch.from_numpy(x) for x in xs]
                    tf = getattr(torch, name)
                    fns["torch"] = lambda: tf(*ts)
                t = median_times(
                    fns, repeat=args.repeat, min_time=args.min_time, warmup=args.warmup
                )
                row = {"op": name, "dtype": dtype, "size": n}
                # what the dispatcher's hook does at this size: split, or the ufunc itself
                row["auto"] = "split" if n >= split_from[name, dtype] else "numpy"
                row.update({f"{k}_us": v * 1e6 for k, v in t.items()})
                row["numpy/split"] = t["numpy"] / t["split"]
                row["numpy/auto"] = t["numpy"] / t[row["auto"]]
                if torch is not None:
                    row["numpy/torch"] = t["numpy"] / t["torch"]
                rows.append(row)
                if args.json != "-":
                    _print_row(row, first=len(rows) == 1)
    report = {
        "threads": args.threads,
        "machine": platform.processor() or platform.machine(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "split_from": {f"{k[0]} {k[1]}": v for k, v in split_from.items()},
        "rows": rows,
    }
    if args.json is not None:
        text = json.dumps(report, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text)


def _print_row(row, first):
    if first:
        print(
            f"{'op':<5} {'dtype':<8} {'size':>9} {'numpy us':>10} {'split us':>10} "
            f"{'torch us':>10} {'np/split':>9} {'auto':>6} {'np/auto':>8} {'np/torch':>9}"
        )
    torch_us = row.get("torch_us", float("nan"))
    print(
        f"{row['op']:<5} {row['dtype']:<8} {row['size']:>9} {row['numpy_us']:>10.1f} "
        f"{row['split_us']:>10.1f} {torch_us:>10.1f} {row['numpy/split']:>9.2f} "
        f"{row['auto']:>6} {row['numpy/auto']:>8.2f} "
        f"{row.get('numpy/torch', float('nan')):>9.2f}"
    )


if __name__ == "__main__":
    main()
