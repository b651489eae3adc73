"""torch's refusals of an in-place write, checked before anything is written (NOTE: [in-place
ops] in _inplace.py): a leaf, or a view of one, that requires grad; a view made under no_grad;
the result's shape and dtype; read-only or self-overlapping memory; a dual made by make_dual."""

from __future__ import annotations

import numpy as np

from . import _dtype
from ._grad_mode import state as _grad_state
from ._batching import BatchedTensor, requires_grad_anywhere
from ._tensor import Tensor
from ._views import _View, multi_error

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_NO_GRAD_VIEW_ERROR = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled "
    "({name}). Given that this use case is ambiguous and error-prone, it is forbidden. You can "
    "clarify your code by moving both the view and the inplace either both inside the no_grad "
    "block (if you don't want the inplace to be tracked) or both outside (if you want the "
    "inplace to be tracked)."
)
_VIEW_OF_LEAF_ERROR = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def _check_leaf(x: Tensor, out_requires_grad, name: str) -> None:
    """torch's refusals where autograd records: a write into a leaf that requires grad, a view
    of one, a view made under no_grad, or an output of a multi-output view op."""
    if not _grad_state.enabled:
        return
    if isinstance(x, _View):
        base = x._base
        # (history at any level: under grad(vmap(f)) the physical tensors record)
        if x._multi is not None and (out_requires_grad or requires_grad_anywhere(base)):
            raise multi_error(x._multi, "is being modified inplace")  # [multi-output views]
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                _VIEW_OF_LEAF_ERROR + f" ({name}) Do it under 'with dualgrad.no_grad():' "
                "or on a clone."
            )
        if not x._view_grad and base._requires_grad:
            raise RuntimeError(_NO_GRAD_VIEW_ERROR.format(name=name))
    elif x._requires_grad and x.grad_fn is None:
        raise RuntimeError(
            _LEAF_ERROR + f" ({name}) Do it under 'with dualgrad.no_grad():' or on a clone."
        )


def _check_inplace(x: Tensor, out: Tensor, name: str) -> None:
    _check_leaf(x, out._requires_grad, name)
    if out._data.shape != x._data.shape:
        raise RuntimeError(
            f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
            f"{list(out._data.shape)}"
        )
    out_dt = out._data.dtype
    if out_dt != x._data.dtype and _dtype.from_numpy_dtype(out_dt).category > x.dtype.category:
        raise RuntimeError(
            f"result type {_dtype.torch_name(out_dt.name)} can't be cast to the "
            f"desired output type {_dtype.torch_name(x._data.dtype.name)}"
        )
    if not x._data.flags.writeable and x._data.size:  # (nothing is written into an empty one)
        # NOTE: [read-only arrays] Memory that is read-only without overlapping elements is a
        # NumPy array the user made read-only (from_numpy warned): torch would write into it
        # (undefined behaviour); dualgrad refuses and says how to get a writable tensor.
        data = x._data
        if not _overlaps(data):
            raise RuntimeError(
                f"{name}: this tensor shares memory with a read-only NumPy array (from_numpy of a "
                "non-writable array, e.g. a memory map opened read-only), "
                "so it cannot be written in place; use dualgrad.tensor(array) or "
                "from_numpy(array.copy()) for a writable copy"
            )
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location. Please clone() the tensor before performing the "
            "operation (an expanded tensor, or overlapping unfold windows, cannot be written in place)."
        )


def _overlaps(data: np.ndarray) -> bool:
    """Whether two elements of ``data`` may share a memory location: an expanded dim, or
    windows that overlap (unfold with step < size: NOTE: [unfold views] in _ops/reindex.py).
    With the dims ordered by stride, each stride must pass the span of the dims below it."""
    span = 0
    for st, n in sorted((abs(st), n) for st, n in zip(data.strides, data.shape) if n > 1):
        if st <= span:
            return True
        span += st * (n - 1)
    return False


def _check_dual_alias(x: Tensor, out: Tensor, name: str) -> None:
    """A dual from make_dual shares its primal's memory but is not a view op's output: a write
    with history or tangents into it cannot reach the primal's, so it is refused."""
    if (
        x._base is not None
        and (out._requires_grad or out._fw)
        and (x._base._requires_grad or x._requires_grad or x._base._fw)
    ):
        raise RuntimeError(
            f"{name}: in-place modification of a dual tensor made by make_dual whose primal "
            "requires grad or carries a tangent is not supported; make the dual from a clone"
        )


def _batched_into_unbatched(name: str) -> RuntimeError:
    """torch.func's refusal of a write of a value batched at a level x is not batched at (a
    per-element run would write into x once per element)."""
    return RuntimeError(
        f"vmap: {name}(self, *extra_args) is not possible because there exists a Tensor `other` in "
        "extra_args that has more elements than `self`. This happened due to `other` being vmapped "
        "over but `self` not being vmapped over in a vmap. Please try to use out-of-place operators "
        f"instead of {name}. If said operator is being called inside the PyTorch framework, please "
        "file a bug report instead."
    )


def _check_dtype_view_chain(x: Tensor, out: Tensor) -> None:
    """A write with history or tangents into a view of a view(dtype) tensor: torch bases its
    history on the dtype view (a tensor of its own there), which dualgrad's one root per view
    cannot say; refused rather than a write whose history is dropped (a gradient missing
    without a word). (A write into the view(dtype) tensor itself is fine: NOTE: [dtype views].)"""
    if not x._view_tracked and x._chain[-1][0].differentiable and _tracks(out):
        raise NotImplementedError(
            "an in-place write with autograd history into a view of a view(dtype) tensor is "
            "not supported; write into the view(dtype) tensor itself, or clone() it first"
        )


def _tracks(x: Tensor) -> bool:
    """Whether an in-place op on ``x`` (or a write of ``x``) must keep a history or tangents,
    at its level or below it: under ``grad(vmap(f))`` a batched tensor's history is its
    physical tensor's (a fill of a batched clone must still give the clone a zero gradient)."""
    while True:
        if (_grad_state.enabled and x._requires_grad) or x._fw:
            return True
        if not isinstance(x, BatchedTensor):
            return False
        x = x._value


def _false_mask(x: Tensor) -> Tensor:
    """All False, x's shape: ``where(mask, old, new)`` gives the old value a zero gradient."""
    return Tensor._make(np.zeros(x._data.shape, dtype=bool))
