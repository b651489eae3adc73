"""nn.utils.parametrize against torch: the layout (parametrizations.weight.original, the
Parametrized class, state_dict keys, repr), values and gradients through parametrizations,
right_inverse, caching, removal, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

LIBS = (dg, torch)
W = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
X = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)


def _classes(lib):
    nn = lib.nn

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class Skew(nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu(1)

    class Cayley(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("Id", lib.eye(n))

        def forward(self, X):
            return lib.linalg.solve(self.Id - X, self.Id + X)

        def right_inverse(self, A):
            return lib.linalg.solve(A + self.Id, self.Id - A)

    class Split(nn.Module):  # two originals: original0, original1
        def forward(self, a, b):
            return a + b

        def right_inverse(self, A):
            return (A * 0.25, A * 0.75)

    class Double(nn.Module):  # changes the dtype: refused unless unsafe
        def forward(self, X):
            return X.double()

    class Flat(nn.Module):  # changes the shape
        def forward(self, X):
            return X.reshape(-1)

    return dict(
        Symmetric=Symmetric, Skew=Skew, Cayley=Cayley, Split=Split, Double=Double, Flat=Flat
    )


def _linear(lib):
    layer = lib.nn.Linear(3, 3)
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(W))
        layer.bias.zero_()
    return layer


def _report(lib, layer):
    x = lib.tensor(X)
    layer.zero_grad()
    y = layer(x)
    y.sum().backward()
    params = {
        k: (tuple(v.shape), np.round(v.detach().numpy(), 4).tolist())
        for k, v in layer.named_parameters()
    }
    grads = {k: np.round(v.grad.numpy(), 4).tolist() for k, v in layer.named_parameters()}
    return (
        type(layer).__name__,
        repr(layer),
        params,
        grads,
        list(layer.state_dict()),
        np.round(layer.weight.detach().numpy(), 4).tolist(),
    )


SCENARIOS = {
    "symmetric": lambda lib, P, p: p.register_parametrization(
        _linear(lib), "weight", P["Symmetric"]()
    ),
    "two in a row": lambda lib, P, p: p.register_parametrization(
        p.register_parametrization(_linear(lib), "weight", P["Skew"]()), "weight", P["Cayley"](3)
    ),
    "right_inverse on assignment": lambda lib, P, p: _assign(
        p.register_parametrization(_linear(lib), "weight", P["Skew"]()), lib.tensor(W - W.T)
    ),
    "sequence of originals": lambda lib, P, p: p.register_parametrization(
        _linear(lib), "weight", P["Split"]()
    ),
    "bias too": lambda lib, P, p: p.register_parametrization(
        p.register_parametrization(_linear(lib), "weight", P["Symmetric"]()),
        "bias",
        lib.nn.Identity(),
    ),
    "unsafe dtype": lambda lib, P, p: p.register_parametrization(
        _linear(lib), "bias", P["Double"](), unsafe=True
    ),
    "removed, left parametrized": lambda lib, P, p: p.remove_parametrizations(
        p.register_parametrization(_linear(lib), "weight", P["Skew"]()), "weight"
    ),
    "removed, original back": lambda lib, P, p: p.remove_parametrizations(
        p.register_parametrization(_linear(lib), "weight", P["Skew"]()),
        "weight",
        leave_parametrized=False,
    ),
    "sequence removed": lambda lib, P, p: p.remove_parametrizations(
        p.register_parametrization(_linear(lib), "weight", P["Split"]()), "weight"
    ),
}


def _assign(layer, value):
    layer.weight = value
    return layer


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_parametrize_as_torch(name):
    seen = []
    for lib in LIBS:
        P = _classes(lib)
        p = lib.nn.utils.parametrize
        layer = SCENARIOS[name](lib, P, p)
        if name == "unsafe dtype":
            seen.append(
                (
                    type(layer).__name__,
                    str(layer.bias.dtype).split(".")[-1],
                    list(layer.state_dict()),
                )
            )
            continue
        r = _report(lib, layer)
        seen.append(
            (
                r[0],
                r[1].replace("dualgrad", "torch"),
                *r[2:],
                p.is_parametrized(layer),
                p.is_parametrized(layer, "weight"),
            )
        )
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    "call, error, phrase",
    [
        (lambda lib, P, p: p.register_parametrization(_linear(lib), "nothing", P["Skew"]()), ValueError, "does not have a parameter, a buffer, or a parametrized element with name 'nothing'"),
        (lambda lib, P, p: p.register_parametrization(_linear(lib), "weight", P["Double"]()), ValueError, "may not change the dtype of the tensor, unless `unsafe` flag is enabled"),
        (lambda lib, P, p: p.register_parametrization(_linear(lib), "weight", P["Flat"]()), ValueError, "may not change the shape of the tensor, unless `unsafe` flag is enabled"),
        (lambda lib, P, p: p.register_parametrization(p.register_parametrization(_linear(lib), "weight", P["Skew"]()), "weight", P["Flat"]()), ValueError, "may not change the shape of the tensor, unless the `unsafe` flag is enabled"),
        (lambda lib, P, p: p.remove_parametrizations(_linear(lib), "weight"), ValueError, "does not have a parametrization on weight"),
        (lambda lib, P, p: _assign(p.register_parametrization(_linear(lib), "weight", P["Symmetric"]()), lib.zeros(3, 3)), RuntimeError, "parametrization Symmetric does not implement right_inverse."),
        (lambda lib, P, p: p.remove_parametrizations(p.register_parametrization(_linear(lib), "weight", P["Split"]()), "weight", leave_parametrized=False), ValueError, "Cannot leave unparametrized (`leave_parametrized=False`) a tensor"),
        (lambda lib, P, p: p.ParametrizationList([], lib.zeros(2)), ValueError, "ParametrizationList requires one or more modules."),
    ],
)  # fmt: skip
def test_parametrize_errors_as_torch(call, error, phrase):
    for lib in LIBS:
        with pytest.raises(error) as info:
            call(lib, _classes(lib), lib.nn.utils.parametrize)
        assert phrase in str(info.value)


def test_cached_and_original_identity():
    for lib in LIBS:
        p = lib.nn.utils.parametrize
        layer = _linear(lib)
        weight = layer.weight
        p.register_parametrization(layer, "weight", _classes(lib)["Skew"]())
        assert layer.parametrizations.weight.original is weight  # the same Parameter object
        assert layer.weight is not layer.weight
        with p.cached():
            assert layer.weight is layer.weight
            with p.cached():
                assert layer.weight is layer.weight
        assert layer.weight is not layer.weight
        assert p.type_before_parametrizations(layer) is lib.nn.Linear
        p.remove_parametrizations(layer, "weight")
        assert type(layer) is lib.nn.Linear and not hasattr(layer, "parametrizations")
        assert layer.weight is weight
