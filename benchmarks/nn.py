"""W6: one training step of an MLP 784-256-256-10 (ReLU), batch 64, float32, dualgrad vs
PyTorch in the same run.

A step is: forward, cross-entropy loss, zero_grad, backward, SGD step (lr 0.01). Both libraries
start from the same weights and data. PyTorch runs with ``torch.set_num_threads(1)``; NumPy's
BLAS runs as configured (set OPENBLAS_NUM_THREADS=1 / OMP_NUM_THREADS=1 for a one-thread
comparison). Timing: warm-up, then the best of ``--repeat`` runs of ``--number`` steps, the
libraries alternating. Target: ratio (dualgrad / torch) <= 1.2. A benchmark only: it reports
and exits 0.

    python benchmarks/nn.py
    python benchmarks/nn.py --json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import dualgrad as dg
import dualgrad.nn as dnn

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

SIZES = (784, 256, 256, 10)
BATCH = 64


def _build(lib, nn, weights):
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    lins = [m for m in model if isinstance(m, nn.Linear)]
    for lin, (w, b) in zip(lins, weights):
        lin.weight.data = lib.tensor(w)
        lin.bias.data = lib.tensor(b)
    return model


def _stepper(lib, nn, optim, weights, x, y):
    model = _build(lib, nn, weights)
    opt = optim.SGD(model.parameters(), lr=0.01)
    xt, yt = lib.tensor(x), lib.tensor(y)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        out = model(xt)
        loss = loss_fn(out, yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def _time(step, number):
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - t0) / number


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    weights = []
    for i in range(len(SIZES) - 1):
        bound = 1 / np.sqrt(SIZES[i])
        weights.append(
            (
                rng.uniform(-bound, bound, (SIZES[i + 1], SIZES[i])).astype(np.float32),
                rng.uniform(-bound, bound, SIZES[i + 1]).astype(np.float32),
            )
        )
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    runs = {"dualgrad": _stepper(dg, dnn, dg.optim, weights, x, y)}
    if torch is not None:
        torch.set_num_threads(1)
        runs["torch"] = _stepper(torch, torch.nn, torch.optim, weights, x, y)
    # same numbers first: one step from the same start
    losses = {k: float(s().detach()) for k, s in runs.items()}
    for s in runs.values():
        for _ in range(3):
            s()
    best = {k: float("inf") for k in runs}
    for _ in range(args.repeat):
        for k, s in runs.items():
            best[k] = min(best[k], _time(s, args.number))
    result = {"W6_ms": {k: v * 1e3 for k, v in best.items()}, "first_loss": losses}
    if "torch" in best:
        result["ratio"] = best["dualgrad"] / best["torch"]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"W6: MLP {'-'.join(map(str, SIZES))} train step, batch {BATCH}, float32")
    for k, v in best.items():
        print(f"  {k:9s} {v * 1e3:8.3f} ms/step   (first loss {losses[k]:.6f})")
    if "ratio" in result:
        print(f"  ratio dualgrad/torch = {result['ratio']:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
