"""``NegativeBinomial`` (torch.distributions.NegativeBinomial): the number of successes before
``total_count`` failures of Bernoulli trials with success probability ``probs``."""

from __future__ import annotations

from .._grad_mode import no_grad
from .._ops.special import lgamma, logsigmoid
from .._tensor import Size
from ..random._sampling import poisson
from . import constraints
from .bernoulli import _BinaryParams
from .categorical import _check_one_of
from .distribution import Distribution
from .gamma import Gamma
from .utils import expand_probs_or_logits, broadcast_all, lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_BinaryParams, Distribution):
    """P(k) = C(k + r - 1, k) p^k (1 - p)^r for k = 0, 1, ...; ``total_count`` r and
    ``probs`` p (or ``logits``).

    >>> import dualgrad as torch
    >>> torch.distributions.NegativeBinomial(3.0, probs=0.25).log_prob(torch.tensor(2.0))
    tensor(-1.8439)
    """

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        _check_one_of(probs, logits)
        given = probs if probs is not None else logits
        self.total_count, self._param = broadcast_all(total_count, given)
        self.total_count = self.total_count.type_as(self._param)
        setattr(self, "probs" if probs is not None else "logits", self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        expand_probs_or_logits(self, new, batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self):
        return Gamma(self.total_count, (-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=Size()):
        """A Poisson draw at a Gamma-distributed rate (the gamma-Poisson mixture), as torch."""
        with no_grad():
            return poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized = self.total_count * logsigmoid(-self.logits) + value * logsigmoid(
            self.logits
        )
        log_normalization = (
            -lgamma(self.total_count + value) + lgamma(1.0 + value) + lgamma(self.total_count)
        )
        # total_count = 0 and value = 0 has probability 1, where lgamma(0) is infinite
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
