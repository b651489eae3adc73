"""dualgrad.utils.hooks (torch.utils.hooks): ``RemovableHandle``, what ``Module.register_*_hook``
returns; re-exports only.

>>> import dualgrad as dg
>>> h = dg.nn.Linear(1, 1).register_forward_hook(lambda *a: None)
>>> isinstance(h, dg.utils.hooks.RemovableHandle)
True
"""

from ..nn.module import RemovableHandle  # noqa: F401

__all__ = ["RemovableHandle"]
