"""dualgrad.nn: Module, Parameter, layers, activations and losses; re-exports only."""

from . import functional, init, utils  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __dict__ as _m
from .parameter import Buffer, Parameter  # noqa: F401

globals().update({k: v for k, v in _m.items() if not k.startswith("_") and isinstance(v, type)})
del _m
