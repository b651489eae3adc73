"""How a loss is reduced: the ``reduction`` argument and torch's deprecated ``size_average`` /
``reduce`` (torch.nn._reduction); below functional.py, which re-exports it, so every loss module
can use it without importing functional."""

from __future__ import annotations

import warnings

from .._ops.reduction import mean as _mean
from .._ops.reduction import sum as _sum


def _legacy_reduction(size_average, reduce, reduction):
    """torch's deprecated ``size_average`` / ``reduce`` arguments, mapped to ``reduction`` as
    torch maps them (with its deprecation warning); None for both leaves ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction="
        f"'{_legacy_string(size_average, reduce)}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return _legacy_string(size_average, reduce)


def _legacy_string(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss, reduction):
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction; use 'mean', 'sum' or 'none'")
