"""What the Adam family (Adam, AdamW, Adamax, NAdam, RAdam) shares: torch's argument checks,
the defaults every member stores, the state set-up, and the moment and weight-decay updates."""

from __future__ import annotations

from .optimizer import zeros_state


def check(lr, betas, eps, weight_decay):
    """torch's constructor checks, in torch's order and words."""
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


def defaults(lr, betas, eps, weight_decay, maximize, **extra):
    """The checked group defaults: the four every member has, its own extras, and maximize."""
    check(lr, betas, eps, weight_decay)
    return dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **extra, maximize=maximize)


def init_state(state, p, *buffers, **scalars):
    """A parameter's first-step state, once: ``step`` 0, the given scalars, and a zero buffer
    per name (torch's key order)."""
    if not state:
        state["step"] = 0
        state.update(scalars)
        for name in buffers:
            state[name] = zeros_state(p)
    return state


def moments(state, g, b1, b2):
    """Adam's running moments, updated in place: ``m`` lerps to g, ``v`` averages g*g."""
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (g - m) * (1 - b1)
    v *= b2
    v += (1 - b2) * g * g
    return m, v


def decay(p, g, lr, wd, decoupled):
    """L2 weight decay added to the gradient, or decoupled (AdamW's) applied to ``p``."""
    if not wd:
        return g
    if decoupled:
        p._data *= 1 - lr * wd
        return g
    return g + wd * p._data
