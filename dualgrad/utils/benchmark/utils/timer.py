"""Timer: torch.utils.benchmark's wall-clock timer for Python statements (``timeit``,
``blocked_autorange``, ``adaptive_autorange``), built on the standard library's timeit."""

from __future__ import annotations

import enum
import textwrap
import timeit as _timeit
from typing import Any, Callable

from .common import Measurement, TaskSpec

__all__ = ["Timer", "Language", "timer"]

# NOTE: [benchmark on the CPU] dualgrad computes on the CPU only, so there is nothing to
# synchronize: the default timer is timeit's, as on a CPU-only torch build. ``num_threads`` is
# recorded and printed as torch does, but does not change NumPy's BLAS thread pool.
timer = _timeit.default_timer


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


class Timer:
    """Times a Python statement, as ``torch.utils.benchmark.Timer``.

    ``stmt`` runs in ``globals`` (with ``torch`` bound to dualgrad unless given) after ``setup``;
    ``label``, ``sub_label``, ``description`` and ``env`` only describe the Measurement.

    >>> import dualgrad as torch
    >>> m = Timer("x * 2", setup="x = torch.ones(3)").timeit(10)
    >>> m.number_per_run, len(m.times)
    (10, 1)
    """

    def __init__(
        self,
        stmt: str = "pass",
        setup: str = "pass",
        global_setup: str = "",
        timer: Callable[[], float] = timer,
        globals: dict[str, Any] | None = None,
        label: str | None = None,
        sub_label: str | None = None,
        description: str | None = None,
        env: str | None = None,
        num_threads: int = 1,
        language: Language | str = Language.PYTHON,
    ) -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError(
                f"Timer: language {language!r} is not supported; dualgrad times Python statements only"
            )
        if global_setup:
            raise ValueError(
                f"global_setup is C++ only, got `{global_setup}`. Most "
                "likely this code can simply be moved to `setup`."
            )
        import dualgrad

        self._globals = dict(globals or {})
        self._globals.setdefault("torch", dualgrad)
        stmt, setup = _dedent(stmt), _dedent(setup)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(
            stmt=stmt,
            setup=setup,
            global_setup=global_setup,
            label=label,
            sub_label=sub_label,
            description=description,
            env=env,
            num_threads=num_threads,
        )

    def _timeit(self, number: int) -> float:
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> Measurement:
        """Run ``stmt`` ``number`` times (after a warm-up of ``number // 100``, at least 2)."""
        self._timeit(number=max(int(number // 100), 2))
        return Measurement(number, [self._timeit(number)], self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _measurement_loop(self, number, stop_hook, min_run_time, max_run_time=None, callback=None):
        total, can_stop, times = 0.0, False, []
        while total < min_run_time or not can_stop:
            spent = self._timeit(number)
            times.append(spent)
            total += spent
            if callback:
                callback(number, spent)
            can_stop = stop_hook(times)
            if max_run_time and total > max_run_time:
                break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        # grow the block until the timer's own overhead is under 0.01% of a block, as torch
        overhead = sorted(self._timeit(0) for _ in range(5))[2]
        number = 1
        while True:
            taken = self._timeit(number)
            if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                break
            if taken > min_run_time or number * 10 > 2147483647:
                break
            number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of ``stmt`` timed until ``min_run_time`` seconds are spent; one time per block."""
        number = self._estimate_block_size(min_run_time)
        times = self._measurement_loop(number, lambda t: True, min_run_time, callback=callback)
        return Measurement(number, times, self._task_spec)

    def adaptive_autorange(
        self, threshold: float = 0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None
    ) -> Measurement:
        """As blocked_autorange, until iqr/median < ``threshold`` or ``max_run_time`` is spent."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop_hook(times):
            return len(times) > 3 and Measurement(number, times, self._task_spec).meets_confidence(
                threshold
            )

        times = self._measurement_loop(number, stop_hook, min_run_time, max_run_time, callback)
        return Measurement(number, times, self._task_spec)

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError(
            "Timer.collect_callgrind: dualgrad has no Callgrind support; use blocked_autorange"
        )


def _dedent(code: str) -> str:
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()
