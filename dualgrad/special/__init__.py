"""dualgrad.special: PyTorch's torch.special namespace (re-exports only)."""

from .._ops.composite import log_softmax, logsumexp, softmax  # noqa: F401
from .._ops.elementwise import exp2, expm1, log1p, round  # noqa: F401,A004
from .._ops.special import (  # noqa: F401
    digamma, entr, erf, erfc, erfcx, erfinv, expit, gammaln, i0, i0e, i1, i1e, log_ndtr, logit,
    multigammaln, ndtr, ndtri, polygamma, psi, sinc, xlog1py, xlogy,
)

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py",
    "xlogy",
]
