"""torch.utils.benchmark: Timer, Measurement and Compare against torch's. Times differ from run to
run, so Measurements built from the same raw times are compared line for line (their repr without
the object line, their statistics, Compare's table), and the Timer's methods by their shape."""

from __future__ import annotations

import pytest
import torch
import torch.utils.benchmark as tb
from torch.utils.benchmark.utils.common import TaskSpec as TorchTaskSpec

import dualgrad as dg
import dualgrad.utils.benchmark as db

SPECS = [
    dict(stmt="x + 1", setup="pass"),
    dict(stmt="a\nb", setup="x=1\ny=2", label="L", sub_label="s", description="d", num_threads=4),
    dict(stmt="f(x)", setup="x = 1", label="L", description="n=1"),
]
TIMES = [[1e-3], [1e-5, 2e-5, 3e-5, 4e-5, 9e-5], [2.5e-7, 2.6e-7, 2.55e-7, 2.7e-7], [1.0, 1.05]]


def _summary(m):
    return (
        repr(m).splitlines()[1:],
        m.mean,
        m.median,
        m.iqr,
        m.times,
        m.number_per_run,
        m.significant_figures,
        m.has_warnings,
        m.title,
    )


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("times", TIMES)
def test_measurement_matches_torch(spec, times):
    mine = db.Measurement(7, times, db.TaskSpec(**spec))
    theirs = tb.Measurement(7, times, TorchTaskSpec(**spec))
    assert _summary(mine) == _summary(theirs)
    assert (
        repr(mine).splitlines()[0].startswith("<dualgrad.utils.benchmark.utils.common.Measurement")
    )


def _compare_inputs(lib, spec_cls):
    return [
        lib.Measurement(
            10,
            [1e-4 * len(sub + d) * th, 1.1e-4 * th, 1.3e-4],
            spec_cls(
                "f(x)", "pass", label=label, sub_label=sub, description=d, num_threads=th, env=env
            ),
        )
        for label in ("Lab", "Other")
        for sub in ("a", "bb")
        for d in ("n=1", "n=100")
        for th in (1, 4)
        for env in ((None,) if label == "Lab" else ("x", "yy"))
    ]


@pytest.mark.parametrize("trim", [False, True])
def test_compare_matches_torch(trim):
    mine = db.Compare(_compare_inputs(db, db.TaskSpec))
    theirs = tb.Compare(_compare_inputs(tb, TorchTaskSpec))
    if trim:
        mine.trim_significant_figures()
        theirs.trim_significant_figures()
    assert str(mine) == str(theirs)


def test_compare_refuses_non_measurements():
    for lib in (db, tb):
        with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
            lib.Compare([1.0])


@pytest.mark.parametrize(
    "run",
    [
        lambda t: t.timeit(50),
        lambda t: t.blocked_autorange(min_run_time=0.01),
        lambda t: t.adaptive_autorange(min_run_time=0.01, max_run_time=0.05),
    ],
)
def test_timer_methods_shape_like_torch(run):
    def timer(lib):
        return lib.utils.benchmark.Timer(
            "torch.mm(x, x)",
            setup="x = torch.ones(4, 4)",
            globals={},
            label="mm",
            sub_label="4x4",
            description="ones",
        )

    mine, theirs = run(timer(dg)), run(timer(torch))
    assert type(mine.number_per_run) is int and mine.number_per_run >= 1
    assert all(t > 0 for t in mine.times) and len(mine.times) == len(mine.raw_times)
    assert mine.task_spec.title == theirs.task_spec.title == "mm: 4x4"
    # the repr's lines have torch's structure (the numbers and counts differ by run)
    strip = lambda m: [l.split(":")[0].split()[0] for l in repr(m).splitlines()[1:4]]  # noqa: E731
    assert strip(mine)[:2] == strip(theirs)[:2] == ["mm", "ones"]


def test_timer_globals_and_errors():
    y = dg.ones(3)
    m = db.Timer("y * 2", globals={"y": y}).timeit(3)
    assert m.number_per_run == 3
    for lib in (db, tb):
        with pytest.raises(ValueError, match="Currently only a `str` stmt is supported"):
            lib.Timer(stmt=lambda: 1)
        with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
            lib.Timer("pass", global_setup="x")
        with pytest.raises(NotImplementedError, match="blocked_autorange"):
            lib.Timer("pass").repeat()
