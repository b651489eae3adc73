"""dualgrad.cuda: torch.cuda as on a CPU-only build (no devices); re-exports only."""

from .._compat.cuda import (  # noqa: F401
    current_device,
    device_count,
    empty_cache,
    get_device_capability,
    get_device_name,
    get_device_properties,
    is_available,
    is_initialized,
    manual_seed,
    manual_seed_all,
    max_memory_allocated,
    memory_allocated,
    seed,
    seed_all,
    synchronize,
)
