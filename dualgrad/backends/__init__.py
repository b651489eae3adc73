"""dualgrad.backends: torch.backends as on a CPU-only build; re-exports only."""

from . import cuda, cudnn, mps, opt_einsum  # noqa: F401
