"""``dualgrad.autograd.grad``: the engine's grad, and with ``is_grads_batched`` one vmapped
backward over a batch of cotangents. Kept apart from engine.py, which vmap's transforms import:
the engine stays below them (NOTE: [import order] in dualgrad/__init__.py)."""

from __future__ import annotations

from ..func import vmap
from .engine import _as_tuple
from .engine import grad as _engine_grad


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """``engine.grad`` (its docstring has the example), and with ``is_grads_batched`` the first
    dim of every grad_output a batch of cotangents: one vmapped backward."""
    if not is_grads_batched:
        return _engine_grad(
            outputs,
            inputs,
            grad_outputs,
            retain_graph=retain_graph,
            create_graph=create_graph,
            only_inputs=only_inputs,
            allow_unused=allow_unused,
            materialize_grads=materialize_grads,
        )
    # the first dim of every grad_output is a batch of cotangents: one vmapped backward
    if grad_outputs is None:
        raise RuntimeError("grad(is_grads_batched=True) needs grad_outputs with a batch dim")

    def one(*gos):
        return _engine_grad(
            outputs,
            inputs,
            gos,
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=allow_unused,
            materialize_grads=materialize_grads,
        )

    return tuple(vmap(one)(*_as_tuple(grad_outputs)))
