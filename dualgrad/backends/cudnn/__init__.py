"""dualgrad.backends.cudnn: no cuDNN (NOTE: [CPU-only devices] in dualgrad/_compat/device.py).
The flags scripts set (``deterministic``, ``benchmark``, ``allow_tf32``) and the ``flags()``
context manager are accepted and change nothing, as on a CPU-only torch build."""

from __future__ import annotations

import contextlib

enabled = True
deterministic = False
benchmark = False
benchmark_limit = None  # torch reports None when cuDNN is not available
allow_tf32 = True


def is_available() -> bool:
    """False: dualgrad computes on the CPU only."""
    return False


def version():
    """None: there is no cuDNN."""
    return None


def set_flags(
    _enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None
):
    """Set the given flags (None leaves one as it is); returns the previous values, as torch."""
    global enabled, benchmark, deterministic, allow_tf32
    orig = (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    if _enabled is not None:
        enabled = _enabled
    if _benchmark is not None:
        benchmark = _benchmark
    # benchmark_limit stays None: torch sets it only when cuDNN is available
    if _deterministic is not None:
        deterministic = _deterministic
    if _allow_tf32 is not None:
        allow_tf32 = _allow_tf32
    return orig


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the cuDNN flags for the block and restore them after, as ``torch.backends.cudnn.flags``.

    Note torch's defaults: ``flags(allow_tf32=False)`` also sets ``enabled=False`` in the block.

    >>> import dualgrad as dg
    >>> with dg.backends.cudnn.flags(deterministic=True):
    ...     print(dg.backends.cudnn.enabled, dg.backends.cudnn.deterministic)
    False True
    >>> dg.backends.cudnn.deterministic
    False
    """
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*orig)
