"""LayerNorm, GroupNorm, RMSNorm, BatchNorm1d/2d/3d and InstanceNorm1d/2d/3d (running
statistics as buffers)."""

from __future__ import annotations

import warnings

from ... import _factories
from ... import _dtype
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import set_optional_parameter


class LayerNorm(Module):
    """Normalises over the last dims ``normalized_shape`` (biased variance, ``eps``), then scales
    and shifts by the elementwise affine weight and bias."""

    def __init__(
        self,
        normalized_shape,
        eps=1e-5,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        shape = self.normalized_shape
        set_optional_parameter(
            self,
            "weight",
            _factories.ones(*shape, dtype=dtype, device=device) if elementwise_affine else None,
        )
        set_optional_parameter(
            self,
            "bias",
            _factories.zeros(*shape, dtype=dtype, device=device)
            if elementwise_affine and bias
            else None,
        )

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalises each of ``num_groups`` channel groups of (N, C, *) inputs, then applies the
    per-channel affine weight and bias."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        set_optional_parameter(
            self,
            "weight",
            _factories.ones(num_channels, dtype=dtype, device=device) if affine else None,
        )
        set_optional_parameter(
            self,
            "bias",
            _factories.zeros(num_channels, dtype=dtype, device=device) if affine else None,
        )

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _BatchNorm(Module):
    _dims: tuple = ()

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        set_optional_parameter(
            self,
            "weight",
            _factories.ones(num_features, dtype=dtype, device=device) if affine else None,
        )
        set_optional_parameter(
            self,
            "bias",
            _factories.zeros(num_features, dtype=dtype, device=device) if affine and bias else None,
        )
        if track_running_stats:
            self.register_buffer(
                "running_mean", _factories.zeros(num_features, dtype=dtype, device=device)
            )
            self.register_buffer(
                "running_var", _factories.ones(num_features, dtype=dtype, device=device)
            )
            self.register_buffer("num_batches_tracked", _factories.tensor(0, dtype=_dtype.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in self._dims:
            raise ValueError(
                f"expected {' or '.join(f'{d}D' for d in self._dims)} input (got {input.ndim}D input)"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs: batch statistics in training (updating the
    running ones with ``momentum``), running statistics in eval mode."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs: batch statistics in training (updating the
    running ones with ``momentum``), running statistics in eval mode."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs: batch statistics in training (updating the
    running ones with ``momentum``), running statistics in eval mode."""

    _dims = (5,)


class _InstanceNorm(_BatchNorm):
    """Per-sample, per-channel normalisation; torch's defaults differ from BatchNorm's
    (no affine, no running statistics)."""

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input):
        unbatched = self._dims[0]
        if input.ndim not in self._dims:
            raise ValueError(
                f"expected {unbatched}D or {unbatched + 1}D input (got {input.ndim}D input)"
            )
        feature_dim = input.ndim - unbatched
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can silence "
                "this warning by not passing in num_features, which is not used because "
                "affine=False",
                stacklevel=2,
            )
        x = input.unsqueeze(0) if input.ndim == unbatched else input
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return out.squeeze(0) if input.ndim == unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) inputs.

    >>> import dualgrad as dg
    >>> dg.nn.InstanceNorm1d(3)(dg.arange(12.0).reshape(1, 3, 4))[0, 0]
    tensor([-1.3416, -0.4472,  0.4472,  1.3416])
    """

    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) inputs: each channel of each sample on
    its own."""

    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) inputs: each channel of each sample
    on its own."""

    _dims = (4, 5)


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dims, with a learnable scale.

    >>> import dualgrad as dg
    >>> dg.nn.RMSNorm(2)(dg.tensor([[3.0, 4.0]]))
    tensor([[0.8485, 1.1314]], grad_fn=<MulBackward0>)
    """

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        set_optional_parameter(
            self,
            "weight",
            _factories.ones(*self.normalized_shape, dtype=dtype, device=device)
            if elementwise_affine
            else None,
        )

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
