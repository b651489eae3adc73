"""dualgrad.backends.mps: no Apple GPU (NOTE: [CPU-only devices] in dualgrad/_compat/device.py)."""


def is_available() -> bool:
    """False: dualgrad computes on the CPU only."""
    return False


def is_built() -> bool:
    """False: dualgrad computes on the CPU only."""
    return False
