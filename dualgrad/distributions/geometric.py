"""``Geometric`` (torch.distributions.Geometric): the number of failures before the first
success of Bernoulli trials."""

from __future__ import annotations

import numbers

from .._compat.dtype_info import finfo
from .._factories import empty, zeros_like
from .._grad_mode import no_grad
from .._ops.elementwise import where
from .._tensor import Size
from ..nn.functional import binary_cross_entropy_with_logits
from . import constraints
from .bernoulli import _BinaryParams
from .categorical import _check_one_of
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Geometric"]


class Geometric(_BinaryParams, Distribution):
    """P(k) = (1 - p)^k p for k = 0, 1, ...; ``probs`` p in (0, 1] or ``logits``.

    >>> import dualgrad as torch
    >>> torch.distributions.Geometric(probs=0.5).log_prob(torch.tensor(1.0))
    tensor(-1.3863)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        _check_one_of(probs, logits)
        given = probs if probs is not None else logits
        (self._param,) = broadcast_all(given)
        setattr(self, "probs" if probs is not None else "logits", self._param)
        shape = Size() if isinstance(given, numbers.Number) else self._param.size()
        super().__init__(shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter probs ({type(self.probs).__name__} of shape "
                    f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but "
                    f"found invalid values:\n{self.probs.detach()[~valid]}"
                )

    def expand(self, batch_shape, _instance=None):
        names = ("probs", "logits")
        new = self._expand_params(Geometric, batch_shape, names, _instance=_instance)
        new._param = new.__dict__["probs" if "probs" in self.__dict__ else "logits"]
        return new

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = empty(shape, dtype=self.probs.dtype).uniform_(finfo(self.probs.dtype).tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # 0 * log(0) is 0 at p = 1, k = 0 (torch zeroes p there)
        probs = where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        bce = binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs
