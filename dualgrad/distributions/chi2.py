"""``Chi2`` and ``StudentT`` (torch.distributions.Chi2, StudentT)."""

from __future__ import annotations

import math

from .._factories import randn
from .._ops.elementwise import where
from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all

__all__ = ["Chi2", "StudentT"]


class Chi2(Gamma):
    """The chi-squared distribution of ``df`` degrees of freedom: Gamma(df / 2, 1 / 2).

    >>> import dualgrad as torch
    >>> torch.distributions.Chi2(torch.tensor(2.0)).log_prob(torch.tensor(2.0))
    tensor(-1.6931)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class StudentT(Distribution):
    """Student's t distribution of ``df`` degrees of freedom, location ``loc`` and scale
    ``scale``; ``rsample`` is ``loc + scale * X / sqrt(Z / df)`` for X normal and Z ~ Chi2(df)
    (reparameterised through Chi2's implicit gradient).

    >>> import dualgrad as torch
    >>> torch.distributions.StudentT(torch.tensor(3.0)).log_prob(torch.tensor(0.0))
    tensor(-1.0009)
    """

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(
            StudentT, batch_shape, ("df", "loc", "scale"), _instance=_instance
        )
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    # NOTE: [moments by where] torch writes nan/inf into a clone of the parameters by index;
    # ``where`` gives the same values, and the moment is computed at a harmless df (3) where
    # it is not defined, so that its gradient there is 0, as torch's, not nan.
    @property
    def mean(self):
        return where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        finite = self.df > 2
        df = where(finite, self.df, 3.0)
        var = self.scale.pow(2) * df / (df - 2)
        return where(finite, var, where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=Size()):
        x = randn(self._extended_shape(sample_shape), dtype=self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        log_z = (
            self.scale.log()
            + 0.5 * self.df.log()
            + 0.5 * math.log(math.pi)
            + (0.5 * self.df).lgamma()
            - (0.5 * (self.df + 1.0)).lgamma()
        )
        return -0.5 * (self.df + 1.0) * (y**2.0 / self.df).log1p() - log_z

    def entropy(self):
        half, half_up = 0.5 * self.df, 0.5 * (self.df + 1)
        lbeta = half.lgamma() + math.lgamma(0.5) - half_up.lgamma()
        return (
            self.scale.log()
            + half_up * (half_up.digamma() - half.digamma())
            + 0.5 * self.df.log()
            + lbeta
        )
