"""dualgrad.utils.benchmark: torch.utils.benchmark's wall-clock Timer, Measurement and Compare;
re-exports only."""

from .utils.common import Measurement, TaskSpec, select_unit  # noqa: F401
from .utils.compare import Compare  # noqa: F401
from .utils.timer import Language, Timer  # noqa: F401
