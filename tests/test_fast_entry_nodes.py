"""The nodes the fast entries record (``_ground._fast_node``, NOTE: [fast entries' nodes]) are
the nodes ``_node`` would record, and their gradients keep their inputs' dtypes without the
engine's cast (NOTE: [gradient dtypes of fast entries' nodes] in autograd/engine.py)."""

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad._dispatch import apply_binary, apply_unary
from dualgrad._ground import FAST_ENTRY_PARAMS, _node, _saved_output
from dualgrad._ops.registry import REGISTRY

FAST_OPS = sorted(name for name, op in REGISTRY.items() if op.ufunc is not None)
DTYPES = ["float16", "float32", "float64"]
# the second operand of a binary call: a tensor of the first's dtype, or a Python number
SECONDS = ["tensor", "float", "int"]
REFUSED = {"floor_divide"}  # no derivative, as in torch


def _inputs(name, dtype):
    # inside every fast op's domain (acosh's starts at 1), so the values are finite
    base = 1.5 if name == "acosh" else 0.4
    x = dg.tensor(np.linspace(base, base + 0.3, 4).astype(dtype)).requires_grad_()
    y = dg.tensor(np.linspace(0.6, 0.9, 4).astype(dtype)).requires_grad_()
    return x, y


def _call(name, dtype, second):
    op = REGISTRY[name]
    x, y = _inputs(name, dtype)
    if op.ufunc.nin == 1:
        return op, (x,), apply_unary(op, x)
    other = {"tensor": y, "float": 0.75, "int": 2}[second]
    return op, (x, other), apply_binary(op, x, other)


def test_the_fast_ops_are_the_ones_with_a_ufunc():
    assert len(FAST_OPS) >= 40  # the table below is not empty by accident


@pytest.mark.parametrize("second", SECONDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FAST_OPS)
def test_fast_entry_gradients_keep_their_inputs_dtypes(name, dtype, second):
    op, args, out = _call(name, dtype, second)
    if op.ufunc.nin == 1 and second != "tensor":
        return  # a one-input op has no second operand: its row runs once, with "tensor"
    # the fast entry recorded it, but float16 with a Python number (NOTE: [fast entries])
    fast = not (dtype == "float16" and second != "tensor")
    assert (out.grad_fn.params is FAST_ENTRY_PARAMS) == fast
    tensors = [a for a in args if isinstance(a, dg.Tensor)]
    cot = dg.tensor(np.ones(out.shape, dtype))
    if name in REFUSED:  # as torch refuses it
        with pytest.raises(RuntimeError, match="not implemented"):
            dg.autograd.grad(out, tensors, cot, allow_unused=True)
        return
    grads = dg.autograd.grad(out, tensors, cot, allow_unused=True)
    for a, g in zip(tensors, grads):
        if g is not None:
            assert g.dtype == a.dtype, (name, dtype, second)


@pytest.mark.parametrize("second", SECONDS)
@pytest.mark.parametrize("name", FAST_OPS)
def test_fast_entry_node_is_the_general_recorders_node(name, second):
    op, args, out = _call(name, "float32", second)
    if op.ufunc.nin == 1 and second != "tensor":
        return
    fast = out.grad_fn
    general = _node(op, args, {}, _saved_output(out) if op.uses_out else None)
    assert fast.edges == general.edges
    assert fast.needs == general.needs
    assert fast.versions == general.versions
    assert fast.args == general.args and fast.op is general.op
    assert (fast.out is None) == (general.out is None)
    assert fast.num_outputs == general.num_outputs == 1
    assert fast.epoch == general.epoch and fast.pre_hooks is general.pre_hooks is None
    assert fast.seq < general.seq  # numbered when made, after its edges' nodes


@pytest.mark.parametrize("written", ["w", "y"])
def test_fast_entry_node_checks_versions_of_inputs_written_in_place(written):
    raised = []
    for lib in (torch, dg):
        x = lib.tensor([0.5, 0.25], requires_grad=True)
        w = x * 1.0
        w.add_(1.0)  # recorded at version 1: the node notes it
        y = lib.tensor([2.0, 3.0])
        out = w * y
        if lib is dg:
            node = out.grad_fn
            assert node.params is FAST_ENTRY_PARAMS
            assert node.versions == _node(node.op, (w, y), {}, None).versions
        {"w": w, "y": y}[written].mul_(2.0)  # y is read by w's rule, w by nothing
        try:
            out.sum().backward()
            raised.append(False)
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e)
            raised.append(True)
    assert raised[0] == raised[1] == (written == "y")


def test_fast_entry_edges_to_a_leaf_a_non_leaf_and_a_constant():
    leaf = dg.tensor([0.5, 0.25]).requires_grad_()
    mid = dg.sin(leaf)
    const = dg.tensor([1.0, 2.0])
    node = (mid * const).grad_fn
    assert node.edges == (mid.grad_fn, None) and node.needs == (True, False)
    node = (const * mid).grad_fn
    assert node.edges == (None, mid.grad_fn) and node.needs == (False, True)
    node = dg.exp(leaf).grad_fn
    assert node.edges == (leaf._edge()[0],) and node.needs == (True,)


@pytest.mark.parametrize("lib_dtype", ["float64", "float16"])
def test_a_root_gradient_of_another_dtype_is_cast_as_torch_casts_it(lib_dtype):
    # the engine's skip relies on the root's gradient having the output's dtype
    results = []
    for lib in (torch, dg):
        x = lib.tensor([0.5, 0.25, 2.0], requires_grad=True)
        y = lib.exp(lib.sin(x) * -0.5) + x
        y.backward(lib.ones(3, dtype=getattr(lib, lib_dtype)))
        results.append(x.grad)
    assert str(results[1].dtype).split(".")[-1] == str(results[0].dtype).split(".")[-1]
    np.testing.assert_allclose(results[1].numpy(), results[0].numpy(), rtol=1e-6)
