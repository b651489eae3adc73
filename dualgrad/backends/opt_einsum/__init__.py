"""dualgrad.backends.opt_einsum: einsum contracts in NumPy's order; the opt_einsum package is not
used, so this reads as torch's does when opt_einsum is not installed (``is_available()`` False,
``enabled`` False, ``strategy`` None)."""

from __future__ import annotations

import contextlib

enabled = False
strategy = None


def is_available() -> bool:
    """False: dualgrad does not use the opt_einsum package."""
    return False


def get_opt_einsum():
    """None: the opt_einsum package is not used."""
    return None


def set_flags(_enabled=None, _strategy=None):
    """Returns the previous (enabled, strategy); enabling or choosing a strategy is refused with
    torch's errors when the opt_einsum package is not installed."""
    global enabled
    orig = (enabled, None)
    if _enabled:
        raise ValueError(
            f"opt_einsum is not available, so setting `enabled` to {_enabled} will not reap "
            "the benefits of calculating an optimal path for einsum. torch.einsum will "
            "fall back to contracting from left to right. To enable this optimal path "
            "calculation, please install opt-einsum."
        )
    if _enabled is not None:
        enabled = _enabled
    if _strategy is not None:
        raise ValueError(
            f"opt_einsum is not available, so setting `strategy` to {_strategy} will not be "
            "meaningful. torch.einsum will bypass path calculation and simply contract from left "
            "to right. Please install opt_einsum or unset `strategy`."
        )
    return orig


@contextlib.contextmanager
def flags(enabled=None, strategy=None):
    """Set the flags for the block and restore them after."""
    orig = set_flags(enabled, strategy)
    try:
        yield
    finally:
        set_flags(*orig)
