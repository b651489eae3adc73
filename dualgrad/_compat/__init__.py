"""torch's everyday names beyond autograd: devices as a CPU-only build has them (device.py,
cuda.py), the legacy constructors (legacy.py), finfo/iinfo (dtype_info.py), the hook handle
(hooks.py). Imports nothing."""
