"""Custom autograd Functions: a user's forward with its backward and/or jvp, in every mode.

>>> import dualgrad as dg
>>> class Square(dg.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 2
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return g * 2 * x
>>> x = dg.tensor(3.0, requires_grad=True)
>>> (g,) = dg.autograd.grad(Square.apply(x), x, create_graph=True)
>>> g, dg.autograd.grad(g, x)[0]
(tensor(6., grad_fn=<MulBackward0>), tensor(2.))

# NOTE: [custom function modes]
``forward`` runs with recording off and with forward mode off (the level stack is hidden while
it runs), on the inputs *stripped of their tangents*. Its float outputs get one node, an
instance of ``<Name>Backward`` that is also the ``ctx``. The engine calls the node with grad
mode set to ``create_graph``, so a backward written with dualgrad ops is recorded: double
backward by construction, and wrong exactly where PyTorch's is (the seed's SinhBad).

Inside dual levels the user's ``jvp`` runs once per level L present among the inputs'
tangents, lowest first, and sees the saved tensors stripped to the levels below L (NOTE:
[canonical form] in _dispatch.py); its ops re-enter the dispatcher, so reverse-over-forward and
nested levels work through it. The node is attached before the tangents, as for primitives.

# NOTE: [saved tensors of a custom function]
``forward`` sees stripped aliases, but ``ctx.saved_tensors`` in ``backward`` gives back the
*original* objects (mapped by identity; a saved output maps to the output the caller got), with
their tangents and history. So a backward run inside a dual level propagates tangents through
the Function (forward-over-reverse Hessian-vector products), as ``_ground._record`` does for
primitives by saving full inputs. Versions are checked when ``saved_tensors`` is read; after a
backward without ``retain_graph`` reading them raises the "second time" error, as in PyTorch
(attributes set on ``ctx`` survive, as they do in PyTorch).

# NOTE: [derived rules]
Beyond PyTorch, a Function needs only one of ``backward`` and ``jvp``:
- no ``jvp``: backward is linear in its incoming gradient, ``gI = J^T gO``, so with ``gO``
  requiring grad, ``J t = d<gI, t>/d gO`` is one more backward (the double-vjp trick).
- no ``backward``: ``jvp`` is linear in its tangent, ``out_t = J t``, so with ``t`` requiring
  grad, ``J^T g = d<out_t, g>/d t`` is one more backward.
Each derived rule costs one extra pass (a recorded call of the other rule plus a backward).
The dummy ``gO`` / ``t`` are ones, not zeros: the derivative of a linear map does not depend on
where it is taken, and with ones a rule computed outside dualgrad (NumPy) shows up as a
non-zero result without history, which is reported instead of silently giving zero. A rule
that raises, or a backward marked ``once_differentiable``, gives an error naming the Function
and the method to define.

Under vmap, where backward's result is batched (the primals are), ``J`` differs per batch
element, and a backward pass over the ground's tape from one unbatched ``gO`` would sum the
elements' ``J t``. The derived jvp then takes the reverse pass at the logical level, as a
``func.vjp`` of the user's backward: its tape sits inside the vmap (NOTE: [grad under vmap] in
_grad_levels.py), so each element gets its own ``J t``, and the dual levels between the vmap
levels see its ops as they see any others (``vmap(jacfwd(jacfwd(f)))``).
"""

from __future__ import annotations

import functools
import inspect
import warnings
import weakref

import numpy as np

from .. import _dispatch, _dtype
from .._ops.registry import Op, sum_to
from .. import _grad_levels, _levels
from .._batching import BatchedTensor
from . import _function_vmapped as _vmapped
from .._errors import cannot_batch
from .._grad_mode import state as _grad_state
from .._tensor import Tensor, alias, bump_version, detach_history, set_tangent
from .. import _anomaly as anomaly_mode
from .. import _graph
from .._graph import _FREED, Node, OpNode, _sequence

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


# ---------------------------------------------------------------------------- ctx
class FunctionCtx:
    """What ``forward``/``setup_context`` store for ``backward`` and ``jvp``.

    Any attribute may be set on it (and deleted). Tensors that are inputs or outputs go through
    ``save_for_backward`` (version-checked, and the originals come back: NOTE: [saved tensors
    of a custom function]); ``save_for_forward`` saves tensors for ``jvp``.
    """

    to_save = None
    saved_for_forward = None
    dirty_tensors = ()
    non_differentiable = ()
    materialize_grads = True
    needs_input_grad = ()

    def save_for_backward(self, *tensors) -> None:
        """Save tensors (inputs, outputs or None) for ``backward`` (read: ``saved_tensors``)."""
        _check_savable(tensors, "save_for_backward")
        self.to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        """Save tensors for ``jvp``, where ``saved_tensors`` returns them."""
        _check_savable(tensors, "save_for_forward")
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` modified in place (and returns as outputs)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that are not differentiable (they get no node and no tangent)."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether ``None`` gradients (and tangents) become zeros before the rules see them."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        return tuple(self.to_save or ())


def _check_savable(tensors, fn: str) -> None:
    for i, t in enumerate(tensors):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(
                f"{fn} can only save tensors (or None), but argument {i} is of type "
                f"{type(t).__name__}; store other values as attributes of ctx"
            )


def _strip(t, level):
    if isinstance(t, Tensor) and t._fw and max(t._fw) >= level:
        return alias(t, level)
    return t


# ---------------------------------------------------------------------------- the node
class BackwardCFunction(FunctionCtx, Node):
    """The node (and ``ctx``) of one call of a custom Function; see NOTE: [custom function modes].

    Each Function class gets a subclass named ``<Name>Backward``.
    """

    _forward_cls: type
    _freed = False
    _saved = None  # the originals: NOTE: [saved tensors of a custom function]
    _saved_versions = None
    _view_level = None  # while a rule of level L runs: saved tensors are seen stripped to < L
    _in_jvp = False  # while jvp runs, saved_tensors are the ones saved for forward
    _in_meta = ()
    _out_meta = ()
    _n_out = 1

    def __init__(self):
        self.edges = []
        self.pre_hooks = None

    @property
    def num_outputs(self) -> int:  # type: ignore[override]
        return self._n_out

    @property
    def next_functions(self):
        # One entry per tensor input, as torch lists them ((None, 0) for one that needs no
        # gradient); the node keeps an edge per argument, for backward's one result each.
        pairs = Node.next_functions.fget(self)
        if len(self._in_meta) != len(pairs):
            return pairs
        return tuple(p for p, meta in zip(pairs, self._in_meta) if meta is not None)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(_FREED)
        if self._saved is None:  # still inside forward
            return tuple(self.to_save or ())
        level = self._view_level
        if self._in_jvp and self._saved_fw is not None:
            if level is None:
                return self._saved_fw
            return tuple(_strip(t, level) for t in self._saved_fw)
        saved = self._saved
        for i, (t, v) in enumerate(zip(saved, self._saved_versions)):
            if type(t) is _graph._Packed:  # not version-checked (NOTE: [saved tensor hooks])
                saved = tuple(_graph.unpack_all(self, saved))
                break
            if t is not None and t._version != v:
                OpNode._modified(self, f"saved tensor {i}", t, v)  # one message for every node
        if level is None:
            return saved
        return tuple(_strip(t, level) for t in saved)

    _saved_fw = None

    def release(self) -> None:
        if self._saved is not None:
            self._freed = True
            self._saved = self._saved_fw = None

    def apply(self, grads):
        """Input gradients (one per forward input; None for non-tensors) from output gradients."""
        cls = self._forward_cls
        try:
            grads = self._materialize(list(grads))
            if _defines_backward(cls):
                result = _call_backward(self, grads)
            elif _defines(cls, "jvp"):
                result = _vjp_from_jvp(self, grads)
            else:
                raise _no_rule(cls)
            if anomaly_mode.state.enabled:
                self._anomaly_checks(grads, result)
        except Exception as e:
            if anomaly_mode.state.enabled:
                anomaly_mode.annotate(self, e)
            raise
        return result

    def _materialize(self, grads):
        if not self.materialize_grads:
            return grads
        for i, (g, meta) in enumerate(zip(grads, self._out_meta)):
            if g is None and meta is not None:
                grads[i] = Tensor._make(np.zeros(meta[0], meta[1]))
        return grads

    def _anomaly_checks(self, grads, result) -> None:
        if anomaly_mode.state.check_nan:
            anomaly_mode.check_nan(self, result)
        if not _grad_state.enabled:  # create_graph=False: nothing to check
            return
        for i, (g, edge) in enumerate(zip(result, self.edges)):
            if g is not None and edge is not None and not g._requires_grad:
                warnings.warn(
                    f"{self.name()}: with create_graph=True its backward returned a gradient for "
                    f"input {i} that has no graph although the input requires grad, so a "
                    "derivative of this gradient will treat it as constant. That is right only "
                    "if the gradient does not depend on the input; if it does, backward "
                    "probably uses tensors that forward computed and kept as ctx attributes: "
                    "return them as outputs and save them with ctx.save_for_backward instead.",
                    UserWarning,
                    stacklevel=2,
                )


# Per Function class (a subclass gets its own, never its parent's): its node class and its op.
_NODE_CLASSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_OPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _backward_cls(cls):
    node_cls = _NODE_CLASSES.get(cls)
    if node_cls is None:
        node_cls = type(f"{cls.__name__}Backward", (BackwardCFunction,), {"_forward_cls": cls})
        _NODE_CLASSES[cls] = node_cls
    return node_cls


# ---------------------------------------------------------------------------- which rules exist
def _defines(cls, name: str) -> bool:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass is not Function
    return False


def _defines_backward(cls) -> bool:
    has_backward, has_vjp = _defines(cls, "backward"), _defines(cls, "vjp")
    if has_backward and has_vjp:
        raise RuntimeError(
            f"Implementing both 'backward' and 'vjp' for a custom Function is not allowed "
            f"({cls.__name__}). You should only implement one of them."
        )
    return has_backward or has_vjp


def _user_backward(cls):
    return cls.vjp if _defines(cls, "vjp") else cls.backward


def _no_rule(cls):
    return RuntimeError(
        f"{cls.__name__} defines neither backward nor jvp; define backward(ctx, *grads) for "
        "reverse mode or jvp(ctx, *tangents) for forward mode (either one serves both)"
    )


# ---------------------------------------------------------------------------- Function
class Function:
    """Base class of custom differentiable operations, as ``torch.autograd.Function``.

    Define ``forward(ctx, *args)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)``), and ``backward(ctx, *grads)`` and/or ``jvp(ctx, *tangents)``; call
    ``MyFn.apply(*args)``. Only one of ``backward``/``jvp`` is needed: the other is derived at
    the cost of one extra pass (NOTE: [derived rules]).

    >>> import dualgrad as dg
    >>> import dualgrad.autograd.forward_ad as fwAD
    >>> class Exp(dg.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         out = x.exp()
    ...         ctx.save_for_backward(out)
    ...         return out
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (out,) = ctx.saved_tensors
    ...         return g * out
    >>> with fwAD.dual_level():  # jvp derived from backward
    ...     y = Exp.apply(fwAD.make_dual(dg.tensor(0.0), dg.tensor(2.0)))
    ...     fwAD.unpack_dual(y).tangent
    tensor(2.)
    """

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "custom Functions are not instantiated: define static forward/backward/jvp and "
            f"call {type(self).__name__}.apply(*args)"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        if _defines(cls, "setup_context"):
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = tuple(bound.args), dict(bound.kwargs)
        elif kwargs:
            # As torch does, keyword arguments are bound to forward's parameters and passed
            # positionally, so a tensor given by keyword is an input like any other (its
            # gradient flows, needs_input_grad counts it); a keyword forward cannot take
            # positionally is refused.
            bound = inspect.signature(cls.forward).bind(None, *args, **kwargs)  # None: ctx
            if bound.kwargs:
                name = next(iter(bound.kwargs))
                raise TypeError(
                    f"forward() got an unexpected keyword argument '{name}': {cls.__name__}.apply "
                    "passes keyword arguments to forward's named parameters only; name it in "
                    "forward's signature or pass it positionally"
                )
            args, kwargs = tuple(bound.args[1:]), {}
        return _apply(cls, args, kwargs)


# ---------------------------------------------------------------------------- the op
# NOTE: [a Function as an op]
# Each Function class is one primitive: a ``FunctionOp`` made on its first call (not put in
# the op table, which holds the library's ops). A call goes through the dispatcher like any
# primitive's, ``_dispatch.apply_function``: the highest live level among the inputs acts on
# it, with its ``process_function`` (as each of JAX's traces has ``process_custom_vjp_call``
# beside ``process_primitive``):
# - the ground (and a vmap level, for which the forward is a composite: its own ops are
#   batched) runs the forward and records the node, the ctx (``FunctionOp.run``);
# - a dual level runs the call below itself, then pushes its tangents with the user's jvp or
#   the one derived from backward (``FunctionOp.push_tangents``; NOTE: [derived rules]);
# - a transform's tape inside vmap runs the call below it where the levels below need it,
#   then records its own node there (NOTE: [grad under vmap]).
# The ctx adapters (forward with recording and dual levels off, saved tensors mapped back to
# the caller's, the derived rules) stay in this module; which level acts is the dispatcher's.
class FunctionOp(Op):
    """The op of one Function class (NOTE: [a Function as an op])."""

    __slots__ = ("cls",)

    def __init__(self, cls):
        super().__init__(
            cls.__name__,
            None,
            kind="function",
            node_name=f"{cls.__name__}Backward",
            multi_output=True,
        )
        self.cls = cls

    def run(self, args, kwargs, tape):
        """One call on tape ``tape`` (-1: the ordinary one): forward with recording and dual
        levels off, then the node and the saved tensors. Returns the call's record."""
        cls = self.cls
        call = _Call(_backward_cls(cls)())
        ctx = call.ctx
        levels = sorted({lv for a in args if isinstance(a, Tensor) and a._fw for lv in a._fw})
        # What forward sees: inputs without tangents; ``originals`` maps them back.
        originals, seen = {}, []
        for a in args:
            if isinstance(a, Tensor) and a._fw:
                s = alias(a, levels[0])
                originals[id(s)] = a
                seen.append(s)
            else:
                seen.append(a)
        edges = _edges(args, tape)
        requires_grad = any(e is not None for e in edges)
        ctx.seq = next(_sequence)  # after its edges' nodes (NOTE: [order by sequence number])
        ctx.needs_input_grad = tuple(e is not None for e in edges)
        ctx._in_meta = [
            (a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args
        ]
        call.input_tangents = [
            dict(a._fw) if isinstance(a, Tensor) and a._fw else None for a in args
        ]
        if anomaly_mode.state.enabled:
            anomaly_mode.record(ctx)
        raw = _run_forward(cls, ctx, seen, kwargs)
        call.single = not isinstance(raw, tuple)
        raw_outs = (raw,) if call.single else raw
        input_ids = {id(a) for a in seen if isinstance(a, Tensor)} | {id(a) for a in args}
        finals = _outputs(cls, ctx, raw_outs, originals, input_ids, requires_grad, tape)
        _keep_on_ctx(ctx, raw_outs, finals, originals, input_ids)
        ctx.edges = edges if requires_grad else [None] * len(args)
        call.finals = finals
        return call

    def push_tangents(self, call, args, level):
        """The tangents of dual level ``level`` of the call's outputs, from its inputs' (as
        they were before forward, which may have marked one dirty)."""
        if level not in _levels.stack.by_number:
            return
        tangents = [t.get(level) if t else None for t in call.input_tangents]
        if any(t is not None for t in tangents):
            _push_tangents(self.cls, call.ctx, args, tangents, call.finals, level)

    def run_vmapped(self, level, args, kwargs):
        """The call inside vmap ``level`` on inputs with history on a tape below it: one call
        of ``Vmapped`` on the physical tensors (NOTE: [a Function under vmap with history
        below] in _function_vmapped.py). Returns the call's record, outputs batched here."""
        physical, spec = _vmapped.physical_call(level, self, args, kwargs)
        outs = _apply(Vmapped, (spec, *physical), {})
        outs = outs if isinstance(outs, tuple) else (outs,)
        # (a dual level above reads the user's saved tensors now, batched here)
        everything = (*physical, *outs)
        bases = [everything[k] for k in spec.kept]
        _vmapped.rebatch(spec, level.number, bases)
        call = _Call(spec.inner)
        call.single = spec.single
        call.finals = [
            BatchedTensor.wrap(o, d, level.number) if d is not None else o
            for o, d in zip(outs, spec.out_dims)
        ]
        call.input_tangents = [
            dict(a._fw) if isinstance(a, Tensor) and a._fw else None for a in args
        ]
        return call

    def below_needed(self, args, tape):
        """Whether the levels below ``tape`` need the call too (NOTE: [grad under vmap]):
        an input carries tangents of a dual level below it, as in ``vmap(hessian(f))``, or
        history on a lower tape, as in ``grad(vmap(grad(f)))``. Where an input carries
        tangents of a dual level above the tape, or is batched by a vmap begun inside the
        transform, the function runs once per batch element instead."""
        below = False
        for a in args:
            if not isinstance(a, Tensor):
                continue
            if isinstance(a, BatchedTensor) and a._vlevel > tape:
                raise cannot_batch(
                    f"{self.name}.apply on a transform's tape inside vmap, with an input "
                    "batched by a vmap begun inside it"
                )
            if (a._fw and min(a._fw) < tape) or _grad_levels.requires_grad_anywhere(
                _grad_levels.strip(a, tape)
            ):
                below = True
        return below

    def run_below(self, args, kwargs, tape):
        """The call on the levels below ``tape`` first: values, tangents, lower tapes' history."""
        versions = [a._version if isinstance(a, Tensor) else None for a in args]
        stripped = [_grad_levels.strip(a, tape) if isinstance(a, Tensor) else a for a in args]
        low = _dispatch.apply_function(self, tuple(stripped), kwargs)
        if any(v is not None and a._version != v for a, v in zip(args, versions)):
            # forward wrote into an input (mark_dirty): running it on the tape too would write
            # twice, so the whole function runs per element (vmap refuses that if the written
            # tensor is one of its inputs)
            raise cannot_batch(
                f"{self.name}.forward writes into its input in place (mark_dirty) on a "
                "transform's tape inside vmap, where the levels below the tape need the call too"
            )
        return low

    def stand_on(self, call, low, tape):
        """What the levels below the tape see of the outputs on it: the call's result there
        (``low``), or their values."""
        for i, f in enumerate(call.finals):
            if isinstance(f, Tensor) and f._glevel == tape:
                under = low.finals[i] if low is not None else _grad_levels._shell(f)
                f._below = under
                if under._fw:
                    for lv, t in under._fw.items():
                        set_tangent(f, lv, t)


class _Call:
    """One call of a Function: its ctx (the node), outputs, and inputs' tangents before it."""

    __slots__ = ("ctx", "finals", "single", "input_tangents")

    def __init__(self, ctx):
        self.ctx = ctx


class Vmapped(Function):
    """A user's Function over physical tensors, its forward and backward vmapped (NOTE: [a
    Function under vmap with history below] in _function_vmapped.py)."""

    @staticmethod
    def forward(ctx, spec, *physical):
        return _vmapped.forward(ctx, spec, physical)

    @staticmethod
    def backward(ctx, *grads):
        return (None, *_vmapped.backward(ctx, grads))


def _op_of(cls):
    op = _OPS.get(cls)
    if op is None:
        op = _OPS[cls] = FunctionOp(cls)
    return op


def _apply(cls, args, kwargs):
    """``cls.apply(*args, **kwargs)``: one dispatch of the Function's op (NOTE: [a Function
    as an op]); forward, node and tangents of every level present, lowest first."""
    call = _dispatch.apply_function(_op_of(cls), args, kwargs)
    return call.finals[0] if call.single else tuple(call.finals)


def _edges(args, tape):
    """The node's edge for each input (None where no gradient flows: no grad mode, not a
    tensor, or history on another tape)."""
    grad_on = _grad_state.enabled
    return [
        a._edge() if grad_on and isinstance(a, Tensor) and (tape < 0 or a._glevel == tape) else None
        for a in args
    ]


def _run_forward(cls, ctx, seen, kwargs):
    """``forward`` with recording and forward mode off; vmap levels stay (a Function runs
    batched under vmap)."""
    stack = _levels.stack
    hidden = stack.levels
    stack.levels = [lv for lv in hidden if lv.kind != "dual"]
    prev, _grad_state.enabled = _grad_state.enabled, False
    try:
        if _defines(cls, "setup_context"):
            raw = cls.forward(*seen, **kwargs)
            cls.setup_context(ctx, tuple(seen), raw)
        else:
            raw = cls.forward(ctx, *seen, **kwargs)
    finally:
        stack.levels = hidden
        _grad_state.enabled = prev
    return raw


def _outputs(cls, ctx, raw_outs, originals, input_ids, requires_grad, tape):
    """The tensors ``apply`` returns, with the node as their history: an input marked dirty
    is the input itself; an input returned as it is, or a tensor with history of its own, a
    new tensor sharing its data (so this node overwrites nobody's history)."""
    dirty = {id(t) for t in ctx.dirty_tensors}
    finals, used = [], set()
    for o in raw_outs:
        if not isinstance(o, Tensor):
            finals.append(o)
            continue
        if id(o) in dirty:
            final = originals.get(id(o), o)
            if requires_grad and final.grad_fn is None and final._requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation "
                    f"({cls.__name__}.forward marked it dirty); apply it to a clone, or under "
                    "dualgrad.no_grad()"
                )
            final._fw = None  # the tangents of the old value; new ones come from jvp below
            bump_version(final)  # as torch: marking dirty bumps the version
        elif (
            id(o) in input_ids
            or id(o) in used
            or o.grad_fn is not None
            or o._requires_grad
            or o._fw
        ):
            if isinstance(o, BatchedTensor):
                final = BatchedTensor.wrap(o._value, o._bdim, o._vlevel)
            else:
                final = Tensor._make(o._data)
                final._vc = o._version_counter()
        else:
            final = o
        used.add(id(final))
        finals.append(final)

    nondiff = {id(t) for t in ctx.non_differentiable}
    for i, (o, f) in enumerate(zip(raw_outs, finals)):
        if not isinstance(f, Tensor):
            continue
        if id(o) in nondiff:
            if id(o) not in dirty:
                f._requires_grad = False
        elif requires_grad and f._data.dtype.kind == "f":
            if tape >= 0:
                f._glevel = tape
            f.grad_fn, f._out_nr, f._requires_grad = ctx, i, True
    return finals


def _keep_on_ctx(ctx, raw_outs, finals, originals, input_ids):
    """What the node keeps: the saved tensors as the caller knows them (NOTE: [saved tensors
    of a custom function]) with their versions, and the outputs' metadata."""
    dirty = {id(t) for t in ctx.dirty_tensors}
    nondiff = {id(t) for t in ctx.non_differentiable}
    to_final = {id(o): f for o, f in zip(raw_outs, finals) if isinstance(o, Tensor)}

    def original(t):
        if t is None:
            return None
        if id(t) in dirty:
            return to_final.get(id(t), originals.get(id(t), t))
        if id(t) in originals:
            return originals[id(t)]
        if id(t) in input_ids:
            return t
        return to_final.get(id(t), t)

    ctx._saved = tuple(original(t) for t in (ctx.to_save or ()))
    ctx._saved_versions = tuple(t._version if t is not None else None for t in ctx._saved)
    if _graph.PACKING and _graph.HOOKS.stack:  # NOTE: [saved tensor hooks] in _graph.py
        ctx._saved = _graph.pack_all(ctx._saved)
    if ctx.saved_for_forward is not None:
        ctx._saved_fw = tuple(original(t) for t in ctx.saved_for_forward)
    ctx.to_save = ctx.saved_for_forward = None
    ctx.dirty_tensors = ctx.non_differentiable = ()
    ctx._n_out = len(raw_outs)
    ctx._out_meta = [
        (f._data.shape, f._data.dtype) if isinstance(f, Tensor) else None for f in finals
    ]
    ctx._diff_out = [
        isinstance(f, Tensor) and f._data.dtype.kind == "f" and id(o) not in nondiff
        for o, f in zip(raw_outs, finals)
    ]


# ---------------------------------------------------------------------------- forward mode
def _push_tangents(cls, ctx, args, tangents, finals, level):
    if ctx.materialize_grads:
        tangents = [
            Tensor._make(np.zeros(a._data.shape, a._data.dtype))
            if t is None and isinstance(a, Tensor) and a._data.dtype.kind == "f"
            else t
            for a, t in zip(args, tangents)
        ]
    ctx._view_level = level
    try:
        if _defines(cls, "jvp"):
            ctx._in_jvp = True
            result = cls.jvp(ctx, *tangents)
        elif _defines_backward(cls):
            result = _jvp_from_backward(cls, ctx, tangents)
        else:
            raise _no_rule(cls)
    finally:
        ctx._view_level = None
        ctx._in_jvp = False
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(finals):
        raise RuntimeError(
            f"{cls.__name__}.jvp returned an invalid number of forward gradients (expected "
            f"{len(finals)} but got {len(result)}); return one tangent (or None) per output"
        )
    for i, (f, t) in enumerate(zip(finals, result)):
        if t is None or not ctx._diff_out[i]:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{cls.__name__}.jvp returned {type(t).__name__} as the tangent of output {i}; "
                "expected a Tensor or None"
            )
        if t._data.shape != f._data.shape:
            raise RuntimeError(
                f"{cls.__name__}.jvp returned a tangent of shape {tuple(t._data.shape)} for "
                f"output {i}, whose shape is {tuple(f._data.shape)}; return tangents of the "
                "outputs' shapes"
            )
        if t._data.dtype != f._data.dtype:
            t = t.to(_dtype.from_numpy_dtype(f._data.dtype))
        set_tangent(f, level, _strip(t, level))


def _jvp_from_backward(cls, ctx, tangents):
    """``J t = d<J^T gO, t>/d gO``: NOTE: [derived rules]."""
    fn = _user_backward(cls)
    if getattr(fn, "_once_differentiable", False):
        raise RuntimeError(
            f"{cls.__name__} has no jvp and its backward is once_differentiable; define "
            "jvp(ctx, *tangents)"
        )
    g_outs = []
    for meta, diff in zip(ctx._out_meta, ctx._diff_out):
        if meta is None:
            g_outs.append(None)
            continue
        g = Tensor._make(np.ones(meta[0], meta[1]) if diff else np.zeros(meta[0], meta[1]))
        g._requires_grad = diff
        g_outs.append(g)
    needs = ctx.needs_input_grad
    ctx.needs_input_grad = tuple(t is not None for t in tangents)  # backward may skip inputs
    prev, _grad_state.enabled = _grad_state.enabled, True
    try:
        g_ins = _call_backward(ctx, g_outs)
    except Exception as e:
        raise RuntimeError(
            f"{cls.__name__} has no jvp, and deriving one from its backward failed: backward "
            f"raised {type(e).__name__}: {e}. Define jvp(ctx, *tangents)"
        ) from e
    finally:
        _grad_state.enabled = prev
        ctx.needs_input_grad = needs
    pairs = []
    for i, (g, t) in enumerate(zip(g_ins, tangents)):
        if g is None or t is None:
            continue
        if isinstance(g, BatchedTensor):  # batched primals (a batched tangent is fine)
            return _jvp_from_backward_batched(cls, ctx, tangents, prev)
        if not g._requires_grad:
            if np.any(g._data != 0):
                raise _not_dualgrad(
                    cls, "jvp", "backward", f"gradient for input {i}", "grad_output"
                )
            continue
        pairs.append((g, t))
    diff_g = [g for g in g_outs if g is not None and g._requires_grad]
    if not pairs or not diff_g:
        return (None,) * len(ctx._out_meta)
    from .engine import grad

    jt = grad(
        [p[0] for p in pairs], diff_g, [p[1] for p in pairs], create_graph=True, allow_unused=True
    )
    it = iter(jt)
    out = []
    for g in g_outs:
        t = next(it) if g is not None and g._requires_grad else None
        out.append(t if t is None or prev else detach_history(t))
    return tuple(out)


def _jvp_from_backward_batched(cls, ctx, tangents, grad_enabled):
    """The derived jvp where backward's result is batched: NOTE: [derived rules]."""
    from ..func import vjp

    diff = [k for k, d in enumerate(ctx._diff_out) if ctx._out_meta[k] is not None and d]
    with_tangent = [i for i, t in enumerate(tangents) if t is not None]
    g_outs = [
        None if meta is None else Tensor._make(np.zeros(meta[0], meta[1])) for meta in ctx._out_meta
    ]

    def backward_of(*gs):
        full = list(g_outs)
        for k, g in zip(diff, gs):
            full[k] = g
        g_ins = _call_backward(ctx, full)
        kept = []
        for i in with_tangent:
            g = g_ins[i]
            if g is not None and not g.requires_grad:
                raise _not_dualgrad(
                    cls, "jvp", "backward", f"gradient for input {i}", "grad_output"
                )
            kept.append(g)
        return tuple(kept)

    ones = [Tensor._make(np.ones(m[0], m[1])) for m in (ctx._out_meta[k] for k in diff)]
    needs = ctx.needs_input_grad
    ctx.needs_input_grad = tuple(t is not None for t in tangents)  # backward may skip inputs
    prev, _grad_state.enabled = _grad_state.enabled, True
    try:
        g_ins, pullback = vjp(backward_of, *ones)
        pairs = [(g, tangents[i]) for g, i in zip(g_ins, with_tangent) if g is not None]
        if not pairs or not diff:
            return (None,) * len(ctx._out_meta)
        jt = pullback(
            tuple(
                t if g is not None else None
                for g, t in zip(g_ins, (tangents[i] for i in with_tangent))
            )
        )
    finally:
        _grad_state.enabled = prev
        ctx.needs_input_grad = needs
    out = [None] * len(ctx._out_meta)
    for k, t in zip(diff, jt):
        out[k] = t if grad_enabled else detach_history(t)
    return tuple(out)


def _not_dualgrad(cls, missing, present, what, wrt):
    return RuntimeError(
        f"{cls.__name__} has no {missing}, and one cannot be derived from its {present}: the "
        f"{what} it returns does not depend on its {wrt} through dualgrad ops (it was computed "
        f"outside dualgrad, e.g. with NumPy). Define {missing}(ctx, ...) or write {present} "
        "with dualgrad ops"
    )


# ---------------------------------------------------------------------------- reverse mode
def _call_backward(ctx, grads):
    """The user's backward, checked like PyTorch: count, non-tensor inputs, shapes, dtypes."""
    result = _user_backward(ctx._forward_cls)(ctx, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    n = len(ctx._in_meta)
    if len(result) > n and all(r is None for r in result[n:]):
        result = result[:n]
    if len(result) != n:
        raise RuntimeError(
            f"function {ctx.name()} returned an incorrect number of gradients (expected {n}, "
            f"got {len(result)})"
        )
    out = []
    for i, (g, meta) in enumerate(zip(result, ctx._in_meta)):
        if g is None:
            out.append(None)
            continue
        if meta is None:
            raise RuntimeError(
                f"function {ctx.name()} returned a gradient different than None at position "
                f"{i + 1}, but the corresponding forward input was not a Variable"
            )
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {ctx.name()} returned {type(g).__name__} as the gradient of input "
                f"{i}; expected a Tensor or None"
            )
        shape, dtype = meta
        if g._data.shape != shape:
            try:
                ok = np.broadcast_shapes(shape, g._data.shape) == g._data.shape
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(
                    f"Function {ctx.name()} returned an invalid gradient at index {i} - got "
                    f"{list(g._data.shape)} but expected shape compatible with {list(shape)}"
                )
            g = sum_to(g, shape)
        if g._data.dtype != dtype and np.dtype(dtype).kind == "f":
            g = g.to(_dtype.from_numpy_dtype(dtype))
        out.append(g)
    return tuple(out)


def _vjp_from_jvp(ctx, grads):
    """``J^T g = d<J t, g>/d t``: NOTE: [derived rules]."""
    cls = ctx._forward_cls
    create_graph = _grad_state.enabled
    t_dummy = []
    for meta, edge in zip(ctx._in_meta, ctx.edges):
        if meta is None or np.dtype(meta[1]).kind != "f":
            t_dummy.append(None)
            continue
        fill = np.ones if edge is not None else np.zeros
        t = Tensor._make(fill(meta[0], meta[1]))
        t._requires_grad = edge is not None
        t_dummy.append(t if edge is not None or ctx.materialize_grads else None)
    prev, _grad_state.enabled = _grad_state.enabled, True
    ctx._in_jvp = True
    try:
        result = cls.jvp(ctx, *t_dummy)
    except Exception as e:
        raise RuntimeError(
            f"{cls.__name__} has no backward, and deriving one from its jvp failed: jvp raised "
            f"{type(e).__name__}: {e}. Define backward(ctx, *grads)"
        ) from e
    finally:
        _grad_state.enabled = prev
        ctx._in_jvp = False
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(ctx._out_meta):
        raise RuntimeError(
            f"{cls.__name__}.jvp returned an invalid number of forward gradients (expected "
            f"{len(ctx._out_meta)} but got {len(result)}); return one tangent (or None) per output"
        )
    outs, gs = [], []
    for i, (r, g, meta) in enumerate(zip(result, grads, ctx._out_meta)):
        if r is None or g is None or meta is None:
            continue
        if r._data.shape != meta[0]:
            raise RuntimeError(
                f"{cls.__name__}.jvp returned a tangent of shape {tuple(r._data.shape)} for "
                f"output {i}, whose shape is {tuple(meta[0])}"
            )
        if not r._requires_grad:
            if np.any(r._data != 0):
                raise _not_dualgrad(cls, "backward", "jvp", f"tangent of output {i}", "tangents")
            continue
        outs.append(r)
        gs.append(g.to(r.dtype) if g._data.dtype != r._data.dtype else g)
    diff_t = [t for t in t_dummy if t is not None and t._requires_grad]
    if not outs or not diff_t:
        return (None,) * len(ctx._in_meta)
    from .engine import grad

    found = iter(grad(outs, diff_t, gs, create_graph=create_graph, allow_unused=True))
    return tuple(next(found) if t is not None and t._requires_grad else None for t in t_dummy)


# ---------------------------------------------------------------------------- once_differentiable
class _DelayedError(Node):
    """Stands for a backward that ran without recording; differentiating it raises."""

    __slots__ = ("message", "n_out", "seq")

    def __init__(self, message, edges, n_out):
        self.message = message
        self.edges = edges
        self.pre_hooks = None
        self.n_out = n_out
        self.seq = next(_sequence)

    @property
    def num_outputs(self) -> int:  # type: ignore[override]
        return self.n_out

    def name(self) -> str:
        return "DelayedError"

    def apply(self, grads):
        raise RuntimeError(self.message)


def once_differentiable(fn):
    """Mark a ``backward`` that is not differentiable (it runs without recording).

    Its gradients still come out; differentiating them (double backward) raises an error
    naming the Function. A Function whose backward is marked cannot have its jvp derived
    from it (NOTE: [derived rules]).
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev, _grad_state.enabled = _grad_state.enabled, False
        try:
            outputs = fn(ctx, *args)
        finally:
            _grad_state.enabled = prev
        if not _grad_state.enabled:
            return outputs
        edges = [a._edge() for a in args if isinstance(a, Tensor) and a._requires_grad]
        edges += [e for e in getattr(ctx, "edges", ()) if e is not None]
        if not edges:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        name = ctx.name() if isinstance(ctx, Node) else type(ctx).__name__
        err = _DelayedError(
            f"trying to differentiate twice a function that was marked with @once_differentiable: "
            f"{name}. Its backward ran without recording; remove @once_differentiable and write "
            "backward with dualgrad ops, or make backward a Function with its own backward",
            edges,
            len(outs),
        )
        wrapped = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o._data.dtype.kind == "f":
                t = Tensor._make(o._data)
                t._vc = o._version_counter()
                t.grad_fn, t._out_nr, t._requires_grad = err, i, True
                for level, tangent in (o._fw or {}).items():
                    set_tangent(t, level, tangent)
                o = t
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)

    wrapper._once_differentiable = True  # type: ignore[attr-defined]
    return wrapper
