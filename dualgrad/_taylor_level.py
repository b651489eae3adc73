"""The Taylor level: Taylor mode (``func.jet``) as a level kind (NOTE: [levels] in _levels.py).

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

from math import factorial

import numpy as np

from . import _levels
from ._batching import BatchedTensor
from ._dispatch import apply, apply_function
from ._tensor import Tensor

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
        from ._tensor import set_tangent

        t = TaylorTensor.wrap(self._value, self._series, self._vlevel)
        if self._fw:
            for lv, tan in self._fw.items():
                if below_level is None or lv < below_level:
                    set_tangent(t, lv, tan)
        return t

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
            out_series = _collapsed(op, primals, series, params, out, self.collapse)
        else:
            out_series = rule_for(op)(op, primals, series, params, out, self.order)
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
        outs = _function_series(op, primals, series, kwargs, self.order)
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
    from ._views import _View

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
        commit(c, oc if oc is not None else _zero_like(c), name)
        series.append(c)
    x._series = tuple(series)
    return x


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


def _zero_like(x):
    """Zeros of x's shape and dtype (not x * 0, which is nan where x is infinite), unbatched:
    they broadcast against a batched x."""
    if not isinstance(x, Tensor):
        return 0.0
    return Tensor._make(np.zeros(x._data.shape, dtype=x._data.dtype))


# ------------------------------------------------------------------ rules by kind
def _linear_rule(op, primals, series, params, out, order):
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


def _multilinear_rule(op, primals, series, params, out, order):
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


def _jvp_recurrence(op, primals, series, params, out, order):
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
            tangents.append(s[0] if s[0] is not None else _zero_like(p))
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
            r = series_call(rule, call_primals, call_series, m)
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
    def rule(op, primals, series, params, out, order):
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
    from ._ops.elementwise import cos, sin

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


def _pow_scalar_rule(op, primals, series, params, out, order):
    a = _normalised(primals[0], series[0])
    y = _pow_scalar(a, out, order, params["exponent"])
    if y is None:
        return _jvp_recurrence(op, primals, series, params, out, order)
    return _derivatives(y)


def _mul_rule(op, primals, series, params, out, order):
    a, b = (
        _normalised(p, s) if isinstance(p, Tensor) else [p] + [None] * order
        for p, s in zip(primals, series)
    )
    return _derivatives([out] + [_cauchy_term(a, b, k) for k in range(1, order + 1)])


def _div_rule(op, primals, series, params, out, order):
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
    def rule(op, primals, series, params, out, order):
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


# ------------------------------------------------------------------ collapsed (Laplacian)
# f' and f'' of the hot element-wise ops, from the input and the output: in a collapsed level
# their coefficients are y_1 = f' x_1 (per direction) and y_2 = f' x_2 + f'' sum_d x_1^2, three
# batched ops, where the general recurrence makes about ten.
def _sin_cos_partials(x, out, sign):
    from ._ops.elementwise import cos, sin

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


def _collapsed(op, primals, series, params, out, collapse):
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
    y1, q = _as_pairs(op, rule_for(op)(op, primals, first, params, out, 2))
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


# ------------------------------------------------------------------ custom Functions
def _function_series(op, primals, series, kwargs, order):
    """A custom Function's output coefficients through ``order`` nested dual levels of one
    scalar t (NOTE: [Taylor representation]): y_k is the tangent of levels k, k - 1, ..., 1
    in turn (NOTE: [canonical form] in _dispatch.py: a mixed partial is stored once)."""
    from . import _dual_level
    from .autograd import forward_ad as fwad

    numbers = []
    try:
        base = Tensor._make(np.zeros((), dtype=_dtype_of(primals)))
        one = Tensor._make(np.ones((), dtype=base._data.dtype))
        t = base
        for _ in range(order):
            numbers.append(_dual_level.enter().number)
            t = fwad.make_dual(t, one)
        inputs = []
        for p, s in zip(primals, series):
            if not isinstance(p, Tensor) or all(c is None for c in s):
                inputs.append(p)
                continue
            x, power = p, None
            for k, c in enumerate(s, start=1):
                power = t if power is None else power * t
                if c is not None:
                    x = x + c * (power * (1.0 / factorial(k)))
            inputs.append(x)
        call = apply_function(op, tuple(inputs), kwargs)
        outs = []
        for f in call.finals:
            coeffs = []
            for k in range(1, order + 1):
                c = f if _floating(f) else None
                for lv in reversed(numbers[:k]):
                    c = c._fw.get(lv) if c is not None and c._fw else None
                coeffs.append(c)
            outs.append(coeffs)
        return outs
    finally:
        for number in reversed(numbers):
            _levels.pop(number)


def _dtype_of(primals):
    for p in primals:
        if isinstance(p, Tensor) and p._data.dtype.kind == "f":
            return p._data.dtype
    return "float64"
