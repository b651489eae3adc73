"""Power-average pooling as modules: LPPool1d/2d/3d call F.lp_pool*."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """The p-norm over 1-D windows, as ``F.lp_pool1d``.

    >>> import dualgrad as dg
    >>> dg.nn.LPPool1d(2, 2)(dg.tensor([[[3.0, 4.0, 1.0, 1.0]]]))
    tensor([[[5.0000, 1.4142]]])
    """

    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """The p-norm over 2-D windows, as ``F.lp_pool2d``."""

    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """The p-norm over 3-D windows, as ``F.lp_pool3d``."""

    _fn = staticmethod(F.lp_pool3d)
