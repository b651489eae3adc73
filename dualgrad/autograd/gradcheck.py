"""Checkers: analytical derivatives against finite differences, and forward against reverse.

``gradcheck`` compares the Jacobian that reverse mode (row by row, through ``autograd.grad``)
and forward mode (column by column, through ``make_dual``) compute with a central-difference
Jacobian; ``gradgradcheck`` runs ``gradcheck`` on the function that computes the gradient, so
it checks double backward (and forward-over-reverse). ``check_adjoint`` needs no finite
differences: it checks ``<J u, v> == <u, J^T v>`` for random ``u`` and ``v``, which holds in
any precision.

# NOTE: [jacobian layout]
As in PyTorch, a Jacobian block is stored with one row per *input* element and one column per
*output* element: ``J[j, i] = d out[i] / d in[j]``. Reverse mode fills it a column at a time
(one backward per output element), forward mode a row at a time (one tangent per input
element), finite differences a row at a time too.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from . import forward_ad as fwAD
from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck``/``check_adjoint`` when a check fails."""


# ---------------------------------------------------------------------------- helpers
def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_diff_input(x) -> bool:
    return isinstance(x, Tensor) and x._requires_grad


def _tensor_outputs(out):
    """The function's outputs, every one a Tensor: a float or None among them would otherwise
    be skipped and the check pass on nothing (torch raises AttributeError reading
    ``requires_grad`` of it; the same type and words here, and the fix)."""
    outs = _as_tuple(out)
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise AttributeError(
                f"'{type(o).__name__}' object has no attribute 'requires_grad': the checked "
                f"function must return Tensors, and output {k} is {type(o).__name__}; return "
                "dualgrad.tensor(...) of it, or leave it out"
            )
    return outs


def _differentiable_outputs(out):
    return tuple(o for o in _tensor_outputs(out) if o._requires_grad)


def _float_outputs(out):
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor) and o.is_floating_point())


def _leaf_copy(x: Tensor) -> Tensor:
    """A fresh leaf with its own buffer (so perturbing it touches nothing of the caller's)."""
    t = Tensor._make(np.array(x._data, copy=True))
    t._requires_grad = x._requires_grad
    return t


def _fmt(arr: np.ndarray) -> str:
    return (
        "tensor("
        + np.array2string(
            np.asarray(arr), separator=", ", precision=6, prefix="tensor(", max_line_width=100
        )
        + ")"
    )


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _allclose(a, b, atol, rtol) -> bool:
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


def _numpy_of(t) -> np.ndarray:
    return np.asarray(t._data, dtype=np.float64)


# ---------------------------------------------------------------------------- numerical
def _eval_outputs(func, args, out_idx):
    """Float64 arrays of the outputs gradcheck looks at, for the current perturbation."""
    outs = _as_tuple(func(*args))
    return [np.array(outs[k]._data, dtype=np.float64, copy=True) for k in out_idx]


def _output_indices(func_out):
    """Positions of the outputs the Jacobian covers: tensors that require grad."""
    outs = _tensor_outputs(func_out)
    return [k for k, o in enumerate(outs) if o._requires_grad]


def _numerical_jacobian(func, inputs, out_idx, out_sizes, eps):
    """{(input pos, output k): J block (n_in, n_out)} by central differences."""
    copies = [_leaf_copy(x) if isinstance(x, Tensor) else x for x in inputs]
    result = {}
    for i, x in enumerate(copies):
        if not _is_diff_input(inputs[i]):
            continue
        data = x._data  # written through an index, so non-contiguous layouts are perturbed too
        blocks = [np.zeros((data.size, n)) for n in out_sizes]
        for j in range(data.size):
            idx = np.unravel_index(j, data.shape)
            orig = data[idx].item()
            data[idx] = orig - eps
            lo = _eval_outputs(func, copies, out_idx)
            data[idx] = orig + eps
            hi = _eval_outputs(func, copies, out_idx)
            data[idx] = orig
            for k, (a, b) in enumerate(zip(lo, hi)):
                blocks[k][j] = ((b - a) / (2 * eps)).reshape(-1)
        for k in range(len(out_sizes)):
            result[(i, k)] = blocks[k]
    return result


def _numerical_directional(func, inputs, i, u, out_idx, eps):
    """J_i u for every checked output, by central differences along ``u``."""
    copies = [_leaf_copy(x) if isinstance(x, Tensor) else x for x in inputs]
    x = copies[i]
    orig = x._data.copy()
    x._data[...] = orig - eps * u
    lo = _eval_outputs(func, copies, out_idx)
    x._data[...] = orig + eps * u
    hi = _eval_outputs(func, copies, out_idx)
    x._data[...] = orig
    return [((b - a) / (2 * eps)).reshape(-1) for a, b in zip(lo, hi)]


# ---------------------------------------------------------------------------- analytical
def _onehot_like(t: Tensor, j: int) -> Tensor:
    arr = np.zeros(t._data.shape, dtype=t._data.dtype)
    arr.reshape(-1)[j] = 1
    return Tensor._make(arr)


def _reverse_jacobian(outputs, inputs, diff_pos, check_grad_dtypes, nondet_tol, raise_exception):
    """{(input pos, k): J block} by one backward per output element, and the reentrancy check."""
    diff_inputs = [inputs[i] for i in diff_pos]
    result = {}
    for k, out in enumerate(outputs):
        n_out = out._data.size
        blocks = {i: np.zeros((inputs[i]._data.size, n_out)) for i in diff_pos}
        for m in range(n_out):
            g_out = _onehot_like(out, m)
            kw = dict(grad_outputs=g_out, retain_graph=True, allow_unused=True)
            grads = _grad(out, diff_inputs, **kw)
            again = _grad(out, diff_inputs, **kw)  # the reentrancy check: same answer twice
            for i, g, g2 in zip(diff_pos, grads, again):
                if g is None:
                    continue
                x = inputs[i]
                if check_grad_dtypes and (g.dtype != x.dtype or tuple(g.shape) != tuple(x.shape)):
                    return _fail(
                        f"Gradient has dtype mismatch or shape mismatch for input {i}: grad is "
                        f"{g.dtype} {tuple(g.shape)}, input is {x.dtype} {tuple(x.shape)}",
                        raise_exception,
                    )
                col = _numpy_of(g).reshape(-1)
                col2 = _numpy_of(g2).reshape(-1) if g2 is not None else np.zeros_like(col)
                if np.max(np.abs(col - col2), initial=0.0) > nondet_tol:
                    return _fail(
                        f"Backward is not reentrant, i.e., running backward with same input and "
                        f"grad_output multiple times gives different values, although analytical "
                        f"gradient matches numerical gradient (output {k}, input {i}). The "
                        f"tolerance for nondeterminism was {nondet_tol}.",
                        raise_exception,
                    )
                blocks[i][:, m] = col
        for i in diff_pos:
            result[(i, k)] = blocks[i]
    return result


def _forward_column(func, inputs, i, tangent_arr, out_idx):
    """J_i t for every checked output (float64, flat), by one forward-mode pass."""
    with fwAD.dual_level():
        args = list(inputs)
        primal = _leaf_copy(inputs[i])
        args[i] = fwAD.make_dual(primal, Tensor._make(tangent_arr))
        outs = _as_tuple(func(*args))
        cols = []
        for k in out_idx:
            o = outs[k]
            t = fwAD.unpack_dual(o).tangent
            if t is None:
                cols.append(np.zeros(o._data.size))
            else:
                cols.append(_numpy_of(t).reshape(-1).copy())
    return cols


def _forward_jacobian(func, inputs, diff_pos, out_idx, out_sizes):
    result = {}
    for i in diff_pos:
        x = inputs[i]
        blocks = [np.zeros((x._data.size, n)) for n in out_sizes]
        for j in range(x._data.size):
            t = np.zeros(x._data.shape, dtype=x._data.dtype)
            t.reshape(-1)[j] = 1
            for k, col in enumerate(_forward_column(func, inputs, i, t, out_idx)):
                blocks[k][j] = col
        for k in range(len(out_sizes)):
            result[(i, k)] = blocks[k]
    return result


# ---------------------------------------------------------------------------- gradcheck
def _compare(numerical, analytical, mode, atol, rtol, raise_exception) -> bool:
    for (i, k), num in numerical.items():
        ana = analytical[(i, k)]
        if not _allclose(ana, num, atol, rtol):
            return _fail(
                f"Jacobian mismatch for output {k} with respect to input {i} ({mode} mode),\n"
                f"numerical:{_fmt(num)}\nanalytical:{_fmt(ana)}\n",
                raise_exception,
            )
    return True


def _check_batched(outputs, inputs, diff_pos, backward, forward, func, atol, rtol, raise_exception):
    """vmap over a batch of cotangents (tangents) must equal one vjp (jvp) per batch element.

    ``dualgrad.func.vmap`` runs a loop for now (NOTE: [transforms without vmap levels]), so this
    holds by construction today; it is the check that batching rules will have to pass.
    """
    from ..func import jvp as _jvp
    from ..func import vmap

    rng = np.random.default_rng(0)
    for k, out in enumerate(outputs):
        batch = Tensor._make(rng.uniform(-1, 1, (3,) + tuple(out.shape)).astype(out._data.dtype))
        for i in diff_pos if backward else ():
            x = inputs[i]

            def vjp_one(v, x=x, out=out):
                (g,) = _grad(out, x, v, retain_graph=True, allow_unused=True)
                return g if g is not None else Tensor._make(np.zeros_like(x._data))

            batched = vmap(vjp_one)(batch)
            looped = [vjp_one(batch[b]) for b in range(3)]
            for b in range(3):
                if not _allclose(batched[b]._data, looped[b]._data, atol, rtol):
                    return _fail(
                        f"Batched grad (vmap over cotangents) differs from the per-element "
                        f"vjp for output {k}, input {i}:\nbatched:{_fmt(batched[b]._data)}\n"
                        f"looped:{_fmt(looped[b]._data)}\n",
                        raise_exception,
                    )
    if forward:
        for i in diff_pos:
            x = inputs[i]
            tangents = Tensor._make(rng.uniform(-1, 1, (3,) + tuple(x.shape)).astype(x._data.dtype))

            def jvp_one(t, i=i):
                primals = tuple(inputs[j].detach() for j in diff_pos)
                ts = tuple(
                    t if j == i else Tensor._make(np.zeros_like(inputs[j]._data)) for j in diff_pos
                )

                def f(*diff):
                    full = list(inputs)
                    for j, d in zip(diff_pos, diff):
                        full[j] = d
                    return func(*full)

                return _jvp(f, primals, ts)[1]

            batched = vmap(jvp_one)(tangents)
            for b in range(3):
                looped = _as_tuple(jvp_one(tangents[b]))
                got = _as_tuple(batched)
                for k, (o_b, o_l) in enumerate(zip(got, looped)):
                    if not _allclose(o_b[b]._data, o_l._data, atol, rtol):
                        return _fail(
                            f"Batched forward grad (vmap over tangents) differs from the "
                            f"per-element jvp for output {k}, input {i}\n",
                            raise_exception,
                        )
    return True


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_batched_forward_grad=False,
    check_forward_ad=False,
    check_backward_ad=True,
    fast_mode=False,
    masked=None,
) -> bool:
    """Check analytical derivatives of ``func`` at ``inputs`` against finite differences.

    Every input tensor with ``requires_grad=True`` is perturbed; every output that requires
    grad is checked. Use float64 inputs: lower precision makes the finite differences too
    inexact (a ``UserWarning`` says so). With ``check_backward_ad`` the reverse-mode Jacobian is
    checked, with ``check_forward_ad`` the forward-mode one. ``fast_mode`` compares ``v^T J u``
    for random ``u``, ``v`` instead of whole Jacobians. On failure raises ``GradcheckError``
    showing both Jacobians (or returns False with ``raise_exception=False``).

    >>> import dualgrad as dg
    >>> x = dg.tensor([0.5, 1.5], dtype=dg.float64, requires_grad=True)
    >>> dg.autograd.gradcheck(lambda t: (t * t).sin(), (x,), check_forward_ad=True)
    True
    """
    # masked=True only changes how unspecified elements of sparse tensors count; dualgrad's
    # tensors are all dense, so it is accepted and changes nothing (as for dense torch tensors)
    inputs = _as_tuple(inputs)
    diff_pos = [i for i, x in enumerate(inputs) if _is_diff_input(x)]
    if not diff_pos:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )
    for i in diff_pos:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point "
                f"({inputs[i].dtype}). This check will likely fail if all the inputs are not of "
                "double precision floating point.",
                UserWarning,
                stacklevel=2,
            )

    func_out = func(*inputs)
    all_outs = _as_tuple(func_out)
    out_idx = _output_indices(func_out)
    outputs = [all_outs[k] for k in out_idx]
    out_sizes = [o._data.size for o in outputs]

    if not outputs:
        # Nothing requires grad: the function must then be constant in its inputs.
        float_idx = [
            k for k, o in enumerate(all_outs) if isinstance(o, Tensor) and o.is_floating_point()
        ]
        sizes = [all_outs[k]._data.size for k in float_idx]
        numerical = _numerical_jacobian(func, inputs, float_idx, sizes, eps)
        for (i, k), num in numerical.items():
            if not _allclose(num, 0.0, atol, 0.0):
                return _fail(
                    f"Numerical gradient for function expected to be zero (output {k} does not "
                    f"require grad, input {i}), but got\nnumerical:{_fmt(num)}\n",
                    raise_exception,
                )
        return True

    if fast_mode:
        return _fast_gradcheck(
            func,
            inputs,
            diff_pos,
            outputs,
            out_idx,
            eps,
            atol,
            rtol,
            raise_exception,
            check_forward_ad,
            check_backward_ad,
            check_undefined_grad,
        )

    if check_batched_grad or check_batched_forward_grad:
        if not _check_batched(
            outputs,
            inputs,
            diff_pos,
            check_batched_grad,
            check_batched_forward_grad,
            func,
            atol,
            rtol,
            raise_exception,
        ):
            return False

    numerical = _numerical_jacobian(func, inputs, out_idx, out_sizes, eps)
    if check_backward_ad:
        analytical = _reverse_jacobian(
            outputs, inputs, diff_pos, check_grad_dtypes, nondet_tol, raise_exception
        )
        if analytical is False:
            return False
        if not _compare(numerical, analytical, "backward", atol, rtol, raise_exception):
            return False
        if check_undefined_grad and not _check_undefined_grad(
            outputs, inputs, diff_pos, raise_exception
        ):
            return False
    if check_forward_ad:
        analytical = _forward_jacobian(func, inputs, diff_pos, out_idx, out_sizes)
        if not _compare(numerical, analytical, "forward", atol, rtol, raise_exception):
            return False
    return True


def _check_undefined_grad(outputs, inputs, diff_pos, raise_exception) -> bool:
    """Backward with an all-zero output gradient must run and give zero (or no) gradients."""
    from .._factories import zeros_like

    diff_inputs = [inputs[i] for i in diff_pos]
    for k, out in enumerate(outputs):
        try:
            grads = _grad(
                out, diff_inputs, grad_outputs=zeros_like(out), retain_graph=True, allow_unused=True
            )
        except Exception as e:  # noqa: BLE001 - any crash is the finding
            return _fail(
                f"Backward of output {k} with a zero (undefined) output gradient raised "
                f"{type(e).__name__}: {e}",
                raise_exception,
            )
        for i, g in zip(diff_pos, grads):
            if g is not None and np.any(g._data != 0):
                return _fail(
                    f"Expected backward of output {k} to give zero gradients for input {i} when "
                    f"its output gradient is zero, but got {_fmt(g._data)}",
                    raise_exception,
                )
    return True


def _fast_gradcheck(
    func,
    inputs,
    diff_pos,
    outputs,
    out_idx,
    eps,
    atol,
    rtol,
    raise_exception,
    check_forward_ad,
    check_backward_ad,
    check_undefined_grad,
) -> bool:
    """Compare the scalars ``v_k^T J_ki u_i`` (random unit-scale ``u``, ``v``)."""
    rng = np.random.default_rng(0)
    us = {
        i: rng.uniform(-1, 1, inputs[i]._data.shape).astype(inputs[i]._data.dtype) for i in diff_pos
    }
    vs = [rng.uniform(-1, 1, o._data.shape).astype(o._data.dtype) for o in outputs]
    numerical = {}
    for i in diff_pos:
        for k, ju in enumerate(_numerical_directional(func, inputs, i, us[i], out_idx, eps)):
            numerical[(i, k)] = np.dot(vs[k].reshape(-1).astype(np.float64), ju)

    def compare(analytical, mode):
        for key, num in numerical.items():
            ana = analytical[key]
            if not _allclose(ana, num, atol, rtol):
                i, k = key
                return _fail(
                    f"Jacobian mismatch for output {k} with respect to input {i} ({mode} mode, "
                    f"fast mode: v^T J u for random u, v),\nnumerical:{num!r}\nanalytical:{ana!r}\n"
                    "Rerun with fast_mode=False to see the whole Jacobians.\n",
                    raise_exception,
                )
        return True

    if check_backward_ad:
        diff_inputs = [inputs[i] for i in diff_pos]
        analytical = {}
        for k, out in enumerate(outputs):
            grads = _grad(
                out,
                diff_inputs,
                grad_outputs=Tensor._make(vs[k]),
                retain_graph=True,
                allow_unused=True,
            )
            for i, g in zip(diff_pos, grads):
                u = us[i].reshape(-1).astype(np.float64)
                gu = 0.0 if g is None else float(np.dot(_numpy_of(g).reshape(-1), u))
                analytical[(i, k)] = gu
        if not compare(analytical, "backward"):
            return False
        if check_undefined_grad and not _check_undefined_grad(
            outputs, inputs, diff_pos, raise_exception
        ):
            return False
    if check_forward_ad:
        analytical = {}
        for i in diff_pos:
            for k, ju in enumerate(_forward_column(func, inputs, i, us[i], out_idx)):
                analytical[(i, k)] = float(np.dot(vs[k].reshape(-1).astype(np.float64), ju))
        if not compare(analytical, "forward"):
            return False
    return True


# ---------------------------------------------------------------------------- gradgradcheck
def _random_like(t: Tensor, rng, noncontig: bool) -> Tensor:
    dtype = t._data.dtype if t.is_floating_point() else np.float64
    shape = t._data.shape
    if noncontig and len(shape) >= 1 and t._data.size > 1:
        big = rng.uniform(-1, 1, shape[:-1] + (shape[-1] * 2,)).astype(dtype)
        arr = big[..., ::2]
    else:
        arr = rng.uniform(-1, 1, shape).astype(dtype)
    g = Tensor._make(arr)
    g._requires_grad = True
    return g


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_fwd_over_rev=False,
    check_rev_over_rev=True,
    fast_mode=False,
    masked=False,
) -> bool:
    """Check second derivatives of ``func``: ``gradcheck`` of ``inputs -> J^T grad_outputs``.

    ``grad_outputs`` (random in [-1, 1] from a fixed seed when not given) are inputs of the
    checked function too, so the check also covers the gradient's dependence on them.
    ``check_rev_over_rev`` checks double backward, ``check_fwd_over_rev`` forward mode through
    the backward pass (Hessian-vector products).

    >>> import dualgrad as dg
    >>> x = dg.tensor([0.5, 1.5], dtype=dg.float64, requires_grad=True)
    >>> dg.autograd.gradgradcheck(lambda t: t ** 3, (x,), check_fwd_over_rev=True)
    True
    """
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*inputs))
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_random_like(o, rng, gen_non_contig_grad_outputs) for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)

    def new_func(*args):
        input_args = args[:-n_out] if n_out else args
        g_outs = args[-n_out:] if n_out else ()
        outs = _differentiable_outputs(func(*input_args))
        diff = tuple(x for x in input_args if _is_diff_input(x))
        grads = _grad(outs, diff, g_outs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        new_func,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        fast_mode=fast_mode,
        masked=masked,
    )


# ---------------------------------------------------------------------------- check_adjoint
def check_adjoint(func, inputs, *, rtol=1e-4, atol=1e-6, seed=0) -> bool:
    """Check forward mode against reverse mode: ``<J u, v> == <u, J^T v>``, no finite differences.

    ``u`` (one per input that requires grad; every floating input if none does) and ``v`` (one
    per floating output) are random normal from ``seed``. ``J u`` comes from one forward-mode
    pass, ``J^T v`` from one backward. The two inner products are compared with ``atol`` plus
    ``rtol`` times the size of their terms (``sum |J u * v|``), and ``rtol`` is at least 64
    machine epsilons of the lowest precision involved, so the check works in float32 too.
    Returns True, or raises ``GradcheckError`` showing both numbers.

    >>> import dualgrad as dg
    >>> x = dg.tensor([0.5, 1.5], requires_grad=True)
    >>> dg.autograd.check_adjoint(lambda t: t.exp() * t, (x,))
    True
    """
    inputs = _as_tuple(inputs)
    pos = [i for i, x in enumerate(inputs) if _is_diff_input(x)]
    if not pos:
        pos = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.is_floating_point()]
    if not pos:
        raise ValueError("check_adjoint: no input is a floating point tensor to differentiate")
    rng = np.random.default_rng(seed)
    us = {i: rng.standard_normal(inputs[i]._data.shape).astype(inputs[i]._data.dtype) for i in pos}

    # J u: every input perturbed at once, in one dual level.
    with fwAD.dual_level():
        args = list(inputs)
        for i in pos:
            args[i] = fwAD.make_dual(inputs[i].detach(), Tensor._make(us[i]))
        outs = _float_outputs(func(*args))
        if not outs:
            raise ValueError("check_adjoint: func returned no floating point tensor")
        jus = []
        for o in outs:
            t = fwAD.unpack_dual(o).tangent
            jus.append(np.zeros(o._data.shape) if t is None else _numpy_of(t).copy())
    vs = [rng.standard_normal(o._data.shape).astype(o._data.dtype) for o in outs]

    # J^T v: one backward from fresh leaves.
    args = list(inputs)
    leaves = []
    for i in pos:
        leaf = inputs[i].detach()
        leaf._requires_grad = True
        args[i] = leaf
        leaves.append(leaf)
    outs_r = _float_outputs(func(*args))
    pairs = [(o, Tensor._make(v)) for o, v in zip(outs_r, vs) if o._requires_grad]
    if pairs:
        grads = _grad([p[0] for p in pairs], leaves, [p[1] for p in pairs], allow_unused=True)
    else:
        grads = [None] * len(leaves)

    terms_fwd = [ju.reshape(-1) * v.reshape(-1).astype(np.float64) for ju, v in zip(jus, vs)]
    terms_rev = [
        us[i].reshape(-1).astype(np.float64) * (0.0 if g is None else _numpy_of(g).reshape(-1))
        for i, g in zip(pos, grads)
    ]
    fwd = float(sum(t.sum() for t in terms_fwd))
    rev = float(sum(np.sum(t) for t in terms_rev))
    scale = max(
        sum(float(np.abs(t).sum()) for t in terms_fwd),
        sum(float(np.abs(t).sum()) for t in terms_rev),
    )
    dtypes = [inputs[i]._data.dtype for i in pos] + [o._data.dtype for o in outs]
    lowest = max(np.finfo(d).eps for d in dtypes)
    tol = atol + max(rtol, 64 * lowest) * scale
    if not abs(fwd - rev) <= tol:
        raise GradcheckError(
            f"check_adjoint: forward and reverse mode disagree: <J u, v> = {fwd!r} (forward "
            f"mode) but <u, J^T v> = {rev!r} (reverse mode); difference {abs(fwd - rev):.3g} "
            f"exceeds tolerance {tol:.3g} (seed={seed})"
        )
    return True
