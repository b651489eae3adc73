"""dualgrad.backends.cudnn: no cuDNN (NOTE: [CPU-only devices] in dualgrad/_compat/device.py).
The flags scripts set (``deterministic``, ``benchmark``) are accepted and change nothing, as on a
CPU-only torch build."""

enabled = True
deterministic = False
benchmark = False


def is_available() -> bool:
    """False: dualgrad computes on the CPU only."""
    return False


def version():
    """None: there is no cuDNN."""
    return None
