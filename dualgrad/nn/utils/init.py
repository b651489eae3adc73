"""nn.utils.skip_init: a module made without running its initialisation."""

from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialised (as
    ``torch.empty``): built on the meta device, then given empty storage on ``device``.

    >>> import dualgrad as dg
    >>> dg.nn.utils.skip_init(dg.nn.Linear, 5, 1).weight.shape
    dualgrad.Size([1, 5])
    """
    from ..module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = "meta"
    return module_cls(*args, **kwargs).to_empty(device=final_device)
