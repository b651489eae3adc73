"""dualgrad.nn: Module, Parameter, layers, activations and losses; re-exports only."""

from . import functional, init, utils  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __dict__ as _m
from .parameter import Buffer, Parameter  # noqa: F401

globals().update({k: v for k, v in _m.items() if not k.startswith("_") and isinstance(v, type)})
del _m
# torch.nn.attention is the package, not the layers' module the star import bound to the name
# (``from . import attention`` would return that binding without loading the package)
attention = __import__("importlib").import_module(".attention", __name__)
