"""dualgrad.utils: helpers around the core (``data``: datasets, samplers, DataLoader;
``benchmark``: Timer, Measurement, Compare; ``checkpoint``: activation checkpointing)."""

from . import benchmark, checkpoint, data, dlpack, hooks  # noqa: F401
