"""examples/pinn_poisson.py, short: a PINN trained with func.laplacian in its loss solves the
5-d Poisson problem (relative L2 error against the exact solution), and the Laplacian it trains
with is the trace of the network's Hessian."""

from __future__ import annotations

import importlib.util
import pathlib

import dualgrad as dg
from dualgrad.func import hessian, laplacian, vmap

PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "pinn_poisson.py"


def _example():
    spec = importlib.util.spec_from_file_location("pinn_poisson", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pinn_poisson_short_run_reaches_the_exact_solution():
    pinn = _example()
    _, untrained = pinn.train(steps=0, verbose=False)
    model, err = pinn.train(steps=300, lr=2e-2, verbose=False)
    assert err < 0.1 < untrained, (err, untrained)
    u = lambda x: model(x).sum()  # noqa: E731
    xs = dg.rand(3, pinn.D, dtype=dg.float64)
    with dg.no_grad():
        got = vmap(laplacian(u))(xs)
        ref = dg.stack([hessian(u)(x).trace() for x in xs])
    assert dg.allclose(got, ref, rtol=1e-10, atol=1e-12)
