"""The padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad in
1, 2 and 3 dims): each is F.pad with its mode and the padding widened to 2n numbers."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        width = 2 * self._n
        self.padding = (padding,) * width if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != width:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {width} ints")

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with ``value``; ``padding`` is one int or a tuple of (left, right)
    amounts."""

    pass


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with ``value``; ``padding`` is one int or a tuple of (left, right,
    top, bottom) amounts."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with ``value``; ``padding`` is one int or a tuple of (left, right,
    top, bottom, front, back) amounts."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros; ``padding`` is one int or a tuple of (left, right) amounts."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros: ``padding`` is (left, right, top, bottom) or one int.

    >>> import dualgrad as dg
    >>> dg.nn.ZeroPad2d((1, 0, 0, 1))(dg.ones(1, 1, 1, 1))
    tensor([[[[0., 1.],
              [0., 0.]]]])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros; ``padding`` is one int or a tuple of (left, right, top,
    bottom, front, back) amounts."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    """Pads by reflecting the input at its borders (the border not repeated)."""

    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dim with its reflection (the edge not repeated); ``padding`` is one int or a
    tuple of (left, right) amounts."""

    pass


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last two dims with their reflection (the edge not repeated); ``padding`` is one int
    or a tuple of (left, right, top, bottom) amounts."""

    _n = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last three dims with their reflection (the edge not repeated); ``padding`` is one
    int or a tuple of (left, right, top, bottom, front, back) amounts."""

    _n = 3


class _ReplicationPadNd(_PadNd):
    """Pads by repeating the input's border values."""

    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dim by repeating its edge values; ``padding`` is one int or a tuple of (left,
    right) amounts."""

    pass


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last two dims by repeating their edge values; ``padding`` is one int or a tuple of
    (left, right, top, bottom) amounts."""

    _n = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last three dims by repeating their edge values; ``padding`` is one int or a tuple of
    (left, right, top, bottom, front, back) amounts."""

    _n = 3


class _CircularPadNd(_PadNd):
    """Pads by wrapping the input around (periodic boundary)."""

    _mode = "circular"


class CircularPad1d(_CircularPadNd):
    """Pads the last dim by wrapping around (periodic); ``padding`` is one int or a tuple of (left,
    right) amounts."""

    pass


class CircularPad2d(_CircularPadNd):
    """Pads the last two dims by wrapping around (periodic); ``padding`` is one int or a tuple of
    (left, right, top, bottom) amounts."""

    _n = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last three dims by wrapping around (periodic); ``padding`` is one int or a tuple of
    (left, right, top, bottom, front, back) amounts."""

    _n = 3
