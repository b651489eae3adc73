"""``Normal`` (torch.distributions.Normal)."""

from __future__ import annotations

import math

from .._factories import randn
from .._grad_mode import no_grad
from .._ops.special import erf, erfinv
from .._tensor import Size
from ._location_scale import LocationScale

__all__ = ["Normal"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


class Normal(LocationScale):
    """The normal distribution N(loc, scale**2), batched over the broadcast shape of ``loc`` and
    ``scale``; ``rsample`` is ``loc + scale * eps``.

    >>> import dualgrad as torch
    >>> loc = torch.tensor(0.0, requires_grad=True)
    >>> torch.distributions.Normal(loc, 1.0).log_prob(torch.tensor(1.0)).backward()
    >>> loc.grad
    tensor(1.)
    """

    @property
    def mean(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
