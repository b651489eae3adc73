"""Adamax, NAdam and RAdam (torch.optim's), the variants of Adam: an infinity-norm second
moment, Nesterov momentum, and a rectified adaptive step."""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .optimizer import Optimizer, bump, grads_of, zeros_state


def _check(lr, betas, eps, weight_decay):
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _moments(state, p, g, b1, b2):
    """Adam's running moments, updated in place: ``m`` lerps to g, ``v`` averages g*g."""
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (g - m) * (1 - b1)
    v *= b2
    v += (1 - b2) * g * g
    return m, v


def _decay(p, g, lr, wd, decoupled):
    """L2 weight decay added to the gradient, or decoupled (AdamW's) applied to ``p``."""
    if not wd:
        return g
    if decoupled:
        p._data *= 1 - lr * wd
        return g
    return g + wd * p._data


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
        _check(lr, betas, eps, weight_decay)
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                state["step"] += 1
                g = _decay(p, g, lr, wd, False)
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
        _check(lr, betas, eps, weight_decay)
        if momentum_decay < 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            psi = group["momentum_decay"]
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    # torch keeps the product of the mu's in a 0-d tensor of the default
                    # dtype; its rounding shows in the steps, so it is kept so here too
                    state["mu_product"] = np.ones((), _dtype.get_default_dtype().np)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                state["step"] += 1
                t = state["step"]
                g = _decay(p, g, lr, wd, group["decoupled_weight_decay"])
                mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] = state["mu_product"] * state["mu_product"].dtype.type(mu)
                mu_product = float(state["mu_product"])
                m, v = _moments(state, p, g, b1, b2)
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
        _check(lr, betas, eps, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                state["step"] += 1
                t = state["step"]
                g = _decay(p, g, lr, wd, group["decoupled_weight_decay"])
                m, v = _moments(state, p, g, b1, b2)
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
