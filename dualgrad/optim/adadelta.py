"""Adadelta (torch.optim.Adadelta): per-coordinate steps from running averages of squared
gradients and squared updates (Zeiler 2012)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, bump, grads_of, zeros_state


class Adadelta(Optimizer):
    """torch.optim.Adadelta, with torch's defaults (``lr=1.0``, ``rho=0.9``, ``eps=1e-6``).

    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = dg.optim.Adadelta([w])
    >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps, wd = (group[k] for k in ("lr", "rho", "eps", "weight_decay"))
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = zeros_state(p)
                    state["acc_delta"] = zeros_state(p)
                state["step"] += 1
                if wd:
                    g = g + wd * p._data
                sq, acc = state["square_avg"], state["acc_delta"]
                sq *= rho
                sq += (1 - rho) * g * g
                delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
                acc *= rho
                acc += (1 - rho) * delta * delta
                p._data -= lr * delta
                bump(p)
        return loss
