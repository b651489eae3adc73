"""Which of torch's most used names dualgrad has: the share of usage (../shared/api-usage.tsv,
the issue "Real PyTorch code runs unchanged") whose name exists in dualgrad.

An existence check only: a name counts when ``dualgrad.<path>`` (``torch.`` replaced by
``dualgrad.``; ``Tensor.x`` an attribute of ``dualgrad.Tensor``; ``nn.Module.x`` of the class)
can be looked up. It does not call anything: whether each name behaves as torch's is what the
test suite checks.

    python tools/api_coverage.py [path/to/api-usage.tsv] [--missing N]
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import dualgrad

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "api-usage.tsv"


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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tsv", nargs="?", default=str(DEFAULT))
    ap.add_argument("--missing", type=int, default=25, help="how many missing names to list")
    args = ap.parse_args(argv)
    rows = []
    for line in Path(args.tsv).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, share = line.split("\t")[:2]
        rows.append((name, float(share)))
    total = sum(s for _, s in rows)
    have = [(n, s) for n, s in rows if lookup(n)]
    missing = sorted(((n, s) for n, s in rows if not lookup(n)), key=lambda r: -r[1])
    print(f"{len(have)} of {len(rows)} names exist; usage-weighted: "
          f"{100 * sum(s for _, s in have) / total:.1f}% of the listed usage")
    print("most used missing names:")
    for n, s in missing[: args.missing]:
        print(f"  {n:45} {s:.3f}%")


if __name__ == "__main__":
    main()
