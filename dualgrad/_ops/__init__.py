"""The op table: every primitive and the public functions built on them.

Importing this package registers every primitive (``registry.REGISTRY``); the Tensor methods
and operators are attached in ``_tensor_methods``.
"""

from . import composite, elementwise, indexing, linalg, reduction, shape  # noqa: F401
from .registry import REGISTRY  # noqa: F401
from . import linalg_decomp  # noqa: F401,E402
from . import sorting, special  # noqa: F401,E402
from . import pad, reindex, scatter  # noqa: F401,E402
from . import view_scatter  # noqa: F401,E402
