"""Upsample, UpsamplingNearest2d, UpsamplingBilinear2d: nn.functional.interpolate as a module."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class Upsample(Module):
    """Resizes inputs to ``size`` or by ``scale_factor`` with ``F.interpolate`` (``mode`` 'nearest',
    'linear', 'bilinear', ...)."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode="nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ):
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = (
            None
            if scale_factor is None
            else (
                float(scale_factor)
                if isinstance(scale_factor, (int, float))
                else tuple(float(f) for f in scale_factor)
            )
        )
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self):
        what = (
            f"scale_factor={self.scale_factor}"
            if self.scale_factor is not None
            else f"size={self.size}"
        )
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` for (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode='bilinear', align_corners=True)`` for (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
