"""torch.nn.utils.weight_norm / remove_weight_norm, the hook-based API torch keeps (deprecated
there in favour of ``parametrizations.weight_norm``, with the same FutureWarning): ``weight``
becomes ``weight_g * weight_v / ||weight_v||`` (the norm over every dim but ``dim``), recomputed
by a forward pre-hook from the parameters ``weight_g`` and ``weight_v``."""

from __future__ import annotations

import warnings

from ..._ops.composite import norm
from ..module import Module
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, pow, dim):
    """torch.norm_except_dim: the ``pow``-norm over every dim but ``dim`` (kept, size 1 for the
    others); ``dim=-1`` is the norm of the whole tensor."""
    if dim == -1:
        return norm(v, pow)
    dims = tuple(d for d in range(v.ndim) if d != dim)
    return norm(v, pow, dims, keepdim=True)


def _weight_norm(v, g, dim):
    """torch._weight_norm: ``v * (g / ||v||)`` with the norm of ``_norm_except_dim``."""
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook ``weight_norm`` installs: it recomputes ``module.<name>``."""

    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn(
            "`torch.nn.utils.weight_norm` is deprecated in favor of "
            "`torch.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(
            name + "_g", Parameter(_norm_except_dim(weight, 2, fn.dim).detach())
        )
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name="weight", dim=0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (``dim=None``: one norm for the
    whole tensor); warns as torch's deprecated function does.

    >>> import warnings, dualgrad as dg
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = dg.nn.utils.weight_norm(dg.nn.Linear(3, 2))
    >>> tuple(m.weight_g.shape), tuple(m.weight_v.shape)
    ((2, 1), (2, 3))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name="weight") -> Module:
    """Undo ``weight_norm``: ``module.<name>`` is a plain parameter again, with the current
    value."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
