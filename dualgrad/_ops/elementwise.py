"""Element-wise primitives, each declared by its NumPy kernel and its local partials.

A partial is written in dualgrad ops of the inputs and the output (``out``); the
``elementwise`` kind below derives vjp (with the sum over broadcast dims) and jvp from it. The partials follow
PyTorch's derivatives.yaml, including its choices at kinks: relu'(0) = 0, abs'(0) = 0,
maximum splits the gradient in half at ties, clamp passes it at the bounds.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np

from .. import _dtype
from .._compat import memory_format as _memory_format
from .._dispatch import apply, apply_binary, apply_pair, apply_unary
from .._dtype import check_scalar, is_number, result_dtype, scalar_for
from .._tensor import Tensor
from .args import tensor_args
from .kernels import (
    binary_dtype,
    compare_binary,
    float_binary,
    float_unary,
    int_division,
    not_for_bool,
    promote_binary,
    refuse_bool,
    same_unary,
    where_zero,
)
from .registry import Op, custom, linear, nondiff, register, sum_to
from ._methods import tensor_method

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


# ------------------------------------------------------------------ the element-wise kind
# Declared here, beside mul and where, because its rules multiply by the one and select with
# the other: they call the dispatcher on MUL and WHERE directly, one Python call fewer than
# ``g * d`` (NOTE: [hot path] in _dispatch.py), and registry.py, below this module, needs
# neither (NOTE: [layered op modules] in _ops/__init__.py).
_NONE_SELECTED = None  # a 0-d False: where(it, g, 0) is 0 shaped (and batched) as g


# NOTE: [selecting partials]
# A partial that is a mask (relu's out > 0, clamp's range) or declared 0 (floor's) selects:
# torch computes those gradients with where / zeros, so a nan or inf cotangent stays out of
# the elements the mask drops (g * False would be nan there). So a bool partial is applied as
# where(d, g, 0), and a declared 0 is the 0-d mask False. Other partials multiply, as in torch,
# a number 0 too (mul's partial y for ``x * 0``: an inf cotangent gives nan there too).
def _none_selected(*args, out=None, **params):
    """The partial declared 0: a 0-d False (NOTE: [selecting partials])."""
    global _NONE_SELECTED
    if _NONE_SELECTED is None:
        _NONE_SELECTED = Tensor._make(np.zeros((), dtype=bool))
    return _NONE_SELECTED


def _scale(g, d):
    """g times the partial d: skipping the multiply for the constants 1 and -1, selecting for
    a mask (NOTE: [selecting partials])."""
    if not isinstance(d, Tensor):  # a number, a bool among them (x * True's partial)
        if d == 1:
            return g
        if d == -1:
            return -g
    elif d._data.dtype.kind == "b":
        return apply(WHERE, g, 0.0, d)
    return apply_binary(MUL, g, d)


def elementwise(name: str, forward: Callable, partials, *, vjp=None, **kw) -> Op:
    """An element-wise op from its local partials: ``partials[i](*args, out=, **params)``.

    A partial may be a number (1, -1, 0: no multiply or no dependence on any value). ``vjp``:
    the op's own backward where the products must be grouped otherwise than g times each
    partial (NOTE: [atan2's products in torch's order]); its jvp still comes from the partials.
    """
    own_vjp = vjp
    constant = all(not callable(d) for d in partials)
    partials = tuple(_none_selected if (not callable(d) and d == 0) else d for d in partials)

    def vjp(g, *args, out, needs, **params):
        grads = []
        for i, a in enumerate(args):
            if not needs[i]:
                grads.append(None)
                continue
            d = partials[i]
            d = d(*args, out=out, **params) if callable(d) else d
            gi = _scale(g, d)
            grads.append(gi if gi._data.shape == a._data.shape else sum_to(gi, a._data.shape))
        return grads

    def jvp(tangents, *args, out, **params):
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            d = partials[i]
            d = d(*args, out=out, **params) if callable(d) else d
            term = _scale(t, d)
            total = term if total is None else total + term
        return total

    if len(partials) == 1:
        vjp, jvp, kw["jvp_one"] = _unary_rules(partials[0])
    elif len(partials) == 2:
        vjp = _binary_vjp(*partials)
    kw.setdefault("saves", not constant)
    vjp = own_vjp or vjp
    return register(Op(name, forward, vjp, jvp, kind="elementwise", **kw))


def _binary_vjp(d0, d1):
    """``elementwise``'s vjp unrolled for two inputs (add, mul, ...): the hot path."""

    one0, one1 = (not callable(d) and d == 1 for d in (d0, d1))  # add's: g passes through

    def vjp(g, x, y, *, out, needs, **params):
        gx = gy = None
        if needs[0]:
            gx = g if one0 else _times_partial(g, d0, x, y, out, params)
            if gx._data.shape != x._data.shape:
                gx = sum_to(gx, x._data.shape)
        if needs[1]:
            gy = g if one1 else _times_partial(g, d1, x, y, out, params)
            if gy._data.shape != y._data.shape:
                gy = sum_to(gy, y._data.shape)
        return (gx, gy)

    return vjp


def _times_partial(g, d, x, y, out, params):
    """g times the partial ``d`` of a binary op (a number, or a function of the inputs);
    ``**params`` forwarded only when there are some (an empty one costs ~100 ns)."""
    if callable(d):
        d = d(x, y, out=out, **params) if params else d(x, y, out=out)
    return _scale(g, d)


def _unary_rules(d):
    """The same rules as in ``elementwise``, unrolled for one input: the common case on the
    hot path (NOTE: [hot path] in _dispatch.py). Shapes match, so there is no sum_to."""
    if callable(d):
        # (``**params`` forwarded only when there are some: an empty one costs ~100 ns)
        def vjp(g, x, *, out, needs, **params):
            return (_scale(g, d(x, out=out, **params) if params else d(x, out=out)),)

        def jvp(tangents, x, *, out, **params):
            return _scale(tangents[0], d(x, out=out, **params) if params else d(x, out=out))

        def jvp_one(t, x, out):  # NOTE: [lean tangents] in _dual_level.py
            return apply_pair(MUL, t, d(x, out=out), _scale)
    else:

        def vjp(g, x, *, out, needs, **params):
            return (_scale(g, d),)

        def jvp(tangents, x, *, out, **params):
            return _scale(tangents[0], d)

        def jvp_one(t, x, out):
            return _scale(t, d)

    return vjp, jvp, jvp_one


def _recip(y):
    if isinstance(y, Tensor):
        return reciprocal(y)
    # a Python 0 divides as torch's tensors do, to a signed inf (Python raises ZeroDivisionError)
    return 1.0 / y if y else math.copysign(math.inf, y)


# NOTE: [what a rule saves] Each op's rules read what torch's derivatives.yaml formulas read
# (``self``, ``other``, ``result``), no more, since only what is read is version-checked at
# backward (NOTE: [saved reads] in registry.py): after y = x.exp(), writing into x in place
# is fine in torch, whose rule reads only the result; writing into y is not. An op whose
# rule reads only its output declares ``reads=_RESULT_ONLY``; tests/test_engine_edges.py
# checks every element-wise op against torch, in-place write into the input and the output.
_RESULT_ONLY = ((),)

# ------------------------------------------------------------------ arithmetic
ADD = elementwise("add", promote_binary(np.add), (1, 1))


def _no_bool(fn, *, two, one=None):
    """A kernel that refuses bool operands as torch does, with torch's error (a type and a
    message) for two bool operands and, for subtraction, for one."""

    def kernel(a, b):
        bools = _is_bool(a) + _is_bool(b)
        if bools == 2 or (bools and one is not None):
            error, message = two if bools == 2 else one
            raise error(message)
        return fn(a, b)

    # Float operands are never bool: the fast entries may call the ufunc directly.
    kernel.ufunc = getattr(fn, "ufunc", None)
    return kernel


def _is_bool(a):
    return isinstance(a, bool) or (type(a) is np.ndarray and a.dtype == np.bool_)


def _fast_as(fn, ufunc):
    """``fn`` marked with ``ufunc``, which gives fn's result for float inputs: the dispatcher's
    float fast path calls the ufunc directly (NOTE: [fast entries] in _dispatch.py)."""
    fn.ufunc = ufunc
    return fn


SUB = elementwise(
    "sub",
    _no_bool(
        promote_binary(np.subtract),
        two=(
            RuntimeError,
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead.",
        ),
        one=(
            RuntimeError,
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        ),
    ),
    (1, -1),
)
# number - x on a float32/float64 tensor: torch's rsub, whose RsubBackward1 has one edge (the
# number is no tensor input), NOTE: [torch's node names by variant]
RSUB = elementwise(
    "rsub",
    lambda x, *, other: np.subtract(np.asarray(other, dtype=x.dtype), x),
    (-1,),
    node_name="RsubBackward1",
)
MUL = elementwise(
    "mul",
    promote_binary(np.multiply, opmath=True),
    (lambda x, y, out: y, lambda x, y, out: x),
    reads=((1,), (0,)),
)

DIV = elementwise(
    "div",
    float_binary(np.true_divide, opmath=True),
    (lambda x, y, out: _recip(y), lambda x, y, out: -x / (y * y)),
    reads=((1,), (0, 1)),
)
NEG = elementwise(
    "neg",
    refuse_bool(
        same_unary(np.negative),
        RuntimeError,
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
        "invert a mask, use the `~` or `logical_not()` operator instead.",
    ),
    (-1,),
)


def _pow_exponent_partial(x, y, out):
    """d(x**y)/dy = x**y log x, defined as 0 where x == 0 and y >= 0 (PyTorch's choice)."""
    if not isinstance(x, Tensor):
        if x > 0:
            return out * math.log(x)
        # a number base <= 0: log x is -inf at 0 (the partial is -inf where 0**y is inf) and
        # nan below, as torch's tensor log gives; math.log would raise
        log_x = -math.inf if x == 0 else math.nan
        return where(y >= 0, 0.0, out * log_x) if x == 0 else out * log_x
    return where((x == 0) & (y >= 0), 0.0, out * log(x))


def _pow_base_partial(x, y, out):
    """d(x**y)/dx = y x**(y-1), defined as 0 where y == 0."""
    if not isinstance(y, Tensor):
        return 0.0 if y == 0 else y * x ** (y - 1)
    return where(y == 0, 0.0, y * x ** (y - 1))


def _power(a, b):
    """np.power, but integers to negative integer powers as torch computes them for a tensor
    exponent (1 and -1 keep their magnitude, every other base gives 0) where NumPy raises;
    an integer tensor to a negative Python int still raises, as in torch (POW_SCALAR)."""
    a, b = np.asanyarray(a), np.asanyarray(b)
    if b.dtype.kind not in "iu" or a.dtype.kind not in "iub" or not (b < 0).any():
        return np.power(a, b)
    neg = b < 0
    out = np.power(a, np.where(neg, 0, b))
    odd = (b % 2) == 1
    small = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0))
    return np.where(neg, small, out).astype(out.dtype, copy=False)


_POW_BOOL = "\"pow\" not implemented for 'Bool' (convert one operand, e.g. x.long())"
POW = elementwise(
    "pow",
    _no_bool(promote_binary(_power), two=(NotImplementedError, _POW_BOOL)),
    (_pow_base_partial, _pow_exponent_partial),
    node_name="PowBackward1",
    uses_out=True,
)
# NOTE: [powers by multiplication] torch computes a float32 or float64 tensor to a few number
# exponents without pow (ATen's pow_tensor_scalar_kernel and Pow.cpp): 0 fills ones, 1 copies,
# 2 is x*x, 3 is x*x*x, -2 is 1/(x*x), 0.5 is sqrt, -0.5 is 1/sqrt, -1 is 1/x. np.power
# calls the libm pow per element, 4-5x slower (W7 of issue 17, the double backward of x**3, is
# mostly these powers: the rules ask for x**2 and x**1), and its last bit may differ from a
# product's. The same shortcuts here give torch's bits where torch multiplies. Half precision
# and integers keep np.power, as torch keeps pow for them (integer powers are exact anyway).
_POW_SHORTCUTS = {
    0: np.ones_like,
    1: np.copy,
    2: lambda x: x * x,
    3: lambda x: x * x * x,
    -2: lambda x: 1 / (x * x),
    0.5: np.sqrt,
    -0.5: lambda x: 1 / np.sqrt(x),
    -1: lambda x: 1 / x,
}


def _pow_scalar(x, *, exponent):
    if type(x) is np.ndarray and x.dtype.kind == "f" and x.dtype.itemsize > 2:
        shortcut = _POW_SHORTCUTS.get(exponent) if type(exponent) in (int, float) else None
        if shortcut is not None:
            return shortcut(x)
    return promote_binary(np.power)(x, exponent)


POW_SCALAR = elementwise(
    "pow_scalar",
    _pow_scalar,
    (lambda x, out, exponent: _pow_base_partial(x, exponent, out),),
    node_name="PowBackward0",
)
RPOW = elementwise(
    "rpow",
    # contiguous whatever y's layout: torch's pow(Scalar, Tensor) is (other element-wise ops
    # keep their input's layout, in torch and in NumPy alike)
    lambda y, *, base: np.asanyarray(promote_binary(_power)(base, y), order="C"),
    (lambda y, out, base: _pow_exponent_partial(base, y, out),),
    node_name="PowBackward2",
    uses_out=True,
)

# ------------------------------------------------------------------ unary math
RECIPROCAL = elementwise(
    "reciprocal",
    float_unary(np.reciprocal),
    (lambda x, out: -(out * out),),
    uses_out=True,
    reads=_RESULT_ONLY,
)
EXP = elementwise(
    "exp", float_unary(np.exp), (lambda x, out: out,), uses_out=True, reads=_RESULT_ONLY
)
EXP2 = elementwise(
    "exp2", float_unary(np.exp2), (lambda x, out: out * _LN2,), uses_out=True, reads=_RESULT_ONLY
)
LOG = elementwise("log", float_unary(np.log), (lambda x, out: reciprocal(x),))
LOG2 = elementwise("log2", float_unary(np.log2), (lambda x, out: reciprocal(x * _LN2),))
LOG10 = elementwise("log10", float_unary(np.log10), (lambda x, out: reciprocal(x * _LN10),))
LOG1P = elementwise(
    "log1p",
    float_unary(np.log1p),
    (lambda x, out: reciprocal(x + 1),),
    node_name="Log1PBackward0",  # torch's spelling
)
EXPM1 = elementwise(
    "expm1", float_unary(np.expm1), (lambda x, out: out + 1,), uses_out=True, reads=_RESULT_ONLY
)
SQRT = elementwise(
    "sqrt", float_unary(np.sqrt), (lambda x, out: 0.5 / out,), uses_out=True, reads=_RESULT_ONLY
)
RSQRT = elementwise(
    "rsqrt",
    float_unary(lambda a: 1.0 / np.sqrt(a)),
    (lambda x, out: -0.5 * out**3,),
    uses_out=True,
    reads=_RESULT_ONLY,
)


def _square(a):
    # torch squares a bool as pow(x, 2): promoted with the int 2, to int64
    if a.dtype.kind == "b":
        return np.asanyarray(np.square(a.astype(np.int64)))
    return np.square(a)


def _sign(a):
    # torch's sign of a bool is the bool itself (NumPy has no bool loop)
    if a.dtype.kind in "bui":
        return a.copy() if a.dtype.kind == "b" else np.sign(a)
    # torch's is (0 < a) - (a < 0): 0.0 for nan and for -0.0, where np.sign gives nan and -0.0
    # (so no ufunc fast path: the float path is this kernel)
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


SQUARE = elementwise(
    "square",
    same_unary(_fast_as(_square, np.square)),
    (lambda x, out: 2 * x,),
    node_name="PowBackward0",
)
ABS = elementwise(
    "abs", refuse_bool(same_unary(np.abs), *not_for_bool("abs_cpu")), (lambda x, out: sign(x),)
)
SIGN = elementwise("sign", same_unary(_sign), (0,))
SIN = elementwise("sin", float_unary(np.sin), (lambda x, out: cos(x),))
COS = elementwise("cos", float_unary(np.cos), (lambda x, out: -sin(x),))
TAN = elementwise(
    "tan", float_unary(np.tan), (lambda x, out: 1 + out * out,), uses_out=True, reads=_RESULT_ONLY
)
ASIN = elementwise("asin", float_unary(np.arcsin), (lambda x, out: rsqrt(1 - x * x),))
ACOS = elementwise("acos", float_unary(np.arccos), (lambda x, out: -rsqrt(1 - x * x),))
ATAN = elementwise("atan", float_unary(np.arctan), (lambda x, out: reciprocal(1 + x * x),))


def _atan2_recip(y, x):
    """1 / (x^2 + y^2), and 0 at the origin as in torch's atan2_backward, so the gradient
    there is 0 rather than 0 / 0; the inner where keeps higher derivatives finite too."""
    den = x * x + y * y
    origin = den == 0
    return where(origin, 0.0, reciprocal(where(origin, 1.0, den)))


# NOTE: [atan2's products in torch's order] The gradient is (g * x) * r and (g * -y) * r, as
# torch's atan2_backward groups it, not g * (x * r). The values differ only by rounding, but
# higher derivatives differentiate these products: for atan2(z, z), whose derivatives are all
# 0, the two inputs' second-order terms are about 1/z^2 each and cancel. Grouped as torch's they
# cancel to 0; grouped the other way a float32 Hessian at z = 0.003 kept one rounding of
# 55,000 (0.0078, random programs seed 5304, rev_rev). The jvp keeps the partials, so at
# the origin it is 0 like the vjp (torch's jvp gives nan there: TORCH_WRONG in
# tests/test_random_programs.py).
def _atan2_vjp(g, y, x, *, out, needs):
    r = _atan2_recip(y, x)
    gy = (g * x) * r if needs[0] else None
    gx = (g * -y) * r if needs[1] else None
    if gy is not None and gy._data.shape != y._data.shape:
        gy = sum_to(gy, y._data.shape)
    if gx is not None and gx._data.shape != x._data.shape:
        gx = sum_to(gx, x._data.shape)
    return (gy, gx)


ATAN2 = elementwise(
    "atan2",
    float_binary(np.arctan2),
    (lambda y, x, out: x * _atan2_recip(y, x), lambda y, x, out: -y * _atan2_recip(y, x)),
    vjp=_atan2_vjp,
)


SINH = elementwise("sinh", float_unary(np.sinh), (lambda x, out: cosh(x),))
COSH = elementwise("cosh", float_unary(np.cosh), (lambda x, out: sinh(x),))
TANH = elementwise(
    "tanh", float_unary(np.tanh), (lambda x, out: 1 - out * out,), uses_out=True, reads=_RESULT_ONLY
)
ASINH = elementwise("asinh", float_unary(np.arcsinh), (lambda x, out: rsqrt(x * x + 1),))
ACOSH = elementwise("acosh", float_unary(np.arccosh), (lambda x, out: rsqrt(x * x - 1),))
ATANH = elementwise("atanh", float_unary(np.arctanh), (lambda x, out: reciprocal(1 - x * x),))


def _sigmoid_kernel(a):
    # exp of a negative argument only, so large |a| neither overflows nor loses precision
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


SIGMOID = elementwise(
    "sigmoid",
    float_unary(_sigmoid_kernel),
    (lambda x, out: out * (1 - out),),
    uses_out=True,
    reads=_RESULT_ONLY,
)
# NOTE: [relu's kernel] np.maximum(x, 0) takes NumPy's loop for a broadcast scalar, ~2x slower
# than its loop over two arrays; with an array of zeros first (where NumPy's maximum keeps the
# second operand of an equal pair), float32 and float64 also give torch's bits for -0.0 (-0.0,
# where maximum(x, 0) gave +0.0) and nan (its payload). (64, 256) float32: 9.5 -> 5.5 us, zeros
# included (torch 2.4). float16 keeps the old loop: NumPy's is scalar there and torch's -0.0
# differs from both. (16,) float32: 0.79 -> 0.71 us.
_RELU_BY_ZEROS = (np.dtype(np.float32), np.dtype(np.float64))


def _relu_kernel(a):
    if type(a) is np.ndarray and a.dtype in _RELU_BY_ZEROS:  # (not a meta tensor's MetaArray)
        # (np.zeros where the layout allows: zeros_like's dispatch costs ~0.6 us)
        r = np.zeros(a.shape, a.dtype) if a.flags.c_contiguous else np.zeros_like(a)
        return np.maximum(r, a, out=r)
    return np.maximum(a, 0).astype(a.dtype, copy=False)


RELU = elementwise(
    "relu",
    refuse_bool(
        same_unary(_relu_kernel),
        RuntimeError,
        "Boolean inputs not supported for relu",
    ),
    (lambda x, out: out > 0,),
    uses_out=True,
    reads=_RESULT_ONLY,
)


def _clamp_kernel(x, *, min=None, max=None):
    if min is not None:
        x = np.maximum(x, np.asanyarray(min, dtype=x.dtype))
    if max is not None:
        x = np.minimum(x, np.asanyarray(max, dtype=x.dtype))
    return x


def _clamp_partial(x, out, min=None, max=None):
    mask = None
    if min is not None:
        mask = x >= min
    if max is not None:
        mask = (x <= max) if mask is None else mask & (x <= max)
    return mask


# (number bounds: torch's overload 1; tensor bounds are maximum/minimum here, not a clamp node)
CLAMP = elementwise(
    "clamp", same_unary(_clamp_kernel), (_clamp_partial,), node_name="ClampBackward1"
)


def _winner(wins, ties):
    """maximum's / minimum's partial: the mask of where the input wins (NOTE: [selecting
    partials]), with a half at ties where there are any (or may be: inside
    vmap the values are per element)."""
    if not isinstance(ties, Tensor) or (type(ties) is Tensor and not ties._data.any()):
        return wins
    return wins + ties * 0.5


MAXIMUM = elementwise(
    "maximum",
    promote_binary(np.maximum),
    (lambda x, y, out: _winner(x > y, x == y), lambda x, y, out: _winner(y > x, x == y)),
)
MINIMUM = elementwise(
    "minimum",
    promote_binary(np.minimum),
    (lambda x, y, out: _winner(x < y, x == y), lambda x, y, out: _winner(y < x, x == y)),
)
# div with a rounding mode on floats: one op whose derivatives are 0, as torch's
# (DivBackward2): floor(x / y) would multiply floor's 0 by div's 1 / y, nan at y == 0.
# 'floor' is NumPy's floor_divide, which is torch's div_floor (the quotient of x - fmod(x, y)):
# floor(x / y) gave -0.0 for -3.0 / inf (torch: -1.0) and -inf for inf / -1 (torch: nan).
_TRUE_DIVIDE = float_binary(np.true_divide)
_ROUNDINGS = {
    "floor": float_binary(np.floor_divide),
    "trunc": lambda a, b: np.trunc(_TRUE_DIVIDE(a, b)),
}
DIV_ROUNDING = elementwise(
    "div_rounding",
    lambda a, b, *, rounding_mode: _ROUNDINGS[rounding_mode](a, b),
    (0, 0),
    node_name="DivBackward2",
)
FLOOR = elementwise(
    "floor", refuse_bool(same_unary(np.floor), *not_for_bool("floor_vml_cpu")), (0,)
)
CEIL = elementwise("ceil", refuse_bool(same_unary(np.ceil), *not_for_bool("ceil_vml_cpu")), (0,))
ROUND = elementwise(
    "round", refuse_bool(same_unary(np.round), *not_for_bool("round_vml_cpu")), (0,)
)
TRUNC = elementwise(
    "trunc", refuse_bool(same_unary(np.trunc), *not_for_bool("trunc_vml_cpu")), (0,)
)


# ------------------------------------------------------------------ where, casts, copies
def _where_adjoint(g, x, y, cond, *, needs):
    gx = sum_to(where(cond, g, 0.0), x.shape) if needs[0] else None
    gy = sum_to(where(cond, 0.0, g), y.shape) if needs[1] else None
    return gx, gy, None


def _where_kernel(x, y, cond):
    r = where_zero(cond, x, y)  # a gradient masked to zero: NOTE: [zeros by bits]
    if r is not None:
        return r
    return np.asanyarray(np.where(cond, x, y)).astype(binary_dtype(x, y), copy=False)


# The condition is saved and version-checked, as torch saves it (NOTE: [saved reads]).
WHERE = linear(
    "where",
    _where_kernel,
    _where_adjoint,
    n_linear=2,
    node_name="WhereBackward0",
    saves=True,
    reads=((2,), (2,), ()),
    broadcasting=True,
)


def _to_kernel(x, *, dtype):
    return x.astype(dtype.np)


TO = linear(
    "to_dtype",
    _to_kernel,
    lambda g, x, *, needs, dtype: (g.to(x.dtype),),
    node_name="ToCopyBackward0",
)
CLONE = linear("clone", lambda x: x.copy(), lambda g, x, *, needs: (g,))

# ------------------------------------------------------------------ comparisons and logic
EQ = nondiff("eq", compare_binary(np.equal), broadcasting=True)
NE = nondiff("ne", compare_binary(np.not_equal), broadcasting=True)
LT = nondiff("lt", compare_binary(np.less), broadcasting=True)
LE = nondiff("le", compare_binary(np.less_equal), broadcasting=True)
GT = nondiff("gt", compare_binary(np.greater), broadcasting=True)
GE = nondiff("ge", compare_binary(np.greater_equal), broadcasting=True)
LOGICAL_AND = nondiff(
    "logical_and", lambda a, b: np.asanyarray(np.logical_and(a, b)), broadcasting=True
)
LOGICAL_OR = nondiff(
    "logical_or", lambda a, b: np.asanyarray(np.logical_or(a, b)), broadcasting=True
)
LOGICAL_XOR = nondiff(
    "logical_xor", lambda a, b: np.asanyarray(np.logical_xor(a, b)), broadcasting=True
)
LOGICAL_NOT = nondiff("logical_not", lambda a: np.asanyarray(np.logical_not(a)), broadcasting=True)
BITWISE_AND = nondiff("bitwise_and", promote_binary(np.bitwise_and), broadcasting=True)
BITWISE_OR = nondiff("bitwise_or", promote_binary(np.bitwise_or), broadcasting=True)
BITWISE_XOR = nondiff("bitwise_xor", promote_binary(np.bitwise_xor), broadcasting=True)
BITWISE_NOT = nondiff("bitwise_not", lambda a: np.asanyarray(np.invert(a)), broadcasting=True)


def _shift(fn, left: bool):
    """torch's shifts: a shift by a negative amount or by the width of the type or more gives
    0 (left) or the sign fill (right); NumPy leaves those undefined."""

    def kernel(a, b):
        a = np.asarray(a)
        b = np.asarray(b, dtype=a.dtype)
        outside = (b < 0) | (b >= a.dtype.itemsize * 8)
        r = fn(a, np.where(outside, 0, b).astype(a.dtype))
        fill = 0 if left else np.where(a < 0, -1, 0).astype(a.dtype)
        return np.asarray(np.where(outside, fill, r), dtype=a.dtype)

    return promote_binary(kernel)


BITWISE_LEFT_SHIFT = nondiff(
    "bitwise_left_shift", _shift(np.left_shift, left=True), broadcasting=True
)
BITWISE_RIGHT_SHIFT = nondiff(
    "bitwise_right_shift", _shift(np.right_shift, left=False), broadcasting=True
)
ISNAN = nondiff("isnan", lambda a: np.asanyarray(np.isnan(a)), broadcasting=True)
ISINF = nondiff("isinf", lambda a: np.asanyarray(np.isinf(a)), broadcasting=True)
ISFINITE = nondiff("isfinite", lambda a: np.asanyarray(np.isfinite(a)), broadcasting=True)
# (NumPy's signbit reads a bool as 0.0 and an integer through float64, exactly: never set)
SIGNBIT = nondiff("signbit", lambda a: np.asanyarray(np.signbit(a)), broadcasting=True)


def _not_implemented(name):
    """Rules for an op torch records but has no derivative for (NOTE: [recorded without a
    derivative])."""

    def vjp(g, *args, out, needs, **params):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    def jvp(tangents, *args, out, **params):
        raise NotImplementedError(
            f"Trying to use forward AD with aten::{name} that does not support it."
        )

    # the coverage table (docs/ops.md) reports these rules as raising, not as derivatives
    vjp.raises_as_torch = jvp.raises_as_torch = True
    return vjp, jvp


# NOTE: [recorded without a derivative] torch records floor_divide of floats that require grad
# (the result requires grad, its grad_fn is a "NotImplemented" node) and raises only when a
# gradient is asked for: "derivative for aten::floor_divide is not implemented", or in forward
# mode "Trying to use forward AD with aten::floor_divide ...". The op's rules raise the same,
# so code that only looks at requires_grad, or never differentiates, behaves as with torch.
FLOOR_DIVIDE = custom(
    "floor_divide",
    int_division(np.floor_divide, "div_floor"),
    *_not_implemented("floor_divide"),
    node_name="NotImplemented",
    broadcasting=True,
    saves=False,
)
# (fmod is public in special.py; its primitive is here, for div's integer rounding toward 0)
FMOD = elementwise(
    "fmod", int_division(np.fmod, "fmod"), (1, lambda x, y, out: -trunc(x / y)), reads=((), (0, 1))
)


# ------------------------------------------------------------------ public functions
# NOTE: [one frame for torch.exp(x)] The element-wise function of a one-input op is
# ``apply_unary(op, x)`` and nothing else, declared by ``@unary(op)`` on its docstring. The
# function carries the op, so the out= wrapper (_compat/out.py) calls apply_unary itself
# instead of calling the function: one Python frame fewer on every torch.exp(x), ~50 ns of a
# ~900 ns call (tests/test_unary_functions.py checks each against its op).
def unary(op):
    """Make the decorated docstring-only function ``apply_unary(op, x)``."""

    def declare(doc_only):
        def fn(x):
            return apply_unary(op, x)

        functools.update_wrapper(fn, doc_only)
        del fn.__wrapped__  # fn is the function (tests/test_structure.py unwraps methods)
        fn.unary_apply = (apply_unary, op)
        return fn

    return declare


def _tensor_arg(x, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _operand(x, fn: str):
    """A binary op's operand: a Tensor or a Python number; arrays become tensors."""
    if isinstance(x, (Tensor, int, float)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        from .._factories import tensor

        return tensor(x)
    raise TypeError(
        f"{fn}(): expected a Tensor or a Python number, got {type(x).__name__}; "
        "wrap lists with dualgrad.tensor(...)"
    )


def _operands(name, x, y):
    """A binary op's operands: tensors, or numbers beside a tensor (two numbers: a tensor first)."""
    if isinstance(x, Tensor):
        if not isinstance(y, (Tensor, float, int)):
            y = _operand(y, name)
    elif isinstance(y, Tensor):
        x = _operand(x, name)
    else:
        from .._factories import tensor

        x = tensor(_operand(x, name))
        y = _operand(y, name)
    return x, y


def _binary(op, x, y):
    if isinstance(x, Tensor) and isinstance(y, (Tensor, float, int)):  # one call fewer
        return apply_binary(op, x, y)
    return apply_binary(op, *_operands(op.name, x, y))


@tensor_method(inplace=True)
def add(x, y, *, alpha=1):
    """``x + alpha * y``, broadcasting, with torch's type promotion; y may be a number.

    Derivative as torch's derivatives.yaml: 1 for x, alpha for y (summed over broadcast dims).
    """
    if alpha != 1 or type(alpha) is bool:
        alpha = _check_alpha(x, y, alpha)
    return _binary(ADD, x, y if alpha == 1 else y * alpha)


@tensor_method(inplace=True)
def sub(x, y, *, alpha=1):
    """``x - alpha * y``, broadcasting, with torch's type promotion; bool operands are refused as in
    torch.

    Derivative as torch's derivatives.yaml: 1 for x, -alpha for y.
    """
    if alpha != 1 or type(alpha) is bool:
        alpha = _check_alpha(x, y, alpha, sign=-1)
    return _binary(SUB, x, y if alpha == 1 else y * alpha)


def _check_alpha(x, y, alpha, sign=1):
    """torch's checks of add/sub's ``alpha``: no float alpha for an integral result, no bool
    alpha but for a bool one, and it converts to the result's dtype (NOTE: [checked scalars]):
    the alpha to use. sub checks ``-alpha``, as torch's sub is add(x, y, alpha=-alpha)."""
    if type(alpha) is float and -65504.0 <= alpha <= 65504.0:
        # fits any floating result, and a float alpha is refused for any other
        if any(type(v) is Tensor and v._data.dtype.kind == "f" for v in (x, y)):
            return alpha
    dt = result_dtype(_operand(x, "add"), _operand(y, "add"))
    if sign == -1 and any(isinstance(v, bool) or _dtype_name(v) == "bool" for v in (x, y)):
        return alpha  # (sub's kernel refuses bools with torch's message)
    if dt.kind in "iub" and type(alpha) is float:
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if type(alpha) is bool and dt.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if is_number(alpha):
        check_scalar(sign * alpha, dt, "alpha")
        return bool(alpha) if dt.kind == "b" else alpha
    return alpha


@tensor_method(inplace=True)
def mul(x, y):
    """``x * y`` element-wise, broadcasting, with torch's type promotion.

    Derivative as torch's derivatives.yaml: y for x, x for y.
    """
    return _binary(MUL, x, y)


@tensor_method(inplace=True)
def div(x, y, *, rounding_mode=None):
    """``x / y``; ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient (integers then stay
    integers).

    Derivative as torch's derivatives.yaml: 1/y for x, -x/y**2 for y; 0 with a rounding mode.
    """
    if rounding_mode is None:
        return _binary(DIV, x, y)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    # (read from dtypes: a tensor batched inside vmap has no array to promote)
    if not any(
        v.is_floating_point() if isinstance(v, Tensor) else isinstance(v, float) for v in (x, y)
    ):
        # Integers divide exactly in integers, as torch does (through floats, digits past 2**24
        # were lost), and a zero divisor raises (NOTE: [integer division by zero]).
        if rounding_mode == "floor":
            return floor_divide(x, y)
        return floor_divide(x - _binary(FMOD, x, y), y)  # x - fmod(x, y) is a multiple of y
    return apply(DIV_ROUNDING, *_operands("div", x, y), rounding_mode=rounding_mode)


true_divide = divide = tensor_method(div, "true_divide", "divide", inplace=True)
multiply = tensor_method(mul, "multiply", inplace=True)
subtract = tensor_method(sub, "subtract", inplace=True)


@tensor_method(inplace=True)
@unary(NEG)
def neg(x):
    """``-x`` element-wise. Derivative: -1."""


negative = tensor_method(neg, "negative", inplace=True)


@tensor_method(inplace=True)
def pow(x, exponent):
    """``x ** exponent`` with a tensor or a number on either side."""
    if isinstance(x, Tensor) and isinstance(exponent, Tensor):
        return apply(POW, x, exponent)
    if isinstance(x, Tensor):
        exponent = _operand(exponent, "pow")
        # the exponent converts to the result's dtype, checked (NOTE: [checked scalars]),
        # except for float32, whose kernel takes it as a double; only past float16's range
        # can a float tensor's fail
        if not (-65504 <= exponent <= 65504) or not x.is_floating_point():
            dt = result_dtype(x, exponent)
            if dt.kind in "iu" and type(exponent) is int and exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            if dt != np.float32:
                check_scalar(exponent, dt, "pow")
        return apply(POW_SCALAR, x, exponent=exponent)
    _tensor_arg(exponent, "pow")
    if isinstance(x, bool) and exponent.dtype.name == "bool":
        raise NotImplementedError(_POW_BOOL)
    return apply(RPOW, exponent, base=_operand(x, "pow"))


@tensor_method(inplace=True)
@unary(RECIPROCAL)
def reciprocal(x):
    """``1 / x`` element-wise (integers promote to the default float dtype). Derivative: -out**2."""


@tensor_method(inplace=True)
@unary(EXP)
def exp(x):
    """``e**x`` element-wise. Derivative as torch's derivatives.yaml: the result itself."""


@tensor_method(inplace=True)
@unary(EXP2)
def exp2(x):
    """``2**x`` element-wise. Derivative: out * ln 2."""


@tensor_method(inplace=True)
@unary(LOG)
def log(x):
    """Natural logarithm, element-wise. Derivative: 1/x."""


@tensor_method(inplace=True)
@unary(LOG2)
def log2(x):
    """Base-2 logarithm, element-wise. Derivative: 1/(x ln 2)."""


@tensor_method(inplace=True)
@unary(LOG10)
def log10(x):
    """Base-10 logarithm, element-wise. Derivative: 1/(x ln 10)."""


@tensor_method(inplace=True)
@unary(LOG1P)
def log1p(x):
    """``log(1 + x)``, accurate for small x. Derivative: 1/(x + 1)."""


@tensor_method(inplace=True)
@unary(EXPM1)
def expm1(x):
    """``exp(x) - 1``, accurate for small x. Derivative: out + 1."""


@tensor_method(inplace=True)
@unary(SQRT)
def sqrt(x):
    """Square root, element-wise. Derivative as torch's derivatives.yaml: 0.5 / out (inf at 0)."""


@tensor_method(inplace=True)
def rsqrt(x):
    """``1 / sqrt(x)``, element-wise. Derivative: -0.5 * out**3."""
    return apply(RSQRT, x)


@tensor_method(inplace=True)
@unary(SQUARE)
def square(x):
    """``x * x`` element-wise (torch names its node PowBackward0). Derivative: 2x."""


@tensor_method(inplace=True)
@unary(ABS)
def abs(x):
    """Absolute value, element-wise. Derivative as torch's: sign(x), so 0 at 0."""


absolute = tensor_method(abs, "absolute", inplace=True)


@tensor_method(inplace=True)
@unary(SIGN)
def sign(x):
    """-1, 0 or 1 by the sign of each element. Derivative: 0."""


# sgn is sign on real tensors (torch's sgn differs only for complex ones, which dualgrad refuses);
# torch has the method x.sgn_() but no function torch.sgn_
sgn = tensor_method(sign, "sgn", inplace=True)


# NOTE: [positive returns its input] torch.positive(x), x.positive() and +x return x itself (not
# a copy nor a view): the one exception to "no op returns its input object", kept because code
# may rely on ``+x is x``. Bool tensors are refused, as torch does.
@tensor_method
def positive(x):
    """``x`` itself (``+x``); bool tensors raise, as in torch."""
    _tensor_arg(x, "positive")
    if x.dtype is _dtype.bool_:
        raise RuntimeError(
            "The `+` operator, on a bool tensor is not supported. (convert first, e.g. x.long())"
        )
    return x


# deg2rad and rad2deg are torch's: a multiplication by a Python number, with mul's promotion
# (integers and bools to the default float dtype), rounding and rules (its MulBackward0 node
# stands for torch's Deg2RadBackward0 / Rad2DegBackward0)
_RADIANS_PER_DEGREE = math.pi / 180.0


@tensor_method(inplace=True)
def deg2rad(x):
    """Degrees to radians: ``x * pi / 180``.

    >>> import dualgrad as dg
    >>> dg.deg2rad(dg.tensor([180.0])).tolist()
    [3.1415927410125732]
    """
    _tensor_arg(x, "deg2rad")
    return x * _RADIANS_PER_DEGREE


@tensor_method(inplace=True)
def rad2deg(x):
    """Radians to degrees: ``x * 180 / pi``."""
    _tensor_arg(x, "rad2deg")
    return x * (180.0 / math.pi)


@tensor_method
def signbit(x):
    """Where the sign bit of ``x`` is set (-0.0 and negative NaNs too): a bool tensor."""
    _tensor_arg(x, "signbit")
    return apply(SIGNBIT, x)


@tensor_method(inplace=True)
@unary(SIN)
def sin(x):
    """Sine, element-wise. Derivative: cos(x)."""


@tensor_method(inplace=True)
@unary(COS)
def cos(x):
    """Cosine, element-wise. Derivative: -sin(x)."""


@tensor_method(inplace=True)
@unary(TAN)
def tan(x):
    """Tangent, element-wise. Derivative: 1 + out**2."""


@tensor_method(inplace=True)
@unary(ASIN)
def asin(x):
    """Arcsine, element-wise (alias ``arcsin``). Derivative: 1/sqrt(1 - x**2)."""


@tensor_method(inplace=True)
@unary(ACOS)
def acos(x):
    """Arccosine, element-wise (alias ``arccos``). Derivative: -1/sqrt(1 - x**2)."""


@tensor_method(inplace=True)
@unary(ATAN)
def atan(x):
    """Arctangent, element-wise (alias ``arctan``). Derivative: 1/(1 + x**2)."""


@tensor_method(inplace=True)
def atan2(y, x):
    """``atan2(y, x)``: the angle of the point (x, y), element-wise with broadcasting (alias
    ``arctan2``).

    Derivative as torch's atan2_backward: x/(x²+y²) for y, -y/(x²+y²) for x, 0 at the origin.
    """
    tensor_args(y, x, "atan2")  # NOTE: [parsed arguments]
    return _binary(ATAN2, y, x)


@tensor_method(inplace=True)
@unary(SINH)
def sinh(x):
    """Hyperbolic sine, element-wise. Derivative: cosh(x)."""


@tensor_method(inplace=True)
@unary(COSH)
def cosh(x):
    """Hyperbolic cosine, element-wise. Derivative: sinh(x)."""


@tensor_method(inplace=True)
@unary(TANH)
def tanh(x):
    """Hyperbolic tangent, element-wise. Derivative: 1 - out**2."""


@tensor_method(inplace=True)
@unary(ASINH)
def asinh(x):
    """Inverse hyperbolic sine (alias ``arcsinh``). Derivative: 1/sqrt(x**2 + 1)."""


@tensor_method(inplace=True)
@unary(ACOSH)
def acosh(x):
    """Inverse hyperbolic cosine (alias ``arccosh``). Derivative: 1/sqrt(x**2 - 1)."""


@tensor_method(inplace=True)
@unary(ATANH)
def atanh(x):
    """Inverse hyperbolic tangent (alias ``arctanh``). Derivative: 1/(1 - x**2)."""


arcsin = tensor_method(asin, "arcsin", inplace=True)
arccos = tensor_method(acos, "arccos", inplace=True)
arctan = tensor_method(atan, "arctan", inplace=True)
arctan2 = tensor_method(atan2, "arctan2", method=False, inplace=True)  # (x.arctan2_() only)
arcsinh = tensor_method(asinh, "arcsinh", inplace=True)
arccosh = tensor_method(acosh, "arccosh", inplace=True)
arctanh = tensor_method(atanh, "arctanh", inplace=True)


@tensor_method(inplace=True)
def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow. Derivative: out * (1
    - out)."""
    return apply(SIGMOID, x)


@tensor_method(inplace=True)
def relu(x):
    """``max(x, 0)`` element-wise. Derivative as torch's: 1 where the result is > 0, else 0 (so 0 at
    0)."""
    return apply(RELU, x)


@tensor_method(inplace=True)
def clamp(x, min=None, max=None):
    """Limit ``x`` to [min, max]; bounds may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError(
            "dualgrad.clamp: At least one of 'min' or 'max' must not be None (give a bound, or "
            "drop the clamp)"
        )
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if min is not None:
            x = maximum(x, min)
        if max is not None:
            x = minimum(x, max)
        return x
    if isinstance(x, Tensor) and not x.is_floating_point():
        # torch clamps in the dtype promoted with the bounds: int.clamp(0.5, 1.5) is float,
        # bool.clamp(0, 2) is int64 (the kernel would cast 0.5 to the int dtype: 0)
        dt = _dtype.result_type_of_arrays(x._data, min, max)
        if dt.np != x._data.dtype:
            x = x.to(dt)
    # the bounds convert to x's dtype, checked (NOTE: [checked scalars]); bools have no kernel
    if x.dtype.name == "bool":
        kernel = "clamp_scalar_cpu" if min is not None and max is not None else None
        kernel = kernel or ("clamp_min_scalar_cpu" if max is None else "clamp_max_scalar_cpu")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if min is not None:
        min = scalar_for(min, x.dtype.np, "clamp")
    if max is not None:
        max = scalar_for(max, x.dtype.np, "clamp")
    return apply(CLAMP, x, min=min, max=max)


clip = tensor_method(clamp, "clip", inplace=True)


@tensor_method(inplace=True)
def clamp_min(x, min):
    """``clamp(x, min=min)``: each element at least ``min``."""
    if min is None:  # torch's argument parser refuses it before clamp's own check
        raise TypeError(
            "clamp_min() received an invalid combination of arguments - got (Tensor, NoneType)"
            ", but expected a number or a Tensor for 'min'"
        )
    return clamp(x, min=min)


@tensor_method(inplace=True)
def clamp_max(x, max):
    """``clamp(x, max=max)``: each element at most ``max``."""
    if max is None:  # torch's argument parser refuses it before clamp's own check
        raise TypeError(
            "clamp_max() received an invalid combination of arguments - got (Tensor, NoneType)"
            ", but expected a number or a Tensor for 'max'"
        )
    return clamp(x, max=max)


@tensor_method
def maximum(x, y):
    """Element-wise maximum of two tensors, broadcasting.

    Derivative as torch's: the gradient goes to the larger input, split in half at ties.
    """
    tensor_args(x, y, "maximum")  # NOTE: [parsed arguments]
    return _binary(MAXIMUM, x, y)


@tensor_method
def minimum(x, y):
    """Element-wise minimum of two tensors, broadcasting.

    Derivative as torch's: the gradient goes to the smaller input, split in half at ties.
    """
    tensor_args(x, y, "minimum")  # NOTE: [parsed arguments]
    return _binary(MINIMUM, x, y)


@tensor_method(inplace=True)
@unary(FLOOR)
def floor(x):
    """Largest integer <= x, element-wise (integers unchanged). Derivative: 0."""


@tensor_method(inplace=True)
@unary(CEIL)
def ceil(x):
    """Smallest integer >= x, element-wise (integers unchanged). Derivative: 0."""


@tensor_method(inplace=True)
def round(x, *, decimals=0):
    """``x`` rounded half to even, to ``decimals`` decimal places (negative: to tens, hundreds,
    ...), as torch's kernel: nearbyint(x * 10**d) / 10**d; its derivative is 0, as torch's."""
    if not decimals:
        return apply(ROUND, x)
    if isinstance(x, Tensor) and not x.is_floating_point():
        raise NotImplementedError(
            f"\"round_cpu\" not implemented for '{_dtype.torch_name(x.dtype.name)}' (round with "
            "decimals= needs a floating tensor: convert first, e.g. x.double())"
        )
    scale = 10.0 ** (decimals if decimals > 0 else -decimals)  # (abs here is the op)
    if decimals > 0:
        return apply(ROUND, x * scale) / scale
    return apply(ROUND, x / scale) * scale


@tensor_method(inplace=True)
@unary(TRUNC)
def trunc(x):
    """Round toward zero, element-wise (alias ``fix``). Derivative: 0."""


fix = tensor_method(trunc, "fix", inplace=True)


def where(condition, x=None, y=None):
    """Elements of ``x`` where ``condition`` holds, else of ``y``."""
    if x is None and y is None:
        # (the method: indexing.py builds on this module, NOTE: [layered op modules])
        _tensor_arg(condition, "nonzero")
        return condition.nonzero(as_tuple=True)
    _tensor_arg(condition, "where")
    if condition.dtype.name != "bool":
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_dtype.torch_name(condition.dtype.name)}"
        )
    x, y = _operand(x, "where"), _operand(y, "where")
    if is_number(x) or is_number(y):  # a number converts to the result's dtype, checked
        # (NOTE: [checked scalars]); beside a floating tensor, that tensor's dtype
        other = y if is_number(x) else x
        dt = other._data.dtype if type(other) is Tensor else None
        if dt is None or dt.kind != "f":
            dt = result_dtype(x, y)
        x = scalar_for(x, dt, "where", opmath=True) if is_number(x) else x
        y = scalar_for(y, dt, "where", opmath=True) if is_number(y) else y
    return apply(WHERE, x, y, condition)


def _where_method(self, condition, y):
    """``x.where(condition, y)``: ``where(condition, x, y)`` (torch's method takes the
    condition first, the tensor itself as the values where it holds)."""
    return where(condition, self, y)


tensor_method(_where_method, "where")


@tensor_method
def clone(x, *, memory_format=None):
    """A copy of ``x`` with its own memory, on the graph (its gradient passes through)."""
    if memory_format is not None:
        _memory_format.check(memory_format, "clone")
    return apply(CLONE, x)


@tensor_method(inplace=True)
def eq(x, y):
    """``x == y`` element-wise, broadcasting: a bool tensor (not differentiable)."""
    return _binary(EQ, x, y)


@tensor_method(inplace=True)
def ne(x, y):
    """``x != y`` element-wise, broadcasting: a bool tensor (not differentiable)."""
    return _binary(NE, x, y)


@tensor_method(inplace=True)
def lt(x, y):
    """``x < y`` element-wise, broadcasting: a bool tensor (not differentiable)."""
    return _binary(LT, x, y)


@tensor_method(inplace=True)
def le(x, y):
    """``x <= y`` element-wise, broadcasting: a bool tensor (not differentiable)."""
    return _binary(LE, x, y)


@tensor_method(inplace=True)
def gt(x, y):
    """``x > y`` element-wise, broadcasting: a bool tensor (not differentiable)."""
    return _binary(GT, x, y)


@tensor_method(inplace=True)
def ge(x, y):
    """``x >= y`` element-wise, broadcasting: a bool tensor (not differentiable)."""
    return _binary(GE, x, y)


greater = tensor_method(gt, "greater", inplace=True)
greater_equal = tensor_method(ge, "greater_equal", inplace=True)
less = tensor_method(lt, "less", inplace=True)
less_equal = tensor_method(le, "less_equal", inplace=True)
not_equal = tensor_method(ne, "not_equal", inplace=True)


@tensor_method(inplace=True)
def logical_and(x, y):
    """Element-wise logical AND of the truth values of x and y: a bool tensor."""
    return _binary(LOGICAL_AND, x, y)


@tensor_method(inplace=True)
def logical_or(x, y):
    """Element-wise logical OR of the truth values of x and y: a bool tensor."""
    return _binary(LOGICAL_OR, x, y)


@tensor_method(inplace=True)
def logical_xor(x, y):
    """Element-wise logical XOR of the truth values of x and y: a bool tensor."""
    return _binary(LOGICAL_XOR, x, y)


@tensor_method(inplace=True)
def logical_not(x):
    """Element-wise logical NOT of the truth value of x: a bool tensor."""
    return apply(LOGICAL_NOT, x)


def _dtype_name(x):
    return x.dtype.name if isinstance(x, Tensor) else None


def _integral(name, *xs, bool_ok=True):
    """torch has bitwise kernels for integers and bools only, and shifts for integers only
    (an operand of the wrong type is left to the operand check, which names the fix)."""
    if not all(isinstance(x, (Tensor, int, float)) for x in xs):
        return
    if not bool_ok and all(isinstance(x, bool) or _dtype_name(x) == "bool" for x in xs):
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    for x in xs:
        if isinstance(x, float) or (isinstance(x, Tensor) and x.dtype.is_floating_point):
            dt = _dtype.torch_name(
                (_dtype.get_default_dtype() if isinstance(x, float) else x.dtype).name
            )
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt}'")


@tensor_method(inplace=True)
def bitwise_and(x, y):
    """Bitwise AND of integer or bool tensors (floats raise, as in torch)."""
    _integral("bitwise_and", x, y)
    return _binary(BITWISE_AND, x, y)


@tensor_method(inplace=True)
def bitwise_or(x, y):
    """Bitwise OR of integer or bool tensors (floats raise, as in torch)."""
    _integral("bitwise_or", x, y)
    return _binary(BITWISE_OR, x, y)


@tensor_method(inplace=True)
def bitwise_xor(x, y):
    """Bitwise XOR of integer or bool tensors (floats raise, as in torch)."""
    _integral("bitwise_xor", x, y)
    return _binary(BITWISE_XOR, x, y)


@tensor_method(inplace=True)
def bitwise_not(x):
    """Bitwise NOT of an integer or bool tensor (floats raise, as in torch)."""
    _integral("bitwise_not", x)
    return apply(BITWISE_NOT, x)


@tensor_method(inplace=True)
def bitwise_left_shift(x, y):
    """``x << y`` elementwise, for integer tensors, as torch (shifts past the width give 0).

    >>> import dualgrad as dg
    >>> dg.bitwise_left_shift(dg.tensor([1, -2]), 3)
    tensor([  8, -16])
    """
    _integral("lshift", x, y, bool_ok=False)
    return _binary(BITWISE_LEFT_SHIFT, x, y)


@tensor_method(inplace=True)
def bitwise_right_shift(x, y):
    """``x >> y`` elementwise, for integer tensors (arithmetic: the sign is kept), as torch.

    >>> import dualgrad as dg
    >>> dg.bitwise_right_shift(dg.tensor([8, -8]), 1)
    tensor([ 4, -4])
    """
    _integral("rshift", x, y, bool_ok=False)
    return _binary(BITWISE_RIGHT_SHIFT, x, y)


def invert(x):
    """``~x``: torch refuses floats with a TypeError here (bitwise_not: NotImplementedError)."""
    if isinstance(x, Tensor) and x.dtype.is_floating_point:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(x)


@tensor_method
def isnan(x):
    """Where x is NaN: a bool tensor."""
    return apply(ISNAN, x)


@tensor_method
def isinf(x):
    """Where x is +inf or -inf: a bool tensor."""
    return apply(ISINF, x)


@tensor_method
def isfinite(x):
    """Where x is neither inf nor NaN: a bool tensor."""
    return apply(ISFINITE, x)


@tensor_method(inplace=True)
def floor_divide(x, y):
    """``floor(x / y)`` element-wise, as torch's ``//`` (integer division by zero raises).

    No derivative: as torch's, the result of float inputs that require grad requires grad,
    and asking for its gradient raises (NOTE: [recorded without a derivative]).
    """
    return _binary(FLOOR_DIVIDE, x, y)


__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "true_divide",
    "divide",
    "multiply",
    "subtract",
    "neg",
    "negative",
    "positive",
    "sgn",
    "signbit",
    "deg2rad",
    "rad2deg",
    "pow",
    "reciprocal",
    "exp",
    "exp2",
    "log",
    "log2",
    "log10",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "square",
    "abs",
    "absolute",
    "sign",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sigmoid",
    "relu",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "maximum",
    "minimum",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fix",
    "where",
    "clone",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "isnan",
    "isinf",
    "isfinite",
    "floor_divide",
]
