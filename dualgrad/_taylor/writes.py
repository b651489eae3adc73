"""Writes into Taylor tensors (NOTE: [writes at the Taylor level])."""

from __future__ import annotations

from .._tensor import Tensor
from .level import TaylorTensor
from .rules import zero_like


# NOTE: [writes at the Taylor level]
# The Taylor level makes no views of its own: a view op's Taylor rule (linear: the op on each
# coefficient) gives a primal and coefficients that are ground views of the base's. So a write
# into a Taylor tensor is the ground's write, once per component: into the primal, and, where
# the primal is a view, into each coefficient (which then reaches the base's coefficient
# through the ground's view model). Where the primal is not a view, the coefficients are
# replaced, not written: a rule may hand on an input's coefficient object as it is (``x + c``),
# and writing into it would change that input's series.
def commit_taylor(x, out, name, commit):
    """``x`` takes ``out`` by an in-place op (``commit`` is the ground's commit)."""
    from .._views import _View

    level = out._vlevel if type(out) is TaylorTensor else x._vlevel
    order = len(out._series if type(out) is TaylorTensor else x._series)
    out_primal, out_series = (
        (out._value, out._series) if type(out) is TaylorTensor else (out, (None,) * order)
    )
    if type(x) is not TaylorTensor:
        if isinstance(x, _View) or x._vlevel >= 0:
            raise NotImplementedError(
                f"{name}: a write of a value with Taylor coefficients into a view of a tensor "
                "without them inside jet; write out of place (torch.where, torch.cat) instead"
            )
        commit(x, out_primal, name)
        primal = Tensor._make(x._data)
        primal._vc = x._version_counter()
        primal.grad_fn, primal._requires_grad = x.grad_fn, x._requires_grad
        x.__dict__.pop("_data", None)
        x.grad_fn, x._requires_grad = None, False
        x.__class__ = TaylorTensor
        x._value, x._series, x._vlevel = primal, tuple(out_series), level
        return x
    commit(x._value, out_primal, name)
    if not isinstance(x._value, _View):
        x._series = tuple(out_series)
        return x
    series = []
    for c, oc in zip(x._series, out_series):
        if c is None:
            if oc is not None:
                raise NotImplementedError(
                    f"{name}: a write of a value with Taylor coefficients into a view of a "
                    "tensor without them inside jet; give the base its coefficients first "
                    "(x = x + 0 * y) or write out of place"
                )
            series.append(None)
            continue
        commit(c, oc if oc is not None else zero_like(c), name)
        series.append(c)
    x._series = tuple(series)
    return x
