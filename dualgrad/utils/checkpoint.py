"""Activation checkpointing (torch.utils.checkpoint): keep a segment's inputs, not what its ops
save, and run the segment again in backward to get those back.

# NOTE: [checkpointing, two ways]
- ``use_reentrant=False`` (torch's recommended variant) is built on saved-tensor hooks (NOTE:
  [saved tensor hooks] in _graph.py): inside the segment every saved tensor is packed as a
  number (its place in the order of saving) and the graph keeps nothing else of it (NOTE:
  [unsaved inputs keep their shape only]); the first unpack in backward runs the segment
  again, with recording on and the random state of the first run, capturing what its ops
  save in the same order, and each unpack returns its number's tensor (with the original's
  history, so double backward works). Forward mode and ``autograd.grad`` work as without it.
- ``use_reentrant=True`` is a custom Function that runs the segment without recording and,
  in its backward, runs it again with recording and calls backward inside backward (hence
  "reentrant"): like torch's, it cannot serve ``autograd.grad``/``inputs=``, double backward
  or forward mode.
"""

from __future__ import annotations

import contextlib
import warnings

from .._grad_mode import enable_grad, no_grad
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks
from ..random import fork_rng, get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]


class CheckpointError(RuntimeError):
    """The recomputation did not save what the first run saved (torch's class)."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=noop_context_fn,
    determinism_check="default",
    debug=False,
    early_stop=True,
    **kwargs,
):
    """``function(*args, **kwargs)``, keeping only its inputs for backward (NOTE:
    [checkpointing, two ways]); ``preserve_rng_state=True`` (default) makes the rerun draw
    the same random numbers (the same dropout masks).

    >>> import dualgrad as dg
    >>> from dualgrad.utils.checkpoint import checkpoint
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> y = checkpoint(lambda t: (t.sin() * t).sum(), x, use_reentrant=False)
    >>> y.backward()
    >>> x.grad
    tensor([1.3818, 0.0770])
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    return _checkpoint_without_reentrant(
        function, preserve, context_fn, determinism_check, args, kwargs
    )


# ------------------------------------------------------------------ use_reentrant=False
class _Frame:
    """One checkpointed call: what reruns it, and the tensors the rerun saved."""

    def __init__(self, function, args, kwargs, rng_state, recompute_context, determinism_check):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.determinism_check = determinism_check
        self.rng_state, self.recompute_context = rng_state, recompute_context
        self.count = 0  # tensors saved by the first run
        self.metadata = []  # their shapes and dtypes, to check the rerun against
        self.recomputed = None

    def hooks(self):
        def pack(t):
            i = self.count
            self.count += 1
            self.metadata.append((tuple(t.shape), t.dtype))
            return (self, i)  # the frame, not the tensor (NOTE: [checkpointing, two ways])

        # counted in the order of saving, even inside a dual level (NOTE: [outputs packed
        # after their tangents] in _graph.py)
        pack.pack_now = True
        return pack, self.unpack

    def unpack(self, packed):
        _, i = packed
        if self.recomputed is None:
            self.recompute()
        return self.recomputed[i]

    def recompute(self):
        saved = []

        def keep(t):
            # the tensor itself: inside a dual level an output's tangent comes after
            saved.append(t)
            return None

        keep.pack_now = True

        forked = fork_rng() if self.rng_state is not None else contextlib.nullcontext()
        with forked, enable_grad(), self.recompute_context, saved_tensors_hooks(keep, _never):
            if self.rng_state is not None:
                set_rng_state(self.rng_state)
            self.function(*self.args, **self.kwargs)
        # As torch's (with early_stop), what the rerun saves past the first run's count is
        # not looked at; fewer tensors, or others, mean the function is not deterministic.
        if len(saved) < self.count:
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                f"original forward and recomputation.\nNumber of tensors saved during forward: "
                f"{self.count}\nNumber of tensors saved during recomputation: {len(saved)}.\n"
                "Make the checkpointed function deterministic (the same ops on the same "
                "inputs), and keep preserve_rng_state=True if it draws random numbers."
            )
        bad = [
            f"tensor at position {i}:\nsaved metadata: {{'shape': {m[0]}, 'dtype': {m[1]}}}\n"
            f"recomputed metadata: {{'shape': {tuple(t.shape)}, 'dtype': {t.dtype}}}"
            for i, (m, t) in enumerate(zip(self.metadata, saved))
            if m != (tuple(t.shape), t.dtype)
        ]
        if bad and self.determinism_check == "default":
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\n" + "\n".join(bad)
            )
        self.recomputed = saved


def _never(_):
    raise AssertionError("checkpoint: a recomputed graph is never run backward")


def _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, args, kwargs):
    forward_context, recompute_context = context_fn()
    rng_state = get_rng_state() if preserve else None
    frame = _Frame(function, args, kwargs, rng_state, recompute_context, determinism_check)
    with saved_tensors_hooks(*frame.hooks()), forward_context:
        return function(*args, **kwargs)


# ------------------------------------------------------------------ use_reentrant=True
class CheckpointFunction(Function):
    """The reentrant variant (NOTE: [checkpointing, two ways])."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.inputs, tensor_indices, tensors = [], [], []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensors.append(arg)
                tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.tensor_indices = tensor_indices
        ctx.save_for_backward(*tensors)
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        from ..autograd.engine import backward, current_task

        task = current_task()
        if task is not None and task.needed is not None:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        forked = fork_rng() if ctx.rng_state is not None else contextlib.nullcontext()
        with forked, enable_grad():
            if ctx.rng_state is not None:
                set_rng_state(ctx.rng_state)
            outputs = ctx.run_function(*inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        with_grad = [
            (o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad
        ]
        if not with_grad:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        backward([o for o, _ in with_grad], [g for _, g in with_grad])
        return (None, None) + tuple(inp.grad if isinstance(inp, Tensor) else None for inp in inputs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or a list of modules) in ``segments`` checkpointed chunks, the last
    one as it is, as torch's.

    >>> import dualgrad as dg
    >>> from dualgrad.utils.checkpoint import checkpoint_sequential
    >>> net = dg.nn.Sequential(dg.nn.Linear(2, 2), dg.nn.Tanh(), dg.nn.Linear(2, 1))
    >>> out = checkpoint_sequential(net, 2, dg.ones(1, 2, requires_grad=True), use_reentrant=False)
    >>> tuple(out.shape)
    (1, 1)
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)
