"""Collapsed Taylor mode for the Laplacian (NOTE: [collapsed Taylor mode] in level.py)."""

from __future__ import annotations

from .._batching import BatchedTensor
from .rules import _add_terms, rule_for


# f' and f'' of the hot element-wise ops, from the input and the output: in a collapsed level
# their coefficients are y_1 = f' x_1 (per direction) and y_2 = f' x_2 + f'' sum_d x_1^2, three
# batched ops, where the general recurrence makes about ten.
def _sin_cos_partials(x, out, sign):
    from .._ops.elementwise import cos, sin

    return (cos(x), -out) if sign > 0 else (-sin(x), -out)


UNARY_PARTIALS = {
    "tanh": lambda x, out: (lambda d: (d, -2.0 * out * d))(1.0 - out * out),
    "sigmoid": lambda x, out: (lambda d: (d, d - 2.0 * out * d))(out - out * out),
    "exp": lambda x, out: (out, out),
    "log": lambda x, out: (lambda r: (r, -(r * r)))(1.0 / x),
    "sqrt": lambda x, out: (lambda r: (r, -2.0 * r * r * r))(0.5 / out),
    "sin": lambda x, out: _sin_cos_partials(x, out, 1),
    "cos": lambda x, out: _sin_cos_partials(x, out, -1),
}


def collapsed(op, primals, series, params, out, collapse, run):
    """y_1 per direction, y_2 summed over them (NOTE: [collapsed Taylor mode])."""
    vlevel, _ = collapse
    partials = UNARY_PARTIALS.get(op.name)
    if partials is not None:
        ((x1, x2),) = series
        d1, d2 = partials(primals[0], out)
        y1 = None if x1 is None else x1 * d1
        q = None if x1 is None else _sum_directions(x1 * x1, vlevel, out, collapse) * d2
        return [y1, _add_terms(q, None if x2 is None else x2 * d1)]
    first = [(s[0], None) for s in series]
    y1, q = _as_pairs(op, rule_for(op)(op, primals, first, params, out, 2, run))
    summed = [s[1] for s in series]
    lin = None
    if any(t is not None for t in summed):
        lin = op.jvp(summed, *primals, out=out, **params)
    if op.multi_output:
        return [
            [y1[i], _add_terms(_sum_directions(q[i], vlevel, out[i], collapse), _at(lin, i))]
            for i in range(len(out))
        ]
    return [y1, _add_terms(_sum_directions(q, vlevel, out, collapse), lin)]


def _at(lin, i):
    return None if lin is None else lin[i]


def _as_pairs(op, res):
    if op.multi_output:
        return [r[0] for r in res], [r[1] for r in res]
    return res[0], res[1]


def _sum_directions(q, vlevel, out, collapse):
    """The sum over the directions' batch dim of a batched coefficient (a tensor not batched
    at that level is the same for every direction: D times it)."""
    if q is None:
        return None
    if isinstance(q, BatchedTensor) and q._vlevel == vlevel:
        return q._value.sum(dim=q._bdim)
    return q * float(collapse[1])
