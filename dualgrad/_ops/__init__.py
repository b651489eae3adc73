"""The op table: every primitive and the public functions built on them.

Importing this package registers every primitive (``registry.REGISTRY``); the Tensor methods
and operators are attached in ``_tensor_methods``.

# NOTE: [layered op modules]
The modules of this package import one another in one order, each only from modules before
it, at the top or inside a function alike, so there is no import cycle among them:

    _methods, kernels, registry, elementwise, indexing, reduction, shape, view_scatter, scatter,
    special, linalg, softmax, composite, sorting, linalg_decomp, reindex, pad, conv,
    joins, products, numeric, embed, statistics, integrate

(tests/test_structure.py holds the order and checks it). registry has the Op record and the
kinds whose rules need no op; the element-wise kind is declared in elementwise.py beside the
mul and where its rules call. A rule or helper that needs an op of a later module calls it as
a Tensor method (``g.sum(dim)``, ``x.permute(order)``, ``rows.scatter_add(...)``): the methods
are attached when the package is imported, before any rule runs. A helper several modules
need lives in the lowest of them (``normalize_dims`` in reduction, ``known_values`` in
indexing).
"""

from . import composite, elementwise, indexing, linalg, reduction, shape  # noqa: F401
from .registry import REGISTRY  # noqa: F401
from . import linalg_decomp  # noqa: F401,E402
from . import sorting, special  # noqa: F401,E402
from . import pad, reindex, scatter  # noqa: F401,E402
from . import view_scatter  # noqa: F401,E402
from . import embed, integrate, joins, numeric, products, statistics  # noqa: F401,E402
from .. import _graph  # noqa: E402


def _parameter_names():
    """Every keyword parameter an op's kernel takes: the names a node's saved parameters can
    have (NOTE: [saved names as properties] in _graph.py)."""
    import inspect

    names = set()
    for op in REGISTRY.values():
        for p in inspect.signature(op.forward).parameters.values():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.add(p.name)
    return names


_graph.saved_properties(_parameter_names())
