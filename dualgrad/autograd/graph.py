"""``dualgrad.autograd.graph`` (torch.autograd.graph): the backward graph's nodes.

They are defined in dualgrad/_graph.py, below the dispatcher that records them (NOTE: [import
order] in dualgrad/__init__.py); this module gives them their public place.
"""

from .._graph import *  # noqa: F401,F403
from .._graph import _COUNTS_KNOWN, _FREED, AccumulateGrad, Node, OpNode  # noqa: F401
from .._graph import (  # noqa: F401
    SavedTensor,
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)
