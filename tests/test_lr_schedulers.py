"""CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts, SequentialLR and ChainedScheduler against
torch: 50 steps of the rates (and the cycled momentum or beta1), a state_dict taken midway and
loaded into a fresh scheduler continuing as torch's, and the closed forms of ``step(epoch)``."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch

import dualgrad as dg


def _opt(m, kind, groups=2):
    params = [m.zeros(2, requires_grad=True) for _ in range(groups)]
    if kind == "adam":
        return m.optim.Adam([{"params": [p]} for p in params], lr=0.1)
    return m.optim.SGD(
        [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], lr=0.1, momentum=0.9
    )


# name -> (optimizer kind, make(S, opt))
SCHEDULERS = {
    "cyclic_triangular": ("sgd", lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4)),
    "cyclic_triangular2": (
        "sgd",
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
    ),
    "cyclic_exp_range_adam": (
        "adam",
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.97),
    ),
    "cyclic_scale_fn": (
        "sgd",
        lambda S, o: S.CyclicLR(
            o,
            0.01,
            0.1,
            5,
            scale_fn=lambda x: 0.9**x,
            scale_mode="iterations",
            cycle_momentum=False,
        ),
    ),
    "onecycle_cos": ("sgd", lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=60)),
    "onecycle_linear_three_phase_adam": (
        "adam",
        lambda S, o: S.OneCycleLR(
            o, 0.3, epochs=6, steps_per_epoch=10, anneal_strategy="linear", three_phase=True
        ),
    ),
    "warm_restarts": ("sgd", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=0.001)),
    "warm_restarts_mult": ("sgd", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
    "sequential": (
        "sgd",
        lambda S, o: S.SequentialLR(
            o,
            [S.LinearLR(o, 0.1, total_iters=5), S.ExponentialLR(o, 0.9), S.CosineAnnealingLR(o, 8)],
            milestones=[5, 20],
        ),
    ),
    "sequential_step_multiplicative": (
        "sgd",
        lambda S, o: S.SequentialLR(
            o,
            [S.ConstantLR(o, 0.5, 3), S.StepLR(o, 4, 0.5), S.MultiplicativeLR(o, lambda e: 0.95)],
            milestones=[6, 30],
        ),
    ),
    "chained": (
        "sgd",
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.2, 10), S.ExponentialLR(o, 0.95)]),
    ),
    "chained_poly_multistep": (
        "sgd",
        lambda S, o: S.ChainedScheduler(
            [S.PolynomialLR(o, 40, 2.0), S.MultiStepLR(o, [10, 25], 0.5)], optimizer=o
        ),
    ),
}


def _trace(m, kind, make, steps=50, split=None):
    """The rates, momenta (or beta1) and get_last_lr over ``steps``; with ``split``, the
    scheduler's state_dict at that step is loaded into a freshly made one that continues."""
    opt = _opt(m, kind)
    sched = make(m.optim.lr_scheduler, opt)
    out = []
    for i in range(steps):
        opt.step()
        sched.step()
        key = "betas" if kind == "adam" else "momentum"
        out.append(
            (
                [g["lr"] for g in opt.param_groups],
                [g[key][0] if kind == "adam" else g[key] for g in opt.param_groups],
                list(sched.get_last_lr()),
            )
        )
        if split == i:
            state = copy.deepcopy(sched.state_dict())
            opt_state = copy.deepcopy(opt.state_dict())
            opt = _opt(m, kind)
            sched = make(m.optim.lr_scheduler, opt)
            opt.load_state_dict(opt_state)
            sched.load_state_dict(state)
    return out


@pytest.mark.parametrize("split", [None, 17])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_sequence_matches_torch(name, split):
    kind, make = SCHEDULERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "step before optimizer.step" noise
        theirs = _trace(torch, kind, make, split=split)
    ours = _trace(dg, kind, make, split=split)
    assert len(ours) == len(theirs) == 50
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            assert x == pytest.approx(y, rel=1e-12, abs=1e-15), (name, step)


@pytest.mark.parametrize(
    "make",
    [
        lambda S, o: S.StepLR(o, 3, 0.5),
        lambda S, o: S.MultiStepLR(o, [2, 5], 0.3),
        lambda S, o: S.ConstantLR(o, 0.3, 4),
        lambda S, o: S.LinearLR(o, 0.2, 0.9, 6),
        lambda S, o: S.ExponentialLR(o, 0.9),
        lambda S, o: S.PolynomialLR(o, 8, 2.0),
        lambda S, o: S.CosineAnnealingLR(o, 5, 0.001),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, 3, 2),
    ],
)
def test_step_to_an_epoch_uses_torch_s_closed_form(make):
    def run(m):
        opt = _opt(m, "sgd")
        sched = make(m.optim.lr_scheduler, opt)
        out = []
        for e in [3, 7, 1, 12, 0, 5]:
            sched.step(e)
            out.append([g["lr"] for g in opt.param_groups])
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = run(torch)
        ours = run(dg)
    assert sum(ours, []) == pytest.approx(sum(theirs, []), rel=1e-12)


@pytest.mark.parametrize(
    "make,exc,phrase",
    [
        (lambda S, o: S.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps"),
        (lambda S, o: S.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError, "pct_start"),
        (lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="up"), ValueError, "mode is invalid"),
        (
            lambda S, o: S.CosineAnnealingWarmRestarts(o, 0),
            ValueError,
            "Expected positive integer T_0",
        ),
        (lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], [3]), ValueError, "number of milestones"),
        (lambda S, o: S.ChainedScheduler([]), ValueError, "at least one scheduler"),
        (
            lambda S, o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], []),
            ValueError,
            "does not support `ReduceLROnPlateau`",
        ),
    ],
)
def test_scheduler_errors_as_torch(make, exc, phrase):
    for m in (torch, dg):
        with pytest.raises(exc) as err:
            make(m.optim.lr_scheduler, _opt(m, "sgd"))
        assert phrase in str(err.value), (m.__name__, str(err.value))


def test_one_cycle_refuses_a_step_past_the_end():
    for m in (torch, dg):
        opt = _opt(m, "sgd")
        sched = m.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                sched.step()
            with pytest.raises(ValueError, match="Tried to step 4 times"):
                sched.step()
