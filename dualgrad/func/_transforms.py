"""Function transforms: grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian, vmap.

# NOTE: [transforms without vmap levels]
Outside vmap the reverse-mode transforms run on the ordinary tape: each input is replaced by a fresh
differentiable alias (a view with its own node when the input already has history, else a new
leaf) that keeps the input's tangents, so ``grad(grad(f))``, ``jvp(grad(f))`` and
``grad(jvp(f))`` nest without perturbation confusion: every inner transform asks the engine for
the gradient at *its own* alias. Forward mode uses one dual level per ``jvp`` call, and levels
nest (NOTE: [levels]). ``create_graph`` is switched on exactly when an outer transform can see
the result (an input already requires grad, on any tape), so the plain first-order case
stays cheap. Inside vmap each reverse transform records on a tape of its own level instead
(NOTE: [grad under vmap] in _grad_levels.py), and its outputs leave that tape when it returns.

``vmap`` is a level in the dispatcher with a batching rule per op (NOTE: [vmap levels] in
_vmap_level.py); it runs the function once per batch element only when asked to before the call
(NOTE: [asked-for loops]). ``jacrev`` is ``vmap`` over the pullback of one recorded forward pass
(one vectorised backward for all rows), ``jacfwd`` is ``vmap`` over ``jvp`` (one vectorised
forward pass for all columns), and ``hessian`` is ``jacfwd(jacrev)``.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _factories, _grad_levels, _levels
from .. import _vmap_level as _vmap_levels
from .._batching import BatchedTensor, note_fallback
from .._grad_mode import enable_grad
from .._tensor import Tensor, alias, set_tangent
from ..autograd import forward_ad as fwAD
from ..autograd.engine import grad as _autograd_grad
from .._graph import AccumulateGrad, OpNode, _sequence, edge_pair
from ._pytree import tree_flatten, tree_map, tree_unflatten


# ------------------------------------------------------------------ helpers
def _check_tensor(x, fn: str):
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected the differentiated arguments to be Tensors (or pytrees of Tensors), "
            f"got {type(x).__name__}; wrap arrays with dualgrad.tensor(...)"
        )
    if not x.is_floating_point():
        raise TypeError(
            f"{fn}: can only differentiate with respect to floating point tensors, got {x.dtype}"
        )


def _fresh(x: Tensor, level: int) -> Tensor:
    """A differentiable stand-in for ``x`` whose gradient the engine can report on its own.

    ``level``: the transform's tape; inside vmap a level of its own (NOTE: [grad under vmap])."""
    if level >= 0:
        return _grad_levels.make_leaf(x, level)
    if x.requires_grad:
        return x.reshape(tuple(x.shape))  # a view with its own node: ViewBackward0
    y = alias(x)
    y.grad_fn = None
    y._acc = None
    if y._fw:
        for level, tangent in dict(y._fw).items():
            set_tangent(y, level, tangent)
    y.requires_grad_(True)
    return y


def _argnums_tuple(argnums, n_args, fn):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n_args <= a < n_args:
            raise ValueError(
                f"{fn}: argnums {argnums} out of range for a function of {n_args} arguments"
            )
    return nums


def _split_aux(out, has_aux, fn):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{fn}(f, has_aux=True): f must return a (output, aux) tuple")
    return out


def _zeros_like(x):
    return _factories.zeros_like(x)


def _grad_of(outputs, inputs, cotangents, create_graph, tape=-1):
    """Gradients of ``outputs`` at ``inputs``, as the caller of a transform on ``tape`` sees
    them: that tape ends with the transform (NOTE: [grad under vmap])."""
    grads = _autograd_grad(
        outputs, inputs, cotangents, retain_graph=True, create_graph=create_graph, allow_unused=True
    )
    return [
        _zeros_like(x) if g is None else _grad_levels.strip(g, tape) for g, x in zip(grads, inputs)
    ]


# NOTE: [closed-over history]
# A transform returns gradients that an outer transform (or ordinary autograd) can
# differentiate only if its backward ran with create_graph. The inputs tell part of that (an
# input with history of its own), but the function may also close over a tensor with
# history: grad_w of a function of grad_x f(x, w) (a gradient penalty, MAML's inner step on
# closed-over weights). So after the forward the transform walks its graph from the outputs
# (``_sees_outside``): a node made before the transform began, a leaf that is not one of its
# inputs, or, on a tape inside vmap, a saved value with history below that tape, means the
# gradients depend on something outside, and the backward keeps its graph. (Torch's
# functorch gets this from its levels; the walk costs one pass over the nodes the transform
# recorded.)
def _sees_outside(outputs, inputs, tape, start) -> bool:
    fresh = {id(x) for x in inputs}
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            if id(node.variable) not in fresh:
                return True
            continue
        if getattr(node, "seq", start) < start:
            return True
        if tape >= 0:
            saved = node.args if type(node) is OpNode else getattr(node, "_saved", None)
            for a in saved or ():
                if (
                    isinstance(a, Tensor)
                    and id(a) not in fresh
                    and (_grad_levels.requires_grad_anywhere(_grad_levels.strip(a, tape)))
                ):
                    return True
        stack.extend(edge_pair(e)[0] for e in node.edges if e is not None)
    return False


def _leave(tree, tape, create_graph=True):
    """A transform's outputs off its own tape (and detached unless an outer one sees them)."""

    def one(o):
        if not isinstance(o, Tensor):
            return o
        o = _grad_levels.strip(o, tape)
        return o if create_graph else o.detach()

    return tree_map(one, tree) if tape >= 0 or not create_graph else tree


# ------------------------------------------------------------------ reverse mode
def grad_and_value(func, argnums=0, has_aux=False):
    """``f -> (grad of f, f)``, with torch.func's argnums and has_aux.

    >>> import dualgrad as dg
    >>> g, v = dg.func.grad_and_value(lambda x: (x ** 3).sum())(dg.tensor([2.0]))
    >>> g, v
    (tensor([12.]), tensor(8.))
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "grad")
        args = list(args)
        flat_per_arg = []
        create_graph = False
        tape = _grad_levels.new_tape()
        start = next(_sequence)  # NOTE: [closed-over history]
        for a in nums:
            leaves, spec = tree_flatten(args[a])
            for x in leaves:
                _check_tensor(x, "grad")
                create_graph = create_graph or _grad_levels.requires_grad_anywhere(x)
            fresh = [_fresh(x, tape) for x in leaves]
            flat_per_arg.append((fresh, spec))
            args[a] = tree_unflatten(spec, fresh)
        with enable_grad():
            out = func(*args, **kwargs)
        out, aux = _split_aux(out, has_aux, "grad")
        if not isinstance(out, Tensor):
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}"
            )
        if out.numel() != 1:
            raise RuntimeError(
                "grad(f)(...): f must return a scalar tensor (one element); "
                "use vjp or jacrev for other outputs"
            )
        all_inputs = [x for fresh, _ in flat_per_arg for x in fresh]
        if out.requires_grad:
            create_graph = create_graph or _sees_outside([out], all_inputs, tape, start)
            grads = _grad_of([out], all_inputs, None, create_graph, tape)
        else:
            grads = [_zeros_like(x) for x in all_inputs]
        results, i = [], 0
        for fresh, spec in flat_per_arg:
            results.append(tree_unflatten(spec, grads[i : i + len(fresh)]))
            i += len(fresh)
        g = results[0] if isinstance(argnums, int) else tuple(results)
        value = _leave(out, tape, create_graph)
        return (g, (value, _leave(aux, tape))) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``f -> grad of f`` for a scalar-valued ``f`` (torch.func.grad).

    >>> import dualgrad as dg
    >>> dg.func.grad(dg.func.grad(lambda x: x ** 3))(dg.tensor(2.0))
    tensor(12.)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _check_outputs(leaves, call):
    """torch.func's error for a function whose output holds something other than tensors."""
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(
                f"{call}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(o)}"
            )


def vjp(func, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per primal."""
    flat, spec = tree_flatten(primals)
    for x in flat:
        _check_tensor(x, "vjp")
    create_graph = any(_grad_levels.requires_grad_anywhere(x) for x in flat)
    tape = _grad_levels.new_tape()
    start = next(_sequence)  # NOTE: [closed-over history]
    fresh = [_fresh(x, tape) for x in flat]
    with enable_grad():
        out = func(*tree_unflatten(spec, fresh))
    out, aux = _split_aux(out, has_aux, "vjp")
    out_leaves, out_spec = tree_flatten(out)
    _check_outputs(out_leaves, "vjp(f, *primals)")
    create_graph = create_graph or _sees_outside(out_leaves, fresh, tape, start)

    def vjp_fn(cotangents):
        cts, ct_spec = tree_flatten(cotangents)
        if len(cts) != len(out_leaves):
            raise RuntimeError(
                f"vjp_fn: expected cotangents with the structure of the output "
                f"({len(out_leaves)} tensors), got {len(cts)}"
            )
        pairs = [(o, c) for o, c in zip(out_leaves, cts) if o.requires_grad]
        if not pairs:
            grads = [_zeros_like(x) for x in fresh]
        else:
            grads = _grad_of(
                [o for o, _ in pairs], fresh, [c for _, c in pairs], create_graph, tape
            )
        return tree_unflatten(spec, grads)

    value = _leave(out, tape, create_graph)
    aux = _leave(aux, tape)
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


# ------------------------------------------------------------------ forward mode
def jvp(func, primals, tangents, *, has_aux=False):
    """``(f(*primals), J tangents)`` by forward mode: one pass, one dual level.

    >>> import dualgrad as dg
    >>> dg.func.jvp(lambda x: x.sin(), (dg.tensor(0.0),), (dg.tensor(2.0),))
    (tensor(0.), tensor(2.))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): primals and tangents must be tuples")
    p_flat, spec = tree_flatten(tuple(primals))
    t_flat, t_spec = tree_flatten(tuple(tangents))
    if len(p_flat) != len(t_flat):
        raise RuntimeError(
            f"jvp: expected one tangent per primal ({len(p_flat)}), got {len(t_flat)}"
        )
    with fwAD.dual_level():
        duals = []
        for p, t in zip(p_flat, t_flat):
            _check_tensor(p, "jvp")
            duals.append(fwAD.make_dual(p, t))
        out = func(*tree_unflatten(spec, duals))
        out, aux = _split_aux(out, has_aux, "jvp")

        def split(o):
            primal, tangent = fwAD.unpack_dual(o)
            return primal, (_zeros_like(o) if tangent is None else tangent)

        o_flat, o_spec = tree_flatten(out)
        _check_outputs(o_flat, "jvp(f, primals, tangents)")
        pairs = [split(o) for o in o_flat]
    value = tree_unflatten(o_spec, [p for p, _ in pairs])
    tangent = tree_unflatten(o_spec, [t for _, t in pairs])
    return (value, tangent, aux) if has_aux else (value, tangent)


def linearize(func, *primals):
    """``(f(*primals), jvp_fn)`` evaluating ``f`` once: ``jvp_fn(*tangents)`` reuses the graph.

    The recorded graph gives u -> J^T u; that map is linear, so J t is its transpose applied
    to t, one backward pass through the recorded backward per call (torch re-runs f).
    """
    flat, spec = tree_flatten(primals)
    for x in flat:
        _check_tensor(x, "linearize")
    tape = _grad_levels.new_tape()
    fresh = [_fresh(x, tape) for x in flat]
    with enable_grad():
        out = func(*tree_unflatten(spec, fresh))
    o_flat, o_spec = tree_flatten(out)
    dummies = [_factories.ones_like(o).requires_grad_() for o in o_flat]
    with enable_grad():
        transposed = _grad_of(o_flat, fresh, dummies, create_graph=True)

    def jvp_fn(*tangents):
        t_flat, _ = tree_flatten(tangents)
        if len(t_flat) != len(flat):
            raise RuntimeError(f"jvp_fn: expected {len(flat)} tangents, got {len(t_flat)}")
        live = [(g, t) for g, t in zip(transposed, t_flat) if g.requires_grad]
        if not live:
            return tree_unflatten(o_spec, [_zeros_like(o) for o in o_flat])
        outs = _grad_of(
            [_grad_levels.strip(g, tape) for g, _ in live],
            dummies,
            [t for _, t in live],
            create_graph=False,
        )
        return tree_unflatten(o_spec, outs)

    return _leave(out, tape, create_graph=False), jvp_fn


# ------------------------------------------------------------------ Jacobians
def _basis_batch(x):
    """All one-hot tensors shaped like x, stacked: shape (x.numel(), *x.shape)."""
    n = x.numel()
    return _factories.from_numpy(np.eye(n, dtype=x._data.dtype).reshape((n,) + tuple(x.shape)))


def _of_differentiated(func, args, nums, has_aux, aux_box, fn):
    """``func`` as a function of the arguments at ``nums`` only (the rest fixed to ``args``);
    with ``has_aux`` the aux output is left in ``aux_box["aux"]``."""

    def f_of(*diff_args):
        full = list(args)
        for a, v in zip(nums, diff_args):
            full[a] = v
        out, aux = _split_aux(func(*full), has_aux, fn)
        aux_box["aux"] = aux
        return out

    return f_of


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian by reverse mode: one vectorised backward pass over all output elements
    (``chunk_size`` of them at a time, if given).

    ``result.shape == out.shape + input.shape`` for each differentiated input.
    """
    _check_chunk_size(chunk_size)

    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_tuple(argnums, len(args), "jacrev")
        outs = {}
        f_of = _of_differentiated(func, args, nums, has_aux, outs, "jacrev")
        value, pullback = vjp(f_of, *[args[a] for a in nums])
        o_flat, o_spec = tree_flatten(value)
        jac_per_out = []
        for k, o in enumerate(o_flat):

            def row(e, k=k):
                cts = [e if j == k else _zeros_like(oj) for j, oj in enumerate(o_flat)]
                return pullback(tree_unflatten(o_spec, cts))

            # one vmapped backward pass for all the rows (NOTE: [vmap levels])
            rows = _over_directions(row, chunk_size)(_basis_batch(o)) if o.numel() else None
            per_input = []
            for i, a in enumerate(nums):
                in_leaves, in_spec = tree_flatten(args[a])
                row_leaves = (
                    tree_flatten(rows[i])[0] if rows is not None else [None] * len(in_leaves)
                )
                blocks = []
                for x, r in zip(in_leaves, row_leaves):
                    shape = tuple(o.shape) + tuple(x.shape)
                    blocks.append(
                        r.reshape(shape)
                        if r is not None
                        else _factories.zeros(shape, dtype=x.dtype)
                    )
                per_input.append(tree_unflatten(in_spec, blocks))
            jac_per_out.append(per_input[0] if isinstance(argnums, int) else tuple(per_input))
        jac = tree_unflatten(o_spec, jac_per_out)
        return (jac, outs["aux"]) if has_aux else jac

    return wrapper


def jacfwd(func, argnums=0, *, has_aux=False, randomness="error", chunk_size=None):
    """The Jacobian by forward mode: one vectorised dual-level pass over all input elements
    (``chunk_size`` of them at a time, if given; torch's jacfwd has no chunk_size)."""
    _check_chunk_size(chunk_size)

    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_tuple(argnums, len(args), "jacfwd")
        diff = [args[a] for a in nums]
        d_flat, d_spec = tree_flatten(tuple(diff))
        aux_box = {}
        f_of = _of_differentiated(func, args, nums, has_aux, aux_box, "jacfwd")

        if not d_flat:
            raise RuntimeError("jacfwd: no tensor to differentiate")
        for x in d_flat:
            _check_tensor(x, "jacfwd")
        # NOTE: [jacfwd runs f once] One vmapped jvp over the basis of all the differentiated
        # elements at once (as torch's jacfwd), whose primal output is the value: f runs once
        # (once per chunk with chunk_size), so a write into the caller's tensors happens once.
        sizes = [x.numel() for x in d_flat]
        starts = [int(s) for s in np.cumsum([0] + sizes)]
        box = {}

        dtypes = {x._data.dtype for x in d_flat}
        one_dtype = dtypes.pop() if len(dtypes) == 1 else None  # else float64, cast per leaf
        single = len(d_flat) == 1

        def column(e):
            tangents = [
                e.reshape(tuple(x.shape))
                if single
                else e[start : start + n].reshape(tuple(x.shape)).to(x.dtype)
                for start, n, x in zip(starts, sizes, d_flat)
            ]
            box["value"], out_t = jvp(f_of, tuple(diff), tuple(tree_unflatten(d_spec, tangents)))
            return out_t

        total = starts[-1]
        if total:
            basis = np.eye(total, dtype=one_dtype if one_dtype is not None else np.float64)
            together = _over_directions(column, chunk_size)(_factories.from_numpy(basis))
            value = box["value"]
        else:
            together, value = None, f_of(*diff)
        columns = [  # per input leaf: the outputs' tangents over its basis (dim 0)
            None
            if not n
            else together
            if single
            else tree_map(lambda c, s=start, n=n: c[s : s + n], together)
            for start, n in zip(starts, sizes)
        ]
        o_flat, o_spec = tree_flatten(value)
        jac_per_out = []
        for k, o in enumerate(o_flat):
            blocks = []
            for leaf_index, x in enumerate(d_flat):
                shape = tuple(o.shape) + tuple(x.shape)
                if columns[leaf_index] is None:
                    blocks.append(_factories.zeros(shape, dtype=o.dtype))
                    continue
                col = tree_flatten(columns[leaf_index])[0][k]  # (x.numel(), *o.shape)
                blocks.append(col.movedim(0, -1).reshape(shape) if o.ndim else col.reshape(shape))
            per_input = tree_unflatten(d_spec, blocks)
            jac_per_out.append(per_input[0] if isinstance(argnums, int) else tuple(per_input))
        jac = tree_unflatten(o_spec, jac_per_out)
        return (jac, aux_box["aux"]) if has_aux else jac

    return wrapper


def hessian(func, argnums=0):
    """``jacfwd(jacrev(func))``: forward over reverse."""
    return jacfwd(jacrev(func, argnums), argnums)


# ------------------------------------------------------------------ vmap (a loop for now)
def _move_out(t, out_dim):
    return t if out_dim == 0 else t.movedim(0, out_dim)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None, fallback=None):
    """Map ``func`` over a batch dimension of its inputs (torch.func.vmap).

    vmap is a level (NOTE: [vmap levels] in _vmap_level.py): inside, the mapped inputs are
    batched tensors and each op runs once on the whole batch through its batching rule. An op
    whose output's shape depends on the values (nonzero, unique, a batched bool mask) runs once
    per batch element, that op only. What cannot be batched (Python control flow on a batched
    value, ``.item()``, NumPy on its data, ``requires_grad_()``, ``backward()``) raises at the
    point, with torch.func's message; ``func`` is never run again behind your back.

    ``randomness``: 'error' (random ops raise), 'different' or 'same'. ``chunk_size``: map
    that many elements at a time (less memory, the same result), as torch.func.vmap.
    ``fallback`` (dualgrad's extension): None, or ``'loop'`` to run ``func`` once per batch
    element from the start and stack the results (right for any ``func``, but a Python loop),
    as ``randomness='different'`` does.

    >>> import dualgrad as dg
    >>> f = lambda x: x if x.sum() > 0 else -x
    >>> dg.func.vmap(f, fallback="loop")(dg.tensor([[1.0, 2.0], [-3.0, 1.0]]))
    tensor([[ 1.,  2.],
            [ 3., -1.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )
    if fallback not in (None, "loop"):
        raise ValueError(
            f"vmap: fallback must be None (batched, the default) or 'loop' (run the function once "
            f"per batch element), got {fallback!r}"
        )
    _check_chunk_size(chunk_size)
    _check_dims_type(
        out_dims,
        lambda: (
            f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
            "python collection of ints representing where in the outputs the vmapped dimension should appear."
        ),
    )
    loop = (
        "randomness='different'"
        if randomness == "different"
        else ("fallback='loop'" if fallback == "loop" else None)
    )
    return _make_vmap(
        func, in_dims, out_dims, randomness, directions_only=False, chunk_size=chunk_size, loop=loop
    )


def _check_chunk_size(chunk_size):
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")


def _over_directions(func, chunk_size=None):
    """``vmap(func)`` for a batch of tangents or cotangents (jacfwd's and jacrev's basis): the
    batched values are directions, never primals, so transforms inside may keep recording on
    the ordinary tape (NOTE: [grad under vmap]); hessian = jacfwd(jacrev) stays cheap."""
    return _make_vmap(func, 0, 0, "error", directions_only=True, chunk_size=chunk_size)


def _make_vmap(func, in_dims, out_dims, randomness, directions_only, chunk_size=None, loop=None):
    """vmap of ``func``; ``loop``: None (batched), or why it runs once per element (asked for)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        flat_args, arg_spec = tree_flatten(tuple(args))
        flat_dims = _check_in_dims(func, in_dims, args, flat_args)
        sizes = [x.shape[d] for x, d in zip(flat_args, flat_dims) if d is not None]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(
                f"vmap: Expected all tensors to have the same size in the mapped dimension, "
                f"got sizes {sizes} for the mapped dimension"
            )
        n = sizes[0]
        if chunk_size is not None and chunk_size < n:
            return _in_chunks(
                func,
                run,
                flat_args,
                flat_dims,
                arg_spec,
                n,
                kwargs,
                chunk_size,
                out_dims,
                randomness,
            )
        return run(flat_args, flat_dims, arg_spec, n, kwargs)

    def run(flat_args, flat_dims, arg_spec, n, kwargs):
        call = (flat_args, flat_dims, arg_spec, n, kwargs, directions_only)
        # NOTE: [asked-for loops] The per-element run is decided here, before ``func`` starts,
        # and never after: a batched run that met something it cannot batch raises at that
        # point, so nothing ``func`` wrote can be written a second time.
        if loop is not None:
            return _vmap_loop(func, call, out_dims, randomness)
        return _vmap_level(func, call, out_dims, randomness)

    return wrapper


def _in_chunks(
    func, run, flat_args, flat_dims, arg_spec, n, kwargs, chunk_size, out_dims, randomness
):
    """vmap over ``chunk_size`` elements at a time, the results joined along their out dims;
    with randomness='same' every chunk draws the same numbers, as one call would."""
    from .. import _factories as fac
    from .._ops.shape import cat

    state = fac._rng[0].bit_generator.state if randomness == "same" else None
    parts = []
    for start in range(0, n, chunk_size):
        if state is not None:
            fac._rng[0].bit_generator.state = state
        size = min(chunk_size, n - start)
        chunk = [
            x.narrow(d, start, size) if d is not None else x for x, d in zip(flat_args, flat_dims)
        ]
        parts.append(run(chunk, flat_dims, arg_spec, size, kwargs))
    dims = _out_dims_for(out_dims, parts[0], func)
    flat = [tree_flatten(p)[0] for p in parts]
    joined = [flat[0][k] if d is None else cat([f[k] for f in flat], d) for k, d in enumerate(dims)]
    return tree_unflatten(tree_flatten(parts[0])[1], joined)


def _name(func):
    return getattr(func, "__name__", repr(func))


def _check_dims_type(dims, message):
    """in_dims / out_dims hold ints and Nones, in tuples and lists (and dicts, for pytrees)."""
    if dims is None or (isinstance(dims, int) and not isinstance(dims, bool)):
        return
    children = (
        dims.values()
        if isinstance(dims, dict)
        else dims
        if isinstance(dims, (tuple, list))
        else None
    )
    if children is None:
        raise ValueError(message())
    for d in children:
        _check_dims_type(d, message)


def _dims_per_leaf(dims, tree, mismatch):
    """``dims`` broadcast over the leaves of ``tree``: an int or None covers a whole subtree,
    a container must match the tree's container there (torch's _broadcast_to_and_flatten)."""
    if dims is None or not isinstance(dims, (tuple, list, dict)):  # a leaf (checked by the caller)
        return [dims] * len(tree_flatten(tree)[0])
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for k in tree for d in _dims_per_leaf(dims[k], tree[k], mismatch)]
    if (
        isinstance(dims, (tuple, list))
        and isinstance(tree, (tuple, list))
        and len(dims) == len(tree)
        and not isinstance(dims, dict)
    ):
        return [d for dd, t in zip(dims, tree) for d in _dims_per_leaf(dd, t, mismatch)]
    raise ValueError(mismatch())


def _check_in_dims(func, in_dims, args, flat_args):
    """in_dims per flat argument, checked as torch.func.vmap checks them and said in its words."""
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not (isinstance(in_dims, (int, tuple)) and not isinstance(in_dims, bool)):
        raise ValueError(
            f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
            f"structure of inputs, got: {type(in_dims)}."
        )
    if not args:
        raise ValueError(
            f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
            "are trying to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_dims = _dims_per_leaf(
        in_dims,
        tuple(args),
        lambda: (
            f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
            f"{_structure(in_dims)} but inputs has structure {_structure(tuple(args))}."
        ),
    )
    out = []
    for d, x in zip(flat_dims, flat_args):
        if d is None:
            out.append(None)
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(
                f"{head}: Got in_dim={d} for an input but in_dim must be either an integer "
                "dimension or None."
            )
        if not isinstance(x, Tensor):
            raise ValueError(
                f"{head}: Got in_dim={d} for an input but the input is of type {type(x)}. We cannot "
                "vmap over non-Tensor arguments, please use None as the respective in_dim"
            )
        if not -x.ndim <= d < x.ndim:
            raise ValueError(
                f"{head}: Got in_dim={d} for some input, but that input is a Tensor of "
                f"dimensionality {x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}."
            )
        out.append(d % x.ndim)
    if all(d is None for d in out):
        raise ValueError(
            "vmap: Expected at least one Tensor to vmap over (every in_dim is None, or no input "
            "is a tensor)"
        )
    return out


def _structure(tree):
    """A short picture of a pytree's structure for errors: leaves are *."""
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_structure(v)}" for k, v in tree.items()) + "}"
    if isinstance(tree, (tuple, list)):
        inner = ", ".join(_structure(v) for v in tree)
        return (
            f"({inner},)"
            if isinstance(tree, tuple) and len(tree) == 1
            else (f"({inner})" if isinstance(tree, tuple) else f"[{inner}]")
        )
    return "*"


def _out_dims_for(out_dims, out, func):
    """out_dims per flat output, broadcast over the output's pytree as torch does."""
    return _dims_per_leaf(
        out_dims,
        out,
        lambda: (
            f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
            f"structure of `outputs`. out_dims has structure {_structure(out_dims)} but outputs has structure "
            f"{_structure(out)}."
        ),
    )


def _non_tensor_output(func, o):
    return ValueError(
        f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type {type(o)}. "
        "Did you mean to set out_dims= to None for output?"
    )


def _vmap_level(func, call, out_dims, randomness):
    flat_args, flat_dims, arg_spec, n, kwargs, directions_only = call
    level = _vmap_levels.enter(randomness, directions_only)
    try:
        wrapped = [
            BatchedTensor.wrap(x, d, level.number) if d is not None else x
            for x, d in zip(flat_args, flat_dims)
        ]
        out = func(*tree_unflatten(arg_spec, wrapped), **kwargs)
        o_flat, o_spec = tree_flatten(out)
        results = []
        for o, od in zip(o_flat, _out_dims_for(out_dims, out, func)):
            if od is None:  # an output the same for every element, returned as it is
                if isinstance(o, BatchedTensor) and o._vlevel == level.number:
                    raise ValueError(
                        f"vmap({_name(func)}, ...): `{_name(func)}` can not return a "
                        "BatchedTensor when out_dim is None"
                    )
                results.append(_grad_levels.strip(o, level.number) if isinstance(o, Tensor) else o)
                continue
            if not isinstance(o, Tensor):
                raise _non_tensor_output(func, o)
            o = _grad_levels.strip(o, level.number)  # this level's tape ends here
            if isinstance(o, BatchedTensor) and o._vlevel == level.number:
                phys = o._value
                results.append(phys if o._bdim == od else phys.movedim(o._bdim, od))
            else:  # not batched: the same for every element
                results.append(_move_out(o.unsqueeze(0).expand(n, *o.shape), od))
    finally:
        _levels.pop(level.number)
    return tree_unflatten(o_spec, results)


def _vmap_loop(func, call, out_dims, randomness):
    """The function once per batch element, the results stacked: what the caller asked for
    before the call (fallback='loop' or randomness='different'), so it does not warn."""
    note_fallback("per-element run")
    flat_args, flat_dims, arg_spec, n, kwargs, _ = call
    from .. import _factories as fac
    from .._ops.shape import stack

    state = fac._rng[0].bit_generator.state if randomness == "same" else None
    results = []
    for b in range(n):
        if state is not None:
            fac._rng[0].bit_generator.state = state
        sliced = [x.select(d, b) if d is not None else x for x, d in zip(flat_args, flat_dims)]
        results.append(func(*tree_unflatten(arg_spec, sliced), **kwargs))
    outs = [tree_flatten(r)[0] for r in results]
    o_spec = tree_flatten(results[0])[1]
    joined = []
    for k, d in enumerate(_out_dims_for(out_dims, results[0], func)):
        if d is None:  # the same for every element (torch refuses a batched one; here none is)
            joined.append(outs[0][k])
            continue
        if not isinstance(outs[0][k], Tensor):
            raise _non_tensor_output(func, outs[0][k])
        joined.append(_move_out(stack([o[k] for o in outs], 0), d))
    return tree_unflatten(o_spec, joined)
