"""ASGD (torch.optim.ASGD): SGD with a decaying step and a running average of the iterates."""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .optimizer import Optimizer, bump, grads_of, zeros_state


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky), torch's update: ``p *= 1 - lambd * eta``,
    ``p -= eta * g``, the average ``ax`` follows ``p`` from step ``t0``, and
    ``eta = lr / (1 + lambd * lr * t) ** alpha``.

    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0], requires_grad=True)
    >>> opt = dg.optim.ASGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(
            params,
            dict(
                lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
            ),
        )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        # torch keeps eta and mu in 0-d tensors of the default dtype: their rounding shows in
        # the steps, so they are kept so here too (as NAdam's mu_product)
        scalar = _dtype.get_default_dtype().np.type
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["eta"] = scalar(lr)
                    state["mu"] = scalar(1.0)
                    state["ax"] = zeros_state(p)
                state["step"] += 1
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p._data
                eta = float(state["eta"])
                p._data *= 1 - lambd * eta
                p._data -= eta * g
                bump(p)
                if float(state["mu"]) != 1:
                    state["ax"] += (p._data - state["ax"]) * float(state["mu"])
                else:
                    np.copyto(state["ax"], p._data)
                t = state["step"]
                state["eta"] = scalar(lr / ((1 + lambd * lr * t) ** alpha))
                state["mu"] = scalar(1 / max(1, t - t0))
        return loss
