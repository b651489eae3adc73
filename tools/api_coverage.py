"""Which of torch's most used names dualgrad has: the share of usage (../shared/api-usage.tsv,
the issue "Real PyTorch code runs unchanged") whose name exists in dualgrad.

Existence: a name counts when ``dualgrad.<path>`` (``torch.`` replaced by ``dualgrad.``;
``Tensor.x`` an attribute of ``dualgrad.Tensor``; ``nn.Module.x`` of the class) can be looked up.
Behaviour (``--behaviour``, needs PyTorch installed as the reference): a name counts when its smoke
call in tools/api_smoke.py gives torch's result; a name without a smoke call counts as not verified.

    python tools/api_coverage.py [path/to/api-usage.tsv] [--missing N] [--behaviour]
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import dualgrad

sys.path.insert(0, str(Path(__file__).resolve().parent))  # api_smoke, beside this file

# a copy of ../shared/api-usage.tsv (the list), so that CI's clean clone has it
DEFAULT = Path(__file__).resolve().parent / "api-usage.tsv"


# the list's short class prefixes, and where those classes live
PREFIXES = {
    "Module": ["nn", "Module"],
    "Optimizer": ["optim", "Optimizer"],
    "LRScheduler": ["optim", "lr_scheduler", "LRScheduler"],
}


def lookup(name: str) -> bool:
    parts = name.split(".")
    if parts[0] == "torch":
        parts = parts[1:]
    elif parts[0] in PREFIXES:
        parts = PREFIXES[parts[0]] + parts[1:]
    obj = dualgrad
    path = "dualgrad"
    for part in parts:
        if hasattr(obj, part):
            obj = getattr(obj, part)
            path += "." + part
            continue
        try:  # a submodule not imported by its package's __init__
            obj = importlib.import_module(f"{path}.{part}")
            path += "." + part
        except ImportError:
            return False
    return True


def read_usage(path=DEFAULT) -> list[tuple[str, float]]:
    """(name, share of usage in percent) rows of api-usage.tsv, most used first."""
    rows = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, share = line.split("\t")[:2]
        rows.append((name, float(share)))
    return rows


def behaviour(rows) -> tuple[float, int, dict[str, tuple[str, str]]]:
    """(usage-weighted percent, count, per-name (status, detail)) of names whose smoke call in
    tools/api_smoke.py agrees with torch's."""
    import torch

    import api_smoke

    results = api_smoke.check_all([n for n, _ in rows], torch, dualgrad)
    ok = [(n, s) for n, s in rows if results[n][0] == "ok"]
    total = sum(s for _, s in rows)
    return 100 * sum(s for _, s in ok) / total, len(ok), results


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tsv", nargs="?", default=str(DEFAULT))
    ap.add_argument("--missing", type=int, default=25, help="how many missing names to list")
    ap.add_argument("--behaviour", action="store_true", help="also run the smoke calls")
    args = ap.parse_args(argv)
    rows = read_usage(args.tsv)
    total = sum(s for _, s in rows)
    have = [(n, s) for n, s in rows if lookup(n)]
    missing = sorted(((n, s) for n, s in rows if not lookup(n)), key=lambda r: -r[1])
    print(
        f"{len(have)} of {len(rows)} names exist; usage-weighted: "
        f"{100 * sum(s for _, s in have) / total:.1f}% of the listed usage"
    )
    print("most used missing names:")
    for n, s in missing[: args.missing]:
        print(f"  {n:45} {s:.3f}%")
    if not args.behaviour:
        return
    pct, count, results = behaviour(rows)
    print(
        f"{count} of {len(rows)} names behave as torch's on their smoke call; usage-weighted: "
        f"{pct:.1f}% of the listed usage"
    )
    bad = [(n, s) for n, s in rows if results[n][0] != "ok"]
    print("most used names that fail or lack a smoke call:")
    for n, s in bad[: args.missing]:
        status, detail = results[n]
        print(f"  {n:45} {s:.3f}%  {status}: {detail[:110]}")


if __name__ == "__main__":
    main()
