"""Optimizer: param_groups, per-parameter state, zero_grad, state_dict (torch.optim's shape).

# NOTE: [optimizer arithmetic]
An optimizer step is not differentiated through, so the first-order optimizers update
``param._data`` with NumPy in place (as torch's run under no_grad) and bump the parameter's
version counter, so a graph that saved the old value refuses to backward (as in torch). The
formulas are torch's, in its order of operations, so float64 runs match torch's to rounding.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from .._tensor import Tensor, bump_version


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def bump(p: Tensor) -> None:
    """Record an in-place write to ``p`` (NOTE: [optimizer arithmetic])."""
    bump_version(p)


class Optimizer:
    """Base class: ``params`` is an iterable of tensors or of dicts (parameter groups).

    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0], requires_grad=True)
    >>> opt = dg.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    tensor([0.], requires_grad=True)
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {k}"
                )
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0
                    bump(p.grad)

    def step(self, closure=None):
        # the base class defines no update rule, as torch.optim.Optimizer
        raise NotImplementedError(
            f"{type(self).__name__}.step: an Optimizer subclass defines its update in step(); "
            "use SGD, Adam, ... or override step"
        )

    def _closure_loss(self, closure):
        if closure is None:
            return None
        from .._grad_mode import enable_grad

        with enable_grad():
            return closure()

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {
            index[id(p)]: {k: _to_saved(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        by_index = {}
        for own, saved in zip(self.param_groups, groups):
            if len(own["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
                )
            for p, i in zip(own["params"], saved["params"]):
                by_index[i] = p
            for k, v in saved.items():
                if k != "params":
                    own[k] = v
        self.state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            self.state[by_index[i]] = {k: _from_saved(k, v) for k, v in s.items()}

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)


def grads_of(group, maximize=False):
    """(param, grad array) for the group's parameters that have a gradient."""
    for p in group["params"]:
        if p.grad is None:
            continue
        g = p.grad._data
        yield p, (-g if maximize else g)


# NOTE: [optimizer state as torch's]
# The optimizers keep their buffers as NumPy arrays (they update them with array kernels), but a
# state dict is what torch.save writes and torch's optimizers read: its buffers are tensors, as
# torch's are. Loading turns tensors back into arrays, and torch's ``step`` (a float32 0-d
# tensor) into the Python number dualgrad counts with.
def _to_saved(v):
    return Tensor._make(v.copy()) if isinstance(v, np.ndarray) else copy.deepcopy(v)


def _from_saved(key, v):
    if isinstance(v, Tensor):
        if key == "step" and v.dim() == 0:
            step = v.item()
            return int(step) if float(step).is_integer() else step
        return v.detach()._data.copy()
    return copy.deepcopy(v)


def zeros_state(p):
    return np.zeros_like(p._data)
