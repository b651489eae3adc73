"""dualgrad.optim against torch.optim, step by step on the same problem (float64), and the
Hessian-free NewtonCG against Adam on an ill-conditioned problem."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad import optim

RNG = np.random.default_rng(3)
A = RNG.standard_normal((20, 6))
Y = RNG.standard_normal(20)
W0 = [RNG.standard_normal((6, 3)), RNG.standard_normal(3)]


def _loss(m, w, b):
    """A smooth non-quadratic loss of two parameters."""
    h = m.tanh(m.tensor(A) @ w + b)
    return ((h.sum(1) - m.tensor(Y)) ** 2).mean() + (w**4).sum() * 0.01


def _run(m, opt_name, kwargs, steps, sched=None, closure_based=False):
    lib_optim = m.optim
    params = [m.tensor(a.copy(), requires_grad=True) for a in W0]
    opt = getattr(lib_optim, opt_name)(params, **kwargs)
    scheduler = (
        None if sched is None else getattr(lib_optim.lr_scheduler, sched[0])(opt, **sched[1])
    )
    trace = []

    def closure():
        opt.zero_grad()
        loss = _loss(m, *params)
        loss.backward()
        return loss

    for _ in range(steps):
        if closure_based:
            opt.step(closure)
        else:
            closure()
            opt.step()
        if scheduler is not None:
            scheduler.step()
            trace.append(scheduler.get_last_lr()[0])
        trace.append([p.detach().numpy().copy() for p in params])
    return trace


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {}),  # (rho_t > 5 from step 6: both branches of its step)
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.02, "maximize": True}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_optimizer_matches_torch(name, kwargs):
    ours, theirs = _run(dg, name, kwargs, 25), _run(torch, name, kwargs, 25)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(
                pa, pb, rtol=1e-10, atol=1e-12, err_msg=f"{name} step {step}"
            )


@pytest.mark.parametrize(
    "name", ["Adadelta", "Adamax", "NAdam", "RAdam", "Adam", "AdamW", "ASGD", "Rprop"]
)
def test_optimizer_defaults_match_torch(name):
    ours = getattr(dg.optim, name)([dg.zeros(1, requires_grad=True)]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours == {k: theirs[k] for k in ours}
    assert {"lr", "maximize"} <= set(ours) and len(ours) >= 4


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"line_search_fn": "strong_wolfe"}, {"history_size": 3, "max_iter": 7}],
    ids=["plain", "strong_wolfe", "short_history"],
)
def test_lbfgs_matches_torch(kwargs):
    ours = _run(dg, "LBFGS", dict(lr=0.5, **kwargs), 4, closure_based=True)
    theirs = _run(torch, "LBFGS", dict(lr=0.5, **kwargs), 4, closure_based=True)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, rtol=1e-8, atol=1e-10, err_msg=f"LBFGS step {step}")


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.001}),
    ("LambdaLR", {"lr_lambda": lambda e: 1.0 / (1 + e)}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("MultiStepLR", {"milestones": [2, 5], "gamma": 0.3}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 if e % 2 else 0.95}),
    ("ConstantLR", {"factor": 0.3, "total_iters": 4}),
    ("LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 6}),
    ("PolynomialLR", {"total_iters": 8, "power": 2.0}),
]


@pytest.mark.parametrize("sched", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_lr_scheduler_matches_torch(sched):
    ours = _run(dg, "SGD", {"lr": 0.1, "momentum": 0.5}, 12, sched=sched)
    theirs = _run(torch, "SGD", {"lr": 0.1, "momentum": 0.5}, 12, sched=sched)
    for a, b in zip(ours, theirs):
        if isinstance(a, float):
            assert a == pytest.approx(b, rel=1e-12)
        else:
            for pa, pb in zip(a, b):
                np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12)


def _plateau_trace(m, kwargs, metrics):
    opt = m.optim.SGD(
        [{"params": [m.zeros(1, requires_grad=True)]}, {"params": [], "lr": 0.5}], lr=1.0
    )
    sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    trace = []
    for value in metrics:
        sched.step(m.tensor(value))
        trace.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter))
    return trace


PLATEAU_METRICS = [5.0, 4.0, 4.0, 3.9999, 4.1, 4.2, 3.0, 3.0, 3.0, 3.0, 2.0, 2.5, 2.5, 2.5, 2.5]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 1},
        {"patience": 2, "factor": 0.5, "cooldown": 2},
        {"patience": 0, "threshold": 0.1, "threshold_mode": "abs", "min_lr": [0.3, 0.2]},
        {"mode": "max", "patience": 1, "factor": 0.2, "min_lr": 0.05},
        {"mode": "max", "patience": 1, "threshold_mode": "abs", "eps": 0.5},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    assert _plateau_trace(dg, kwargs, PLATEAU_METRICS) == _plateau_trace(
        torch, kwargs, PLATEAU_METRICS
    )


@pytest.mark.parametrize(
    "make,error,phrase",
    [
        (
            lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
            ValueError,
            "Factor should be < 1.0.",
        ),
        (
            lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"),
            ValueError,
            "mode up is unknown!",
        ),
        (
            lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0, 0]),
            ValueError,
            "expected 1 min_lrs, got 2",
        ),
        (
            lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=2.0),
            ValueError,
            "Constant multiplicative factor",
        ),
        (
            lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0),
            ValueError,
            "Starting multiplicative factor",
        ),
        (
            lambda m, o: m.optim.Rprop(o.param_groups[0]["params"], etas=(1.2, 0.5)),
            ValueError,
            "Invalid eta values: 1.2, 0.5",
        ),
        (
            lambda m, o: m.optim.ASGD(o.param_groups[0]["params"], lr=-1.0),
            ValueError,
            "Invalid learning rate: -1.0",
        ),
        (
            lambda m, o: m.optim.Adam(o.param_groups[0]["params"], betas=(0.9, 1.0)),
            ValueError,
            "Invalid beta parameter at index 1: 1.0",
        ),
    ],
)
def test_scheduler_and_optimizer_errors_as_torch(make, error, phrase):
    for m in (torch, dg):
        opt = m.optim.SGD([m.zeros(1, requires_grad=True)], lr=0.1)
        with pytest.raises(error, match=re.escape(phrase)):
            make(m, opt)


def test_sparse_adam_is_refused_with_torch_s_phrase():
    w = torch.zeros(3, requires_grad=True)
    w.sum().backward()
    opt = torch.optim.SparseAdam([w])
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        opt.step()
    with pytest.raises(
        RuntimeError, match="SparseAdam does not support dense gradients.*no sparse"
    ):
        dg.optim.SparseAdam([dg.zeros(3, requires_grad=True)])


def test_optimizer_api():
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    b = dg.tensor([0.5], requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[0]["momentum"] == 0.9
    (w.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert set(sd["state"]) == {0, 1} and sd["param_groups"][1]["params"] == [1]
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.abs().sum().item() == 0
    opt.zero_grad()
    assert w.grad is None
    opt2 = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    assert np.allclose(opt2.state[w]["momentum_buffer"], opt.state[w]["momentum_buffer"])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    # closure support, and the step makes a saved value stale (version counter)
    y = w * w

    def closure():
        loss = (w * 3).sum()
        loss.backward()
        return loss

    assert isinstance(opt.step(closure), dg.Tensor)
    with pytest.raises(RuntimeError):
        y.sum().backward()
    assert "SGD (" in repr(opt)


# ------------------------------------------------------------------ second order
def _ill_conditioned_quadratic(n=30, cond=1e4, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = q @ np.diag(np.logspace(0, np.log10(cond), n)) @ q.T
    b = rng.standard_normal(n)
    x_star = np.linalg.solve(a, b)
    return a, b, x_star


def _iterations_to_converge(make_opt, closure_for, x0, x_star, max_iter, tol):
    x = dg.tensor(x0.copy(), requires_grad=True)
    opt = make_opt([x])
    closure = closure_for(x, opt)
    for it in range(1, max_iter + 1):
        opt.step(closure)
        if np.linalg.norm(x._data - x_star) <= tol * np.linalg.norm(x_star):
            return it
    return None


def test_newton_cg_beats_adam_on_an_ill_conditioned_quadratic():
    a, b, x_star = _ill_conditioned_quadratic()
    at, bt = dg.tensor(a), dg.tensor(b)

    def f(x):
        return 0.5 * (x @ (at @ x)) - bt @ x

    def plain(x, opt):
        return lambda: f(x)

    def with_backward(x, opt):
        def closure():
            opt.zero_grad()
            loss = f(x)
            loss.backward()
            return loss

        return closure

    x0 = np.zeros(30)
    newton = _iterations_to_converge(
        lambda p: optim.NewtonCG(p, cg_max_iter=100, cg_tol=1e-10), plain, x0, x_star, 20, 1e-6
    )
    adam = _iterations_to_converge(
        lambda p: optim.Adam(p, lr=0.05), with_backward, x0, x_star, 3000, 1e-6
    )
    assert newton is not None and newton <= 3
    assert adam is None or adam > 10 * newton


def test_newton_cg_logistic_regression_and_exact_hvp():
    rng = np.random.default_rng(0)
    n, d = 200, 10
    scales = np.logspace(0, 2, d)  # badly scaled features
    xs = rng.standard_normal((n, d)) * scales
    w_true = rng.standard_normal(d) / scales
    ys = (rng.random(n) < 1 / (1 + np.exp(-xs @ w_true))).astype(np.float64)
    X, Yt = dg.tensor(xs), dg.tensor(ys)

    def loss_of(w):
        return dg.nn.functional.binary_cross_entropy_with_logits(X @ w, Yt) + 1e-3 * (w * w).sum()

    w = dg.zeros(d, dtype=dg.float64, requires_grad=True)
    opt = optim.NewtonCG([w], cg_max_iter=50)
    # the optimizer's HVP equals the exact Hessian (computed by torch) times v
    v = rng.standard_normal(d)
    w._data[:] = rng.standard_normal(d) * 0.01
    hv = opt.hvp(lambda: loss_of(w), v)

    def tloss(wt):
        return (
            torch.nn.functional.binary_cross_entropy_with_logits(
                torch.tensor(xs) @ wt, torch.tensor(ys)
            )
            + 1e-3 * (wt * wt).sum()
        )

    h = torch.autograd.functional.hessian(tloss, torch.tensor(w._data.copy()))
    np.testing.assert_allclose(hv, h.numpy() @ v, rtol=1e-9, atol=1e-12)
    assert w._fw is None  # the tangent is gone after the HVP

    def run(make, closure_kind, steps):
        w = dg.zeros(d, dtype=dg.float64, requires_grad=True)
        o = make([w])

        def closure():
            o.zero_grad()
            loss = loss_of(w)
            if closure_kind == "backward":
                loss.backward()
            return loss

        losses = []
        for _ in range(steps):
            o.step(closure)
            losses.append(float(loss_of(w)))
        return losses

    newton = run(lambda p: optim.NewtonCG(p, cg_max_iter=50), "plain", 15)
    adam = run(lambda p: optim.Adam(p, lr=0.05), "backward", 300)
    best = min(newton + adam)
    newton_iters = next(i for i, v in enumerate(newton, 1) if v - best <= 1e-6)
    adam_iters = next((i for i, v in enumerate(adam, 1) if v - best <= 1e-6), None)
    assert newton_iters <= 15
    assert adam_iters is None or adam_iters > 5 * newton_iters


# ------------------------------------------------------------------ the SciPy bridge
def _rosen(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


@pytest.mark.parametrize(
    "method", ["trust-krylov", "Newton-CG", "trust-ncg", "trust-exact", "BFGS", "L-BFGS-B"]
)
def test_minimize_bridge(method):
    import scipy  # noqa: F401  (the test extra installs it)
    from dualgrad.optimize import minimize

    x0 = dg.tensor([1.3, 0.7, 0.8, 1.9, 1.2], dtype=dg.float64)  # scipy tutorial start
    res = minimize(_rosen, x0, method=method, tol=1e-10, options={"maxiter": 2000})
    assert res.success, res.message
    np.testing.assert_allclose(res.x.numpy(), np.ones(5), atol=1e-4)
    assert isinstance(res.x, dg.Tensor) and res.x.shape == (5,)
    if method in ("trust-krylov", "Newton-CG", "trust-ncg"):
        assert res.nhvp > 0


def test_minimize_hessp_is_exact():
    from scipy.optimize import rosen_hess_prod

    from dualgrad.optimize import _Objective

    obj = _Objective(_rosen, (5,), ())
    x, p = np.linspace(-1, 1, 5), np.arange(5.0)
    np.testing.assert_allclose(obj.hessp(x, p), rosen_hess_prod(x, p), rtol=1e-12)


def test_minimize_rejects_non_scalar():
    from dualgrad.optimize import minimize

    with pytest.raises(TypeError, match="scalar"):
        minimize(lambda x: x * 2, dg.zeros(3, dtype=dg.float64), method="BFGS")
