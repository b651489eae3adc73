"""Newton-CG (exact Hessian-vector products by forward-over-reverse) against Adam on an
ill-conditioned logistic regression, and the same problem through the SciPy bridge.

``dualgrad.optim.NewtonCG`` solves (H + lambda I) p = -g by conjugate gradients, every H v
being one backward pass inside a dual level (seed 003's reason for forward mode). The features
are scaled over two orders of magnitude, so the Hessian's condition number is about 1e4 and
first-order methods crawl.

    python examples/newton_cg_vs_adam.py
"""

from __future__ import annotations

import numpy as np

import dualgrad as dg
import dualgrad.nn.functional as F


def make_problem(n=500, d=20, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.logspace(0, 2, d)
    x = rng.standard_normal((n, d)) * scales
    w_true = rng.standard_normal(d) / scales
    y = (rng.random(n) < 1 / (1 + np.exp(-x @ w_true))).astype(np.float64)
    return dg.tensor(x), dg.tensor(y)


def main():
    X, Y = make_problem()

    def loss_of(w):
        return F.binary_cross_entropy_with_logits(X @ w, Y) + 1e-4 * (w * w).sum()

    def run(make_opt, steps, needs_backward):
        w = dg.zeros(X.shape[1], dtype=dg.float64, requires_grad=True)
        opt = make_opt([w])

        def closure():
            opt.zero_grad()
            loss = loss_of(w)
            if needs_backward:
                loss.backward()
            return loss

        history = []
        for _ in range(steps):
            opt.step(closure)
            history.append(float(loss_of(w)))
        return history, opt

    newton, nopt = run(lambda p: dg.optim.NewtonCG(p, cg_max_iter=50), 15, False)
    adam, _ = run(lambda p: dg.optim.Adam(p, lr=0.05), 2000, True)
    best = min(newton + adam)
    for name, h in (("Newton-CG", newton), ("Adam", adam)):
        hit = next((i for i, v in enumerate(h, 1) if v - best < 1e-6), None)
        print(
            f"{name:9s}: final loss {h[-1]:.8f}; within 1e-6 of the optimum after "
            f"{hit if hit else 'more than ' + str(len(h))} iterations"
        )
    print(f"Newton-CG used {nopt.n_hvp} exact Hessian-vector products in {len(newton)} iterations")
    try:
        from dualgrad.optimize import minimize
    except ImportError:  # pragma: no cover
        return
    res = minimize(loss_of, dg.zeros(X.shape[1], dtype=dg.float64), method="trust-krylov")
    print(
        f"scipy trust-krylov via dualgrad.optimize.minimize: loss {res.fun:.8f}, {res.nit} iterations, "
        f"{res.nhvp} HVPs"
    )


if __name__ == "__main__":
    main()
