"""The scaled matrix products torch keeps from BLAS: addr, addmv, addbmm, and chain_matmul.

Each is ``beta * input + alpha * product``, written with matmul, outer and sum (composites:
every mode comes from those ops). As in torch, ``input`` must broadcast to the product's shape
and is ignored when ``beta`` is 0 (a nan in it does not reach the result).
"""

from __future__ import annotations

import warnings

from .._tensor import Tensor
from .linalg import matmul, outer
from .linalg_decomp import _add_scaled
from ._methods import tensor_method

__all__ = ["addr", "addmv", "addbmm", "chain_matmul"]


def _check_tensors(fn, **named):
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def _check_input(input, shape, fn):  # noqa: A002  (torch's name)
    """torch's check that ``input`` expands to the product's ``shape``."""
    ok = input.ndim <= len(shape) and all(
        a in (1, b) for a, b in zip(reversed(input.shape), reversed(shape))
    )
    if not ok:
        raise RuntimeError(
            f"{fn}: the expanded size of input {list(input.shape)} must match the product's "
            f"size {list(shape)} (pass an input that broadcasts to it)"
        )


def _check_same_dtype(fn, *tensors):
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        names = ", ".join(str(t.dtype) for t in tensors)
        raise RuntimeError(f"{fn}: expected the operands to have one dtype, got {names}")


@tensor_method(inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)``.

    >>> import dualgrad as dg
    >>> dg.addr(dg.zeros(2, 2), dg.tensor([1., 2.]), dg.tensor([3., 4.]))
    tensor([[3., 4.],
            [6., 8.]])
    """
    _check_tensors("addr", input=input, vec1=vec1, vec2=vec2)
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(
            f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
            if vec1.ndim != 1
            else f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D"
        )
    _check_input(input, (vec1.shape[0], vec2.shape[0]), "addr")
    return _add_scaled(input, outer(vec1, vec2), beta, alpha)


@tensor_method(inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * (mat @ vec)``.

    >>> import dualgrad as dg
    >>> dg.addmv(dg.ones(2), dg.eye(2), dg.tensor([3., 4.]), beta=2)
    tensor([5., 6.])
    """
    _check_tensors("addmv", input=input, mat=mat, vec=vec)
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}"
        )
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
            f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})"
        )
    _check_same_dtype("addmv", input, mat, vec)
    _check_input(input, (mat.shape[0],), "addmv")
    return _add_scaled(input, matmul(mat, vec), beta, alpha)


@tensor_method(inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``: a batch of products summed.

    >>> import dualgrad as dg
    >>> dg.addbmm(dg.zeros(1, 1), dg.ones(3, 1, 2), dg.ones(3, 2, 1))
    tensor([[6.]])
    """
    _check_tensors("addbmm", input=input, batch1=batch1, batch2=batch2)
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(
            "batch1 must be a 3D tensor" if batch1.ndim != 3 else "batch2 must be a 3D tensor"
        )
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(
            f"addbmm: batch1 {list(batch1.shape)} and batch2 {list(batch2.shape)} cannot be "
            "multiplied (the batch sizes and the inner dims must match)"
        )
    _check_same_dtype("addbmm", input, batch1, batch2)
    _check_input(input, (batch1.shape[1], batch2.shape[2]), "addbmm")
    return _add_scaled(input, matmul(batch1, batch2).sum(0), beta, alpha)


def chain_matmul(*matrices):
    """The product of the matrices, left to right (deprecated in torch, which warns and
    points to ``linalg.multi_dot``; so does this).

    >>> import dualgrad as dg
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     dg.chain_matmul(dg.eye(2), dg.ones(2, 1)).tolist()
    [[1.0], [1.0]]
    """
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors "
        "rather than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        _check_tensors("chain_matmul", **{f"matrices[{i}]": m})
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    out = matrices[0]
    for m in matrices[1:]:
        out = matmul(out, m)
    return out
