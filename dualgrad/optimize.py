"""dualgrad.optimize.minimize: scipy.optimize.minimize with exact derivatives from dualgrad.

``fun`` takes a tensor (float64, the shape of ``x0``) and returns a scalar tensor. The bridge
supplies ``jac`` (reverse mode) and, for the methods that use it, ``hessp`` (the exact
Hessian-vector product by forward-over-reverse: one backward pass inside a dual level), so
``method='trust-krylov'``, ``'trust-ncg'`` or ``'Newton-CG'`` work out of the box; ``hess``
(the full Hessian, one HVP per column) for the methods that need it ('trust-exact', 'dogleg').
SciPy is optional: ``pip install 'dualgrad[optimize]'``.

>>> import dualgrad as dg
>>> res = minimize(lambda x: ((x - 2.0) ** 2).sum(), dg.zeros(3), method="trust-krylov")
>>> [round(v, 6) for v in res.x.tolist()]
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from . import _dtype
from ._factories import tensor
from ._grad_mode import enable_grad
from ._tensor import Tensor
from .autograd import forward_ad as fw
from .autograd.engine import grad as _grad

_HESSP = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
_HESS = {"dogleg", "trust-exact"}
_NO_JAC = {"nelder-mead", "powell", "cobyla", "cobyqa"}


def _scipy_minimize():
    try:
        from scipy.optimize import minimize as sp_minimize
    except ImportError:
        raise ImportError(
            "dualgrad.optimize.minimize needs SciPy: pip install 'dualgrad[optimize]'"
        ) from None
    return sp_minimize


class _Objective:
    """fun, its gradient and its HVP at a flat float64 point, reusing the last evaluation."""

    def __init__(self, fun, shape, args):
        self.fun, self.shape, self.args = fun, shape, args
        self._x = None
        self._value = self._grad = None
        self.nfev = self.ngev = self.nhvp = 0

    def _point(self, x):
        return tensor(np.asarray(x, dtype=np.float64).reshape(self.shape), requires_grad=True)

    def _scalar(self, out):
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise TypeError("minimize: fun must return a scalar (one-element) tensor")
        return out.reshape(())

    def _evaluate(self, x):
        if self._x is not None and np.array_equal(x, self._x):
            return
        xt = self._point(x)
        with enable_grad():
            out = self._scalar(self.fun(xt, *self.args))
            (g,) = _grad(out, [xt], allow_unused=True)
        self.nfev += 1
        self.ngev += 1
        self._x = np.array(x, dtype=np.float64, copy=True)
        self._value = float(out)
        self._grad = (
            np.zeros(xt.numel()) if g is None else np.asarray(g._data, dtype=np.float64).reshape(-1)
        )

    def value(self, x):
        self._evaluate(x)
        return self._value

    def jac(self, x):
        self._evaluate(x)
        return self._grad.copy()

    def hessp(self, x, p):
        """H(x) p by forward-over-reverse."""
        self.nhvp += 1
        xt = self._point(x)
        with fw.dual_level(), enable_grad():
            xd = fw.make_dual(xt, tensor(np.asarray(p, dtype=np.float64).reshape(self.shape)))
            out = self._scalar(self.fun(xd, *self.args))
            (g,) = _grad(out, [xt], allow_unused=True)
            t = None if g is None else fw.unpack_dual(g).tangent
        return (
            np.zeros(xt.numel()) if t is None else np.asarray(t._data, dtype=np.float64).reshape(-1)
        )

    def hess(self, x):
        n = int(np.prod(self.shape)) if self.shape else 1
        cols = [self.hessp(x, e) for e in np.eye(n)]
        h = np.stack(cols, axis=1)
        return 0.5 * (h + h.T)


def minimize(
    fun,
    x0,
    args=(),
    method=None,
    bounds=None,
    constraints=(),
    tol=None,
    callback=None,
    options=None,
    **kwargs,
):
    """Minimise ``fun(x, *args)`` from ``x0`` with ``scipy.optimize.minimize``, supplying the
    exact gradient and (where the method uses them) Hessian-vector products or the Hessian.

    Returns SciPy's ``OptimizeResult`` with ``x`` a dualgrad tensor of ``x0``'s shape and
    ``nhvp``, the number of Hessian-vector products used.
    """
    sp_minimize = _scipy_minimize()
    x0_t = x0 if isinstance(x0, Tensor) else tensor(x0, dtype=_dtype.float64)
    shape = tuple(x0_t.shape)
    x0_np = np.asarray(x0_t.detach()._data, dtype=np.float64).reshape(-1)
    obj = _Objective(fun, shape, tuple(args))
    m = (method or "").lower()
    kw = dict(kwargs)
    if m not in _NO_JAC:
        kw.setdefault("jac", obj.jac)
    if m in _HESSP and "hess" not in kw:
        kw.setdefault("hessp", obj.hessp)
    if m in _HESS:
        kw.setdefault("hess", obj.hess)
    res = sp_minimize(
        obj.value,
        x0_np,
        method=method,
        bounds=bounds,
        constraints=constraints,
        tol=tol,
        callback=callback,
        options=options,
        **kw,
    )
    res.x = tensor(
        np.asarray(res.x).reshape(shape),
        dtype=x0_t.dtype if x0_t.is_floating_point() else _dtype.float64,
    )
    res.nhvp = obj.nhvp
    return res


__all__ = ["minimize"]
