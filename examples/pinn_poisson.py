"""A physics-informed network for the Poisson problem -Δu = f on [0, 1]^d, d = 5.

The exact solution is u*(x) = (1/d) sum_i sin(pi x_i), so f = (pi^2 / d) sum_i sin(pi x_i),
and u = u* on the boundary. An MLP u_theta is trained with Adam on

    mean over interior points of (-Δu_theta(x) - f(x))^2 + mean over boundary points of
    (u_theta(x) - u*(x))^2,

where the Laplacian of the network at every interior point is ``vmap(func.laplacian(u))``:
collapsed Taylor mode, one forward pass per batch carrying the first-order coefficients of the
d unit directions and their summed second-order coefficients, instead of a Hessian per point
(issue 18). The loss's gradient with respect to the weights flows back through the Taylor
coefficients on the ordinary tape. It prints the relative L2 error against u* on fresh points.

    python examples/pinn_poisson.py
"""

from __future__ import annotations

import math

import dualgrad as dg
import dualgrad.nn as nn
from dualgrad.func import laplacian, vmap

D = 5


def exact(x):
    return dg.sin(math.pi * x).sum(-1) / D


def source(x):
    return (math.pi**2 / D) * dg.sin(math.pi * x).sum(-1)


def boundary_points(n, generator):
    """Uniform points with one coordinate, chosen at random, set to 0 or 1."""
    x = dg.rand(n, D, generator=generator, dtype=dg.float64)
    face = dg.randint(0, D, (n,), generator=generator)
    side = dg.randint(0, 2, (n,), generator=generator).to(dg.float64)
    mask = dg.nn.functional.one_hot(face, D).to(dg.bool)
    return dg.where(mask, side[:, None], x)


def train(steps=800, width=32, n_interior=128, n_boundary=128, lr=1e-2, seed=0, verbose=True):
    """Train the network; returns it and its relative L2 error against u* on 1000 fresh points."""
    dg.manual_seed(seed)
    g = dg.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(D, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1)
    ).to(dg.float64)
    u = lambda x: model(x).sum()  # noqa: E731 - one point in, a scalar out
    lap = vmap(laplacian(u))
    opt = dg.optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        xi = dg.rand(n_interior, D, generator=g, dtype=dg.float64)
        xb = boundary_points(n_boundary, g)
        residual = -lap(xi) - source(xi)
        loss = (residual**2).mean() + ((model(xb).squeeze(-1) - exact(xb)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if verbose and (step % 100 == 0 or step == steps - 1):
            print(f"step {step:4d}  loss {loss.item():.3e}")
    xt = dg.rand(1000, D, generator=g, dtype=dg.float64)
    with dg.no_grad():
        err = (model(xt).squeeze(-1) - exact(xt)).norm() / exact(xt).norm()
    return model, err.item()


def main():
    _, err = train()
    print(f"relative L2 error against the exact solution: {err:.3e}")
    assert err < 0.05, err
    return err


if __name__ == "__main__":
    main()
