"""dualgrad.utils: helpers around the core (``data``: datasets, samplers, DataLoader;
``benchmark``: Timer, Measurement, Compare)."""

from . import benchmark, data, dlpack, hooks  # noqa: F401
