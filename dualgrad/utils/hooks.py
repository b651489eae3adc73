"""dualgrad.utils.hooks (torch.utils.hooks): ``RemovableHandle``, what every ``register_*hook``
returns (a module's, a tensor's, a node's); re-exports only.

>>> import dualgrad as dg
>>> h = dg.nn.Linear(1, 1).register_forward_hook(lambda *a: None)
>>> isinstance(h, dg.utils.hooks.RemovableHandle)
True
"""

from .._compat.hooks import RemovableHandle  # noqa: F401

__all__ = ["RemovableHandle"]
