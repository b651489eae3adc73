"""The stateless API: run a module with tensors of your choosing in place of its own.

``functional_call`` swaps the given tensors into the module's ``_parameters`` /
``_buffers`` dicts (or plain attributes) for one call and restores the originals afterwards,
even when the call raises. The swapped-in tensors may be anything: dual tensors (seed 001's
"stateless API" section), tensors with their own history, batched tensors.
``make_functional`` / ``make_functional_with_buffers`` are functorch's older form, and
``stack_module_state`` stacks the state of several like models for ensembling.

>>> import dualgrad as dg
>>> lin = dg.nn.Linear(2, 1)
>>> out = functional_call(lin, {"weight": dg.ones(1, 2), "bias": dg.zeros(1)}, (dg.ones(3, 2),))
>>> out.tolist()
[[2.0], [2.0], [2.0]]
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from ..._ops.shape import stack


_MISSING = object()


def _resolve(module, name):
    *path, leaf = name.split(".")
    for p in path:
        if p not in module._modules:
            raise AttributeError(
                f"functional_call: {type(module).__name__} has no submodule '{p}' (in '{name}')"
            )
        module = module._modules[p]
    return module, leaf


def _tied_names(module, given):
    """Names (tied to a given one, i.e. the same tensor under another name) that are not given:
    they get the same replacement, as torch's ``tie_weights=True``."""
    by_id = {}
    for n, t in list(module.named_parameters(remove_duplicate=False)) + list(
        module.named_buffers(remove_duplicate=False)
    ):
        by_id.setdefault(id(t), []).append(n)
    extra = {}
    for names in by_id.values():
        present = [n for n in names if n in given]
        if present:
            for n in names:
                if n not in given:
                    extra[n] = given[present[0]]
    return extra


@contextmanager
def _swapped(module, tensors, strict=False):
    saved = []
    try:
        for name, value in tensors.items():
            mod, leaf = _resolve(module, name)
            d = mod.__dict__
            if leaf in d["_parameters"]:
                store = d["_parameters"]
            elif leaf in d["_buffers"]:
                store = d["_buffers"]
            else:
                if strict:
                    raise RuntimeError(
                        f"functional_call: unexpected key '{name}' (not a parameter or buffer)"
                    )
                store = None
            if store is not None:
                saved.append((store, leaf, store[leaf]))
                store[leaf] = value
            else:
                saved.append((mod, leaf, d.get(leaf, _MISSING)))
                object.__setattr__(mod, leaf, value)
        yield
    finally:
        for store, leaf, old in reversed(saved):
            if isinstance(store, dict):
                store[leaf] = old
            elif old is _MISSING:
                object.__delattr__(store, leaf)
            else:
                object.__setattr__(store, leaf, old)


def functional_call(
    module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """``module(*args, **kwargs)`` with the named tensors in place of its parameters and buffers.

    ``parameter_and_buffer_dicts`` maps dotted names (``'0.weight'``) to tensors (or is a
    sequence of such dicts); names it leaves out keep the module's own tensors. ``args`` may be
    one tensor or a tuple.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = dict(parameter_and_buffer_dicts)
    else:
        tensors = {}
        for d in parameter_and_buffer_dicts:
            overlap = set(tensors) & set(d)
            if overlap:
                raise ValueError(
                    f"functional_call: {sorted(overlap)} appeared in multiple dictionaries"
                )
            tensors.update(d)
    if strict:
        own = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(own - set(tensors)), sorted(set(tensors) - own)
        if missing or unexpected:
            raise RuntimeError(
                f"functional_call (strict): missing keys {missing}, unexpected keys {unexpected}"
            )
    if tie_weights:
        tensors.update(_tied_names(module, tensors))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors):
        return module(*args, **(kwargs or {}))


class FunctionalModule:
    """``func(params, *args)``: a copy of a module called with the given parameters."""

    def __init__(self, module, param_names):
        self.stateless_model = module
        self.param_names = param_names

    def __call__(self, params, *args, **kwargs):
        if len(params) != len(self.param_names):
            raise ValueError(f"expected {len(self.param_names)} parameters, got {len(params)}")
        return functional_call(
            self.stateless_model, dict(zip(self.param_names, params)), args, kwargs
        )


class FunctionalModuleWithBuffers:
    """``func(params, buffers, *args)``: a copy of a module called with the given state."""

    def __init__(self, module, param_names, buffer_names):
        self.stateless_model = module
        self.param_names = param_names
        self.buffer_names = buffer_names

    def __call__(self, params, buffers, *args, **kwargs):
        if len(params) != len(self.param_names) or len(buffers) != len(self.buffer_names):
            raise ValueError(
                f"expected {len(self.param_names)} parameters and {len(self.buffer_names)} buffers, "
                f"got {len(params)} and {len(buffers)}"
            )
        state = dict(zip(self.param_names, params))
        state.update(zip(self.buffer_names, buffers))
        return functional_call(self.stateless_model, state, args, kwargs)


def _extract(model, disable_autograd_tracking):
    copied = copy.deepcopy(model)
    names, params = (
        zip(*copied.named_parameters()) if any(True for _ in copied.parameters()) else ((), ())
    )
    if disable_autograd_tracking:
        for p in params:
            p.requires_grad_(False)
    return copied, tuple(names), tuple(params)


def make_functional(model, disable_autograd_tracking=False):
    """functorch's ``make_functional``: ``(func, params)`` with ``func(params, *inputs)``.

    >>> import dualgrad as dg
    >>> func, params = make_functional(dg.nn.Linear(3, 2))
    >>> func(params, dg.ones(4, 3)).shape
    dualgrad.Size([4, 2])
    """
    if any(True for _ in model.buffers()):
        raise RuntimeError(
            "make_functional(model): model has buffers; use make_functional_with_buffers(model)"
        )
    copied, names, params = _extract(model, disable_autograd_tracking)
    return FunctionalModule(copied, names), params


def make_functional_with_buffers(model, disable_autograd_tracking=False):
    """functorch's ``make_functional_with_buffers``: ``(func, params, buffers)`` with
    ``func(params, buffers, *inputs)`` (seed 001's functional API section)."""
    copied, names, params = _extract(model, disable_autograd_tracking)
    named_buffers = list(copied.named_buffers())
    buffer_names = tuple(n for n, _ in named_buffers)
    buffers = tuple(b for _, b in named_buffers)
    return FunctionalModuleWithBuffers(copied, names, buffer_names), params, buffers


def stack_module_state(models):
    """Stack the parameters and buffers of like models along a new leading dim:
    ``(params, buffers)`` dicts by name, the stacked parameters fresh leaves that require grad
    when every model's does (torch.func.stack_module_state)."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(named):
        out = {}
        for name in [n for n, _ in named(models[0])]:
            ts = [dict(named(m))[name] for m in models]
            req = [t.requires_grad for t in ts]
            if any(req) and not all(req):
                raise RuntimeError(
                    f"stack_module_state: Expected {name} from each model to have the same .requires_grad"
                )
            s = stack([t.detach() for t in ts])
            out[name] = s.requires_grad_() if all(req) and s.is_floating_point() else s
        return out

    return (
        stacked(lambda m: list(m.named_parameters())),
        stacked(lambda m: list(m.named_buffers())),
    )


__all__ = [
    "functional_call",
    "make_functional",
    "make_functional_with_buffers",
    "stack_module_state",
    "FunctionalModule",
    "FunctionalModuleWithBuffers",
]
