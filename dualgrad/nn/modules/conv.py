"""Conv1d/2d/3d and ConvTranspose1d/2d/3d (im2col + matmul; NOTE: [conv as im2col + matmul])."""

from __future__ import annotations

import math

from ... import _factories
from ..._ops.conv import pair
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter, set_optional_parameter


class _ConvNd(Module):
    _n = 2

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
        transposed=False,
        output_padding=0,
    ):
        super().__init__()
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                f"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got {padding_mode!r}"
            )
        tup = (
            pair if self._n == 2 else (lambda v: (v,) * self._n if isinstance(v, int) else tuple(v))
        )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = tup(kernel_size), tup(stride), tup(dilation)
        self.padding = padding if isinstance(padding, str) else tup(padding)
        self.output_padding = tup(output_padding)
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, transposed
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(_factories.empty(*shape, dtype=dtype, device=device))
        set_optional_parameter(
            self,
            "bias",
            _factories.empty(out_channels, dtype=dtype, device=device) if bias else None,
        )
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _padded(self, input):
        """Non-zero padding modes pad explicitly first (as torch)."""
        if self.padding_mode == "zeros" or isinstance(self.padding, str):
            return input, self.padding
        pads = []
        for p in reversed(self.padding):
            pads += [p, p]
        return F.pad(input, tuple(pads), mode=self.padding_mode), (0,) * self._n

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation, as torch's) over (N, C, L) or (C, L) inputs, with torch's
    initialisation."""

    _n = 1

    def forward(self, input):
        x, padding = self._padded(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) inputs.

    >>> import dualgrad as dg
    >>> dg.nn.Conv2d(1, 4, 3, padding=1)(dg.ones(2, 1, 8, 8)).shape
    dualgrad.Size([2, 4, 8, 8])
    """

    def forward(self, input):
        x, padding = self._padded(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) inputs.

    >>> import dualgrad as dg
    >>> dg.nn.Conv3d(1, 4, 3, padding=1)(dg.ones(2, 1, 5, 5, 5)).shape
    dualgrad.Size([2, 4, 5, 5, 5])
    """

    _n = 3

    def forward(self, input):
        x, padding = self._padded(input)
        return F.conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    _fn = None  # the functional form, set per subclass (a staticmethod)

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            dtype=dtype,
            device=device,
            transposed=True,
            output_padding=output_padding,
        )

    def _output_padding(self, input, output_size):
        """The output padding that makes the output ``output_size`` (torch's check of range)."""
        if output_size is None:
            return self.output_padding
        n = self._n
        lead = 2 if input.ndim == n + 2 else 1
        size = output_size[lead:] if len(output_size) == lead + n else output_size
        if len(size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                f"{lead + n} elements (got {len(size)})"
            )
        spatial = tuple(input.shape[-n:])
        lows = _mins(self, spatial)
        highs = [lo + s - 1 for lo, s in zip(lows, self.stride)]
        if any(not lo <= v <= hi for lo, v, hi in zip(lows, size, highs)):
            raise ValueError(
                f"requested an output size of {size}, but valid sizes range from {lows} to "
                f"{highs} (for an input of {list(spatial)})"
            )
        return tuple(v - lo for v, lo in zip(size, lows))

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return self._fn(
            input, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation
        )


def _mins(m, spatial):
    return [
        (n - 1) * s - 2 * p + d * (k - 1) + 1
        for n, s, p, d, k in zip(spatial, m.stride, m.padding, m.dilation, m.kernel_size)
    ]


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C, L) or (C, L) inputs (the adjoint of ``Conv1d``)."""

    _n = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution over (N, C, H, W) or (C, H, W) inputs (the adjoint of
    ``Conv2d``)."""

    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over (N, C, D, H, W) inputs.

    >>> import dualgrad as dg
    >>> dg.nn.ConvTranspose3d(2, 1, 2, stride=2)(dg.ones(1, 2, 3, 3, 3)).shape
    dualgrad.Size([1, 1, 6, 6, 6])
    """

    _n = 3
    _fn = staticmethod(F.conv_transpose3d)
