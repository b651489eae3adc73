"""The Taylor level: Taylor mode (``func.jet``) as a level kind (NOTE: [levels] in _levels.py).

The level and its wrapper live here; the rules in rules.py, the collapsed mode in
collapsed.py, custom Functions in functions.py, writes in writes.py.

# NOTE: [Taylor representation]
Inside ``jet`` every input is a ``TaylorTensor``: a wrapper (NOTE: [wrappers] in _batching.py)
whose ``_value`` is the primal one level down and whose ``_series`` is the tuple of its K
*derivative* coefficients (jax.experimental.jet's scaling): for x(t) = x0 + sum_k x_k t^k / k!,
``_series[k - 1]`` is x_k, the k-th derivative of x(t) at t = 0. ``None`` stands for a zero
coefficient, so a constant, or the zero second coefficient of a Laplacian's input, costs
nothing. The wrapper's level number sits in ``_vlevel`` (the field the dispatcher reads for
every wrapper), so ``_dispatch._top_level`` finds it without a new branch.

``TaylorLevel.process`` computes the primal below (``apply`` on the unwrapped primals) and then
the output's coefficients with the op's Taylor rule, chosen by the op's kind (``rule_for``):

- linear ops: the op's jvp on each coefficient (the jvp of a linear op is the op itself);
- multilinear ops (matmul, einsum, linear, cross) and ``mul``: the Leibniz/Cauchy product,
  y_k = sum over j_1 + ... + j_n = k of multinomial(k; j) op(a_j1, ..., a_jn);
- exp, log, sin, cos, tanh, sigmoid, sqrt, div, reciprocal, add, sub, neg: Griewank and
  Walther's recurrences (Evaluating Derivatives, ch. 13), on normalised coefficients;
- every other op, element-wise or custom: from its jvp rule, by the derivative recurrence
  y'(t) = jvp(x(t), x'(t)): the coefficients y_1..y_K are the primal and K - 1 coefficients
  of the jvp rule run on Taylor tensors of order K - 1 (a new Taylor level above this one). The
  rule is written in dualgrad ops, so its ops get their own Taylor rules, and so on down to
  order 0: Faa di Bruno's formula, assembled by the recursion. A rule that reads the op's
  output (exp's ``out``) needs the output's series too, so it runs once per order, on the
  coefficients found so far. No op lacks a Taylor rule: every differentiable op has a jvp.
- custom ``autograd.Function``s: through K nested dual levels of one scalar t
  (``_function_series``): x(t) is built as a polynomial in a t that carries K dual levels, and
  y_k is the mixed tangent of levels 1..k of the output (O(2^K), correct for any Function with
  a jvp or a backward, as forward mode already derives one from the other).

Every rule's ops re-enter ``apply`` below this level, so the coefficients are ordinary tensors
of the levels below: ``vmap(jet)`` batches them, a tape records them (the gradient of a
coefficient), and a dual level below pushes their tangents.

# NOTE: [collapsed Taylor mode]
For a linear differential operator such as the Laplacian, sum_d v_d^T H v_d, the second-order
coefficients of the D directions are only ever needed summed. Every op's second coefficient is
y_2 = Q(x_1) + J x_2: quadratic in the first coefficient and *linear* in the second (Dangel et
al. 2025, "Collapsing Taylor Mode AD"). So a collapsed level keeps x_1 per direction, as a
tensor batched at a vmap level of the D directions (``collapse``), and x_2 already summed:
y_1 = J x_1 (batched), y_2 = sum_d Q(x_1^d) + J x_2 (the order-2 rule with a zero second
coefficient, summed over the directions, plus the op's jvp on the summed one). The summed
coefficient is one tensor of the primal's shape instead of D of them, and the ops on it are
first order.
"""

from __future__ import annotations

import numpy as np

from .. import _levels
from .._dispatch import apply, apply_function
from .._tensor import Tensor
from .collapsed import collapsed
from .functions import function_series
from .rules import rule_for

_stack = _levels.stack


class TaylorTensor(Tensor):
    """A tensor inside ``jet``: primal ``_value`` and derivative coefficients ``_series`` at
    Taylor level ``_vlevel`` (NOTE: [Taylor representation])."""

    _series: tuple = ()

    @classmethod
    def wrap(cls, value, series, level):
        t = object.__new__(cls)
        t._value = value
        t._series = tuple(series)
        t._vlevel = level
        return t

    @property
    def _data(self):
        return self._value._data

    def _alias_hook(self, below_level=None):
        # the coefficients are one level down and the tangents of dual levels above this one
        # live on the wrapper: an alias for a dual level's rule keeps those below it
        from .._tensor import set_tangent

        t = TaylorTensor.wrap(self._value, self._series, self._vlevel)
        if self._fw:
            for lv, tan in self._fw.items():
                if below_level is None or lv < below_level:
                    set_tangent(t, lv, tan)
        return t

    def requires_grad_(self, requires_grad=True):
        # Reverse mode inside jet would need a tape above this level (as vmap has: TapeLevel);
        # the ordinary tape records the primal and coefficient ops below it, so a gradient
        # taken here would miss the series and come out zero. Refused, never silently wrong.
        if requires_grad:
            raise NotImplementedError(
                "reverse mode inside jet/laplacian (grad, vjp, jacrev, hessian or backward of a "
                "function of a Taylor tensor) is not supported; take the gradient outside "
                "instead (grad of a jet coefficient), or use jvp/jacfwd inside jet"
            )
        return self

    def _without_history(self):
        return self

    def detach(self):
        # as a dual tensor's detach drops its tangent (torch.func.jvp's too): a constant
        return self._value.detach()

    def __repr__(self):
        return (
            f"TaylorTensor(level={self._vlevel}, primal={self._value!r}, series={self._series!r})"
        )


class TaylorLevel(_levels.Level):
    """One ``jet`` call: its order, and for a collapsed level the vmap level of its directions
    (NOTE: [collapsed Taylor mode])."""

    kind = "taylor"
    __slots__ = ("order", "collapse")

    def __init__(self, order: int, collapse=None):
        super().__init__()
        self.order = order
        self.collapse = collapse  # (vmap level number, number of directions) or None

    def unwrap(self, a):
        """The primal and the K coefficients of input ``a`` (a constant has none)."""
        if isinstance(a, TaylorTensor) and a._vlevel == self.number:
            return a._value, a._series
        return a, (None,) * self.order

    def process(self, op, args, params):
        primals, series = [], []
        for a in args:
            p, s = self.unwrap(a)
            primals.append(p)
            series.append(s)
        out = apply(op, *primals, **params)
        if not op.differentiable or all(c is None for s in series for c in s):
            return out
        if self.collapse is not None:
            out_series = collapsed(op, primals, series, params, out, self.collapse, series_call)
        else:
            out_series = rule_for(op)(op, primals, series, params, out, self.order, series_call)
        if op.multi_output:
            return tuple(self.wrap(o, s) if _floating(o) else o for o, s in zip(out, out_series))
        return self.wrap(out, out_series)

    def wrap(self, out, series):
        if all(c is None for c in series):
            return out
        return TaylorTensor.wrap(out, [_conform(c, out) for c in series], self.number)

    def process_function(self, op, args, kwargs):
        primals, series = [], []
        for a in args:
            p, s = self.unwrap(a)
            primals.append(p)
            series.append(s)
        low = apply_function(op, tuple(primals), kwargs)
        if all(c is None for s in series for c in s):
            return low
        if self.collapse is not None:
            raise NotImplementedError(
                f"laplacian: the custom Function {op.name} inside a collapsed Taylor level; "
                "use func.jet on it, or laplacian(f, collapsed=False)"
            )
        outs = function_series(op, primals, series, kwargs, self.order)
        call = type(low)(low.ctx)
        call.single, call.input_tangents = low.single, low.input_tangents
        call.finals = [
            self.wrap(f, s) if isinstance(f, Tensor) and _floating(f) else f
            for f, s in zip(low.finals, outs)
        ]
        return call


def _floating(t) -> bool:
    return isinstance(t, Tensor) and t._data.dtype.kind == "f"


def _conform(c, out):
    """A coefficient with the output's shape and dtype (a rule may give a broadcast one)."""
    if c is None:
        return None
    if not isinstance(c, Tensor):
        c = Tensor._make(np.asarray(c, dtype=out._data.dtype))
    if c._data.dtype != out._data.dtype:
        c = c.to(out.dtype)
    if c._data.shape != out._data.shape:
        c = c.expand(out._data.shape)
    return c


# ------------------------------------------------------------------ running a function on series
def series_call(fn, primals, series, order: int, collapse=None):
    """``fn(*inputs)`` where input i is primal i with coefficients ``series[i]`` (order
    ``order``, None for zero) on a new Taylor level; returns the output as (primal, series) or a
    tuple of such for a tuple output."""
    level = _levels.push(TaylorLevel(order, collapse))
    try:
        inputs = [
            TaylorTensor.wrap(p, s, level.number)
            if isinstance(p, Tensor) and any(c is not None for c in s)
            else p
            for p, s in zip(primals, series)
        ]
        out = fn(*inputs)
        if isinstance(out, (tuple, list)):
            return tuple(_split(o, level) for o in out)
        return _split(out, level)
    finally:
        _levels.pop(level.number)


def _split(o, level):
    if o is None:
        return None
    return level.unwrap(o)
