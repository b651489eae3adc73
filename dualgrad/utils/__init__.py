"""dualgrad.utils: helpers around the core (``data``: datasets, samplers, DataLoader)."""

from . import data  # noqa: F401
