"""NewtonCG: a Hessian-free (truncated Newton) optimizer with exact Hessian-vector products.

Each step solves ``(H + damping I) p = -g`` by conjugate gradients, where every product
``H v`` is exact: the closure is re-run inside a dual level with the parameters carrying the
tangent ``v``, and ``autograd.grad`` of the loss gives gradients whose tangents are ``H v``
(forward-over-reverse, Pearlmutter 1994; seed 003's use case). The step is then taken with a
backtracking (Armijo) line search on the closure.

# NOTE: [tangents on parameters]
``make_dual`` returns a new tensor, but a closure reads the optimizer's parameters
themselves; so for the HVP the tangent is attached to each parameter for the duration of one
dual level (``set_tangent``, the primitive ``make_dual`` is built on). Leaving the level drops
it, as it drops every tangent of that level.
"""

from __future__ import annotations

import numpy as np

from .._grad_mode import enable_grad, no_grad
from .._tensor import Tensor, set_tangent
from ..autograd import forward_ad as fw
from ..autograd.engine import grad as _grad
from .optimizer import Optimizer, bump


def _flat(arrays):
    return np.concatenate([a.reshape(-1) for a in arrays])


class NewtonCG(Optimizer):
    """Truncated Newton with exact HVPs. ``step(closure)``: the closure returns the loss (it
    need not call ``backward``; if it does, ``.grad`` is left as the closure makes it).

    Arguments: ``lr`` (the initial step length, 1 = the Newton step), ``damping`` (Tikhonov
    damping lambda added to H), ``cg_max_iter``, ``cg_tol`` (relative residual tolerance; by
    default min(0.5, sqrt(|g|)), the Eisenstat-Walker forcing term), ``line_search`` (halve the
    step until the Armijo condition holds, at most ``max_backtracks`` times).

    >>> import dualgrad as dg
    >>> x = dg.tensor([3.0, -1.0], dtype=dg.float64, requires_grad=True)
    >>> opt = NewtonCG([x])
    >>> loss = opt.step(lambda: ((x - 1.0) ** 2).sum() + (x ** 4).sum() * 0.0)
    >>> [round(v, 6) for v in x.tolist()]
    [1.0, 1.0]
    """

    def __init__(
        self,
        params,
        lr=1.0,
        damping=0.0,
        cg_max_iter=50,
        cg_tol=None,
        line_search=True,
        max_backtracks=20,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                damping=damping,
                cg_max_iter=cg_max_iter,
                cg_tol=cg_tol,
                line_search=line_search,
                max_backtracks=max_backtracks,
            ),
        )
        self._params = [p for g in self.param_groups for p in g["params"]]
        self.n_hvp = 0

    def _loss_and_grad(self, closure):
        with enable_grad():
            loss = closure()
            gs = _grad(loss, self._params, allow_unused=True)
        return loss, _flat(
            [np.zeros_like(p._data) if g is None else g._data for p, g in zip(self._params, gs)]
        )

    def hvp(self, closure, v: np.ndarray) -> np.ndarray:
        """``H v`` of the closure's loss in the parameters, by forward-over-reverse."""
        self.n_hvp += 1
        with fw.dual_level() as level, enable_grad():
            offset = 0
            for p in self._params:
                n = p._data.size
                set_tangent(
                    p,
                    level,
                    Tensor._make(
                        v[offset : offset + n].reshape(p._data.shape).astype(p._data.dtype)
                    ),
                )
                offset += n
            try:
                loss = closure()
                gs = _grad(loss, self._params, allow_unused=True)
                out = []
                for p, g in zip(self._params, gs):
                    t = None if g is None else fw.unpack_dual(g).tangent
                    out.append(np.zeros_like(p._data) if t is None else t._data)
            finally:
                for p in self._params:
                    if p._fw:
                        p._fw.pop(level, None)
                        if not p._fw:
                            p._fw = None
        return _flat(out)

    def _cg(self, closure, g, damping, max_iter, tol):
        """Solve (H + damping I) p = -g; stop at negative curvature (keeping the last good p)."""
        p = np.zeros_like(g)
        r = -g.copy()
        d = r.copy()
        rr = r.dot(r)
        g_norm = np.sqrt(rr)
        for i in range(max_iter):
            if np.sqrt(rr) <= tol * g_norm:
                break
            hd = self.hvp(closure, d) + damping * d
            curv = d.dot(hd)
            if curv <= 0:
                if i == 0:
                    p = -g  # no positive curvature along -g: fall back to steepest descent
                break
            alpha = rr / curv
            p = p + alpha * d
            r = r - alpha * hd
            rr_new = r.dot(r)
            d = r + (rr_new / rr) * d
            rr = rr_new
        return p

    def _set(self, x):
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data[...] = x[offset : offset + n].reshape(p._data.shape)
            bump(p)
            offset += n

    def step(self, closure):
        if closure is None:
            raise RuntimeError("NewtonCG.step needs a closure that returns the loss")
        group = self.param_groups[0]
        loss, g = self._loss_and_grad(closure)
        g_norm = float(np.sqrt(g.dot(g)))
        tol = group["cg_tol"] if group["cg_tol"] is not None else min(0.5, np.sqrt(g_norm))
        direction = self._cg(closure, g, group["damping"], group["cg_max_iter"], tol)
        x0 = _flat([p._data for p in self._params]).copy()
        t = group["lr"]
        f0 = float(loss)
        slope = g.dot(direction)
        if group["line_search"]:
            for _ in range(group["max_backtracks"]):
                self._set(x0 + t * direction)
                with no_grad():
                    f = float(closure())
                if f <= f0 + 1e-4 * t * slope:
                    break
                t *= 0.5
        else:
            self._set(x0 + t * direction)
        state = self.state[self._params[0]]
        state["n_iter"] = state.get("n_iter", 0) + 1
        return loss
