"""dualgrad.distributions: probability distributions written in dualgrad ops, as
torch.distributions (NOTE: [distributions in dualgrad ops] in distribution.py).

One file per family; this file only re-exports.
"""

from . import constraints  # noqa: F401
from . import transforms  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .normal import Normal  # noqa: F401
from .multivariate_normal import MultivariateNormal  # noqa: F401
from .categorical import Categorical, OneHotCategorical  # noqa: F401
from .bernoulli import Bernoulli, Binomial  # noqa: F401
from .poisson import Poisson  # noqa: F401
from .uniform import Uniform  # noqa: F401
from .exponential import Exponential  # noqa: F401
from .laplace import Laplace  # noqa: F401
from .cauchy import Cauchy  # noqa: F401
from .transformed_distribution import TransformedDistribution  # noqa: F401
from .log_normal import LogNormal  # noqa: F401
from .half_normal import HalfCauchy, HalfNormal  # noqa: F401
from .independent import Independent  # noqa: F401
from .gamma import Gamma  # noqa: F401
from .chi2 import Chi2, StudentT  # noqa: F401
from .dirichlet import Beta, Dirichlet  # noqa: F401
from .geometric import Geometric  # noqa: F401
from .mixture_same_family import MixtureSameFamily  # noqa: F401
from .multinomial import Multinomial  # noqa: F401
from .lowrank_multivariate_normal import LowRankMultivariateNormal  # noqa: F401
from .relaxed import (  # noqa: F401
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from .von_mises import VonMises  # noqa: F401
from .gumbel import Gumbel  # noqa: F401
from .weibull import Pareto, Weibull  # noqa: F401
from .kumaraswamy import Kumaraswamy  # noqa: F401
from .negative_binomial import NegativeBinomial  # noqa: F401
from .fisher_snedecor import FisherSnedecor  # noqa: F401
from .continuous_bernoulli import ContinuousBernoulli  # noqa: F401
from .constraint_registry import biject_to, transform_to  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .kl import kl_divergence, register_kl  # noqa: F401
