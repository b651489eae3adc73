"""dualgrad.autograd: reverse mode (grad, backward), forward mode (forward_ad), checkers."""

from . import forward_ad  # noqa: F401
from .engine import backward, grad  # noqa: F401
from .gradcheck import GradcheckError, check_adjoint, gradcheck, gradgradcheck  # noqa: F401
