"""nn.utils.weight_norm / spectral_norm (the hook API) and nn.utils.parametrizations.weight_norm
/ spectral_norm / orthogonal against torch (float64): the weights, parameter and buffer names,
outputs and gradients over a few training steps, removal, and torch's errors. Spectral norm's
u/v start as ``normal_`` draws: torch's draws are replayed into dualgrad's, so the numbers are
torch's."""

from __future__ import annotations


import numpy as np
import pytest
import torch

import dualgrad as dg


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _close(a, b, what, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, err_msg=what)


@pytest.fixture
def torch_draws(monkeypatch):
    """dualgrad's normal_ takes its values from a torch generator; calling the fixture seeds it
    and torch's global one alike, so both sides then draw the same u and v."""
    gen = torch.Generator()

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        draws = torch.empty(tuple(self.shape), dtype=torch.float64).normal_(
            mean, std, generator=gen
        )
        return self.copy_(dg.tensor(draws.numpy()))

    monkeypatch.setattr(dg.Tensor, "normal_", normal_)

    def reseed():
        gen.manual_seed(7)
        torch.manual_seed(7)

    return reseed


def _layers(kind):
    """A torch layer and a dualgrad one with the same float64 weights."""
    make = {
        "linear": lambda m: m.nn.Linear(4, 3),
        "conv": lambda m: m.nn.Conv2d(2, 3, 2),
        "convT": lambda m: m.nn.ConvTranspose2d(3, 2, 2),
    }[kind]
    t, d = make(torch).double(), make(dg).double()
    with torch.no_grad(), dg.no_grad():
        for (_, a), (_, b) in zip(d.named_parameters(), t.named_parameters()):
            a.copy_(dg.tensor(_np(b)))
    x = np.random.default_rng(0).standard_normal(
        (2, 4) if kind == "linear" else (1, 2 if kind == "conv" else 3, 4, 4)
    )
    return t, d, x


def _train_same(t, d, x, steps=3):
    """SGD steps on sum(out**2) for both; the outputs and every gradient agree."""
    t_opt, d_opt = torch.optim.SGD(t.parameters(), lr=0.05), dg.optim.SGD(d.parameters(), lr=0.05)
    for step in range(steps):
        t_out, d_out = t(torch.tensor(x)), d(dg.tensor(x))
        _close(d_out, t_out, f"output at step {step}")
        t_opt.zero_grad(), d_opt.zero_grad()
        (t_out**2).sum().backward()
        (d_out**2).sum().backward()
        for (name, a), (_, b) in zip(d.named_parameters(), t.named_parameters()):
            _close(a.grad, b.grad, f"grad of {name} at step {step}")
        t_opt.step(), d_opt.step()


def _same_state(d, t):
    ds, ts = d.state_dict(), t.state_dict()
    assert list(ds) == list(ts)
    for k in ts:
        _close(ds[k], ts[k], k)


@pytest.mark.parametrize("dim", [0, 1, None, -1])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_weight_norm_hook_api(kind, dim):
    t, d, x = _layers(kind)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        torch.nn.utils.weight_norm(t, dim=dim)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        dg.nn.utils.weight_norm(d, dim=dim)
    _same_state(d, t)
    _train_same(t, d, x)
    _same_state(d, t)
    torch.nn.utils.remove_weight_norm(t)
    dg.nn.utils.remove_weight_norm(d)
    _same_state(d, t)
    for m, mod in ((torch, t), (dg, d)):
        with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
            m.nn.utils.remove_weight_norm(mod)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_hook_api(kind, torch_draws):
    t, d, x = _layers(kind)
    torch_draws()
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    dg.nn.utils.spectral_norm(d, n_power_iterations=2)
    _same_state(d, t)
    _train_same(t, d, x)
    t.eval(), d.eval()
    _close(d(dg.tensor(x)), t(torch.tensor(x)), "eval output")
    _same_state(d, t)
    torch.nn.utils.remove_spectral_norm(t)
    dg.nn.utils.remove_spectral_norm(d)
    _same_state(d, t)
    for m, mod in ((torch, t), (dg, d)):
        with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
            m.nn.utils.remove_spectral_norm(mod)
        with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
            m.nn.utils.spectral_norm(m.nn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm(dim):
    t, d, x = _layers("conv")
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    dg.nn.utils.parametrizations.weight_norm(d, dim=dim)
    _same_state(d, t)
    assert repr(d) == repr(t).replace("torch.nn.utils.parametrizations.", "")
    _train_same(t, d, x)
    _same_state(d, t)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_parametrized_spectral_norm(kind, torch_draws):
    t, d, x = _layers(kind)
    torch_draws()
    torch.nn.utils.parametrizations.spectral_norm(t)
    dg.nn.utils.parametrizations.spectral_norm(d)
    _same_state(d, t)
    _train_same(t, d, x)
    t.eval(), d.eval()
    _close(d(dg.tensor(x)), t(torch.tensor(x)), "eval output")
    _same_state(d, t)


@pytest.mark.parametrize(
    "shape,omap,trivial",
    [
        ((4, 4), None, True),
        ((4, 4), "cayley", True),
        ((4, 4), "householder", True),
        ((5, 3), "householder", False),
        ((3, 5), "householder", False),
        ((2, 4, 4), "matrix_exp", True),
    ],
)
def test_orthogonal(shape, omap, trivial):
    rng = np.random.default_rng(3)
    w = rng.standard_normal(shape)

    def layer(m):
        mod = m.nn.Module()
        mod.weight = m.nn.Parameter(m.tensor(w))
        return m.nn.utils.parametrizations.orthogonal(
            mod, "weight", omap, use_trivialization=trivial
        )

    t, d = layer(torch), layer(dg)
    _same_state(d, t)
    _close(d.weight, t.weight, "weight", rtol=1e-9, atol=1e-10)
    q = _np(d.weight)
    qq = q @ np.swapaxes(q, -1, -2) if shape[-2] <= shape[-1] else np.swapaxes(q, -1, -2) @ q
    np.testing.assert_allclose(qq, np.broadcast_to(np.eye(min(shape[-2:])), qq.shape), atol=1e-10)
    # a step on an objective moves the original along the same gradient
    c = rng.standard_normal(shape)
    (t.weight * torch.tensor(c)).sum().backward()
    (d.weight * dg.tensor(c)).sum().backward()
    for (name, a), (_, b) in zip(d.named_parameters(), t.named_parameters()):
        _close(a.grad, b.grad, f"grad of {name}", rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "call,exc,phrase",
    [
        (
            lambda m: m.nn.utils.parametrizations.orthogonal(m.nn.Linear(3, 3), "bias"),
            ValueError,
            "Expected a matrix",
        ),
        (
            lambda m: m.nn.utils.parametrizations.orthogonal(m.nn.Linear(3, 3), "w"),
            ValueError,
            "has no parameter or buffer",
        ),
        (
            lambda m: m.nn.utils.parametrizations.orthogonal(
                m.nn.Linear(3, 3), orthogonal_map="qr"
            ),
            ValueError,
            "orthogonal_map has to be one of",
        ),
        (
            lambda m: m.nn.utils.parametrizations.spectral_norm(m.nn.Linear(3, 3), dim=2),
            IndexError,
            "Dimension out of range",
        ),
        (
            lambda m: setattr(  # registering works (the original is kept); assigning cannot
                m.nn.utils.parametrizations.orthogonal(m.nn.Linear(3, 3), use_trivialization=False),
                "weight",
                m.eye(3),
            ),
            NotImplementedError,
            "use_trivialization=False",
        ),
    ],
)
def test_parametrization_errors_as_torch(call, exc, phrase):
    for m in (torch, dg):
        with pytest.raises(exc) as err:
            call(m)
        assert phrase in str(err.value), (m.__name__, str(err.value))
