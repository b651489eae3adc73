"""``finfo`` and ``iinfo``: the numeric limits of dualgrad's dtypes, with torch's fields."""

from __future__ import annotations

import numpy as np

from .. import _dtype


def _dtype_arg(d, op: str) -> _dtype.dtype:
    if not isinstance(d, _dtype.dtype):
        raise TypeError(
            f"{op}(): argument 'type' (position 1) must be dualgrad.dtype, not {type(d).__name__}"
        )
    return d


class finfo:
    """The limits of a floating dtype (the default dtype when none is given): ``bits``,
    ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``, ``dtype``.

    >>> import dualgrad as dg
    >>> dg.finfo(dg.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type=None):  # noqa: A002  (torch's keyword name)
        d = _dtype.get_default_dtype() if type is None else _dtype_arg(type, "finfo")
        if not d.is_floating_point:
            raise TypeError(
                f"dualgrad.finfo() requires a floating point input type; use dualgrad.iinfo for {d}"
            )
        info = np.finfo(d.np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # (NumPy rounds it to the dtype)
        self.dtype = d.name  # a str, as torch's

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """The limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype``.

    >>> import dualgrad as dg
    >>> dg.iinfo(dg.int64).max
    9223372036854775807
    """

    def __init__(self, type):  # noqa: A002  (torch's keyword name)
        d = _dtype_arg(type, "iinfo")
        if d is _dtype.bool_:
            raise TypeError("dualgrad.bool is not supported by dualgrad.iinfo")
        if d.is_floating_point:
            raise TypeError(
                f"dualgrad.iinfo() requires an integer input type; use dualgrad.finfo for {d}"
            )
        info = np.iinfo(d.np)
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)
        self.dtype = d.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"
