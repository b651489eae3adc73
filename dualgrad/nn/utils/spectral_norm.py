"""torch.nn.utils.spectral_norm / remove_spectral_norm, the hook-based API: ``weight`` becomes
``weight_orig / sigma``, sigma the largest singular value of ``weight_orig`` (as a matrix with
``dim`` first) estimated by power iteration on the buffers ``weight_u`` / ``weight_v``, one more
iteration per forward in training mode. ``u`` and ``v`` start as normalised ``normal_`` draws,
in torch's order, so with torch's draws the numbers are torch's.

Not carried over: the state-dict hooks that convert checkpoints of torch < 1.1 (no
``weight_v`` saved); a state_dict of this API holds what torch's does."""

from __future__ import annotations

from ..._grad_mode import no_grad
from ..._ops.linalg import dot as _dot
from ..._ops.linalg import mv as _mv
from .. import functional as F
from ..module import Module
from ..parameter import Parameter

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _check_iterations(n):
    if n <= 0:
        raise ValueError(
            f"Expected n_power_iterations to be positive, but got n_power_iterations={n}"
        )


def _as_matrix(weight, dim):
    """``weight`` with ``dim`` first, flattened to (size of dim, -1)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


class SpectralNorm:
    """The forward pre-hook ``spectral_norm`` installs."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        _check_iterations(n_power_iterations)
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        return _as_matrix(weight, self.dim)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():  # the buffers move in place, as torch's out= writes
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(_mv(mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(_mv(mat, v), dim=0, eps=self.eps))
                u, v = u.clone(), v.clone()
        sigma = _dot(u, _mv(mat, v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def _default_dim(module):
    """0, or 1 for the transposed convolutions (their weight is (in, out, ...))."""
    from .. import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def spectral_norm(module: Module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration.

    >>> import dualgrad as dg
    >>> m = dg.nn.utils.spectral_norm(dg.nn.Linear(3, 2))
    >>> sorted(n for n, _ in m.named_buffers())
    ['weight_u', 'weight_v']
    """
    SpectralNorm.apply(
        module, name, n_power_iterations, _default_dim(module) if dim is None else dim, eps
    )
    return module


def remove_spectral_norm(module: Module, name="weight") -> Module:
    """Undo ``spectral_norm``: ``module.<name>`` is a plain parameter with the current value."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
