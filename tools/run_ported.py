"""Run public PyTorch scripts unchanged under torch and under ``import dualgrad as torch``, and
compare the numbers they print (issue "Real PyTorch code runs unchanged").

Each script runs twice in a fresh process: once with torch, once with ``torch``, ``torch.*``
and ``functorch`` resolving to ``dualgrad``, ``dualgrad.*`` and ``dualgrad.func`` (torch is
never imported in that run). Both runs seed Python's, NumPy's and torch's generators with 0,
and the dualgrad run replays the torch run's random draws (tools/torch_draws.py), so a script
that draws its data prints the same numbers when every derivative is right. The numbers of
each printed line are compared with a tolerance; lines that print timings are left out (they
differ on every run of torch too), and so are object addresses.

The scripts are not in this repository: the public tutorials' code is read from where it is,
never copied here. Point the runner at a folder of them:

    python tools/run_ported.py DIR [--rtol 1e-4] [--only NAME ...] [--float64] [-v]

``--float64`` makes float64 the default dtype in both runs: a script that trains for thousands
of float32 steps (or stops at a loss threshold) drifts apart by rounding alone, as it does
between two torch builds; in float64 the same script shows whether the computation agrees.

What a script needs that this machine has not (a download, a GPU, a plotting window) is
stubbed here and listed in STUBS, per module, so each edit is visible.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# NOTE: [ported scripts' stubs] Modules a tutorial imports for what is not the computation
# (plots, pretty printing): an empty stand-in that accepts any call, in both runs alike.
STUBS = ("matplotlib", "matplotlib.pyplot")

# NOTE: [ported scripts' edits] The unavoidable edits, per script, applied to a copy in both
# runs alike: (the text in the script, what it becomes, why).
EDITS = {
    "per_sample_grads": [("device = 'cuda'", "device = 'cpu'", "no GPU here")],
    "ensembling": [("device = 'cuda'", "device = 'cpu'", "no GPU here")],
}

# NOTE: [ported scripts' tolerances] A script whose printed numbers amplify rounding runs in
# float64 in both runs and/or gets a looser tolerance, with the measurement that shows it is
# rounding: {name: (float64, rtol, why)}.
ROUNDING = {
    "polynomial_optim": (
        True,
        2e-3,
        "RMSprop over 2000 steps amplifies one-ULP differences in the data: in torch alone, in "
        "float64, moving a third of x by one ULP moves the loss at step 499 from 23.0082 to "
        "23.0162",
    ),
    "examples_regression": (
        True,
        1e-4,
        "it trains in float32 until the loss falls below 1e-3 and prints the step count: float32 "
        "rounding moves that step (830 in torch, 629 in dualgrad); the weights agree to 1e-6 at "
        "step 450 and drift by rounding after; in float64 the runs agree",
    ),
}

_PRELUDE_COMMON = textwrap.dedent(
    """
    import sys, types, random
    random.seed(0)
    import numpy
    numpy.random.seed(0)
    class _Anything(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Anything(name)
        def __call__(self, *a, **k):
            return _Anything("call")
        def __iter__(self):
            return iter(())
    for _name in {stubs!r}:
        sys.modules[_name] = _Anything(_name)
    """
)

_PRELUDE_DUALGRAD = textwrap.dedent(
    """
    sys.path.insert(0, {root!r})
    import tools.torch_draws
    tools.torch_draws.replay({draws!r})
    import tools.as_dualgrad
    tools.as_dualgrad.install()
    """
)

_PRELUDE_TORCH = textwrap.dedent(
    """
    sys.path.insert(0, {root!r})
    import torch
    torch.manual_seed(0)
    import tools.torch_draws
    tools.torch_draws.record({draws!r})
    """
)

_RUN = "import runpy; runpy.run_path({script!r}, run_name='__main__')"

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")
# lines that print timings, or ratios of timings ("percent improvement", "Performance delta"),
# which differ from run to run
_TIMING = re.compile(
    r"\b(us|µs|ms|seconds?|sec|s)\b|Timer|Measurement|blocked_autorange|speedup"
    r"|(?i:percent improvement|performance delta|faster than|slower than)"
)


def run(
    script: Path, with_dualgrad: bool, timeout: float, float64: bool = False, *, draws: Path
) -> subprocess.CompletedProcess:
    """Run ``script`` (an edited copy beside it, if EDITS lists it) under torch or dualgrad;
    torch's run records its random draws in the file ``draws``, dualgrad's replays them (main
    keeps that file in a temporary directory, so nothing is left beside the scripts)."""
    source = script.read_text(encoding="utf-8")
    for old, new, _why in EDITS.get(script.stem, ()):
        if old not in source:
            raise SystemExit(f"{script.name}: the edit {old!r} -> {new!r} no longer applies")
        source = source.replace(old, new)
    copy = script.with_name(f".ported_{script.name}")
    copy.write_text(source, encoding="utf-8")
    draws = str(draws)
    prelude = _PRELUDE_COMMON.format(stubs=STUBS)
    if with_dualgrad:
        prelude += _PRELUDE_DUALGRAD.format(root=str(ROOT), draws=draws)
    else:
        prelude += _PRELUDE_TORCH.format(root=str(ROOT), draws=draws)
    if float64:
        prelude += "\nimport torch; torch.set_default_dtype(torch.float64)\n"
    code = prelude + _RUN.format(script=str(copy))
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    try:
        return subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=script.parent,
            env=env,
        )
    finally:  # (also on a timeout or an interrupt: a leftover copy would be run as a script)
        copy.unlink(missing_ok=True)


def scripts_in(folder: Path) -> list[Path]:
    """The scripts of ``folder`` to run: its .py files, not dotfiles (the edited .ported_
    copies that run() writes beside them)."""
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("."))


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def numbers(line: str) -> list[float]:
    return [float(m) for m in _NUMBER.findall(_ADDRESS.sub("", line))]


def compare(expected: str, got: str, rtol: float, atol: float) -> tuple[int, str | None]:
    """(numbers compared, the first difference or None)."""
    want = [ln for ln in expected.splitlines() if not _TIMING.search(ln)]
    have = [ln for ln in got.splitlines() if not _TIMING.search(ln)]
    count = 0
    for i, (a, b) in enumerate(zip(want, have)):
        xs, ys = numbers(a), numbers(b)
        if len(xs) != len(ys):
            return count, f"line {i + 1}: torch {a!r}\n      dualgrad {b!r}"
        for x, y in zip(xs, ys):
            same = x == y or (x != x and y != y) or abs(x - y) <= atol + rtol * abs(x)
            if not same:
                return count, f"line {i + 1}: torch {a!r}\n      dualgrad {b!r}"
            count += 1
    if len(want) != len(have):
        return count, f"torch printed {len(want)} lines, dualgrad {len(have)}"
    return count, None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--float64", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    scripts = scripts_in(args.folder)
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only]
    failed = 0
    for script in scripts:
        float64, rtol, _why = ROUNDING.get(script.stem, (args.float64, args.rtol, ""))
        with tempfile.TemporaryDirectory(prefix="run_ported_") as tmp:
            draws = Path(tmp) / f"draws_{script.stem}.pkl"
            torch_run = run(script, False, args.timeout, float64, draws=draws)
            if torch_run.returncode != 0:
                last = (torch_run.stderr.strip().splitlines() or ["?"])[-1]
                print(f"SKIP  {script.name}: fails under torch itself: {last}")
                continue
            ours = run(script, True, args.timeout, float64, draws=draws)
        if ours.returncode != 0:
            failed += 1
            err = ours.stderr.strip().splitlines()
            print(f"ERROR {script.name}: {err[-1] if err else '?'}")
            if args.verbose:
                print(textwrap.indent("\n".join(err[-12:]), "      "))
            continue
        count, difference = compare(torch_run.stdout, ours.stdout, rtol, args.atol)
        if difference:
            failed += 1
            print(f"DIFF  {script.name} after {count} equal numbers: {difference}")
        else:
            print(f"PASS  {script.name}: {count} numbers equal")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
