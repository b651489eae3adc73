"""Rprop (torch.optim.Rprop): per-element step sizes that grow while the gradient keeps its
sign and shrink when it flips, the step taken along the gradient's sign only."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, bump, grads_of, zeros_state


class Rprop(Optimizer):
    """Resilient backpropagation, torch's variant: after a sign flip the element does not move
    and its gradient is forgotten (``prev = 0``), so the next step only grows or keeps it.

    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = dg.optim.Rprop([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            (eta_minus, eta_plus), (size_min, size_max) = group["etas"], group["step_sizes"]
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["prev"] = zeros_state(p)
                    state["step_size"] = np.full_like(p._data, group["lr"])
                state["step"] += 1
                sign = np.sign(g * state["prev"])
                factor = np.where(sign > 0, eta_plus, np.where(sign < 0, eta_minus, 1.0))
                size = state["step_size"]
                size *= factor.astype(size.dtype)
                np.clip(size, size_min, size_max, out=size)
                g = np.where(sign < 0, 0, g).astype(p._data.dtype)
                p._data -= np.sign(g) * size
                np.copyto(state["prev"], g)
                bump(p)
        return loss
