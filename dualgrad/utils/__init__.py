"""dualgrad.utils: helpers around the core (``data``: datasets, samplers, DataLoader)."""

from . import data  # noqa: F401
from . import dlpack  # noqa: F401
