"""MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d,
MaxUnpool1d/2d/3d."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class MaxPool2d(Module):
    """2-D max pooling over (N, C, H, W) or (C, H, W) inputs, as ``F.max_pool2d``;
    ``return_indices=True`` also returns the argmax indices (for ``MaxUnpool2d``)."""

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(MaxPool2d):
    """1-D max pooling over (N, C, L) or (C, L) inputs, as ``F.max_pool1d``."""

    def forward(self, input):
        return F.max_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class MaxPool3d(MaxPool2d):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) inputs, as ``F.max_pool3d``;
    ``return_indices=True`` also returns flat indices into D*H*W (for ``MaxUnpool3d``).

    >>> import dualgrad as dg
    >>> dg.nn.MaxPool3d(2)(dg.arange(16.0).reshape(1, 2, 2, 4))
    tensor([[[[13., 15.]]]])
    """

    def forward(self, input):
        return F.max_pool3d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool2d(Module):
    """2-D average pooling over (N, C, H, W) or (C, H, W) inputs, as ``F.avg_pool2d``."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(AvgPool2d):
    """1-D average pooling over (N, C, L) or (C, L) inputs, as ``F.avg_pool1d``."""

    def forward(self, input):
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class AvgPool3d(AvgPool2d):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) inputs, as ``F.avg_pool3d``.

    >>> import dualgrad as dg
    >>> dg.nn.AvgPool3d(2)(dg.arange(16.0).reshape(1, 2, 2, 4))
    tensor([[[[6.5000, 8.5000]]]])
    """

    def forward(self, input):
        return F.avg_pool3d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AdaptiveAvgPool2d(Module):
    """2-D average pooling to a fixed ``output_size`` (H, W), whatever the input size (None keeps a
    dim)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """1-D average pooling to a fixed ``output_size``, whatever the input length."""

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """3-D average pooling to a fixed ``output_size`` (D, H, W), whatever the input size."""

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool2d(Module):
    """2-D max pooling to a fixed ``output_size`` (H, W); ``return_indices=True`` also returns the
    indices."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """1-D max pooling to a fixed ``output_size``; ``return_indices=True`` also returns the
    indices."""

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    """3-D max pooling to a fixed ``output_size`` (D, H, W); ``return_indices=True`` also returns
    the indices."""

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class MaxUnpool2d(Module):
    """Puts each value of a max_pool2d output back where ``indices`` say, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpool2d):
    """The partial inverse of ``MaxPool1d``: puts each value at its index, zeros elsewhere."""

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )


class MaxUnpool3d(MaxUnpool2d):
    """The partial inverse of ``MaxPool3d``: puts each value at its flat index into D*H*W, zeros
    elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding)
        # torch keeps the 3-D unpool's arguments as triples (its repr shows them)
        triple = lambda v: (v,) * 3 if isinstance(v, int) else tuple(v)  # noqa: E731
        self.kernel_size, self.stride = triple(self.kernel_size), triple(self.stride)
        self.padding = triple(padding)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )
