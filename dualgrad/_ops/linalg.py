"""Linear algebra: matmul (every broadcasting case), einsum and cross as multilinear
primitives, and the torch-shaped wrappers over them (mm, bmm, mv, dot, outer).

Each declares one vjp per input; the jvp comes from the product rule (registry.multilinear).
"""

from __future__ import annotations

import functools
import math
import string
import warnings

import numpy as np

from .._dispatch import apply
from .._tensor import Tensor
from .reduction import normalize_dims
from .registry import custom, multilinear, sum_to, variant
from .shape import diagonal
from ._methods import tensor_method

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "einsum", "cross"]


# ------------------------------------------------------------------ matmul
def _as_matrices(g, a, b):
    """a, b and g with 1-D operands promoted to matrices, as np.matmul does internally."""
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    g2 = g.unsqueeze(-1) if b.ndim == 1 else g
    g2 = g2.unsqueeze(-2) if a.ndim == 1 else g2
    return g2, a2, b2


# The matrix and matrix-vector cases, the common ones, are written out: no promotion to
# matrices and back, which costs several shape ops per rule (and each is a batched, dual op
# inside jacfwd(jacrev)).
def _matmul_vjp_a(g, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return matmul(g, b.mT)
    if a.ndim == 2 and b.ndim == 1:
        return g.unsqueeze(-1) * b  # the outer product g b^T
    if a.ndim == 1 and b.ndim == 2:
        return matmul(b, g)
    if a.ndim == 1 and b.ndim == 1:
        return g * b  # a dot product: torch's dot backward, one op (the general case: six)
    g2, a2, b2 = _as_matrices(g, a, b)
    return sum_to(matmul(g2, b2.mT), tuple(a2.shape)).reshape(tuple(a.shape))


def _transposed_layout(t) -> bool:
    data = t._data
    return type(data) is np.ndarray and data.flags.f_contiguous and not data.flags.c_contiguous


def _matmul_vjp_b(g, a, b):
    if a.ndim == 2 and b.ndim == 2 and _transposed_layout(b):
        # b is weight.t() (nn.Linear): make the gradient in the weight's own layout, so the
        # optimizer's update and the leaf's buffer stay contiguous (PyTorch's layout contract)
        return matmul(g.mT, a).mT
    if a.ndim == 2 and b.ndim in (1, 2):
        return matmul(a.mT, g)
    if a.ndim == 1 and b.ndim == 2:
        return a.unsqueeze(-1) * g  # the outer product a g^T
    if a.ndim == 1 and b.ndim == 1:
        return g * a  # a dot product (torch's dot backward: grad * self)
    g2, a2, b2 = _as_matrices(g, a, b)
    return sum_to(matmul(a2.mT, g2), tuple(b2.shape)).reshape(tuple(b.shape))


# NOTE: [a weight's transpose on the left] x @ w.T, a batch of rows times a transposed weight (every
# Linear layer written as x @ w.T, W1's and W6's forward), is one GEMM that OpenBLAS (NumPy's
# bundled build) runs ~10% slower than the same product with the operands swapped, w @ x.T,
# when the batch is small beside the layer's width; copying that product's transpose into C
# order costs less than the difference. float32 only, and only where it was measured to pay:
# M rows at most a quarter of N columns, N >= 128. Per call, (M, K, N) -> ratio: (64, 784, 256)
# 0.87, (64, 256, 256) 0.92, (128, 1024, 1024) 0.91, (16, 1024, 1024) 0.47; beyond the bound it
# loses ((64, 64, 64) 1.20, (256, 256, 256) 1.17), and float64 gains little (1.01-1.08 worse
# at the same shapes). The same dot products, so the same bits on the builds tried.
def _rows_times_transposed(a, b):
    """``a @ b`` for a C-ordered batch of rows ``a`` and an F-ordered ``b`` (a weight's
    transpose), or None where the plain call is the faster (NOTE: [a weight's transpose on the
    left])."""
    m, n = a.shape[0], b.shape[1]
    if 4 * m > n or n < 128 or a.dtype != _F32 or b.dtype != _F32:
        return None
    if type(a) is not np.ndarray or type(b) is not np.ndarray:  # a meta tensor's MetaArray
        return None
    fa, fb = a.flags, b.flags
    if not (fa.c_contiguous and fb.f_contiguous) or fb.c_contiguous:
        return None
    out = np.empty((m, n), _F32)
    out.T[...] = np.matmul(b.T, a.T)
    return out


_F32 = np.dtype(np.float32)


def _matmul_kernel(a, b):
    if a.ndim == 2 and b.ndim == 2:
        r = _rows_times_transposed(a, b)
        if r is not None:
            return r
    r = np.asanyarray(np.matmul(a, b))
    # ml_dtypes' bfloat16 matmul returns float32 (its float32 accumulator); torch rounds back
    return r.astype(a.dtype) if r.dtype != a.dtype and a.dtype == b.dtype else r


MATMUL = multilinear(
    "matmul",
    _matmul_kernel,
    (_matmul_vjp_a, _matmul_vjp_b),
    node_name="MmBackward0",
)
# torch's nodes for a matrix times a vector, two vectors and bmm (NOTE: [torch's node names by
# variant]); matmul's other spellings are one MmBackward0
MV = variant(MATMUL, "mv", "MvBackward0")
DOT = variant(MATMUL, "dot", "DotBackward0")
BMM = variant(MATMUL, "bmm", "BmmBackward0")
_BY_RANKS = {(2, 1): MV, (1, 1): DOT}


def _check_tensor(x, fn, arg):
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' must be Tensor, not {type(x).__name__}; "
            "wrap arrays and lists with dualgrad.tensor(...)"
        )


# torch's kernel names, which its error for bool operands names
_BOOL_KERNELS = {"matmul": "addmm_impl_cpu_", "linear": "addmm_impl_cpu_"}


def _check_same_dtype(a, b, fn):
    if a._data.dtype is b._data.dtype and a._data.dtype.kind != "b":
        return  # the common case, without making two dualgrad dtypes
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{fn}: expected both operands to have the same dtype, but got {a.dtype} and {b.dtype}; "
            "convert one, e.g. b.to(a.dtype)"
        )
    if a.dtype.name == "bool":  # NumPy would give a logical product; torch has no bool kernel
        kernel = "dot" if fn == "matmul" and a.ndim == b.ndim == 1 else _BOOL_KERNELS.get(fn, fn)
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for 'Bool' (convert the operands, e.g. a.long())"
        )


@tensor_method
def matmul(input, other):  # noqa: A002  (torch's keyword names: matmul(input=, other=))
    """The matrix product with NumPy/PyTorch broadcasting: 1-D operands are vectors, leading
    dims are batch dims and broadcast.

    >>> import dualgrad as dg
    >>> dg.matmul(dg.ones(5, 2, 3), dg.ones(3)).shape
    dualgrad.Size([5, 2])
    """
    return _matmul_as(input, other, None)


def _matmul_as(a, b, op):
    """matmul's checks, then ``op`` (the variant of matmul torch names by the ranks when None)."""
    _check_tensor(a, "matmul", "input")
    _check_tensor(b, "matmul", "other")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    _check_same_dtype(a, b, "matmul")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise RuntimeError(_matmul_mismatch(a, b, ka, kb))
    try:
        # (only batch dims on both sides can fail to broadcast; NumPy's check costs ~5 us,
        # paid by every vector and matrix product and every rule that makes one)
        if a.ndim > 2 and b.ndim > 2:
            np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    except ValueError:
        raise RuntimeError(
            f"matmul: the batch dims of shapes {list(a.shape)} and {list(b.shape)} do not broadcast"
        ) from None
    return apply(op or _BY_RANKS.get((a.ndim, b.ndim), MATMUL), a, b)


def _matmul_mismatch(a, b, ka, kb):
    """torch's message for matmul's inner sizes ka != kb, which names the kernel torch's
    matmul folds the operands into: dot, mv (leading dims folded into rows), mm, bmm."""
    if a.ndim == 1 and b.ndim == 1:
        return (
            f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same "
            f"number of elements, but got {ka} and {kb} elements respectively"
        )
    rows = math.prod(a.shape[:-1])
    if b.ndim == 1:
        return f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})"
    if b.ndim == 2:
        return f"mat1 and mat2 shapes cannot be multiplied ({max(rows, 1)}x{ka} and {kb}x{b.shape[-1]})"
    try:
        batch = math.prod(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    except ValueError:
        return (
            f"matmul: the batch dims of shapes {list(a.shape)} and {list(b.shape)} do not broadcast"
        )
    return (
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {ka}] but "
        f"got: [{batch}, {kb}]."
    )


@tensor_method
def mm(a, b):
    """The product of two matrices (no broadcasting)."""
    _check_tensor(a, "mm", "input")
    _check_tensor(b, "mm", "mat2")
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(a, b)


@tensor_method
def bmm(a, b):
    """Batched matrix product of two 3-D tensors with the same batch size."""
    _check_tensor(a, "bmm", "input")
    _check_tensor(b, "bmm", "mat2")
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
            f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    return _matmul_as(a, b, BMM)


@tensor_method
def mv(a, v):
    """Matrix times vector."""
    _check_tensor(a, "mv", "input")
    _check_tensor(v, "mv", "vec")
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})"
        )
    return matmul(a, v)


@tensor_method
def dot(a, b):
    """The inner product of two 1-D tensors of the same size."""
    _check_tensor(a, "dot", "input")
    _check_tensor(b, "dot", "tensor")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
            f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    _check_same_dtype(a, b, "dot")
    return matmul(a, b)


vdot = tensor_method(dot, "vdot")


@tensor_method
def inner(a, b):
    """Sums of products over the last dims: shape ``a.shape[:-1] + b.shape[:-1]``."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim == 1:
        return matmul(a, b)
    k = b.shape[-1]
    out = matmul(a.reshape(-1, a.shape[-1]), b.reshape(-1, k).mT)
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


@tensor_method
def outer(a, b):
    """The outer product of two 1-D tensors."""
    _check_tensor(a, "outer", "input")
    _check_tensor(b, "outer", "vec2")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got {a.ndim}D and {b.ndim}D")
    return a.unsqueeze(-1) * b


ger = tensor_method(outer, "ger")


# ------------------------------------------------------------------ einsum
# NOTE: [einsum normal form]
# The public function rewrites the equation so the primitive sees a simple one: no ellipsis
# (replaced by spare letters), an explicit output, and no letter repeated inside one operand
# (such an operand is first replaced by its diagonal, a differentiable op). Then the vjp for
# operand i is one einsum of g with the other operands, giving operand i's letters that appear
# elsewhere; the letters found only in operand i are summed out by the forward, so their
# gradient is broadcast back (expand), and a letter broadcast from size 1 is summed back.
#
# NOTE: [einsum contraction paths] np.einsum without ``optimize`` loops over every letter at
# once, without BLAS: a 3-operand chain of 100x100 matrices takes 68 ms where contracting two at
# a time (BLAS) takes 0.1 ms, and even a 256x256 matmul by einsum is 5x slower than by BLAS.
# So a contraction whose naive loop is large goes along the path np.einsum_path finds (its
# greedy strategy, opt_einsum's default), computed once per (equation, shapes) and cached.
# Small contractions keep the plain loop: the path machinery costs ~10 us a call, more than
# the loop below about 2**15 multiply-adds (measured, 16x16 and 32x32 matmuls). The path is
# found by NumPy, not the opt_einsum package, so torch.backends.opt_einsum's flags (which say
# that package is absent) do not change it; torch contracts left to right without it.
_EINSUM_PLAIN_BELOW = 2**15


@functools.lru_cache(maxsize=512)
def _einsum_path(equation, shapes):
    """The contraction path for ``equation`` on operands of ``shapes``, or False to run the
    plain loop (NOTE: [einsum contraction paths])."""
    sizes = {}
    for letters, shape in zip(equation.split("->")[0].split(","), shapes):
        sizes.update(zip(letters, shape))
    if math.prod(sizes.values()) < _EINSUM_PLAIN_BELOW:
        return False
    dummies = [np.broadcast_to(np.empty(()), shape) for shape in shapes]
    return np.einsum_path(equation, *dummies, optimize="greedy")[0]


def _einsum_kernel(*xs, equation):
    path = len(xs) > 1 and _einsum_path(equation, tuple(x.shape for x in xs))
    out = np.asanyarray(np.einsum(equation, *xs, optimize=path), order="C")  # contiguous as torch
    # np.einsum may hand back a view of its operand; einsum is not a view op here (the views
    # torch gives are taken by the public function), so the result owns its memory
    return out.copy() if len(xs) == 1 and np.may_share_memory(out, xs[0]) else out


def _einsum_parse(equation):
    lhs, out = equation.split("->")
    return lhs.split(","), out


def _einsum_vjp(i):
    def vjp(g, *xs, equation):
        ins, out = _einsum_parse(equation)
        others = [s for j, s in enumerate(ins) if j != i]
        elsewhere = set(out).union(*others) if others else set(out)
        mine = ins[i]
        kept = "".join(c for c in mine if c in elsewhere)
        eq = ",".join([out] + others) + "->" + kept
        gi = apply(EINSUM, g, *[x for j, x in enumerate(xs) if j != i], equation=eq)
        x = xs[i]
        target = tuple(s if c in elsewhere else 1 for c, s in zip(mine, x.shape))
        if gi.ndim != len(target):  # put back the summed-out letters as dims of size 1
            sizes = iter(gi.shape)
            gi = gi.reshape(tuple(next(sizes) if c in elsewhere else 1 for c in mine))
        gi = sum_to(gi, target)
        return gi.expand(tuple(x.shape)) if target != tuple(x.shape) else gi

    return vjp


class _EinsumVjps:
    """vjps[i] for any number of operands."""

    def __getitem__(self, i):
        return _einsum_vjp(i)


EINSUM = multilinear("einsum", _einsum_kernel, _EinsumVjps(), node_name="EinsumBackward0")


def _einsum_normalize(equation, operands):
    equation = equation.replace(" ", "")
    if "->" in equation:
        lhs, out = equation.split("->")
        explicit = True
    else:
        lhs, out, explicit = equation, "", False
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise RuntimeError(
            f"einsum(): {len(ins)} operands in the equation but {len(operands)} tensors were given"
        )
    used = set(equation) - set(".,->")
    for c in used:
        if not c.isalpha():
            raise RuntimeError(
                f"einsum(): invalid subscript given at index: {equation.index(c)} ({c!r})"
            )
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for s, x in zip(ins, operands):
        if "..." in s:
            n_ell = max(n_ell, x.ndim - (len(s) - 3))
    ell = "".join(spare[:n_ell])
    new_ins = []
    for s, x in zip(ins, operands):
        if "..." in s:
            k = x.ndim - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k :] if k else "")
        if len(s) != x.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                f"number of dimensions ({x.ndim}) for operand {len(new_ins)}"
            )
        new_ins.append(s)
    if explicit:
        out = out.replace("...", ell)
        for c in out:
            if not any(c in s for s in new_ins):
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any input operand"
                )
    else:
        counts = {}
        for s in new_ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return new_ins, out


def _sublist_equation(args):
    """(equation, operands) of einsum's sublist format: operand, subscripts, operand,
    subscripts, ..., [output subscripts]; a subscript is an int in [0, 52) or ``...``."""

    def letters(sublist):
        out = []
        for k in sublist:
            if k is Ellipsis:
                out.append("...")
            elif isinstance(k, int) and 0 <= k < 52:
                out.append(string.ascii_letters[k])
            else:
                raise ValueError(
                    f"einsum(): expected subscript to be within the range [0, 52), but got {k}"
                )
        return "".join(out)

    output = None
    if len(args) % 2 == 1:  # a trailing output sublist
        *args, output = args
    operands, sublists = tuple(args[0::2]), args[1::2]
    if not all(isinstance(x, Tensor) for x in operands):
        raise TypeError("einsum(): the sublist format is operand, sublist, operand, sublist, ...")
    equation = ",".join(letters(s) for s in sublists)
    if output is not None:
        equation += "->" + letters(output)
    return equation, tuple(operands)


def einsum(equation, *operands):
    """Sums of products over the letters of ``equation`` (NumPy/PyTorch einsum).

    >>> import dualgrad as dg
    >>> dg.einsum("ij,jk->ik", dg.ones(2, 3), dg.ones(3, 4)).shape
    dualgrad.Size([2, 4])

    The sublist format of torch and NumPy, ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (integers
    for subscripts, ``...`` for the broadcast dims), is the same contraction.
    """
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(x).__name__}")
    ins, out = _einsum_normalize(equation, operands)
    operands = list(operands)
    for i, s in enumerate(ins):
        # a letter repeated inside one operand takes its diagonal (NOTE: [einsum normal form])
        while len(set(s)) != len(s):
            c = next(c for c in s if s.count(c) > 1)
            p = s.index(c)
            q = s.index(c, p + 1)
            operands[i] = diagonal(operands[i], 0, p, q)
            s = s[:p] + s[p + 1 : q] + s[q + 1 :] + c
        ins[i] = s
    dtypes = {x.dtype for x in operands}
    if len(dtypes) > 1:
        raise RuntimeError(
            f"einsum(): expected all operands to have the same dtype, got {sorted(map(str, dtypes))}"
        )
    if len(operands) == 1 and sorted(ins[0]) == sorted(out):
        # nothing summed: a permutation (of a diagonal), which torch returns as a view of the
        # operand, so a write into the result reaches it and its gradient
        return operands[0].permute(tuple(ins[0].index(c) for c in out))
    return apply(EINSUM, *operands, equation=",".join(ins) + "->" + out)


# ------------------------------------------------------------------ cross
# <g, a x b> = <a, b x g> = <b, g x a>: the scalar triple product is cyclic.
CROSS = multilinear(
    "cross",
    lambda a, b, *, dim: np.asanyarray(np.cross(a, b, axis=dim), order="C"),
    (
        lambda g, a, b, *, dim: apply(CROSS, b, g, dim=dim),
        lambda g, a, b, *, dim: apply(CROSS, g, a, dim=dim),
    ),
    node_name="LinalgCrossBackward0",
)


@tensor_method
def cross(a, b, dim=None):
    """The cross product of 3-vectors along ``dim``; by default (as torch.cross) the first dim
    of size 3. Operands broadcast."""
    _check_tensor(a, "cross", "input")
    _check_tensor(b, "cross", "other")
    _check_same_dtype(a, b, "cross")
    if a.ndim != b.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions (got {a.ndim} and {b.ndim}); "
            "unsqueeze the smaller one"
        )
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise RuntimeError(
            f"cross: shapes {list(a.shape)} and {list(b.shape)} do not broadcast"
        ) from None
    if dim is None:
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        d = dims[0]
        warnings.warn(
            "Using dualgrad.cross without specifying the dim arg is deprecated (as in PyTorch); "
            "pass dim explicitly, or use dim=-1 as torch.linalg.cross does",
            UserWarning,
            stacklevel=2,
        )
    else:
        (d,) = normalize_dims(dim, len(shape))
    if tuple(a.shape) != shape:
        a = a.expand(shape)
    if tuple(b.shape) != shape:
        b = b.expand(shape)
    if shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d} must have length 3. Got {a.shape[d]} and {b.shape[d]}"
        )
    return apply(CROSS, a, b, dim=d)


def linalg_cross(input, other, *, dim=-1):
    """torch.linalg.cross: the cross product along ``dim``, by default the last dim (unlike
    ``cross``, whose default is the first dim of size 3)."""
    return cross(input, other, dim=dim)


# ------------------------------------------------------------------ addmm (nn.Linear's product)
# NOTE: [addmm] beta * input + alpha * (mat1 @ mat2) as one node, torch's AddmmBackward0, which
# is what nn.Linear records on a batch of rows: addmm(bias, x, weight.t()). The weight's
# gradient comes back through TBackward0; so that it lands in the weight's own (row-major)
# layout, mat2's gradient is made as (g^T mat1)^T when mat2 is a transposed view, as torch's
# mm_mat2_backward chooses by mat2's strides (then the optimizer updates a contiguous array).
def _addmm_kernel(b, m1, m2, *, beta, alpha):
    out = _matmul_kernel(m1, m2)
    if alpha != 1:
        out = out * np.asarray(alpha, dtype=out.dtype)
    if beta != 0:  # torch ignores input (nan and all) when beta is 0
        out = out + (b if beta == 1 else b * np.asarray(beta, dtype=b.dtype))
    return np.asanyarray(out)


def _transposed_layout(t) -> bool:
    data = getattr(t, "_data", None)  # (a shape-only stand-in or a wrapper has no array)
    return (
        type(data) is np.ndarray
        and data.ndim == 2
        and data.flags.f_contiguous
        and not data.flags.c_contiguous
    )


def _scaled(t, by):
    return t if by == 1 else t * by


def _addmm_vjp(g, b, m1, m2, *, out, needs, beta, alpha):
    gb = sum_to(_scaled(g, beta), tuple(b.shape)) if needs[0] else None
    gm1 = _scaled(matmul(g, m2.mT), alpha) if needs[1] else None
    gm2 = None
    if needs[2]:
        gm2 = matmul(g.mT, m1).mT if _transposed_layout(m2) else matmul(m1.mT, g)
        gm2 = _scaled(gm2, alpha)
    return gb, gm1, gm2


def _addmm_jvp(tangents, b, m1, m2, *, out, beta, alpha):
    bt, m1t, m2t = tangents
    total = None
    for term in (
        None if m1t is None else matmul(m1t, m2),
        None if m2t is None else matmul(m1, m2t),
    ):
        if term is not None:
            total = term if total is None else total + term
    if total is not None:
        total = _scaled(total, alpha)
    if bt is not None and beta != 0:
        bt = _scaled(bt, beta)
        total = bt.expand(tuple(out.shape)) if total is None else total + bt
    return total


def _addmm_batch(op, physical, bdims, params, size):
    """vmap: the composite on the batched values (matmul folds the batch; the bias is
    right-aligned against the (n, p) result)."""
    from .._batching_generic import _matmul, _to_front

    (b, m1, m2), (db, d1, d2) = physical, bdims
    # (matmul's own rule: a batch of matrices against one matrix is one GEMM, so a vmapped
    # nn.Linear computes the same bits as the batched call, as torch's does)
    if d1 is None and d2 is None:  # only the bias is batched
        out = apply(MATMUL, m1, m2)
    else:
        out, od = _matmul(MATMUL, [m1, m2], [d1, d2], {}, size)
        out = _to_front(out, od)
    out = _scaled(out, params["alpha"])
    if params["beta"] != 0:
        if db is not None:
            b = _to_front(b, db)
            b = b.reshape((size,) + (1,) * (3 - b.ndim) + tuple(b.shape[1:]))
        out = out + _scaled(b, params["beta"])
    if out.ndim == 2:  # only the bias was batched, and beta is 0: the same for every element
        out = out.unsqueeze(0).expand((size,) + tuple(out.shape))
    return out, 0


ADDMM = custom(
    "addmm",
    _addmm_kernel,
    _addmm_vjp,
    _addmm_jvp,
    reads=((), (2,), (1,)),
    batch=_addmm_batch,
)


def _broadcast_or_none(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def addmm_checked(input, mat1, mat2, beta=1, alpha=1, fn="addmm"):
    """``addmm`` after torch's checks of its operands."""
    for arg, t in (("input", input), ("mat1", mat1), ("mat2", mat2)):
        _check_tensor(t, fn, arg)
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(
            f"{fn}: mat1 and mat2 must be matrices, got {mat1.ndim}D and {mat2.ndim}D"
        )
    _check_same_dtype(mat1, mat2, fn)
    _check_same_dtype(input, mat1, fn)
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and "
            f"{mat2.shape[0]}x{mat2.shape[1]})"
        )
    n, p = mat1.shape[0], mat2.shape[1]
    bias = tuple(input.shape)
    if bias != (p,) and bias != (n, p) and _broadcast_or_none(bias, (n, p)) != (n, p):
        raise RuntimeError(
            f"The expanded size of the tensor ({p}) must match the existing size "
            f"({input.shape[-1]}) at non-singleton dimension 1.  Target sizes: [{n}, {p}].  "
            f"Tensor sizes: {list(input.shape)}"
        )
    return apply(ADDMM, input, mat1, mat2, beta=beta, alpha=alpha)
