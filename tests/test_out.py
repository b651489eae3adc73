"""``out=`` on the public functions torch gives one (NOTE: [out= by table] in
dualgrad/_compat/out.py), each against torch: the value written into out, the same object
returned, resizing with torch's warning, dtype checks with torch's messages, tuple outs, and the
error when autograd would record."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg

LIBS = (dg, torch)
FLOATS = ("float32", "float64")
ALL = ("float32", "float64", "int64", "bool")


def _cases(lib):
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    y = lib.tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.5]])
    v = lib.tensor([1.0, 2.0, 3.0])
    sq = lib.tensor([[2.0, 1.0], [0.5, 3.0]])
    F = lib.nn.functional
    # name: (call with out, the out dtypes to try); random draws are compared by shape
    return {
        "zeros": (lambda o: lib.zeros(2, 3, out=o), ALL),
        "ones": (lambda o: lib.ones(2, 3, out=o), ALL),
        "empty": (lambda o: lib.empty(2, 3, out=o).zero_(), ALL),
        "full": (lambda o: lib.full((2, 3), 1.5, out=o), ALL),
        "eye": (lambda o: lib.eye(3, out=o), ALL),
        "arange": (lambda o: lib.arange(0, 6, out=o), ("float32", "int64")),
        "linspace": (lambda o: lib.linspace(0, 1, 5, out=o), ("float64", "int64")),
        "randn": (lambda o: lib.randn(2, 3, out=o).shape, FLOATS),
        "rand": (lambda o: lib.rand(2, 3, out=o).shape, FLOATS),
        "randint": (lambda o: lib.randint(0, 5, (2, 3), out=o).shape, ("float32", "int64")),
        "randperm": (lambda o: lib.randperm(5, out=o).sort().values, ("float32", "int64")),
        "normal": (lambda o: lib.normal(lib.zeros(3), lib.ones(3), out=o).shape, FLOATS),
        "multinomial": (
            lambda o: lib.multinomial(lib.tensor([0.0, 1.0]), 2, replacement=True, out=o),
            ALL,
        ),
        "cat": (lambda o: lib.cat([x, x], out=o), ALL),
        "stack": (lambda o: lib.stack([v, v], out=o), ALL),
        "exp": (lambda o: lib.exp(x, out=o), ALL),
        "log": (lambda o: lib.log(x.abs(), out=o), ALL),
        "sqrt": (lambda o: lib.sqrt(x.abs(), out=o), ALL),
        "sin": (lambda o: lib.sin(x, out=o), ALL),
        "cos": (lambda o: lib.cos(x, out=o), ALL),
        "tanh": (lambda o: lib.tanh(x, out=o), ALL),
        "sigmoid": (lambda o: lib.sigmoid(x, out=o), ALL),
        "abs": (lambda o: lib.abs(x, out=o), ALL),
        "square": (lambda o: lib.square(x, out=o), ALL),
        "pow": (lambda o: lib.pow(x, 2, out=o), ALL),
        "mul": (lambda o: lib.mul(x, 2, out=o), ALL),
        "add": (lambda o: lib.add(x, x, alpha=2, out=o), ALL),
        "sub": (lambda o: lib.sub(x, 1, out=o), ALL),
        "div": (lambda o: lib.div(x, 2, out=o), ALL),
        "clamp": (lambda o: lib.clamp(x, -0.5, 0.5, out=o), ALL),
        "where": (lambda o: lib.where(x > 0, x, -x, out=o), ALL),
        "eq": (lambda o: lib.eq(x, 0.5, out=o), ALL),
        "mean": (lambda o: lib.mean(x, 0, out=o), ALL),
        "sum": (lambda o: lib.sum(x, 1, out=o), ("float32", "float64", "bool")),
        "prod": (lambda o: lib.prod(x, 1, out=o), ALL),
        "norm": (lambda o: lib.norm(x, dim=1, out=o), ALL),
        "all": (lambda o: lib.all(x > 0, 1, out=o), ALL),
        "max": (lambda o: lib.max(x, x * 2, out=o), ALL),
        "min": (lambda o: lib.min(x, x * 2, out=o), ALL),
        "matmul": (lambda o: lib.matmul(x, y, out=o), ALL),
        "mm": (lambda o: lib.mm(x, y, out=o), ALL),
        "bmm": (lambda o: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 3, 2), out=o), ALL),
        "dot": (lambda o: lib.dot(v, v, out=o), ALL),
        "gather": (lambda o: lib.gather(x, 1, lib.tensor([[0], [2]]), out=o), ALL),
        "tril": (lambda o: lib.tril(sq, out=o), ALL),
        "triu": (lambda o: lib.triu(sq, out=o), ALL),
        "diag": (lambda o: lib.diag(v, out=o), ("float32", "int64", "bool")),
        "normalize": (lambda o: F.normalize(x, out=o), ALL),
        "argmax": (lambda o: lib.argmax(x, 1, out=o), ALL),
        "cumsum": (lambda o: lib.cumsum(x, 1, out=o), ("float32", "float64", "int64")),
        "logsumexp": (lambda o: lib.logsumexp(x, 1, out=o), ALL),
    }


def _outcome(lib, call, dtype, shape):
    out = lib.empty(shape, dtype=getattr(lib, dtype))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = call(out)
        except Exception as e:
            message = str(e).split(" (Triggered")[0]
            return ("raise", type(e).__name__, message.replace("dualgrad", "torch"))
    # torch may warn twice for one resize; the text is what counts
    said = sorted({str(w.message).split(" (Triggered")[0] for w in caught})
    if isinstance(r, lib.Tensor):
        values = np.round(np.asarray(r).astype(float), 5).tolist()
        return ("ok", r is out, str(r.dtype).split(".")[-1], tuple(r.shape), values, said)
    return ("ok", tuple(r), said)


_NAMES = list(_cases(dg))


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("shape", [(0,), (7,), "right"])
def test_out_matches_torch(name, shape):
    mine, theirs = _cases(dg)[name], _cases(torch)[name]
    for dtype in mine[1]:
        size = shape
        if shape == "right":  # out already of the result's shape: written in place, no warning
            try:
                r = theirs[0](torch.empty(0, dtype=getattr(torch, dtype)))
                size = tuple(r.shape if isinstance(r, torch.Tensor) else r)
            except (RuntimeError, TypeError):
                size = (0,)
        assert _outcome(dg, mine[0], dtype, size) == _outcome(torch, theirs[0], dtype, size), dtype


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, o: lib.max(lib.tensor([[0.5, -1.0], [2.0, 1.5]]), 1, out=o),
        lambda lib, o: lib.min(lib.tensor([[0.5, -1.0], [2.0, 1.5]]), 0, keepdim=True, out=o),
        lambda lib, o: lib.sort(lib.tensor([[0.5, -1.0], [2.0, 1.5]]), 1, out=o),
        lambda lib, o: lib.topk(lib.tensor([0.5, -1.0, 2.0]), 2, out=o),
    ],
)
def test_tuple_outs(call):
    seen = []
    for lib in LIBS:
        values, indices = lib.empty(0), lib.empty(0, dtype=lib.long)
        r = call(lib, (values, indices))
        assert r.values is values and r.indices is indices and r[0] is values
        seen.append((values.tolist(), indices.tolist()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: lib.matmul(x, x.T, out=lib.empty(2, 2)),
        lambda lib, x: lib.cat([x, x], out=lib.empty(0)),
        lambda lib, x: lib.exp(x, out=lib.empty(2, 3)),
        lambda lib, x: lib.add(x.detach(), 1, out=lib.zeros(2, 3, requires_grad=True)),
        lambda lib, x: lib.max(x, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.long))),
    ],
)
def test_out_refuses_autograd_as_torch(call):
    messages = []
    for lib in LIBS:
        x = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            call(lib, x)
        messages.append(str(info.value))
        with lib.no_grad():  # nothing records: allowed
            r = call(lib, x.detach())
        r = r[0] if isinstance(r, tuple) else r
        messages.append((r.requires_grad, r.grad_fn is None, round(r.sum().item(), 4)))
    assert "functions with out=... arguments don't support automatic differentiation" in messages[2]
    assert messages[:2] == messages[2:]


def test_out_writes_through_a_view_and_keeps_factory_requires_grad():
    seen = []
    for lib in LIBS:
        base = lib.zeros(4, 3)
        r = lib.add(lib.ones(2, 3), 1, out=base[:2])
        z = lib.zeros(2, out=lib.empty(0), requires_grad=True)
        seen.append((base.tolist(), r.shape == (2, 3), z.requires_grad, z.is_leaf, r._version))
    assert seen[0] == seen[1]


def test_matmul_out_as_the_tutorial():
    # tensorqs_tutorial: torch.matmul(tensor, tensor.T, out=y3)
    for lib in LIBS:
        t = lib.ones(4, 4)
        y3 = lib.rand_like(t)
        assert lib.matmul(t, t.T, out=y3) is y3
        assert y3.tolist() == [[4.0] * 4] * 4
