"""The meta device as torch has it (NOTE: [meta tensors] in dualgrad/_compat/meta.py): shapes and
dtypes without data, each case run in both libraries; and torch.func's model-ensembling recipe,
which moves a copy of a model to meta, run unchanged against torch's numbers."""

from __future__ import annotations

import copy
import importlib

import numpy as np
import pytest
import torch

import dualgrad as dg


def _M(m, *size, **kw):
    return m.ones(*size, device="meta", **kw)


def _plain(v):
    if isinstance(v, (dg.Tensor, torch.Tensor)):
        return (
            "tensor",
            str(v.device),
            tuple(v.shape),
            str(v.dtype).split(".")[-1],
            repr(v).replace("dualgrad.", "torch."),
        )
    if isinstance(v, (tuple, list)):
        return type(v)(_plain(x) for x in v)
    if isinstance(v, (dg.device, torch.device)):
        return ("device", str(v))
    if isinstance(v, str):
        return v.replace("dualgrad.", "torch.")
    return v


def _grad_of(m):
    x = _M(m, 3, requires_grad=True)
    (x * 2).sum().backward()
    return x.grad


def _with_default_meta(m, fn):
    m.set_default_device("meta")
    try:
        return fn()
    finally:
        m.set_default_device(None)


CASES = [
    # factories
    ("empty", lambda m: m.empty(3, device="meta")),
    ("zeros int64", lambda m: m.zeros(2, 3, dtype=m.int64, device="meta")),
    ("ones requires_grad", lambda m: _M(m, 2, 3, requires_grad=True)),
    ("0-d float64", lambda m: m.zeros((), dtype=m.float64, device="meta")),
    ("size 0", lambda m: m.zeros(0, device="meta")),
    ("full", lambda m: m.full((2,), 3.0, device="meta")),
    ("randn", lambda m: m.randn(2, device="meta")),
    ("rand", lambda m: m.rand(2, 2, device=m.device("meta"))),
    ("arange", lambda m: m.arange(5, device="meta")),
    ("eye", lambda m: m.eye(3, device="meta")),
    ("tensor(data)", lambda m: m.tensor([1.0, 2.0], device="meta")),
    ("zeros_like of meta", lambda m: m.zeros_like(_M(m, 3))),
    ("zeros_like to cpu", lambda m: m.zeros_like(_M(m, 3), device="cpu")),
    ("empty_like meta", lambda m: m.empty_like(m.ones(2), device="meta")),
    ("new_zeros", lambda m: _M(m, 3).new_zeros(2)),
    ("new_full", lambda m: _M(m, 3).new_full((2,), 1.0)),
    (
        "default device meta",
        lambda m: _with_default_meta(m, lambda: (m.ones(2), m.get_default_device())),
    ),
    ("with device meta", lambda m: _with_default_meta(m, lambda: m.nn.Linear(2, 3).weight)),
    # properties
    (
        "device",
        lambda m: (
            _M(m, 3).device,
            _M(m, 3).is_meta,
            _M(m, 3).is_cpu,
            m.ones(1).is_meta,
            m.ones(1).is_cpu,
        ),
    ),
    ("data_ptr", lambda m: _M(m, 3).data_ptr()),
    # ops give meta tensors of the right shape and dtype
    ("add scalar", lambda m: _M(m, 3) + 1),
    ("add 0-d cpu", lambda m: _M(m, 3) + m.tensor(1.0)),
    ("int + float", lambda m: _M(m, 3, dtype=m.int64) + 1.5),
    ("matmul", lambda m: _M(m, 2, 3) @ _M(m, 3, 4)),
    ("sum", lambda m: _M(m, 2, 3).sum()),
    ("max dim", lambda m: _M(m, 2, 3).max(1)),
    ("comparison", lambda m: _M(m, 3) == _M(m, 3)),
    ("softmax", lambda m: m.softmax(_M(m, 2, 3), -1)),
    ("log", lambda m: _M(m, 3).log()),
    ("linear", lambda m: m.nn.functional.linear(_M(m, 5, 2), _M(m, 3, 2), _M(m, 3))),
    ("conv2d", lambda m: m.nn.functional.conv2d(_M(m, 1, 2, 5, 5), _M(m, 3, 2, 3, 3))),
    (
        "cross_entropy",
        lambda m: m.nn.functional.cross_entropy(
            _M(m, 2, 3), m.zeros(2, dtype=m.int64, device="meta")
        ),
    ),
    ("layer_norm", lambda m: m.nn.functional.layer_norm(_M(m, 2, 3), (3,))),
    ("cat", lambda m: m.cat([_M(m, 3), _M(m, 2)])),
    (
        "view ops",
        lambda m: (
            _M(m, 2, 3).t(),
            _M(m, 2, 3).view(6),
            _M(m, 4, 5)[1:, ::2],
            _M(m, 3, 1).expand(3, 4),
        ),
    ),
    ("double", lambda m: _M(m, 3).double()),
    ("clone", lambda m: _M(m, 3).clone()),
    ("deepcopy", lambda m: copy.deepcopy(_M(m, 3))),
    ("in-place add_", lambda m: _M(m, 2).add_(1)),
    ("uniform_", lambda m: m.empty(3, device="meta").uniform_()),
    ("kaiming_uniform_", lambda m: m.nn.init.kaiming_uniform_(_M(m, 3, 4))),
    ("backward", _grad_of),
    ("to meta", lambda m: m.ones(3).to("meta")),
    ("to meta, dtype", lambda m: m.ones(3).to("meta", m.float64)),
    ("meta to meta is self", lambda m: (lambda x: x.to("meta") is x)(_M(m, 3))),
    # where data would be read
    ("item", lambda m: _M(m, 3).sum().item()),
    ("float()", lambda m: float(_M(m, 1))),
    ("bool()", lambda m: bool(_M(m, 1))),
    ("numpy()", lambda m: _M(m, 3).numpy()),
    ("np.asarray", lambda m: np.asarray(_M(m, 3))),
    ("tolist", lambda m: _M(m, 3).tolist()),
    ("to cpu", lambda m: _M(m, 3).to("cpu")),
    ("cpu()", lambda m: _M(m, 3).cpu()),
    ("str/format", lambda m: (str(_M(m, 2, dtype=m.int64)), "{}".format(_M(m, 2)))),
    # modules
    ("Module.to(meta)", lambda m: m.nn.Linear(2, 3).to("meta").weight),
    (
        "Module.to(meta) keeps Parameter",
        lambda m: type(m.nn.Linear(2, 3).to("meta").weight).__name__,
    ),
    (
        "Module.to_empty",
        lambda m: [
            tuple(p.shape) for p in m.nn.Linear(2, 3).to("meta").to_empty(device="cpu").parameters()
        ],
    ),
    (
        "Module.to_empty device",
        lambda m: m.nn.Linear(2, 3).to("meta").to_empty(device="cpu").weight.device,
    ),
    ("Module meta to cpu", lambda m: m.nn.Linear(2, 3).to("meta").to("cpu")),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_meta_as_torch(name, fn):
    def outcome(m):
        try:
            return ("ok", _plain(fn(m)))
        except (TypeError, RuntimeError, NotImplementedError) as e:
            return ("raise", type(e), str(e))

    assert outcome(dg) == outcome(torch)


def test_meta_tensors_cost_no_memory():
    x = dg.empty(10**6, 10**6, device="meta")  # 4 TB on the CPU
    y = dg.relu(x * 2.0 + x).t().unsqueeze(0) > 0
    assert y.shape == (1, 10**6, 10**6) and y.dtype == dg.bool and y.is_meta
    assert x._data.strides == (0, 0) and y._data.strides == (0, 0, 0)


def test_meta_random_factories_draw_nothing():
    dg.manual_seed(0)
    dg.randn(5, device="meta")
    after = dg.randn(2)
    dg.manual_seed(0)
    assert after.tolist() == dg.randn(2).tolist()


def test_to_empty_gives_the_module_memory_it_can_train_with():
    with dg.device("meta"):
        lin = dg.nn.Linear(2, 3)
    lin.to_empty(device="cpu")
    with dg.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.zero_()
    assert lin(dg.ones(1, 2)).tolist() == [[2.0, 2.0, 2.0]]


# ---- torch.func's model-ensembling recipe (the tutorial "Model ensembling",
# pytorch.org/tutorials/intermediate/ensembling.html), run unchanged on both libraries; the only
# edit: the models' weights and the data come from torch's generator, so both libraries see the
# same numbers
def _ensembling(lib, state_dicts, data_np):
    nn, F = lib.nn, lib.nn.functional
    func = importlib.import_module(lib.__name__ + ".func")

    class SimpleMLP(nn.Module):
        def __init__(self):
            super(SimpleMLP, self).__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 128)
            self.fc3 = nn.Linear(128, 10)

        def forward(self, x):
            x = x.flatten(1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            x = F.relu(x)
            x = self.fc3(x)
            return x

    num_models = 10
    data = lib.tensor(data_np)
    models = [SimpleMLP() for _ in range(num_models)]
    for model, sd in zip(models, state_dicts):  # (the edit: torch's weights)
        model.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})

    minibatches = data[:num_models]
    predictions_diff_minibatch_loop = [
        model(minibatch) for model, minibatch in zip(models, minibatches)
    ]
    minibatch = data[0]
    predictions2 = [model(minibatch) for model in models]

    from_func = func.stack_module_state
    params, buffers = from_func(models)
    base_model = copy.deepcopy(models[0])
    base_model = base_model.to("meta")

    def fmodel(params, buffers, x):
        return func.functional_call(base_model, (params, buffers), (x,))

    sizes = [p.size(0) for p in params.values()]
    predictions1_vmap = lib.vmap(fmodel)(params, buffers, minibatches)
    assert lib.allclose(
        predictions1_vmap, lib.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5
    )
    predictions2_vmap = lib.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
    assert lib.allclose(predictions2_vmap, lib.stack(predictions2), atol=1e-3, rtol=1e-5)
    return (
        sizes,
        repr(base_model.fc1.weight),
        predictions1_vmap.detach().numpy(),
        predictions2_vmap.detach().numpy(),
    )


def test_the_model_ensembling_recipe_gives_torchs_numbers():
    gen = torch.Generator().manual_seed(0)
    state_dicts = [
        {
            f"fc{i}.{k}": torch.empty(shape).uniform_(-0.1, 0.1, generator=gen).numpy()
            for i, (n_in, n_out) in enumerate(((784, 128), (128, 128), (128, 10)), 1)
            for k, shape in (("weight", (n_out, n_in)), ("bias", (n_out,)))
        }
        for _ in range(10)
    ]
    data = torch.randn(10, 64, 1, 28, 28, generator=gen).numpy()
    sizes, base, p1, p2 = _ensembling(dg, state_dicts, data)
    t_sizes, t_base, t1, t2 = _ensembling(torch, state_dicts, data)
    assert sizes == t_sizes == [10] * 6
    assert base.replace("dualgrad", "torch") == t_base
    assert p1.shape == t1.shape == (10, 64, 10) and p2.shape == t2.shape == (10, 64, 10)
    np.testing.assert_allclose(p1, t1, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(p2, t2, rtol=1e-5, atol=1e-5)
