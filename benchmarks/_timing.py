"""Timing shared by the benchmarks: timeit-style best of several runs, libraries alternating."""

from __future__ import annotations

import statistics
import time


def add_arguments(parser, *, repeat, min_time, warmup):
    """The timing options every benchmark takes, with its own defaults."""
    parser.add_argument(
        "--repeat", type=int, default=repeat, help="timed runs per case; best is kept"
    )
    parser.add_argument(
        "--min-time", type=float, default=min_time, help="seconds per timed run, at least"
    )
    parser.add_argument("--warmup", type=int, default=warmup, help="untimed calls before timing")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="PATH",
        help="write the figures as JSON to PATH ('-' or no PATH: stdout, no table)",
    )


def calibrate(fn, *, min_time, warmup):
    """Warm ``fn`` up and return how many calls make one timed run last at least ``min_time``.

    Each candidate count is timed three times and the fastest decides: one slow run (a full
    garbage collection, another process) would otherwise settle on a count far too small,
    whose short runs then pay the warm-up after the other library's run on every few calls
    (measured: 8 calls a run instead of 128 read the overhead chain ~8% slower)."""
    for _ in range(warmup):
        fn()
    number = 1
    while True:
        fastest = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            fastest = min(fastest, time.perf_counter() - start)
        if fastest >= min_time:
            return number
        number *= 2


def _alternating_runs(fns, *, repeat, min_time, warmup):
    """Seconds per call of each function in ``fns`` (a dict), one entry per timed run.

    The runs of the different functions alternate, so that load from other processes during
    the benchmark falls on every library alike and the ratios stay fair.
    """
    numbers = {k: calibrate(fn, min_time=min_time, warmup=warmup) for k, fn in fns.items()}
    runs = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            number = numbers[k]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            runs[k].append((time.perf_counter() - start) / number)
    return runs


def best_times(fns, *, repeat, min_time, warmup):
    """Best seconds per call of each function in ``fns`` (a dict), timeit-style, the libraries'
    runs alternating."""
    runs = _alternating_runs(fns, repeat=repeat, min_time=min_time, warmup=warmup)
    return {k: min(v) for k, v in runs.items()}


def median_times(fns, *, repeat, min_time, warmup):
    """Median seconds per call of each function in ``fns`` (a dict), the libraries' runs
    alternating as in ``best_times``."""
    runs = _alternating_runs(fns, repeat=repeat, min_time=min_time, warmup=warmup)
    return {k: statistics.median(v) for k, v in runs.items()}
