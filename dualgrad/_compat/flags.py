"""Global switches torch code sets that change nothing on dualgrad's CPU-only, NumPy engine,
kept so the code runs and reads back what it set: deterministic algorithms (every dualgrad
kernel is deterministic already), the float32 matmul precision (NumPy's float32 matmul is
full precision: 'highest' whatever is set), and ``has_cuda`` (False, with torch's deprecation
warning, through dualgrad.__getattr__)."""

from __future__ import annotations

import warnings

__all__ = [
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "get_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
]

_state = {"deterministic": False, "warn_only": False, "precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the switch, as torch; dualgrad's kernels are all deterministic, so nothing else
    changes.

    >>> import dualgrad as dg
    >>> dg.use_deterministic_algorithms(True)
    >>> dg.are_deterministic_algorithms_enabled()
    True
    >>> dg.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise TypeError(
            f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}"
        )
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """Whether it was set with ``warn_only=True``."""
    return _state["deterministic"] and _state["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """torch's other spelling: 0/'default' off, 1/'warn' warn only, 2/'error' on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but "
                f"got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0, 1 (warn only) or 2, as ``set_deterministic_debug_mode`` takes."""
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision):
    """Record 'highest', 'high' or 'medium' (an unknown value warns and changes nothing, as
    torch); NumPy's float32 matmul stays full precision either way.

    >>> import dualgrad as dg
    >>> dg.set_float32_matmul_precision("high"); dg.get_float32_matmul_precision()
    'high'
    >>> dg.set_float32_matmul_precision("highest")
    """
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _state["precision"] = precision


def get_float32_matmul_precision():
    """The value last set by ``set_float32_matmul_precision`` ('highest' by default)."""
    return _state["precision"]


def has_cuda():
    """``torch.has_cuda``'s value on a CPU-only build, with its deprecation warning."""
    warnings.warn(
        "'has_cuda' is deprecated, please use 'torch.backends.cuda.is_built()'",
        UserWarning,
        stacklevel=3,
    )
    return False
