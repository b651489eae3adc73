"""The share of dualgrad's public callables that have a docstring (issue "Real PyTorch code runs
unchanged": docstrings for the public API).

Public: the callables without a leading underscore that dualgrad's public namespaces define
(functions, classes, Tensor methods), each counted once per name it is reached by.

    python tools/docstring_coverage.py [--missing]
"""

from __future__ import annotations

import importlib
import inspect
import sys

import dualgrad

NAMESPACES = (
    "dualgrad",
    "dualgrad.nn",
    "dualgrad.nn.functional",
    "dualgrad.nn.init",
    "dualgrad.nn.utils",
    "dualgrad.optim",
    "dualgrad.optim.lr_scheduler",
    "dualgrad.func",
    "dualgrad.autograd",
    "dualgrad.autograd.forward_ad",
    "dualgrad.autograd.functional",
    "dualgrad.linalg",
    "dualgrad.special",
    "dualgrad.utils.data",
    "dualgrad.distributions",
    "dualgrad.testing",
    "dualgrad.viz",
)


def public_callables() -> dict[str, object]:
    found = {}
    for name in NAMESPACES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr in dir(module):
            obj = getattr(module, attr)
            if attr.startswith("_") or inspect.ismodule(obj) or not callable(obj):
                continue
            if (getattr(obj, "__module__", "") or "").startswith("dualgrad"):
                found[f"{name}.{attr}"] = obj
    for attr in dir(dualgrad.Tensor):
        obj = getattr(dualgrad.Tensor, attr)
        if not attr.startswith("_") and callable(obj):
            found[f"Tensor.{attr}"] = obj
    return found


def documented(obj) -> bool:
    if inspect.isclass(obj):
        return bool(obj.__dict__.get("__doc__"))  # its own, not a base class's
    return bool((getattr(obj, "__doc__", None) or "").strip())


def main() -> None:
    found = public_callables()
    have = {name for name, obj in found.items() if documented(obj)}
    print(
        f"{len(have)} of {len(found)} public callables have a docstring: {100 * len(have) / len(found):.1f}%"
    )
    if "--missing" in sys.argv:
        for name in sorted(set(found) - have):
            print(" ", name)


if __name__ == "__main__":
    main()
