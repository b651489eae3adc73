"""dualgrad.backends: torch.backends as on a CPU-only build; re-exports only."""

from . import cudnn, mps  # noqa: F401
