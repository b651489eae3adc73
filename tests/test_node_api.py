"""The graph's Node API (issue 16): ``name()``, ``next_functions``, ``metadata``, node pre- and
post-hooks, ``dualgrad.autograd.graph.Node``, ``register_multi_grad_hook``,
``increment_version``, ``Tensor.register_post_accumulate_grad_hook``, and modules' backward
hooks. Each case runs in torch and in dualgrad; the two must agree (the same values, or the
same exception type and message phrase).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg


def _plain(r):
    if isinstance(r, (torch.Tensor, dg.Tensor)):
        return np.asarray(r.detach().numpy(), dtype=np.float64).round(4).tolist()
    if isinstance(r, (list, tuple)):
        return [_plain(x) for x in r]
    if isinstance(r, dict):
        return {k: _plain(v) for k, v in r.items()}
    return r


def run(lib, case):
    try:
        return "ok", _plain(case(lib))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return "raise", (type(e), str(e))


def _leaf(lib, *values):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


def _node_basics(lib):
    x, w = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    y = x * w
    z = y.exp().sum()
    z.grad_fn.metadata["k"] = 1
    nxt = y.grad_fn.next_functions
    return [
        z.grad_fn.name(),
        y.grad_fn.name(),
        isinstance(z.grad_fn, lib.autograd.graph.Node),
        isinstance(nxt[0][0], lib.autograd.graph.Node),
        isinstance(x, lib.autograd.graph.Node),
        z.grad_fn.metadata,
        y.grad_fn.metadata,
        [(n.name(), nr) for n, nr in nxt],
        nxt[0][0].variable is x,
    ]


def _hook_order(lib):
    # tensor hooks, then the node's pre-hooks, the node, its post-hooks; a leaf's
    # AccumulateGrad pre-hook, then the post-accumulate hook
    log = []
    x, w = _leaf(lib, 1.0, 2.0), _leaf(lib, 3.0, 4.0)
    y = x * w
    z = y.exp().sum()
    h1 = y.grad_fn.register_prehook(lambda go: (log.append(("pre", go)), (go[0] * 2,))[1])
    h2 = y.grad_fn.register_hook(lambda gi, go: log.append(("post", gi, go)))
    y.register_hook(lambda g: (log.append(("tensor", g)), g + 1)[1])
    y.grad_fn.next_functions[0][0].register_prehook(lambda go: log.append(("acc", go)))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("postacc", t.grad.clone())))
    z.backward(retain_graph=True)
    first = list(log)
    log.clear()
    h1.remove()
    h2.remove()
    z.backward()
    return [first, log, x.grad, w.grad]


def _post_hook_replaces(lib):
    x = _leaf(lib, 1.0, 2.0)
    y = x.sin()
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10,))
    y.sum().backward()
    return x.grad


def _prehook_wrong_count(lib):
    x = _leaf(lib, 1.0, 2.0)
    y = x.sin()
    y.grad_fn.register_prehook(lambda go: (go[0], go[0]))
    y.sum().backward()


def _post_accumulate_non_leaf(lib):
    (_leaf(lib, 1.0) * 2).register_post_accumulate_grad_hook(lambda t: None)


def _post_accumulate_no_grad(lib):
    lib.ones(2).register_post_accumulate_grad_hook(lambda t: None)


def _post_accumulate_returns(lib):
    x = _leaf(lib, 1.0)
    x.register_post_accumulate_grad_hook(lambda t: 1)
    (x * 2).sum().backward()


def _post_accumulate_returns_tensor(lib):
    # torch's docstring example returns p.add_(...): a tensor returned is accepted and ignored
    v = _leaf(lib, 0.0, 0.0)
    v.register_post_accumulate_grad_hook(lambda p: p.add_(p.grad, alpha=-0.5))
    v.backward(lib.tensor([1.0, 2.0]))
    return v.detach().tolist()


def _post_accumulate_optimizer(lib):
    # the pattern torch documents: step each parameter as its gradient is accumulated
    w = _leaf(lib, 1.0, 2.0)

    def step(p):
        with lib.no_grad():
            p -= 0.1 * p.grad
        p.grad = None

    w.register_post_accumulate_grad_hook(step)
    for _ in range(3):
        (w * w).sum().backward()
    return [w, w.grad]


def _multi_grad_all(lib):
    a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
    seen = []
    h = lib.autograd.graph.register_multi_grad_hook((a, b, c), lambda gs: seen.append(list(gs)))
    (a * 2 + b * 3).sum().backward()
    (a * 5).sum().backward()
    h.remove()
    (a * 2).sum().backward()
    return seen


def _multi_grad_any(lib):
    a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
    seen = []
    lib.autograd.graph.register_multi_grad_hook((a, b), lambda g: seen.append(g), mode="any")
    (a * 2 + b * 3).sum().backward()
    return seen


def _multi_grad_bad_mode(lib):
    a = lib.ones(2, requires_grad=True)
    lib.autograd.graph.register_multi_grad_hook((a,), print, mode="some")


def _increment_version(lib):
    x = _leaf(lib, 1.0, 2.0)
    h = x * 1.0
    y = h.sin()
    before = h._version
    lib.autograd.graph.increment_version(h)
    after = h._version
    try:
        y.sum().backward()
    except RuntimeError as e:
        return [before, after, "modified by an inplace operation" in str(e)]
    return [before, after, "no error"]


def _linear(lib):
    lin = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64))
        lin.bias.fill_(0.5)
    return lin


def _module_full_hooks(lib):
    # the pre-hook doubles grad_output, the hook replaces grad_input; removing them restores
    lin, log = _linear(lib), []
    h1 = lin.register_full_backward_pre_hook(
        lambda m, go: (log.append(("pre", go)), (go[0] * 2,))[1]
    )
    h2 = lin.register_full_backward_hook(
        lambda m, gi, go: (log.append(("full", gi, go)), (gi[0] + 1,))[1]
    )
    x = lib.tensor([[1.0, -1.0, 2.0]], dtype=lib.float64, requires_grad=True)
    (lin(x) ** 2).sum().backward()
    first = [list(log), x.grad, lin.weight.grad.clone()]
    log.clear()
    h1.remove()
    h2.remove()
    x.grad = None
    (lin(x) ** 2).sum().backward()
    return first + [log, x.grad]


def _module_hook_no_input_grad(lib):
    import warnings

    lin, log = _linear(lib), []
    lin.register_full_backward_hook(lambda m, gi, go: log.append((gi, go)))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (lin(lib.ones(1, 3, dtype=lib.float64)) ** 2).sum().backward()
    return [log, [str(m.message)[:60] for m in w]]


def _module_hooks_both_kinds(lib):
    lin = _linear(lib)
    lin.register_full_backward_hook(lambda *a: None)
    lin.register_backward_hook(lambda *a: None)


def _module_old_hook(lib):
    import warnings

    m, log = lib.nn.Sigmoid(), []
    m.register_backward_hook(lambda mod, gi, go: log.append((gi, go)))
    x = lib.tensor([0.0, 1.0], dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m(x * 2).sum().backward()
    return [log, x.grad, len(w)]


def _module_many_inputs(lib):
    # non-tensor arguments show as None; two outputs, two tensor inputs
    class Two(lib.nn.Module):
        def forward(self, a, s, b):
            return a * b * s, a + b

    two, log = Two(), []
    two.register_full_backward_hook(lambda m, gi, go: log.append((gi, go)))
    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    p, q = two(a, 3.0, b)
    (p.sum() + (q * q).sum()).backward()
    return [log, a.grad, b.grad]


CASES = [
    _module_full_hooks,
    _module_hook_no_input_grad,
    _module_hooks_both_kinds,
    _module_old_hook,
    _module_many_inputs,
    _node_basics,
    _hook_order,
    _post_hook_replaces,
    _prehook_wrong_count,
    _post_accumulate_non_leaf,
    _post_accumulate_no_grad,
    _post_accumulate_returns,
    _post_accumulate_returns_tensor,
    _post_accumulate_optimizer,
    _multi_grad_all,
    _multi_grad_any,
    _multi_grad_bad_mode,
    _increment_version,
]

PHRASES = {
    "_module_hooks_both_kinds": "Cannot use both regular backward hooks and full backward hooks",
    "_prehook_wrong_count": "",
    "_post_accumulate_non_leaf": "post accumulate grad hooks cannot be registered on non-leaf",
    "_post_accumulate_no_grad": "cannot register a hook on a tensor that doesn't require gradient",
    "_post_accumulate_returns": "expected Variable, but hook returned 'int'",
    "_multi_grad_bad_mode": "Expects mode to be one of",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.lstrip("_"))
def test_node_api_like_torch(case):
    expected, got = run(torch, case), run(dg, case)
    assert got[0] == expected[0], (expected, got)
    if expected[0] == "raise":
        phrase = PHRASES[case.__name__]
        assert phrase in expected[1][1]  # the phrase is torch's
        assert got[1][0] is expected[1][0] and phrase in got[1][1], got
    else:
        assert got[1] == expected[1]
