"""Saved tensors: what a backward node keeps, under torch's names, and the pack/unpack hooks.

A node of a primitive keeps its inputs in ``args`` and a stand-in for its output in ``out``
(NOTE: [saved outputs] in _graph.py). Which of them are *saved* in torch's sense (what the
rules read, so what torch would keep and what a pack hook sees) follows from the op's
declaration, not from a list per op (NOTE: [saved names]).

# NOTE: [saved tensor hooks]
Inside ``saved_tensors_hooks(pack, unpack)`` every tensor a node saves goes through ``pack``
when the node is made, and the node keeps what ``pack`` returned in place of the tensor (a
``_Packed``); ``unpack`` runs each time the rule or a ``_saved_*`` attribute reads it, as in
torch. The recorder (``_ground._node``) tests one list (``PACKING``, the hooks open in any
thread) and calls ``pack_node`` only when it is not empty, so recording without hooks costs
one global lookup more. A packed node is a ``PackedOpNode``: the same object and slots, a
class of its own, so the engine runs it through ``apply`` (its inlined path is for OpNode
only) and the unpacking is never on the hot path. As in torch, a packed tensor is not
version-checked (the hooks own what they keep), and what ``unpack`` returns for a saved output
gets this node as its history, so double backward through it works.
"""

from __future__ import annotations

import threading
import weakref

from ._graph import _FREED, OpNode, rule_reads
from ._tensor import Tensor

_new = object.__new__


class _HookState(threading.local):
    stack: tuple = ()  # the open (pack, unpack) pairs of this thread, innermost last
    disabled = None  # the message of an open disable_saved_tensors_hooks


HOOKS = _HookState()
# The pairs open in any thread; the recorder tests only this (NOTE: [saved tensor hooks])
PACKING: list = []


# NOTE: [saved names] torch names a node's saved tensors after the arguments of its
# derivatives.yaml entry: ``self`` and ``other`` for most ops, ``result`` for the output. The
# few nodes whose arguments are named otherwise are listed here by node name.
_INPUT_NAMES = {
    "MmBackward0": ("self", "mat2"),
    "MvBackward0": ("self", "vec"),
    "BmmBackward0": ("self", "mat2"),
    "DotBackward0": ("self", "tensor"),
    "WhereBackward0": ("condition", "self", "other"),
}
_DEFAULT_NAMES = ("self", "other")


def input_names(node) -> tuple:
    names = _INPUT_NAMES.get(node.name(), _DEFAULT_NAMES)
    n = len(node.needs)
    return tuple(names[i] if i < len(names) else f"input{i}" for i in range(n))


def saved_inputs(op, needs) -> list:
    """The inputs the needed rules read: what torch saves (NOTE: [saved reads] in _graph.py),
    in torch's order, that of the formulas that read them (mul's rule for ``self`` reads
    ``other``, so ``other`` is saved, packed and unpacked first)."""
    if not op.saves:
        return []
    n = len(needs)
    if op.reads is None:
        return list(range(n))
    read = {}
    for i, need in enumerate(needs):
        if need:
            read.update(dict.fromkeys(rule_reads(op, i, n)))
    return list(read)


def saved_outputs(op, n_out) -> list:
    if not op.uses_out:
        return []
    return [i for i in range(n_out) if op.outputs_read is None or i in op.outputs_read]


def _slots(node) -> dict:
    """``{name: ("in", i) | ("out", i) | ("param", key)}`` of a node's saved values."""
    op = node.op
    names = input_names(node)
    slots = {names[i]: ("in", i) for i in saved_inputs(op, node.needs)}
    if op.uses_out:
        n_out = node.num_outputs
        for i in saved_outputs(op, n_out):
            slots["result" if n_out == 1 else f"result{i}"] = ("out", i)
    if node.params:
        for key in node.params:
            slots.setdefault(key, ("param", key))
    return slots


def saved_attribute(node, name):
    """``node._saved_<name>`` and ``node._raw_saved_<name>`` (torch's names: NOTE: [saved
    names]); AttributeError for anything else."""
    raw = name.startswith("_raw_saved_")
    if raw or name.startswith("_saved_"):
        key = name[len("_raw_saved_") :] if raw else name[len("_saved_") :]
        slot = _slots(node).get(key)
        if slot is not None and not (raw and slot[0] == "param"):
            if raw:
                return SavedTensor(node, slot)
            if slot[0] == "param":
                return node.params[slot[1]]
            return _read(node, slot)
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '{name}'")


def _stored(node, slot):
    kind, i = slot
    if kind == "in":
        return node.args[i]
    return node.out[i] if type(node.out) is tuple else node.out


def _store(node, slot, value) -> None:
    kind, i = slot
    if kind == "in":
        args = list(node.args)
        args[i] = value
        node.args = tuple(args)
    elif type(node.out) is tuple:
        out = list(node.out)
        out[i] = value
        node.out = tuple(out)
    else:
        node.out = value


def _read(node, slot):
    """A saved value as torch's ``_saved_*`` gives it: an input itself (the same object), an
    output as a new tensor with this node as its history, a packed one through ``unpack``."""
    if node.args is None:
        raise RuntimeError(_FREED)
    value = _stored(node, slot)
    if type(value) is _Packed:
        return value.unpack(node)
    if slot[0] == "out":
        return _with_history(value, node, slot[1])
    if not isinstance(value, Tensor):  # a Python number: torch shows it as a 0-d tensor
        from ._factories import tensor
        from ._dtype import float64, int64

        return tensor(value, dtype=float64 if isinstance(value, float) else int64)
    return value


def _with_history(o, node, nr):
    """An output read back: same data and version counter, and ``node`` as its grad_fn."""
    if o.grad_fn is node or o._data.dtype.kind != "f":
        return o
    t = _new(Tensor)
    t._data = o._data
    t._vc = o._version_counter()
    t._fw = o._fw
    t.grad_fn, t._out_nr, t._requires_grad = node, nr, True
    return t


class _Packed:
    """What a pack hook returned, kept by the node in place of the tensor."""

    __slots__ = ("packed", "unpack_hook", "out_nr")

    def __init__(self, packed, unpack_hook, out_nr):
        self.packed, self.unpack_hook, self.out_nr = packed, unpack_hook, out_nr

    def unpack(self, node):
        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(t).__name__}"
            )
        if self.out_nr is not None:  # NOTE: [saved tensor hooks]: an output keeps its history
            t = _with_history(t, node, self.out_nr)
        return t


def _pack(node, slot, value, pack, unpack):
    if slot[0] == "out" and value._data.dtype.kind == "f":
        # pack sees the output with its history, as torch's does (the recorder sets the same
        # fields on the output itself right after: NOTE: [saved outputs] in _graph.py)
        value.grad_fn, value._out_nr, value._requires_grad = node, slot[1], True
    _store(node, slot, _Packed(pack(value), unpack, slot[1] if slot[0] == "out" else None))


def pack_node(node) -> None:
    """Run this thread's innermost pack hook on what ``node`` saves (NOTE: [saved tensor
    hooks]); called by the recorder when ``PACKING`` is not empty."""
    if not HOOKS.stack:
        return  # hooks are open in another thread only
    pack, unpack = HOOKS.stack[-1]
    slots = [s for s in _slots(node).values() if s[0] != "param"]
    if not slots:
        return
    node.__class__ = PackedOpNode
    for slot in slots:
        value = _stored(node, slot)
        if isinstance(value, Tensor):
            _pack(node, slot, value, pack, unpack)


class PackedOpNode(OpNode):
    """An OpNode whose saved tensors went through pack hooks (NOTE: [saved tensor hooks])."""

    __slots__ = ()

    def apply(self, grads):
        if self.args is None:
            raise RuntimeError(_FREED)
        if self.versions:  # a list: some input was written in place before it was saved
            self._check_versions()
        args = list(self.args)
        for i in saved_inputs(self.op, self.needs):  # in torch's order (NOTE: [saved names])
            if type(args[i]) is _Packed:
                args[i] = args[i].unpack(self)
        out = self.out
        if type(out) is tuple:
            out = tuple(
                o.unpack(self) if type(o) is _Packed else _with_history(o, self, i)
                for i, o in enumerate(out)
            )
        elif type(out) is _Packed:
            out = out.unpack(self)
        elif out is not None:
            out = _with_history(out, self, 0)
        g = tuple(grads) if self.op.multi_output else grads[0]
        grads = self.op.vjp(g, *args, out=out, needs=self.needs, **self.params)
        return _cast_to_inputs(grads, args)

    def _check_versions(self) -> None:
        # Only what was kept as it was is checked: the hooks own the packed values (torch)
        for i, (a, v) in enumerate(zip(self.args, self.versions)):
            if v is not None and isinstance(a, Tensor) and a._vc is not None and a._vc[0] != v:
                self._modified(f"input {i}", a, v)


def _cast_to_inputs(grads, args):
    """Each input's gradient in its input's dtype (NOTE: [gradient dtypes] in engine.py)."""
    out = []
    for a, g in zip(args, grads):
        if g is not None and isinstance(a, Tensor) and g._data.dtype != a._data.dtype:
            if a._data.dtype.kind == "f":
                g = g.to(a.dtype)
        out.append(g)
    return out


class SavedTensor:
    """A node's saved tensor as torch's ``_raw_saved_*`` gives it: ``register_hooks(pack,
    unpack)`` packs it now and unpacks it at each read (NOTE: [saved tensor hooks])."""

    __slots__ = ("_node", "_slot")

    def __init__(self, node, slot):
        self._node = weakref.ref(node)
        self._slot = slot

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError(
                "register_hooks(): incompatible function arguments: pack_hook and unpack_hook "
                "must be callables"
            )
        node = self._node()
        if node is None or node.args is None:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved variables after "
                "calling backward."
            )
        value = _stored(node, self._slot)
        if type(value) is _Packed:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time."
            )
        if not isinstance(value, Tensor):
            return  # a Python number: nothing to pack
        if self._slot[0] == "out":
            value = _with_history(value, node, self._slot[1])
        node.__class__ = PackedOpNode
        _pack(node, self._slot, value, pack_hook, unpack_hook)

    def __repr__(self) -> str:
        return f"<dualgrad.autograd.graph.SavedTensor object at {id(self):#x}>"


# ------------------------------------------------------------------ the context managers
class saved_tensors_hooks:
    """Pack every tensor saved for backward inside the block with ``pack_hook``, and unpack it
    with ``unpack_hook`` when backward (or a ``_saved_*`` attribute) reads it, as torch's.

    >>> import dualgrad as dg
    >>> x = dg.ones(3, requires_grad=True)
    >>> with dg.autograd.graph.saved_tensors_hooks(lambda t: t * 4, lambda t: t / 4):
    ...     y = x.pow(2)
    >>> y.sum().backward()
    >>> x.grad
    tensor([2., 2., 2.])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if HOOKS.disabled is not None:
            raise RuntimeError(HOOKS.disabled)
        HOOKS.stack = HOOKS.stack + ((self.pack_hook, self.unpack_hook),)
        PACKING.append(self)

    def __exit__(self, *exc):
        HOOKS.stack = HOOKS.stack[:-1]
        PACKING.remove(self)
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors on the CPU, as torch's: here every tensor is on the CPU, so the hooks
    keep a copy (``pin_memory=True``, as torch's copy into pinned memory) or the tensor itself.

    >>> import dualgrad as dg
    >>> x = dg.ones(3, requires_grad=True)
    >>> with dg.autograd.graph.save_on_cpu(pin_memory=True):
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 2., 2.])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            return (tensor.device, _copy(tensor))

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


def _copy(t):
    from ._grad_mode import no_grad

    with no_grad():  # a copy of the value (its tangents too), not a node of the graph
        return t.clone()


class disable_saved_tensors_hooks:
    """Refuse saved-tensor hooks inside the block with ``error_message``, as torch's (a
    feature that cannot work with them says so)."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        if HOOKS.stack:
            raise RuntimeError(self.error_message)
        self._prev = HOOKS.disabled
        HOOKS.disabled = self.error_message

    def __exit__(self, *exc):
        HOOKS.disabled = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)

        return wrapper
