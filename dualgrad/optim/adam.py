"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW; amsgrad included)."""

from __future__ import annotations

import math

import numpy as np

from ._adam_common import decay, defaults, init_state, moments
from .optimizer import Optimizer, bump, grads_of


class Adam(Optimizer):
    """Adaptive moments (Kingma & Ba), with torch's bias correction and eps placement."""

    _decoupled = False

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        self._decoupled = self._decoupled or decoupled_weight_decay
        super().__init__(params, defaults(lr, betas, eps, weight_decay, maximize, amsgrad=amsgrad))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in grads_of(group, group["maximize"]):
                names = ("exp_avg", "exp_avg_sq") + (
                    ("max_exp_avg_sq",) if group["amsgrad"] else ()
                )
                state = init_state(self.state[p], p, *names)
                state["step"] += 1
                step = state["step"]
                g = decay(p, g, lr, wd, self._decoupled)
                m, v = moments(state, g, b1, b2)
                bc1 = 1 - b1**step
                bc2_sqrt = math.sqrt(1 - b2**step)
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    denom = np.sqrt(state["max_exp_avg_sq"]) / bc2_sqrt + eps
                else:
                    denom = np.sqrt(v) / bc2_sqrt + eps
                p._data -= (lr / bc1) * (m / denom)
                bump(p)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam step."""

    _decoupled = True

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, **kw
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **kw)
