"""How a tensor's values print: torch's print options (``set_printoptions``) and its element
format (torch/_tensor_str.py, ``_Formatter``), on NumPy's array2string layout."""

from __future__ import annotations

import math

import numpy as np

from . import _dtype

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision, self.threshold, self.edgeitems, self.linewidth = 4, 1000, 3, 80
        self.sci_mode = None  # None: chosen from the values, as torch does


PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set how tensors print, as torch's: digits after the point (``precision``), the element
    count above which a tensor is summarized (``threshold``) with ``edgeitems`` shown at each
    end of each dim, the line width, a ``profile`` ("default", "short", "full") and
    ``sci_mode`` (True/False; None chooses from the values).

    >>> import dualgrad as dg
    >>> dg.set_printoptions(precision=2); dg.tensor([1.12345])
    tensor([1.12])
    >>> dg.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode  # (torch sets it on every call, None included)


def values_text(data: np.ndarray, prefix: str) -> str:
    """The bracketed values of ``data`` as torch prints them after ``prefix``: its layout
    (torch/_tensor_str.py): a row holds as many elements as fit in the line width at the
    row's indent, with each element counted as its width plus the separator; a summarized dim
    shows ``edgeitems`` at each end around ``...``."""
    summarize = data.size > PRINT_OPTS.threshold
    fmt = element_formatter(_summarized(data) if summarize else data)
    width = len(fmt(data.reshape(-1)[0])) if data.size else 1
    if data.ndim == 0:
        return fmt(data[()]).strip()
    return _nested(data, len(prefix), summarize, fmt, width)


def _nested(data, indent, summarize, fmt, width):
    e = PRINT_OPTS.edgeitems
    n = data.shape[0] if data.ndim else 0
    shown = list(range(e)) + [None] + list(range(n - e, n)) if summarize and n > 2 * e else None
    if data.ndim == 1:
        per_line = max(1, int((PRINT_OPTS.linewidth - indent) // (width + 2)))
        items = [" ..." if i is None else fmt(data[i]) for i in shown or range(n)]
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [
        "..." if i is None else _nested(data[i], indent + 1, summarize, fmt, width)
        for i in shown or range(n)
    ]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (torch's get_summarized_data): ``edgeitems`` at
    each end of each long dim. The format is chosen from these alone, as torch chooses it."""
    e = PRINT_OPTS.edgeitems
    for axis, n in enumerate(data.shape):
        if n > 2 * e:
            keep = list(range(e)) + list(range(n - e, n))
            data = data.take(keep, axis=axis)
    return data


def element_formatter(data: np.ndarray):
    """How torch prints each element (_Formatter), right-aligned to the widest.

    Floats: ``1.`` when every value is integral, else ``precision`` decimals, and scientific
    notation (``1.0000e-05``) when the nonzero finite magnitudes span more than 1000x, exceed
    1e8 or (non-integral) go below 1e-4, unless ``sci_mode`` says otherwise. Other dtypes print
    as Python prints them.
    """
    if not _dtype.is_floating(data.dtype):
        width = max((len(str(v)) for v in data.reshape(-1).tolist()), default=1)
        return lambda v: str(v).rjust(width)
    precision = PRINT_OPTS.precision
    vals = data[np.isfinite(data) & (data != 0)].astype(np.float64)
    if not vals.size:
        return lambda v: f"{v:.0f}" + ("" if np.isnan(v) or np.isinf(v) else ".")
    mags = np.abs(vals)
    lo, hi = mags.min(), mags.max()
    int_mode = bool(np.all(vals == np.ceil(vals)))
    sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)
    if PRINT_OPTS.sci_mode is not None:
        sci = PRINT_OPTS.sci_mode
    if sci:
        fmt = f"{{:.{precision}e}}"
    elif int_mode:
        fmt = "{:.0f}."
    else:
        fmt = f"{{:.{precision}f}}"
    width = max(len(fmt.format(v)) for v in vals.tolist())

    def format_one(v):
        v = float(v)
        s = fmt.format(v)
        if fmt == "{:.0f}." and not np.isfinite(v):
            s = s[:-1]
        return s.rjust(width)

    return format_one
