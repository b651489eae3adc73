"""``Gamma`` (torch.distributions.Gamma) and the standard gamma draw with its implicit
reparameterisation gradient, which ``Dirichlet`` and ``Beta`` use too.

# NOTE: [implicit reparameterisation]
A gamma draw x ~ Gamma(alpha, 1) is no smooth function of alpha and a fixed noise, so
``rsample`` differentiates it implicitly (Figurnov et al. 2018): holding the CDF F(x; alpha)
fixed, dx/dalpha = -(dF/dalpha) / p(x; alpha). dF/dalpha comes from the series
F = sum_n exp(-x + (alpha + n) log x - lgamma(alpha + n + 1)), differentiated term by term
(each term's derivative is itself times log x - digamma(alpha + n + 1)); the series is summed
to n = x + 10 sqrt(x) + 40, past which its terms are negligible. This gives torch's
``_standard_gamma_grad`` to float64 accuracy where torch uses fitted approximations. As in
torch, the draw's gradient is first order only (``once_differentiable``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._compat.dtype_info import finfo
from .._dtype import float64
from .._factories import arange, tensor
from .._grad_mode import no_grad
from .._ops.special import digamma, lgamma
from .._tensor import Size
from ..autograd.function import Function, once_differentiable
from ..random._generator import numpy_rng
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Gamma"]


def _standard_gamma_grad(alpha, x):
    """dx/dalpha of standard gamma draws ``x`` of concentrations ``alpha`` (NOTE: [implicit
    reparameterisation]), computed in float64 and returned in x's dtype."""
    with no_grad():
        a = alpha.detach().to(float64).unsqueeze(-1)
        xs = x.detach().to(float64).unsqueeze(-1)
        top = float(xs.max()) if xs.numel() else 0.0
        n = arange(int(top + 10 * math.sqrt(top) + 40), dtype=float64)
        log_x = xs.log()
        log_terms = -xs + (a + n) * log_x - lgamma(a + n + 1)
        dcdf = (log_terms.exp() * (log_x - digamma(a + n + 1))).sum(-1)
        log_pdf = -xs.squeeze(-1) + (a.squeeze(-1) - 1) * log_x.squeeze(-1) - lgamma(a.squeeze(-1))
        return (-dcdf * (-log_pdf).exp()).to(x.dtype)


class _StandardGamma(Function):
    """Gamma(alpha, 1) draws, differentiable in alpha (NOTE: [implicit reparameterisation])."""

    @staticmethod
    def forward(ctx, concentration):
        alpha = concentration.detach().numpy()
        draws = numpy_rng(None, "Gamma.rsample").standard_gamma(alpha.astype(np.float64))
        # a draw that underflows to 0 is moved to the smallest normal number, as torch does
        x = tensor(np.maximum(draws, np.finfo(alpha.dtype).tiny), dtype=concentration.dtype)
        ctx.save_for_backward(concentration, x)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        concentration, x = ctx.saved_tensors
        return g * _standard_gamma_grad(concentration, x)


def standard_gamma(concentration):
    """Draws of Gamma(concentration, 1), reparameterised (the gradient flows to
    ``concentration``)."""
    return _StandardGamma.apply(concentration)


class Gamma(Distribution):
    """The gamma distribution of shape ``concentration`` and ``rate``; ``rsample`` is
    reparameterised implicitly (NOTE: [implicit reparameterisation]).

    >>> import dualgrad as torch
    >>> torch.distributions.Gamma(torch.tensor(2.0), torch.tensor(1.0)).log_prob(torch.tensor(1.0))
    tensor(-1.)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        scalars = isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number)
        shape = Size() if scalars else self.concentration.size()
        super().__init__(shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        names = ("concentration", "rate")
        return self._expand_params(Gamma, batch_shape, names, _instance=_instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=finfo(value.dtype).tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, rate = self.concentration, self.rate
        return a.xlogy(rate) + (a - 1).xlogy(value) - rate * value - a.lgamma()

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()
