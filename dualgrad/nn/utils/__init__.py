"""dualgrad.nn.utils: the stateless API and gradient utilities; re-exports only."""

from . import rnn, stateless  # noqa: F401
from . import _stateless  # noqa: F401
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_  # noqa: F401
from .convert import parameters_to_vector, vector_to_parameters  # noqa: F401
from . import parametrize  # noqa: F401,E402
from . import parametrizations  # noqa: F401,E402
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401,E402
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401,E402
from .init import skip_init  # noqa: F401,E402
