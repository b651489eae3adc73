"""In-place shape changes: ``x.unsqueeze_(d)``, ``x.squeeze_(d)``, ``x.t_()``,
``x.transpose_(d0, d1)`` change which elements x shows and in what layout, never a value
(NOTE: [in-place shape changes])."""

from __future__ import annotations

from ._batching import BatchedTensor
from ._grad_mode import state as _grad_state
from ._inplace_checks import _LEAF_ERROR, _VIEW_OF_LEAF_ERROR
from ._ops import shape as S
from ._tensor import Tensor, bump_version
from ._views import _View

# NOTE: [in-place shape changes]
# The out-of-place view op (with torch's checks and errors) computes the new layout, and a
# tensor that records no history takes it (a view included: it becomes the new view of the
# same base); its version goes up, as torch's does. A tensor that records history (or carries
# tangents) refuses, with torch's messages for a leaf and a view of a leaf and a fix
# otherwise: nodes hold the tensors they saved (an op's input, exp's output) as they are, and
# read their shapes at backward, so a tensor whose layout changed under them would give them
# wrong shapes; torch saves its own copy of the metadata instead. A tensor that records
# nothing but that a node saved (``y = w * x``, then ``x.t_()``) gets a new version, so that
# node refuses at backward, as torch's does.


def _change_shape(x: Tensor, out: Tensor, name: str) -> Tensor:
    tracked = (_grad_state.enabled and x._requires_grad) or x._fw
    if not tracked:
        if isinstance(x, _View):  # the new layout is a view of the same base: x becomes it
            x.__dict__.update(out.__dict__)
        elif isinstance(x, BatchedTensor):  # inside vmap: the new layout's physical value
            x._value, x._bdim = out._value, out._bdim
        else:
            x._data = out._data
        bump_version(x)
        return x
    base = x._base
    if x._requires_grad and x.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR + f" ({name})")
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError(_VIEW_OF_LEAF_ERROR + f" ({name})")
    raise RuntimeError(
        f"{name}(): dualgrad cannot change in place the shape of a tensor that records history "
        f"or carries tangents; write x = x.{name[:-1]}(...) instead (NOTE: [in-place shape "
        "changes])"
    )


def unsqueeze_(self, dim):
    """In-place ``unsqueeze``. Unlike torch, refused on a tensor that records history or carries
    tangents (write ``x = x.unsqueeze(d)``)."""
    return _change_shape(self, S.unsqueeze(self, dim), "unsqueeze_")


def squeeze_(self, dim=None):
    """In-place ``squeeze``. Unlike torch, refused on a tensor that records history or carries
    tangents (write ``x = x.squeeze(d)``)."""
    return _change_shape(self, S.squeeze(self, dim), "squeeze_")


def t_(self):
    """In-place ``t``. Unlike torch, refused on a tensor that records history or carries tangents
    (write ``x = x.t()``)."""
    if self.ndim > 2:  # (t()'s check, under this method's name)
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return _change_shape(self, S.t(self), "t_")


def transpose_(self, dim0, dim1):
    """In-place ``transpose``. Unlike torch, refused on a tensor that records history or carries
    tangents (write ``x = x.transpose(a, b)``)."""
    return _change_shape(self, S.transpose(self, dim0, dim1), "transpose_")


SHAPE_METHODS = {"unsqueeze_": unsqueeze_, "squeeze_": squeeze_, "t_": t_, "transpose_": transpose_}
