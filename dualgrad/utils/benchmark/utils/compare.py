"""Compare: torch.utils.benchmark's table of many Measurements (one table per label, a row per
sub_label or stmt, a column per description, a row group per thread count)."""

from __future__ import annotations

import math

from .common import Measurement, select_unit, trim_sigfig, unit_to_english

__all__ = ["Compare"]

# NOTE: [Compare kept small] The table layout, the thread-count separators, the env column and
# trim_significant_figures are torch's; colorize and highlight_warnings are accepted and do
# not change the text (torch's add ANSI colours and a variance marker).


class Compare:
    """Prints Measurements side by side, as ``torch.utils.benchmark.Compare``.

    >>> from dualgrad.utils.benchmark import Measurement, TaskSpec
    >>> ms = [Measurement(1, [1e-6, 2e-6], TaskSpec("f(x)", "pass", label="f", description=d))
    ...       for d in ("n=1", "n=2")]
    >>> print(Compare(ms).__str__().splitlines()[0])
    [---------- f -----------]
    """

    def __init__(self, results) -> None:
        self._results: list[Measurement] = []
        self.extend_results(results)
        self._trim_significant_figures = False

    def extend_results(self, results) -> None:
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim_significant_figures = True

    def colorize(self, rowwise=False) -> None:
        pass

    def highlight_warnings(self) -> None:
        pass

    def __str__(self) -> str:
        groups: dict[str | None, list[Measurement]] = {}
        for m in Measurement.merge(self._results):
            groups.setdefault(m.label, []).append(m)
        return "\n".join(self._table(ms) for ms in groups.values())

    def print(self) -> None:
        print(str(self))

    def _table(self, results: list[Measurement]) -> str:
        unit, scale = select_unit(min(r.median for r in results))
        row_keys = list(dict.fromkeys((r.num_threads, r.env, r.as_row_name) for r in results))
        row_keys.sort(key=lambda k: k[:2])  # stable: statements keep their order
        col_keys = list(dict.fromkeys(r.description for r in results))
        cells = {((r.num_threads, r.env, r.as_row_name), r.description): r for r in results}
        envs = {r.env for r in results}
        env_len = max(len(e) for e in envs) if len(envs) > 1 else 0

        templates = [self._template([cells.get((k, c)) for k in row_keys], scale) for c in col_keys]
        string_rows = [[""] + col_keys]
        prior_env, first_of_group = "", []
        prior_threads = -1
        for key in row_keys:
            threads, env, name = key
            first_of_group.append(threads != prior_threads)
            if threads != prior_threads:
                prior_threads, prior_env = threads, ""
            shown_env = f"({env})" if len(envs) > 1 and env != prior_env else ""
            prior_env = env
            row = ["  " + shown_env.ljust(env_len + 4) + name]
            for col, (template, decimals) in zip(col_keys, templates):
                m = cells.get((key, col))
                if m is None:
                    row.append(" " * len(template.format(1.0)))
                    continue
                value = m.median / scale
                if self._trim_significant_figures:
                    value = trim_sigfig(value, m.significant_figures)
                row.append(template.format(value))
            string_rows.append(row)
        num_cols = max(len(r) for r in string_rows)
        for r in string_rows:
            r.extend([""] * (num_cols - len(r)))
        widths = [max(len(s) for s in col) for col in zip(*string_rows)]
        header = "  |  ".join(s.center(w) for s, w in zip(string_rows[0], widths))
        lines = [header]
        for (threads, _, _), row, first in zip(row_keys, string_rows[1:], first_of_group):
            if first:
                lines.append(f"{threads} threads: ".ljust(len(header), "-"))
            cells_text = [row[0].ljust(widths[0])] + [
                s.center(w) for s, w in zip(row[1:], widths[1:])
            ]
            lines.append("  |  ".join(cells_text))
        label = results[0].label
        title = f"[{(' ' + (label or '') + ' ').center(len(header) - 2, '-')}]"
        return (
            f"{title}\n"
            + "\n".join(lines)
            + f"\n\nTimes are in {unit_to_english(unit)}s ({unit}).\n"
        )

    def _template(self, column: list[Measurement | None], scale: float):
        leading = [math.ceil(math.log10(m.median / scale)) if m else None for m in column]
        unit_digits = max(d for d in leading if d is not None)
        decimals = 1
        if self._trim_significant_figures:
            decimals = min(
                max(m.significant_figures - d, 0) for d, m in zip(leading, column) if m is not None
            )
        length = unit_digits + decimals + (1 if decimals else 0)
        return f"{{:>{length}.{decimals}f}}", decimals
