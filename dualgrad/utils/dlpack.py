"""DLPack, the zero-copy exchange of arrays between libraries, as ``torch.utils.dlpack``.

A tensor exports through ``Tensor.__dlpack__`` (NumPy's export of its data); ``from_dlpack``
imports anything NumPy (>= 1.22) can: an object with ``__dlpack__`` (a torch tensor, a NumPy
array, a dualgrad tensor, ...) or a legacy DLPack capsule from ``to_dlpack``. Both share memory.
"""

from __future__ import annotations

import numpy as np

from .._compat.device import DLDeviceType
from .._dtype import from_numpy_dtype
from .._factories import from_numpy
from .._tensor import Tensor

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class _Capsule:
    """A legacy capsule dressed as a DLPack producer, for ``np.from_dlpack``."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (DLDeviceType.kDLCPU, 0)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with ``ext_tensor``: an object with ``__dlpack__`` (a NumPy array,
    a torch tensor, ...) or a capsule from ``to_dlpack`` (which can be consumed once).

    >>> import numpy as np, dualgrad as dg
    >>> a = np.arange(3.0)
    >>> t = dg.from_dlpack(a)
    >>> a[0] = 7.0
    >>> t
    tensor([7., 1., 2.], dtype=dualgrad.float64)
    """
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ != "PyCapsule":
            raise TypeError(
                f"from_dlpack: expected an object with __dlpack__ (a tensor or an array) or a "
                f"DLPack capsule, got {type(ext_tensor).__name__}"
            )
        ext_tensor = _Capsule(ext_tensor)
    try:
        array = np.from_dlpack(ext_tensor)
    except ValueError:
        if not isinstance(ext_tensor, _Capsule):
            raise
        raise RuntimeError(
            "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
            "only once, so you might have already constructed a tensor from it once."
        ) from None
    if array.flags.writeable:
        return from_numpy(array)
    # NOTE: [DLPack capsules] NumPy marks what it imports from a legacy capsule (torch's
    # to_dlpack gives one) read-only: the capsule cannot say whether writing is allowed, where
    # torch's tensor would be writable. Shared all the same; an in-place write raises (NOTE:
    # [read-only arrays] in _inplace.py). dualgrad's own to_dlpack gives a versioned capsule,
    # which says so, and imports writable.
    d = from_numpy_dtype(array.dtype)
    return Tensor._make(array if array.dtype == d.np else array.astype(d.np))


def to_dlpack(tensor: Tensor):
    """A DLPack capsule sharing ``tensor``'s memory, for a library that takes capsules (a
    capsule can be consumed once; ``from_dlpack(tensor)`` needs none)."""
    # NOTE: [DLPack capsules] a versioned capsule (DLPack 1.0, which torch takes too) says
    # whether the memory may be written, so what imports it (dualgrad, NumPy, torch) can write
    # it, as torch's tensor from torch's capsule can; a NumPy without versioned capsules
    # gives the legacy one
    try:
        return tensor._data.__dlpack__(max_version=(1, 0))
    except TypeError:
        return tensor._data.__dlpack__()
