"""RMSprop (centred and with momentum) and Adagrad, as torch.optim."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, bump, grads_of, zeros_state


class RMSprop(Optimizer):
    """Divides the gradient by a running RMS: ``v = alpha v + (1 - alpha) g**2``,
    ``p -= lr g / (sqrt(v) + eps)``, with torch's ``centered``, ``momentum``, ``weight_decay`` and
    ``maximize`` (``foreach``, ``capturable`` and ``differentiable`` are accepted, no effect).
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps, wd, mom = (
                group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum")
            )
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = zeros_state(p)
                    if mom > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_state(p)
                state["step"] += 1
                if wd:
                    g = g + wd * p._data
                sq = state["square_avg"]
                sq *= alpha
                sq += (1 - alpha) * g * g
                if group["centered"]:
                    ga = state["grad_avg"]
                    ga += (g - ga) * (1 - alpha)
                    avg = np.sqrt(sq - ga * ga) + eps
                else:
                    avg = np.sqrt(sq) + eps
                if mom > 0:
                    buf = state["momentum_buffer"]
                    buf *= mom
                    buf += g / avg
                    p._data -= lr * buf
                else:
                    p._data -= lr * (g / avg)
                bump(p)
        return loss


class Adagrad(Optimizer):
    """Scales each step by the accumulated squared gradients: ``s += g**2``,
    ``p -= clr g / (sqrt(s) + eps)`` with ``clr = lr / (1 + (step - 1) lr_decay)``, as torch
    (``foreach``, ``differentiable`` and ``fused`` are accepted, no effect).
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["step"] = 0
                self.state[p]["sum"] = np.full_like(p._data, group["initial_accumulator_value"])

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p, g in grads_of(group, group["maximize"]):
                state = self.state[p]
                state["step"] += 1
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p._data
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"] += g * g
                p._data -= clr * (g / (np.sqrt(state["sum"]) + group["eps"]))
                bump(p)
        return loss
