"""The backward engine: walks the reverse graph from the roots, in dependency order.

It is iterative (a chain of 100,000 ops needs no recursion), runs a node once all the
gradients for its outputs have arrived, and runs only the nodes that lead to what was asked
for (``inputs=``). With ``create_graph`` the rules run with recording on, so the gradients
have history themselves: double backward and beyond, for every op, because every rule is
written in dualgrad ops.
"""

from __future__ import annotations

import threading
from heapq import heappop, heappush

import numpy as np

from .._grad_mode import state as _grad_state
from .._tensor import Tensor, _RetainGrad, detach_history
from .. import _anomaly as anomaly_mode
from .._anomaly import state as _anomaly
from .._tensor import INPLACE_EPOCH
from .._views import backward_running
from .._graph import _FREED, NODE_POST, NODE_PRE, AccumulateGrad, OpNode
from .._ground import FAST_ENTRY_PARAMS


def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


# NOTE: [gradient dtypes]
# A gradient has its tensor's dtype, as in torch, whose engine casts every gradient to the
# dtype recorded for the tensor it flows into (validate_outputs). Gradients enter the engine
# in three places, and each is cast or checked there: grad_outputs / gradient= (cast here),
# the gradients a rule returns (an f32 input of an op that promoted to f64 gets an f64
# gradient from the rule: cast in run_backward, after the rule; a custom Function's are
# checked in function.py), and what a hook returns (a changed shape or dtype is refused, as
# torch refuses it). Accumulation into .grad then only ever sees the leaf's dtype, and
# Tensor.grad's setter refuses the rest.
def _make_grads(outputs, grad_outputs):
    """One gradient per output: the given ones cast to their output's dtype (as torch's engine
    casts every gradient to its tensor's dtype), ones for scalars where None was given."""
    if grad_outputs is not None and len(grad_outputs) < len(outputs):
        # extra grad_outputs are ignored, as in torch; too few cannot be matched up
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            data = out._data
            if (
                type(data) is np.ndarray
                and type(out) is Tensor
                and data.size == 1
                and data.dtype.kind == "f"
            ):
                # a plain float scalar output's seed, made directly: ones_like's argument
                # handling costs ~4 us, and this function's checks ~1 us more, per backward (a
                # Jacobian's row loop makes one per row; W7's double backward two per step)
                grads.append(Tensor._make(np.ones(data.shape, data.dtype)))
                continue
            from .._factories import ones_like

            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.is_floating_point():
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {out.dtype}"
                )
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                f"output[{i}] has a shape of {tuple(out.shape)}."
            )
        elif g._data.dtype != out._data.dtype and out._data.dtype.kind == "f":
            g = g.to(out.dtype)  # NOTE: [gradient dtypes]
        grads.append(g)
    return grads


def _roots(outputs):
    roots = []
    for i, out in enumerate(outputs):
        edge = out._edge() if isinstance(out, Tensor) else None
        if edge is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        roots.append(edge)
    return roots


def _reachable(root_nodes):
    """Every node reachable from the roots (iterative DFS): what a backward without inputs=
    runs, asked for only by ``will_execute`` (register_multi_grad_hook)."""
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        for edge in stack.pop().edges:
            if edge is not None:
                nxt = edge[0] if type(edge) is tuple else edge  # NOTE: [compact edges]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return seen


def _needed(root_nodes, targets):
    """The nodes reachable from the roots from which some target node can be reached (only
    those need to run). One walk down from the roots notes each node's parents, one walk up
    from the targets collects the answer: this runs on every ``grad(..., inputs)`` call, a
    row of a Jacobian loop among them, so the graph is walked twice, not three times."""
    parents: dict = {}
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is not None:
                nxt = edge[0] if type(edge) is tuple else edge  # NOTE: [compact edges]
                parents.setdefault(nxt, []).append(node)
                if nxt not in seen:  # (a root may be reached from another root)
                    seen.add(nxt)
                    stack.append(nxt)
    needed = set(targets)
    stack = list(targets)
    while stack:
        node = stack.pop()
        for p in parents.get(node, ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    return needed


def _add(a, b):
    return b if a is None else a + b


def run_backward(
    outputs, grad_outputs, *, retain_graph, create_graph, inputs=None, accumulate=True
):
    """Propagate ``grad_outputs`` from ``outputs``; return grads for ``inputs`` (if given).

    # NOTE: [order by sequence number]
    Every node gets a number when it is made, after the nodes its edges point to (graph.py),
    so running the nodes that hold gradients from the highest number down is a topological
    order: a node runs only after every node that can send it a gradient. A heap keyed by that
    number replaces counting dependencies in a pass over the whole graph first. A node with a
    higher number than everything in the heap is held aside as the one to run next rather
    than pushed and popped: in a chain of ops every node is (tests/test_properties.py checks
    the order on random graphs against torch).
    """
    roots = _roots(outputs)
    root_nodes = list(dict.fromkeys(edge[0] for edge in roots))

    # Where the answer is collected: for each input, the edge its gradient flows along.
    capture: dict = {}
    input_edges = []
    if inputs is not None:
        for t in inputs:
            edge = t._edge()
            input_edges.append(edge)
            if edge is not None:
                capture[edge] = None
        targets = {e[0] for e in input_edges if e is not None}
        needed = _needed(root_nodes, targets)
    else:
        needed = None  # without inputs=, every reachable node runs
    capture_nodes = {edge[0] for edge in capture}

    # buffers[node]: the gradient for the node's output, summed as they arrive, or for a node
    # with several outputs the list of them; a node enters the heap with its first gradient.
    buffers: dict = {}
    heap: list = []
    for (node, nr), g in zip(roots, grad_outputs):
        if node not in buffers:
            heappush(heap, (-node.seq, node))
        _send(buffers, node, nr, g)

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    backward_running.depth += 1  # reading saved views is not a use (_views.py)
    _tasks.stack.append(_Task(root_nodes, needed))  # for register_multi_grad_hook
    # NOTE: [hot path] the loop below runs once per node; helpers are inlined on purpose.
    pop_buffer = buffers.pop
    get_buffer = buffers.get
    anomaly = _anomaly.enabled  # read once per backward (turned on in a hook: the next one)
    # The node known to run next (a higher number than all in the heap) waits here instead of
    # in the heap: in a chain every node is, and a push and a pop per node are saved.
    following = None
    try:
        while heap or following is not None:
            if following is not None:
                node = following
                following = None
            else:
                node = heappop(heap)[1]
            buf = pop_buffer(node)
            post = None
            if node.pre_hooks or node in capture_nodes:
                buf = _hooks_and_capture(node, buf, capture)
                if node.pre_hooks:  # NOTE: [node hooks] in graph.py
                    post = node.pre_hooks.get(NODE_POST)
                    grad_outputs = buf
            if needed is not None and node not in needed:
                continue
            if type(node) is AccumulateGrad:
                if accumulate and buf is not None:
                    node.accumulate(buf, create_graph)
                continue
            if type(node) is OpNode and not anomaly:
                # OpNode.apply and release, inlined (NOTE: [hot path])
                args = node.args
                if args is None:
                    raise RuntimeError(_FREED)
                if node.epoch != INPLACE_EPOCH[0] and (
                    node.versions is not None or node.out is not None
                ):
                    node._check_versions()
                op = node.op
                if create_graph and node.out is not None:
                    node._connect_outputs()
                if op.multi_output:
                    buf = tuple(buf) if type(buf) is list else (buf,)
                # Positional inputs where the arity allows: a call with *args and **params
                # costs ~170 ns more (NOTE: [fast entries] in _dispatch.py)
                params = node.params
                needs = node.needs
                if needed is not None and len(needs) > 1:
                    needs = _needs_within(node.edges, needs, needed)
                if params:
                    input_grads = op.vjp(buf, *args, out=node.out, needs=needs, **params)
                elif len(args) == 1:
                    input_grads = op.vjp(buf, args[0], out=node.out, needs=needs)
                elif len(args) == 2:
                    input_grads = op.vjp(buf, args[0], args[1], out=node.out, needs=needs)
                else:
                    input_grads = op.vjp(buf, *args, out=node.out, needs=needs)
                if not retain_graph and op.saves:
                    node.args = node.out = None
                # NOTE: [gradient dtypes] a rule of a promoting op (f32 + f64) gives its f32
                # input a f64 gradient; torch's engine casts it to the input's dtype. A fast
                # entry's node cannot promote: NOTE: [gradient dtypes of fast entries' nodes].
                if params is not FAST_ENTRY_PARAMS:
                    for a, g in zip(args, input_grads):
                        if (
                            g is not None
                            and isinstance(a, Tensor)
                            and g._data.dtype is not a._data.dtype
                        ):
                            input_grads = _cast_to_inputs(input_grads, args)
                            break
            else:
                buf = buf if type(buf) is list else [buf]
                if anomaly:  # NOTE: [anomaly mode] in anomaly_mode.py
                    input_grads = _apply_checked(node, buf)
                else:
                    input_grads = node.apply(buf)
                if not retain_graph:
                    node.release()
                if len(input_grads) != len(node.edges):
                    raise RuntimeError(
                        f"{node.name()} returned {len(input_grads)} gradients, "
                        f"expected {len(node.edges)}"
                    )
            if post:
                input_grads = _run_posthooks(node, post, input_grads, grad_outputs)
                grad_outputs = None
            for edge, g in zip(node.edges, input_grads):
                if edge is not None and g is not None:
                    if type(edge) is tuple:  # NOTE: [compact edges] in graph.py
                        nxt, nr = edge
                    else:
                        nxt, nr = edge, 0
                    b = get_buffer(nxt)
                    if b is None:
                        if nxt.num_outputs == 1:
                            buffers[nxt] = g
                        else:
                            b = buffers[nxt] = [None] * nxt.num_outputs
                            b[nr] = g
                        if following is None:
                            if heap and -heap[0][0] > nxt.seq:
                                heappush(heap, (-nxt.seq, nxt))
                            else:
                                following = nxt
                        elif nxt.seq > following.seq:
                            heappush(heap, (-following.seq, following))
                            following = nxt
                        else:
                            heappush(heap, (-nxt.seq, nxt))
                    elif type(b) is list:
                        prev = b[nr]
                        b[nr] = g if prev is None else prev + g
                    else:
                        buffers[nxt] = b + g
            g = prev = b = buf = input_grads = args = a = (
                None  # NOTE: [stealing the gradient] counts refs
            )
    finally:
        _grad_state.enabled = prev_mode
        backward_running.depth -= 1
        _tasks.stack.pop()
    if inputs is not None:
        return [capture.get(e) if e is not None else None for e in input_edges]
    return None


# NOTE: [gradients nobody asked for]
# With inputs= (autograd.grad, and every reverse transform), a node's rule computes only the
# gradients of inputs whose edge leads to a node that must run (``needed``), as torch's engine
# asks each node only for the outputs it should compute (should_compute_output). ``needs`` as
# recorded says which inputs require grad, which is more: the double-vjp trick's second
# backward asks for the dummy cotangent only, and computed every weight's gradient of the
# first backward's matmuls on the way (6 of 24 large matmuls in issue 17's W1, discarded).
# Only the call's ``needs`` changes: the node keeps its own (version checks read it), and a
# gradient not computed is one the engine would have dropped (its node does not run).
def _needs_within(edges, needs, needed):
    """``needs`` with False where the input's edge leads to no needed node."""
    for edge, need in zip(edges, needs):
        if need and (edge[0] if type(edge) is tuple else edge) not in needed:
            break
    else:
        return needs  # the common case: no new tuple
    return tuple(
        need and (edge[0] if type(edge) is tuple else edge) in needed
        for edge, need in zip(edges, needs)
    )


# NOTE: [gradient dtypes of fast entries' nodes]
# The node of a fast entry's call (``_ground._fast_node``: its params are FAST_ENTRY_PARAMS)
# has inputs of one float dtype, or one such tensor and a Python number, and an output of that
# dtype; the gradient it receives has the output's dtype (every node's outgoing gradients are
# cast to their inputs', the roots' in ``_make_grads``, and hooks may not change one). So its
# rule, the gradient times partials of those inputs (a Python number is weak: NEP 50), gives
# gradients of the inputs' dtype, and the engine skips the per-input dtype test there: ~0.28
# us of a node's ~1.3 in a chain of adds. Checked by running the whole suite, the random
# programs and the docstring examples with the test kept and raising for such a node: it never
# fired. tests/test_fast_entry_nodes.py keeps the property checked for every fast op.
def _cast_to_inputs(grads, args):
    """Each input's gradient in the input's dtype (NOTE: [gradient dtypes])."""
    out = []
    for a, g in zip(args, grads):
        if (
            g is not None
            and isinstance(a, Tensor)
            and g._data.dtype != a._data.dtype
            and a._data.dtype.kind == "f"
        ):
            g = g.to(a.dtype)
        out.append(g)
    return out


def _apply_checked(node, buf):
    try:
        input_grads = node.apply(buf)
    except Exception as e:
        anomaly_mode.annotate(node, e)
        raise
    if _anomaly.check_nan:
        anomaly_mode.check_nan(node, input_grads)
    return input_grads


def _send(buffers, node, nr, g):
    buf = buffers.get(node)
    if node.num_outputs == 1:
        buffers[node] = g if buf is None else buf + g
        return
    if buf is None:
        buf = buffers[node] = [None] * node.num_outputs
    prev = buf[nr]
    buf[nr] = g if prev is None else prev + g


def _hooks_and_capture(node, buf, capture):
    """Run the node's tensor hooks on its incoming gradients and note those asked for."""
    single = type(buf) is not list
    if single:
        buf = [buf]
    if node.pre_hooks:
        _run_prehooks(node, buf)
    for nr, g in enumerate(buf):
        if (node, nr) in capture:
            capture[(node, nr)] = g
    return buf[0] if single else buf


def _run_prehooks(node, buf):
    # As in PyTorch, retain_grad's hook runs after the tensor's other hooks, whatever the
    # order they were registered in, so .grad shows the gradient the hooks produced; then the
    # node's own pre-hooks run, on all its output gradients (NOTE: [node hooks] in graph.py).
    node_hooks = ()
    for nr, hooks in node.pre_hooks.items():
        if type(nr) is not int:
            if nr == NODE_PRE:
                node_hooks = hooks
            continue
        for hook in sorted(hooks, key=lambda h: isinstance(h, _RetainGrad)):
            if buf[nr] is not None:
                new = hook(buf[nr])
                if new is not None:
                    _check_hook_result(hook, buf[nr], new)
                    buf[nr] = new
    for hook in list(node_hooks):
        new = hook(tuple(buf))
        if new is not None:
            buf[:] = _checked_replacements(hook, buf, new, "pre-hook")


def _run_posthooks(node, hooks, grad_inputs, grad_outputs):
    """The node's post-hooks, ``hook(grad_inputs, grad_outputs)``, each of which may return
    new ``grad_inputs`` (NOTE: [node hooks] in graph.py)."""
    outs = tuple(grad_outputs) if type(grad_outputs) in (list, tuple) else (grad_outputs,)
    grad_inputs = list(grad_inputs)
    for hook in list(hooks):
        new = hook(tuple(grad_inputs), outs)
        if new is not None:
            grad_inputs = _checked_replacements(hook, grad_inputs, new, "hook")
    return grad_inputs


def _checked_replacements(hook, old, new, what):
    """What a node hook returned in place of ``old``: as many gradients, each of its tensor's
    shape and dtype (torch's checks)."""
    new = list(new) if isinstance(new, (tuple, list)) else [new]
    if len(new) != len(old):
        raise RuntimeError(
            f"{what} '{getattr(hook, '__name__', hook)}' returned {len(new)} gradients, "
            f"expected {len(old)}: return one per gradient it was given"
        )
    for o, n in zip(old, new):
        if o is not None and n is not None:
            _check_hook_result(hook, o, n)
    return new


# ------------------------------------------------------------------ the running backward
class _Task:
    """One running backward: its roots and the nodes it runs (None: every reachable one)."""

    def __init__(self, roots, needed):
        self.roots, self.needed, self._reachable = roots, needed, None

    def will_execute(self, node) -> bool:
        if self.needed is not None:
            return node in self.needed
        if self._reachable is None:
            self._reachable = _reachable(self.roots)
        return node in self._reachable


class _Tasks(threading.local):
    def __init__(self):
        self.stack = []


_tasks = _Tasks()


def current_task():
    """The innermost running backward of this thread, or None."""
    return _tasks.stack[-1] if _tasks.stack else None


def _check_hook_result(hook, old, new):
    """A hook may change a gradient's values, not its type, shape or dtype (torch's checks and
    messages; NOTE: [gradient dtypes])."""
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    name = getattr(hook, "__name__", None) or type(hook).__name__
    if new._data.shape != old._data.shape:
        raise RuntimeError(
            f"hook '{name}' has changed the size of value (was {tuple(old.shape)} got "
            f"{tuple(new.shape)}); return a gradient of the tensor's shape"
        )
    if new._data.dtype != old._data.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {old.dtype} got {new.dtype}); "
            f"return a gradient of the tensor's dtype, e.g. grad.to({old.dtype})"
        )


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of graph leaves."""
    outputs = _as_tuple(tensors)
    grads = _make_grads(outputs, _as_tuple(grad_tensors) if grad_tensors is not None else None)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        found = run_backward(
            outputs,
            grads,
            retain_graph=retain_graph,
            create_graph=create_graph,
            inputs=inputs,
            accumulate=False,
        )
        for t, g in zip(inputs, found):
            if g is None:
                continue
            if t.grad_fn is None:
                t._edge()[0].accumulate(g, create_graph)
            else:
                t.grad = (
                    (g if create_graph else detach_history(g)) if t.grad is None else t.grad + g
                )
        return
    run_backward(outputs, grads, retain_graph=retain_graph, create_graph=create_graph)


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
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    >>> import dualgrad as dg
    >>> x = dg.tensor(3.0, requires_grad=True)
    >>> (g,) = dg.autograd.grad(x ** 3, x, create_graph=True)
    >>> dg.autograd.grad(g, x)[0]
    tensor(18.)
    """
    if is_grads_batched:  # dualgrad.autograd.grad runs these under vmap (batched_grad.py)
        raise RuntimeError("engine.grad: is_grads_batched is handled by dualgrad.autograd.grad")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) does not require grad"
            )
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _make_grads(outputs, _as_tuple(grad_outputs) if grad_outputs is not None else None)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(
        outputs,
        grads,
        retain_graph=retain_graph,
        create_graph=create_graph,
        inputs=inputs,
        accumulate=False,
    )
    final = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                from .._factories import zeros_like

                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = detach_history(g)
        final.append(g)
    return tuple(final)


def _backward_method(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
    backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)


_backward_method.__name__ = _backward_method.__qualname__ = "backward"
Tensor.backward = _backward_method  # Tensor stands below the engine (NOTE: [import order])
