"""Module: the base class of layers, with torch.nn.Module's bookkeeping.

Parameters, buffers and submodules live in three ordered dicts (``_parameters``,
``_buffers``, ``_modules``) that ``__setattr__`` fills and ``__getattr__`` reads, as in
PyTorch. So ``delattr(model, 'weight'); setattr(model, 'weight', dual)`` leaves ``weight`` a
plain attribute (seed 001's forward-AD recipe), and ``functional_call`` can swap tensors in
and out of the dicts for one call (nn/utils/stateless.py).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from .._grad_mode import no_grad
from .._compat.hooks import RemovableHandle
from .._tensor import Tensor
from .parameter import Buffer, Parameter

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _add_hook(hooks, hook, prepend):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Module:
    """Base class for all layers; subclasses set attributes in ``__init__`` and define
    ``forward``.

    >>> import dualgrad as dg
    >>> class Affine(dg.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = dg.nn.Parameter(dg.ones(2))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> [name for name, _ in Affine().named_parameters()]
    ['w']
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        d = self.__dict__
        if d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
            from ._backward_hooks import call_with_backward_hooks

            return call_with_backward_hooks(self, args, kwargs, self._forward_and_hooks)
        return self._forward_and_hooks(args, kwargs)

    def _forward_and_hooks(self, args, kwargs):
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    # ------------------------------------------------------------ attributes
    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, "_buffers", "_modules")
            d.pop(name, None)
            params[name] = value
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(dualgrad.nn.Parameter or None expected); to set a plain tensor (a dual "
                    f"tensor, say), first `del module.{name}`"
                )
            params[name] = None
            return
        if isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, "_parameters", "_buffers")
            d.pop(name, None)
            d["_modules"][name] = value
            return
        if "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}'")
            d["_modules"][name] = None
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer):
            self.register_buffer(name, value, persistent=value.persistent)
            return
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}'")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _remove_from(self, name, *stores):
        for s in stores:
            self.__dict__[s].pop(name, None)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d["_parameters"]:
            del d["_parameters"][name]
        elif name in d["_buffers"]:
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d["_modules"]:
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    # ------------------------------------------------------------ registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter, or None for an absent one) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(dualgrad.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (BatchNorm's running mean)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        if isinstance(tensor, Buffer):
            tensor = tensor.detach()
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(name, "module")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> "Module":
        mod = self
        if target:
            for item in target.split("."):
                if item not in mod._modules:
                    raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
                mod = mod._modules[item]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        prefix, _, name = target.rpartition(".")
        mod = self.get_submodule(prefix)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        prefix, _, name = target.rpartition(".")
        mod = self.get_submodule(prefix)
        if name not in mod._buffers:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}`")
        return mod._buffers[name]

    # ------------------------------------------------------------ iteration
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------ state
    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name (detached unless ``keep_vars``)."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from ``state_dict`` into this module's parameters and buffers."""
        if not isinstance(state_dict, Mapping):  # a module or a path would be read key by letter
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict)}. (Pass "
                "module.state_dict(), or load the file first.)"
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            if unexpected:
                errors.append(
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + "."
                )
            if missing:
                errors.append(
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
                )
        for k, target in own.items():
            if k not in state_dict:
                continue
            value = state_dict[k]
            if not isinstance(value, Tensor):
                from .._factories import tensor

                value = tensor(value)
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {value.shape} from checkpoint, "
                    f"the shape in current model is {target.shape}."
                )
                continue
            with no_grad():
                target.copy_(value)
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ modes and conversions
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = p.grad.detach() * 0

    def apply(self, fn) -> "Module":
        """Call ``fn`` on every submodule (children first) and on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn) -> "Module":
        """Replace every parameter's and buffer's data by ``fn(data)`` (keeping the objects)."""
        for m in self.children():
            m._apply(fn)
        with no_grad():
            for p in self._parameters.values():
                if p is None:
                    continue
                p.data = fn(p.detach())
                if p.grad is not None:
                    p.grad = fn(p.grad.detach())
            for k, b in self._buffers.items():
                if b is not None:
                    self._buffers[k] = fn(b)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Cast floating parameters and buffers to a dtype: ``to(dtype)``, ``to('cpu')``,
        ``to(device, dtype)``, ``to(tensor)``; a device other than the CPU raises torch's
        CPU-only error (NOTE: [CPU-only devices] in dualgrad/_compat/device.py)."""
        from .._compat.to_args import to_args

        dev, dtype, _ = to_args(args, kwargs)
        if dev is not None:  # to or from meta (NOTE: [meta tensors] in _compat/meta.py)
            from .._compat.device import is_meta
            from .._compat.meta import NO_DATA_MODULE

            if is_meta(dev):
                return self._apply(lambda t: t.to(dev) if dtype is None else t.to(dev, dtype))
            if any(t.is_meta for t in self._tensors()):
                raise NotImplementedError(NO_DATA_MODULE)
        if dtype is None:
            return self
        from .. import _dtype

        dtype = _dtype.to_dtype(dtype)
        if not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        if dtype is _dtype.bfloat16 and any(p.requires_grad for p in self.parameters()):
            # NOTE: [bfloat16] in dualgrad/_dtype.py
            raise RuntimeError(
                "Module.to(bfloat16): dualgrad does not differentiate bfloat16 tensors (torch "
                "does); keep the module in float32, or freeze it first (requires_grad_(False))"
            )
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def double(self) -> "Module":
        from .. import _dtype

        return self.to(_dtype.float64)

    def float(self) -> "Module":
        from .. import _dtype

        return self.to(_dtype.float32)

    def half(self) -> "Module":
        from .. import _dtype

        return self.to(_dtype.float16)

    def bfloat16(self) -> "Module":
        from .. import _dtype

        return self.to(_dtype.bfloat16)

    def cpu(self) -> "Module":
        return self.to("cpu")

    def to_empty(self, *, device=None, recurse: bool = True) -> "Module":
        """Parameters and buffers as new uninitialized tensors of the same shapes on ``device``
        (``None``: the default device): how a module built on the meta device gets memory."""
        from .. import _factories

        return self._apply(lambda t: _factories.empty_like(t, device=device))

    def _tensors(self):
        for m in self.modules():
            yield from (p for p in m._parameters.values() if p is not None)
            yield from (b for b in m._buffers.values() if b is not None)

    def cuda(self, device=None) -> "Module":
        """Raises torch's CPU-only error (NOTE: [CPU-only devices] in _compat/device.py)."""
        from .._compat import device as _device

        raise _device.not_here("cuda")

    def type(self, dst_type) -> "Module":
        return self.to(dst_type)

    # ------------------------------------------------------------ hooks
    def register_forward_hook(self, hook) -> RemovableHandle:
        """``hook(module, args, output)`` after each forward; it may return a new output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once the gradients of the module's inputs
        are computed; it may return a new ``grad_input`` (NOTE: [module backward hooks] in
        nn/_backward_hooks.py). Inputs that are not tensors show as None.

        >>> import dualgrad as dg
        >>> lin = dg.nn.Linear(2, 1)
        >>> seen = []
        >>> h = lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
        >>> lin(dg.ones(3, 2, requires_grad=True)).sum().backward()
        >>> seen
        [dualgrad.Size([3, 1])]
        """
        return self._add_backward_hook(hook, full=True, prepend=prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` before the module's gradients are computed; it may
        return a new ``grad_output`` (NOTE: [module backward hooks] in nn/_backward_hooks.py)."""
        hooks = self.__dict__.setdefault("_backward_pre_hooks", OrderedDict())
        return _add_hook(hooks, hook, prepend)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """torch's deprecated hook: ``hook(module, grad_input, grad_output)`` with the
        gradients of the last node the forward made; prefer register_full_backward_hook."""
        return self._add_backward_hook(hook, full=False, prepend=False)

    def _add_backward_hook(self, hook, *, full, prepend):
        from ._backward_hooks import BOTH

        d = self.__dict__
        if d.get("_is_full_backward_hook") is (not full):
            raise RuntimeError(BOTH)
        d["_is_full_backward_hook"] = full
        return _add_hook(d.setdefault("_backward_hooks", OrderedDict()), hook, prepend)

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, args)`` before each forward; it may return new args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # NOTE: [Module.compile runs eagerly] torch's in-place ``Module.compile`` makes later calls go
    # through torch.compile and returns None; dualgrad has no compiler yet (dualgrad.compile
    # comes later), so the call is accepted and the module keeps running eagerly, giving the same
    # numbers.
    def compile(self, *args, **kwargs) -> None:
        """Accepted as torch's in-place compile; the module still runs eagerly (NOTE:
        [Module.compile runs eagerly]). Returns None, as torch's."""
        return None

    # ------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        head = self._get_name() + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __setstate__(self, state):
        self.__dict__.update(state)


def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{what} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')
