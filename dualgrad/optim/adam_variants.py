"""Adamax, NAdam and RAdam (torch.optim's), the variants of Adam: an infinity-norm second
moment, Nesterov momentum, and a rectified adaptive step."""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from ._adam_common import decay, defaults, init_state, moments
from .optimizer import Optimizer, bump, grads_of


class Adamax(Optimizer):
    """torch.optim.Adamax: Adam with the infinity norm in place of the second moment."""

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        super().__init__(params, defaults(lr, betas, eps, weight_decay, maximize))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in grads_of(group, group["maximize"]):
                state = init_state(self.state[p], p, "exp_avg", "exp_inf")
                state["step"] += 1
                g = decay(p, g, lr, wd, False)
                m, u = state["exp_avg"], state["exp_inf"]
                m += (g - m) * (1 - b1)
                u *= b2
                np.maximum(u, np.abs(g) + eps, out=u)
                p._data -= (lr / (1 - b1 ** state["step"])) * (m / u)
                bump(p)
        return loss


class NAdam(Optimizer):
    """torch.optim.NAdam: Adam with Nesterov momentum and torch's momentum schedule
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``."""

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        group = defaults(
            lr,
            betas,
            eps,
            weight_decay,
            maximize,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        if momentum_decay < 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, group)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            psi = group["momentum_decay"]
            for p, g in grads_of(group, group["maximize"]):
                # torch keeps the product of the mu's in a 0-d tensor of the default dtype;
                # its rounding shows in the steps, so it is kept so here too
                state = init_state(
                    self.state[p],
                    p,
                    "exp_avg",
                    "exp_avg_sq",
                    mu_product=np.ones((), _dtype.get_default_dtype().np),
                )
                state["step"] += 1
                t = state["step"]
                g = decay(p, g, lr, wd, group["decoupled_weight_decay"])
                mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] = state["mu_product"] * state["mu_product"].dtype.type(mu)
                mu_product = float(state["mu_product"])
                m, v = moments(state, g, b1, b2)
                denom = np.sqrt(v / (1 - b2**t)) + eps
                p._data += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
                p._data += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
                bump(p)
        return loss


class RAdam(Optimizer):
    """torch.optim.RAdam: Adam whose adaptive step is rectified by its variance, and plain
    momentum SGD while too few steps have been seen (``rho_t <= 5``)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        group = defaults(
            lr, betas, eps, weight_decay, maximize, decoupled_weight_decay=decoupled_weight_decay
        )
        super().__init__(params, group)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in grads_of(group, group["maximize"]):
                state = init_state(self.state[p], p, "exp_avg", "exp_avg_sq")
                state["step"] += 1
                t = state["step"]
                g = decay(p, g, lr, wd, group["decoupled_weight_decay"])
                m, v = moments(state, g, b1, b2)
                bc2 = 1 - b2**t
                m_hat = m / (1 - b1**t)
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * t * (b2**t) / bc2
                if rho_t > 5.0:
                    rect = math.sqrt(
                        (rho_t - 4)
                        * (rho_t - 2)
                        * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    )
                    p._data -= m_hat * lr * (bc2**0.5 / (np.sqrt(v) + eps)) * rect
                else:
                    p._data -= m_hat * lr
                bump(p)
        return loss
