"""Taylor rules of the primitives, by kind (NOTE: [Taylor representation] in level.py)."""

from __future__ import annotations

from math import factorial

from .._dispatch import apply
from .._tensor import Tensor

import numpy as np


# NOTE: [rules take the runner] A rule is ``rule(op, primals, series, params, out, order, run)``;
# ``run`` is the level's ``series_call`` (a function run on series at a new Taylor level),
# passed in rather than imported, so this module does not import the level that imports it.
def zero_like(x):
    """Zeros of x's shape and dtype (not x * 0, which is nan where x is infinite), unbatched:
    they broadcast against a batched x."""
    if not isinstance(x, Tensor):
        return 0.0
    return Tensor._make(np.zeros(x._data.shape, dtype=x._data.dtype))


def _linear_rule(op, primals, series, params, out, order, run):
    res = []
    for k in range(order):
        tangents = [s[k] for s in series]
        if all(t is None for t in tangents):
            res.append(None)
            continue
        res.append(op.jvp(tangents, *primals, out=out, **params))
    if op.multi_output:
        return [[(r[i] if r is not None else None) for r in res] for i in range(len(out))]
    return res


def _compositions(k, n):
    """Every (j_1, ..., j_n) of non-negative integers summing to k."""
    if n == 1:
        yield (k,)
        return
    for j in range(k + 1):
        for rest in _compositions(k - j, n - 1):
            yield (j, *rest)


def _multilinear_rule(op, primals, series, params, out, order, run):
    """The Leibniz/Cauchy product of an op linear in each input (NOTE: [Taylor
    representation]); non-tensor inputs are constants."""
    full = [
        [p, *s] if isinstance(p, Tensor) else [p] + [None] * order for p, s in zip(primals, series)
    ]
    res = []
    for k in range(1, order + 1):
        total = None
        for js in _compositions(k, len(full)):
            parts = [full[i][j] for i, j in enumerate(js)]
            if any(p is None for p in parts):
                continue
            weight = factorial(k)
            for j in js:
                weight //= factorial(j)
            term = apply(op, *parts, **params)
            if weight != 1:
                term = term * float(weight)
            total = term if total is None else total + term
        res.append(total)
    return res


def _jvp_recurrence(op, primals, series, params, out, order, run):
    """Any op from its jvp rule: y'(t) = jvp(x(t), x'(t)) (NOTE: [Taylor representation])."""
    multi = op.multi_output
    reads_out = op.jvp_reads_out
    outs = list(out) if multi else [out]
    known = [[] for _ in outs]  # coefficients found so far, per output
    steps = range(1, order + 1) if reads_out else (order,)
    for k in steps:
        m = k - 1  # the order of the jvp's series
        ins = [p for p in primals]
        in_series = [tuple(s[:m]) for s in series]
        tangents = []
        tangent_series = []
        for p, s in zip(primals, series):
            if all(c is None for c in s[:k]):
                tangents.append(None)
                tangent_series.append(())
                continue
            tangents.append(s[0] if s[0] is not None else zero_like(p))
            tangent_series.append(tuple(s[1:k]))
        n = len(primals)

        def rule(*vals, _n=n, _m=m, _has=tuple(t is not None for t in tangents)):
            ps = vals[:_n]
            ts = [v if h else None for v, h in zip(vals[_n : 2 * _n], _has)]
            o = vals[2 * _n :]
            seen_out = (tuple(o) if multi else o[0]) if reads_out else None
            return op.jvp(ts, *ps, out=seen_out, **params)

        call_primals = ins + [t if t is not None else 0.0 for t in tangents]
        call_series = in_series + [
            ts if t is not None else () for t, ts in zip(tangents, tangent_series)
        ]
        if reads_out:
            call_primals += outs
            call_series += [tuple(kn[:m]) for kn in known]
        call_series = [tuple(s) + (None,) * (m - len(s)) for s in call_series]
        if m == 0:
            r = rule(*call_primals)
            got = [(r_i, ()) for r_i in (r if multi else [r])]
        else:
            r = run(rule, call_primals, call_series, m)
            got = list(r) if multi else [r]
        for i, g in enumerate(got):
            if g is None:
                coeffs = [None] * k
            else:
                y1, ys = g
                coeffs = [y1, *ys]
            if reads_out:
                known[i] = coeffs[:k]
            else:
                known[i] = coeffs
    return known if multi else known[0]


# Griewank & Walther's recurrences work on normalised coefficients (x_k / k!); the series here
# are derivative coefficients, so rules convert in and out.
def _normalised(p, s):
    return [p] + [_scaled(c, 1.0 / factorial(k + 1)) for k, c in enumerate(s)]


def _derivatives(ys):
    return [_scaled(c, float(factorial(k))) for k, c in enumerate(ys)][1:]


def _scaled(c, factor):
    """c * factor, with no op for factor 1 (the first coefficient: a batch of directions in a
    collapsed level, where every element-wise op counts)."""
    return None if c is None else (c if factor == 1.0 else c * factor)


def _add_terms(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _cauchy_term(a, b, k):
    """sum_{j=0..k} a_j b_{k-j} of normalised series (None = 0)."""
    total = None
    for j in range(k + 1):
        if a[j] is not None and b[k - j] is not None:
            total = _add_terms(total, a[j] * b[k - j])
    return total


def _weighted_term(a, z, k):
    """(1/k) sum_{j=1..k} j a_j z_{k-j}: the t^k coefficient of y where y' = z a'."""
    total = None
    for j in range(1, k + 1):
        if a[j] is not None and z[k - j] is not None:
            term = a[j] * z[k - j]
            total = _add_terms(total, term * (j / k) if j != k else term)
    return total


def _unary_elementwise(fn):
    def rule(op, primals, series, params, out, order, run):
        a = _normalised(primals[0], series[0])
        return _derivatives(fn(a, out, order, **params))

    return rule


def _exp(a, out, order):
    y = [out]
    for k in range(1, order + 1):
        y.append(_weighted_term(a, y, k))
    return y


def _log(a, out, order):
    y = [out]
    for k in range(1, order + 1):
        acc = a[k]
        for j in range(1, k):
            if y[j] is not None and a[k - j] is not None:
                acc = _add_terms(acc, -(y[j] * a[k - j]) * (j / k))
        y.append(None if acc is None else acc / a[0])
    return y


def _sin_cos(a, out, order, want_sin):
    from .._ops.elementwise import cos, sin

    s = [out if want_sin else sin(a[0])]
    c = [cos(a[0]) if want_sin else out]
    for k in range(1, order + 1):
        s_k = _weighted_term(a, c, k)
        c_k = _weighted_term(a, s, k)
        s.append(s_k)
        c.append(None if c_k is None else -c_k)
    return s if want_sin else c


def _tanh(a, out, order):
    y = [out]
    z = [1.0 - out * out]
    for k in range(1, order + 1):
        y.append(_weighted_term(a, z, k))
        sq = _cauchy_term(y, y, k)
        z.append(None if sq is None else -sq)
    return y


def _sigmoid(a, out, order):
    y = [out]
    z = [out - out * out]
    for k in range(1, order + 1):
        y.append(_weighted_term(a, z, k))
        sq = _cauchy_term(y, y, k)
        z.append(_add_terms(y[k], None if sq is None else -sq))
    return y


def _sqrt(a, out, order):
    y = [out]
    for k in range(1, order + 1):
        acc = a[k]
        for j in range(1, k):
            if y[j] is not None and y[k - j] is not None:
                acc = _add_terms(acc, -(y[j] * y[k - j]))
        y.append(None if acc is None else acc / (2.0 * out))
    return y


def _reciprocal(a, out, order):
    # y = 1 / a: y_k = -(sum_{j=1..k} a_j y_{k-j}) / a_0
    y = [out]
    for k in range(1, order + 1):
        acc = None
        for j in range(1, k + 1):
            if a[j] is not None and y[k - j] is not None:
                acc = _add_terms(acc, a[j] * y[k - j])
        y.append(None if acc is None else -(acc * out))
    return y


def _pow_scalar(a, out, order, exponent):
    if isinstance(exponent, int) or float(exponent).is_integer():
        return None  # the x0 = 0 case needs the generic rule (a_0 divides)
    r = float(exponent)
    y = [out]
    for k in range(1, order + 1):
        acc = None
        for j in range(k):
            if a[k - j] is not None and y[j] is not None:
                w = (r * (k - j) - j) / k
                acc = _add_terms(acc, (a[k - j] * y[j]) * w)
        y.append(None if acc is None else acc / a[0])
    return y


def _pow_scalar_rule(op, primals, series, params, out, order, run):
    a = _normalised(primals[0], series[0])
    y = _pow_scalar(a, out, order, params["exponent"])
    if y is None:
        return _jvp_recurrence(op, primals, series, params, out, order, run)
    return _derivatives(y)


def _mul_rule(op, primals, series, params, out, order, run):
    a, b = (
        _normalised(p, s) if isinstance(p, Tensor) else [p] + [None] * order
        for p, s in zip(primals, series)
    )
    return _derivatives([out] + [_cauchy_term(a, b, k) for k in range(1, order + 1)])


def _div_rule(op, primals, series, params, out, order, run):
    # c = a / b: c_k = (a_k - sum_{j=1..k} b_j c_{k-j}) / b_0
    x, y = primals
    a = _normalised(x, series[0]) if isinstance(x, Tensor) else [x] + [None] * order
    b = _normalised(y, series[1]) if isinstance(y, Tensor) else [y] + [None] * order
    c = [out]
    for k in range(1, order + 1):
        acc = a[k]
        for j in range(1, k + 1):
            if b[j] is not None and c[k - j] is not None:
                acc = _add_terms(acc, -(b[j] * c[k - j]))
        c.append(None if acc is None else acc / b[0])
    return _derivatives(c)


def _sum_rule(sign):
    def rule(op, primals, series, params, out, order, run):
        res = []
        for k in range(order):
            a = series[0][k] if len(series) > 0 else None
            b = series[1][k] if len(series) > 1 else None
            if b is not None and sign[1] < 0:
                b = -b
            if a is not None and sign[0] < 0:
                a = -a
            alpha = params.get("alpha")
            if b is not None and alpha not in (None, 1):
                b = b * alpha
            res.append(_add_terms(a, b))
        return res

    return rule


HAND_RULES = {
    "exp": _unary_elementwise(_exp),
    "log": _unary_elementwise(_log),
    "sin": _unary_elementwise(lambda a, out, order: _sin_cos(a, out, order, True)),
    "cos": _unary_elementwise(lambda a, out, order: _sin_cos(a, out, order, False)),
    "tanh": _unary_elementwise(_tanh),
    "sigmoid": _unary_elementwise(_sigmoid),
    "sqrt": _unary_elementwise(_sqrt),
    "reciprocal": _unary_elementwise(_reciprocal),
    "pow_scalar": _pow_scalar_rule,
    "mul": _mul_rule,
    "div": _div_rule,
    "neg": _sum_rule((-1, 1)),
    "add": _sum_rule((1, 1)),
    "sub": _sum_rule((1, -1)),
}


def rule_for(op):
    """The Taylor rule of ``op`` (NOTE: [Taylor representation]): by hand, by kind, or from
    the jvp rule."""
    rule = HAND_RULES.get(op.name)
    if rule is not None:
        return rule
    if op.kind == "linear":
        return _linear_rule
    if op.kind == "multilinear":
        return _multilinear_rule
    return _jvp_recurrence
