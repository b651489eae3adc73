"""The arguments of ``Tensor.to`` and ``Module.to``, in any of torch's forms. Apart from
device.py, which Tensor itself imports, because it needs Tensor."""

from __future__ import annotations

from .._tensor import Tensor
from .device import check, device, is_meta


def to_args(args, kwargs, op: str = "to"):
    """The ``(device, dtype, copy)`` of a ``.to(...)`` call, in any of torch's forms:
    ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``, ``to(device=..., dtype=...)``, each
    followed by ``non_blocking`` and ``copy``. A device other than the CPU or meta raises."""
    dev, dtype = kwargs.get("device"), kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    rest = args
    if args:
        first = args[0]
        if isinstance(first, Tensor):
            dtype, rest = first.dtype, args[1:]
        elif isinstance(first, (str, device)) or (
            isinstance(first, int) and not isinstance(first, bool)
        ):
            dev, rest = first, args[1:]
            if rest and not isinstance(rest[0], bool):
                dtype, rest = rest[0], rest[1:]
        else:
            dtype, rest = first, args[1:]
    if len(rest) > 1:  # (non_blocking, copy)
        copy = rest[1]
    if dev is not None and not is_meta(dev):  # (meta is the caller's: NOTE: [meta tensors])
        check(device(dev))
    return dev, dtype, copy
