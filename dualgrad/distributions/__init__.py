"""dualgrad.distributions: probability distributions written in dualgrad ops, as
torch.distributions (NOTE: [distributions in dualgrad ops] in distribution.py).

One file per family; this file only re-exports.
"""

from . import constraints  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .normal import Normal  # noqa: F401
