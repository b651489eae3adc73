"""Bad inputs against torch: every public function called with arguments it should refuse.

Each public function of dualgrad's torch namespace, ``nn.functional``, ``linalg`` and
``special`` that torch also has is called with one, two and three arguments drawn from a pool
of awkward values (integer and bool tensors where floats are needed, floats where integers
are, out-of-range dims, mismatched shapes, negative sizes, empty and 0-d tensors, None, Python
lists, nan/inf, non-contiguous views), in torch and in dualgrad. The verdicts:

    torch raises  -> dualgrad must raise an exception of torch's builtin type
    torch returns -> dualgrad must return the same (shapes, dtypes, values; random functions
                     shapes and dtypes only)

    python tools/bad_inputs.py [--only NAME,...] [--show 3]

prints the disagreements grouped by function and kind. tests/test_bad_inputs.py runs a fixed
table of the cases this found (fixed since), so CI does not depend on this tool's runtime.
"""

from __future__ import annotations

import argparse
import collections
import inspect
import math
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dualgrad as dg  # noqa: E402

# Functions with global side effects or that take functions, files or devices: not fuzzed.
EXCLUDED = {
    "manual_seed", "seed", "set_default_dtype", "set_default_device", "set_default_tensor_type",
    "set_rng_state", "get_rng_state", "initial_seed", "use_deterministic_algorithms",
    "set_deterministic_debug_mode", "set_float32_matmul_precision", "save", "load", "vmap",
    "from_dlpack", "from_numpy", "typename", "empty", "empty_like", "get_default_device",
    "get_default_dtype", "is_grad_enabled", "is_inference_mode_enabled",
    "are_deterministic_algorithms_enabled", "get_deterministic_debug_mode",
    "get_float32_matmul_precision", "is_deterministic_algorithms_warn_only_enabled",
}  # fmt: skip
RANDOM = {
    "bernoulli", "multinomial", "normal", "poisson", "rand", "rand_like", "randint",
    "randint_like", "randn", "randn_like", "randperm", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu", "gumbel_softmax",
}  # fmt: skip


def pool(m):
    """The awkward values, built the same way in torch and in dualgrad (m is either)."""
    g = np.random.default_rng(0)
    a34 = g.standard_normal((3, 4))
    return {
        "f64": m.tensor(a34),
        "f32": m.tensor(a34.astype(np.float32)),
        "i64": m.tensor(np.arange(12).reshape(3, 4) % 5),
        "bool": m.tensor(a34 > 0),
        "scalar0d": m.tensor(1.5, dtype=m.float64),
        "empty": m.zeros(0, 4, dtype=m.float64),
        "f64_23": m.tensor(g.standard_normal((2, 3))),
        "nonfinite": m.tensor([[math.nan, math.inf, -math.inf, 1.0]] * 3, dtype=m.float64),
        "noncontig": m.tensor(a34.T.copy()).t(),
        "None": None,
        "list": [[1.0, 2.0], [3.0, 4.0]],
        "int5": 5,
        "neg3": -3,
        "half": 0.5,
    }


FIRST = ("f64", "f32", "i64", "bool", "scalar0d", "empty", "noncontig", "list", "None")
SECOND = (
    "f64", "i64", "bool", "scalar0d", "empty", "f64_23", "nonfinite", "None", "list",
    "int5", "neg3", "half",
)  # fmt: skip
THIRD = ("f64", "i64", "int5", "neg3", "None")
KWARGS = ({}, {"dim": 5}, {"dim": -3}, {"dim": 0.5})


def functions(only=None):
    """(qualified name, torch function, dualgrad function) for every fuzzed public function."""
    spaces = [
        ("", torch, dg),
        ("nn.functional.", torch.nn.functional, dg.nn.functional),
        ("linalg.", torch.linalg, dg.linalg),
        ("special.", torch.special, dg.special),
    ]
    for prefix, tm, dm in spaces:
        for name in sorted(dir(dm)):
            if name.startswith("_") or name in EXCLUDED or not hasattr(tm, name):
                continue
            f = getattr(dm, name)
            if not callable(f) or inspect.isclass(f) or inspect.ismodule(f):
                continue
            qual = prefix + name
            if only and qual not in only and name not in only:
                continue
            yield qual, getattr(tm, name), f


def cases():
    """(label, positional keys, kwargs) in a fixed order."""
    for a in FIRST:
        for kw in KWARGS:
            yield (a,), kw
    for a in FIRST:
        for b in SECOND:
            yield (a, b), {}
    for a in ("f64", "i64", "bool"):
        for b in ("f64", "i64", "f64_23", "int5"):
            for c in THIRD:
                yield (a, b, c), {}


def outcome(f, args, kwargs):
    """('ok', value) or ('raise', exception)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", f(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return "raise", e


def summary(v, random):
    """A comparable plain-data form of a result of either library."""
    if isinstance(v, (torch.Tensor, dg.Tensor)):
        arr = v.detach().numpy() if isinstance(v, torch.Tensor) else v.detach().numpy()
        dtype = str(v.dtype).split(".")[-1]
        if random:
            return ("T", tuple(v.shape), dtype)
        return ("T", tuple(v.shape), dtype, _Values(arr))
    if isinstance(v, (tuple, list)):
        return tuple(summary(x, random) for x in v)
    if isinstance(v, (torch.dtype, dg.dtype)):
        return ("dtype", str(v).split(".")[-1])
    if isinstance(v, (torch.Size,)) or type(v).__name__ == "Size":
        return ("size", tuple(v))
    if isinstance(v, float) and math.isnan(v):
        return ("nan",)
    if isinstance(v, (bool, int, float, str, type(None))):
        return v
    return ("other", type(v).__name__)


class _Values:
    """Tensor values that compare equal within float32 rounding, nan equal to nan."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)

    def __eq__(self, other):
        a, b = self.arr, other.arr
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            return bool(np.array_equal(a, b))
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), 1e-5, 1e-6, True))


def builtin_type(e):
    """The builtin exception class an exception is an instance of (torch's _LinAlgError is a
    RuntimeError, dualgrad's errors subclass builtins too)."""
    for t in (
        IndexError, TypeError, ValueError, NotImplementedError, RuntimeError, ZeroDivisionError,
        OverflowError, AttributeError, KeyError, AssertionError,
    ):  # fmt: skip
        if isinstance(e, t):
            return t
    return type(e)


def compare(name, keys, kwargs, tf, df, tpool, dpool):
    """None when dualgrad agrees with torch on this call, else (kind, detail)."""
    short = name.split(".")[-1]
    targs = [tpool[k] for k in keys]
    t_kind, t_val = outcome(tf, targs, kwargs)
    d_kind, d_val = outcome(df, [dpool[k] for k in keys], kwargs)
    if t_kind == "raise" and d_kind == "raise":
        tt, dt = builtin_type(t_val), builtin_type(d_val)
        if tt is dt or (issubclass(type(d_val), tt)):
            return None
        return (
            "type",
            f"torch {tt.__name__}: {str(t_val)[:90]!r} / dg {type(d_val).__name__}: {str(d_val)[:90]!r}",
        )
    if t_kind == "raise":
        return "dg accepts", f"torch {type(t_val).__name__}: {str(t_val)[:120]!r}"
    if d_kind == "raise":
        return "dg raises", f"dg {type(d_val).__name__}: {str(d_val)[:120]!r}"
    random = short in RANDOM
    try:
        st, sd = summary(t_val, random), summary(d_val, random)
    except Exception as e:  # noqa: BLE001
        return "compare", f"{type(e).__name__}: {e}"
    if st != sd:
        return "value", f"torch {_brief(st)} / dg {_brief(sd)}"
    return None


def _brief(s):
    if isinstance(s, tuple) and s and s[0] == "T":
        return f"T{s[1]} {s[2]}"
    if isinstance(s, tuple):
        return "(" + ", ".join(_brief(x) for x in s) + ")"
    return repr(s)[:60]


def run(only=None):
    found = collections.defaultdict(list)
    n = 0
    for name, tf, df in functions(only):
        for keys, kwargs in cases():
            # fresh values per call: a call that writes (inplace=True, x %= k on a tensor
            # argument) must not change the next call's
            tpool, dpool = pool(torch), pool(dg)
            n += 1
            bad = compare(name, keys, kwargs, tf, df, tpool, dpool)
            if bad:
                found[(name, bad[0])].append((keys, kwargs, bad[1]))
    return n, found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default=None)
    ap.add_argument("--show", type=int, default=2)
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    n, found = run(only)
    total = sum(len(v) for v in found.values())
    print(f"{n} calls, {total} disagree with torch, in {len(found)} (function, kind) groups")
    by_kind = collections.Counter()
    for (name, kind), items in found.items():
        by_kind[kind] += len(items)
    print("by kind:", dict(by_kind))
    for (name, kind), items in sorted(found.items(), key=lambda kv: (kv[0][1], -len(kv[1]))):
        print(f"\n== {name}  {kind}  ({len(items)})")
        for keys, kwargs, detail in items[: args.show]:
            print(f"   {keys} {kwargs}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
