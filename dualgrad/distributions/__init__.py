"""dualgrad.distributions: probability distributions written in dualgrad ops, as
torch.distributions (NOTE: [distributions in dualgrad ops] in distribution.py).

One file per family; this file only re-exports.
"""

from . import constraints  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .normal import Normal  # noqa: F401
from .multivariate_normal import MultivariateNormal  # noqa: F401
from .categorical import Categorical, OneHotCategorical  # noqa: F401
from .bernoulli import Bernoulli, Binomial  # noqa: F401
from .poisson import Poisson  # noqa: F401
from .uniform import Uniform  # noqa: F401
from .exponential import Exponential  # noqa: F401
from .laplace import Laplace  # noqa: F401
from .log_normal import LogNormal  # noqa: F401
from .independent import Independent  # noqa: F401
from .gamma import Gamma  # noqa: F401
from .dirichlet import Beta, Dirichlet  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401
