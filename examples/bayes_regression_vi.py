"""Variational inference for a Bayesian linear regression, then a Laplace approximation from
the exact Hessian, both checked against the closed-form posterior.

The model: y = X w + noise, noise ~ N(0, sigma^2), prior w ~ N(0, tau^2 I). Its posterior is
Gaussian with precision Lambda = X^T X / sigma^2 + I / tau^2 and mean Lambda^-1 X^T y / sigma^2.

1. Mean-field VI: q(w) = Normal(m, softplus(rho)). The ELBO is a Monte Carlo estimate of the
   expected log-likelihood through reparameterised draws (``rsample``) minus the analytic
   ``kl_divergence(q, prior)``; Adam maximises it. For this model the optimum's mean is the
   posterior mean and its variances are 1 / diag(Lambda).
2. Laplace: the negative log-posterior's exact Hessian (``func.hessian``, forward over reverse)
   at its minimum. The model is linear-Gaussian, so the Hessian is Lambda itself and one Newton
   step from the VI mean lands on the posterior mean: the Laplace approximation is exact here.

    python examples/bayes_regression_vi.py
"""

from __future__ import annotations

import numpy as np

import dualgrad as dg
import dualgrad.nn.functional as F
from dualgrad.distributions import Normal, kl_divergence

SIGMA = 0.5  # the noise's standard deviation (known)
TAU = 1.0  # the prior's standard deviation


def make_data(n=30, seed=0):
    """A design with an intercept column and two features, and targets from a drawn w."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    w_true = np.array([0.5, -1.0, 2.0])
    y = X @ w_true + SIGMA * rng.standard_normal(n)
    return X, y


def closed_form(X, y):
    """The exact posterior: its mean, covariance and precision."""
    precision = X.T @ X / SIGMA**2 + np.eye(X.shape[1]) / TAU**2
    cov = np.linalg.inv(precision)
    return cov @ X.T @ y / SIGMA**2, cov, precision


def neg_log_posterior(w, X, y):
    """-log p(y | w) - log p(w), up to a constant."""
    r = y - X @ w
    return 0.5 * (r * r).sum() / SIGMA**2 + 0.5 * (w * w).sum() / TAU**2


def fit_vi(X, y, steps=2000, samples=16, lr=0.05, seed=0):
    """Mean-field Gaussian VI by Adam on the reparameterised ELBO; the variational mean and
    standard deviation."""
    dg.manual_seed(seed)
    d = X.shape[1]
    m = dg.zeros(d, dtype=dg.float64, requires_grad=True)
    rho = dg.full((d,), -1.0, dtype=dg.float64, requires_grad=True)
    prior = Normal(dg.zeros(d, dtype=dg.float64), dg.full((d,), TAU, dtype=dg.float64))
    noise = Normal(dg.zeros((), dtype=dg.float64), dg.tensor(SIGMA, dtype=dg.float64))
    opt = dg.optim.Adam([m, rho], lr=lr)
    for step in range(steps):
        q = Normal(m, F.softplus(rho))
        w = q.rsample((samples,))  # (samples, d): gradients flow to m and rho
        log_lik = noise.log_prob(y - w @ X.T).sum(-1).mean()
        elbo = log_lik - kl_divergence(q, prior).sum()
        opt.zero_grad()
        (-elbo).backward()
        # a decaying step for the last half: Monte Carlo noise then averages out
        for group in opt.param_groups:
            group["lr"] = lr if step < steps // 2 else lr * (steps - step) / (steps - steps // 2)
        opt.step()
    return m.detach().numpy(), F.softplus(rho).detach().numpy()


def laplace(X, y, start):
    """The minimum of the negative log-posterior (Newton steps with its exact Hessian) and the
    Hessian there: the Laplace approximation's mean and precision."""
    Xt, yt = dg.tensor(X), dg.tensor(y)

    def f(w):
        return neg_log_posterior(w, Xt, yt)

    w = dg.tensor(start)
    for _ in range(2):  # one step is exact for a quadratic; the second checks it stays
        g = dg.func.grad(f)(w)
        H = dg.func.hessian(f)(w)
        w = w - dg.linalg.solve(H, g)
    return w.numpy(), dg.func.hessian(f)(w).numpy()


def main(steps=2000, samples=16, verbose=True):
    X, y = make_data()
    mean, cov, precision = closed_form(X, y)
    vi_mean, vi_std = fit_vi(dg.tensor(X), dg.tensor(y), steps=steps, samples=samples)
    lap_mean, lap_precision = laplace(X, y, vi_mean)
    lap_std = np.sqrt(np.diag(np.linalg.inv(lap_precision)))
    if verbose:
        print("posterior over w (intercept, w1, w2):")
        print(f"  closed form  mean {np.round(mean, 4)}  std {np.round(np.sqrt(np.diag(cov)), 4)}")
        print(f"  Laplace      mean {np.round(lap_mean, 4)}  std {np.round(lap_std, 4)}")
        print(f"  VI (q)       mean {np.round(vi_mean, 4)}  std {np.round(vi_std, 4)}")
        print(
            f"  mean-field optimum's std 1/sqrt(diag Lambda): {np.round(np.diag(precision) ** -0.5, 4)}"
        )
        print(f"  Hessian = posterior precision: {np.allclose(lap_precision, precision)}")
    return {
        "mean": mean,
        "cov": cov,
        "precision": precision,
        "vi_mean": vi_mean,
        "vi_std": vi_std,
        "laplace_mean": lap_mean,
        "laplace_precision": lap_precision,
    }


if __name__ == "__main__":
    main()
