"""dualgrad.cuda as a CPU-only torch build has it (NOTE: [CPU-only devices] in device.py):
no devices; seeding and cache calls do nothing, as torch's do without CUDA; questions about a
device that would need one raise torch's "Torch not compiled with CUDA enabled"."""

from __future__ import annotations

from .device import NO_CUDA


def is_available() -> bool:
    """False: dualgrad has no CUDA devices."""
    return False


def device_count() -> int:
    """0: dualgrad has no CUDA devices."""
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed) -> None:
    """Does nothing, as torch.cuda.manual_seed without CUDA (there is no CUDA generator)."""
    int(seed)  # torch still reads it as an int


def manual_seed_all(seed) -> None:
    int(seed)


def seed() -> None:
    pass


def seed_all() -> None:
    pass


def empty_cache() -> None:
    """Does nothing: there is no CUDA memory cache."""


def _no_cuda(*args, **kwargs):
    raise AssertionError(NO_CUDA)


# torch raises for these on a CPU-only build
synchronize = current_device = get_device_name = get_device_properties = _no_cuda
get_device_capability = memory_allocated = max_memory_allocated = _no_cuda
