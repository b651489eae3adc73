"""dualgrad.autograd: reverse mode (grad, backward), forward mode (forward_ad), custom
Functions, anomaly detection, checkers."""

from . import forward_ad  # noqa: F401
from .._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from . import function  # noqa: F401
from . import functional  # noqa: F401
from . import graph  # noqa: F401
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .engine import backward  # noqa: F401
from .batched_grad import grad  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .._compat.legacy import Variable  # noqa: F401
from .gradcheck import GradcheckError, check_adjoint, gradcheck, gradgradcheck  # noqa: F401
