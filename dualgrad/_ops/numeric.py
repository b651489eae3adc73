"""Element-wise number functions torch has beside the arithmetic: float_power, fmax, fmin,
ldexp, frexp, heaviside, nextafter, gcd, lcm, isin, isneginf, isposinf, isreal, igamma and
igammac.

Composites where one gives torch's derivative: float_power is pow in float64, fmax/fmin a
``where`` whose mask is torch's (NOTE: [fmax's gradient]), ldexp ``x * 2**e``, frexp's mantissa
``x * 2**-e`` (torch's ``grad / exp2(e)``), isneginf/isposinf comparisons. Primitives where no
composite serves: the integer and bool results (gcd, lcm, isin, frexp's exponent) are
non-differentiable ops; nextafter and igamma/igammac are element-wise ops with torch's partials
(derivatives.yaml), heaviside an op torch records without a derivative.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._dispatch import apply, apply_binary
from .._tensor import Tensor
from .elementwise import (
    _binary,
    _not_implemented,
    _tensor_arg,
    elementwise,
    exp,
    isnan,
    log,
    logical_or,
    where,
)
from .kernels import _cast, binary_dtype, float_binary
from .registry import custom, nondiff
from .special import _scipy, lgamma
from ._methods import tensor_method

__all__ = [
    "float_power",
    "fmax",
    "fmin",
    "ldexp",
    "frexp",
    "heaviside",
    "nextafter",
    "gcd",
    "lcm",
    "isin",
    "isneginf",
    "isposinf",
    "isreal",
    "igamma",
    "igammac",
    "zeta",
]


# ------------------------------------------------------------------ primitives
def _integer_kernel(fn, name):
    """An integer-only binary kernel (gcd, lcm): torch refuses floats and bools by kernel name."""

    def kernel(a, b):
        dt = binary_dtype(a, b)
        if dt.kind not in "iu":
            name_ = _dtype.torch_name(np.dtype(dt).name)
            raise NotImplementedError(f'"{name}_cpu" not implemented for {name_!r}')
        return np.asarray(fn(_cast(a, dt), _cast(b, dt))).astype(dt, copy=False)

    return kernel


GCD = nondiff("gcd", _integer_kernel(np.gcd, "gcd"), broadcasting=True)
LCM = nondiff("lcm", _integer_kernel(np.lcm, "lcm"), broadcasting=True)
FREXP_EXPONENT = nondiff(
    "frexp_exponent",
    lambda a: np.asarray(np.frexp(a)[1], dtype=np.int32),
    broadcasting=True,
)


def _heaviside_kernel(a, b):
    # torch's kernel: values where x == 0, else (x > 0); a nan is not > 0, so it gives 0
    # (NumPy's heaviside gives nan)
    return np.where(a == 0, b, a > 0).astype(a.dtype, copy=False)


# torch records heaviside of tensors that require grad and raises when a gradient is asked
# for (NOTE: [recorded without a derivative] in elementwise.py)
HEAVISIDE = custom(
    "heaviside",
    _heaviside_kernel,
    *_not_implemented("heaviside"),
    node_name="NotImplemented",
    broadcasting=True,
    saves=False,
)
# derivatives.yaml: self: at::where(self != other, grad, 0) (one step of the float grid moves
# with x unless x already is y); other: zeros
NEXTAFTER = elementwise(
    "nextafter",
    float_binary(np.nextafter),
    (lambda x, y, out: (x != y).to(x.dtype), 0),
    reads=((0, 1), ()),
)


def _igamma_input_partial(name):
    def partial(a, x, out):
        raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")

    return partial


def _igamma_other_partial(a, x, out):
    """d/dx of the regularized lower incomplete gamma P(a, x): the integrand at x over Gamma(a)."""
    return exp((a - 1) * log(x) - x - lgamma(a))


def _sc_binary(fn, sc_name):
    def kernel(a, b):
        return getattr(_scipy(fn), sc_name)(a, b)

    return float_binary(kernel)


IGAMMA = elementwise(
    "igamma",
    _sc_binary("igamma", "gammainc"),
    (_igamma_input_partial("igamma"), _igamma_other_partial),
)
IGAMMAC = elementwise(
    "igammac",
    _sc_binary("igammac", "gammaincc"),
    (_igamma_input_partial("igammac"), lambda a, x, out: -_igamma_other_partial(a, x, out)),
)


# derivatives.yaml: self: not_implemented("zeta"); other: grad * -self * zeta(self + 1, other)
def _zeta_input_partial(x, q, out):
    raise NotImplementedError("the derivative for 'zeta' is not implemented.")


ZETA = elementwise(
    "zeta",
    _sc_binary("zeta", "zeta"),
    (_zeta_input_partial, lambda x, q, out: -x * apply_binary(ZETA, x + 1.0, q)),
    node_name="SpecialZetaBackward0",
)


def _isin_kernel(e, t, *, invert):
    return np.asarray(np.isin(e, np.asarray(t).reshape(-1), invert=invert))


def _isin_batched(op, physical, bdims, params, size):
    """Batched elements against one set of test elements: isin is element-wise in the
    elements, so the batch dim stays where it is. Batched test elements: each row's elements
    against that row's set, by comparing every pair (eq, then any over the set)."""
    e, t = physical
    be, bt = bdims
    if bt is None:
        return apply(op, e, t, **params), be
    from .shape import movedim

    e = e.unsqueeze(0).expand(size, *e.shape) if be is None else movedim(e, be, 0)
    t = movedim(t, bt, 0).reshape(size, -1)
    hits = (e.reshape(size, -1, 1) == t.unsqueeze(1)).any(-1).reshape(e.shape)
    return (hits.logical_not() if params["invert"] else hits), 0


ISIN = nondiff("isin", _isin_kernel, batch=_isin_batched)


# ------------------------------------------------------------------ public functions
@tensor_method
def float_power(x, y):
    """``x ** y`` computed in float64, whatever the operands' dtypes (torch's float_power).

    >>> import dualgrad as dg
    >>> dg.float_power(dg.tensor([2, 3]), 2).tolist()
    [4.0, 9.0]
    """
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        raise TypeError("float_power(): expected a Tensor as self or exponent")
    f64 = _dtype.float64
    if isinstance(x, Tensor):
        x = x.to(f64)
    if isinstance(y, Tensor):
        y = y.to(f64)
    elif isinstance(y, bool) or not isinstance(y, (int, float)):
        raise TypeError(f"float_power(): exponent must be a Tensor or a number, got {type(y)}")
    return x**y if isinstance(x, Tensor) else float(x) ** y


def float_power_checked(x, y):
    """``float_power`` for ``x.float_power_(y)``: only a float64 ``x`` can hold the float64
    result, as torch checks."""
    if x.dtype != _dtype.float64:
        name = _dtype.torch_name(x.dtype.name)
        raise RuntimeError(
            f"the base given to float_power_ has dtype {name} but the operation's result "
            "requires dtype Double"
        )
    return float_power(x, y)


tensor_method(float_power_checked, "float_power", inplace=True, method=False)


# NOTE: [fmax's gradient] derivatives.yaml gives fmax's gradient to self where
# ``self >= other or other is nan`` and to other elsewhere (ties go to self; fmin the same
# with <=), which is exactly which value ``where`` picks: the composite's vjp and jvp are
# torch's. The mask is also the value rule: a nan loses to a number, two nans give nan.
def _fpick(x, y, fn, compare):
    _tensor_arg(x, fn)
    _tensor_arg(y, fn)
    take_x = logical_or(compare(x, y), isnan(y))
    return where(take_x, x, y)


@tensor_method
def fmax(x, y):
    """The larger of ``x`` and ``y`` element-wise, where a nan loses to a number (NumPy's fmax).

    >>> import dualgrad as dg
    >>> dg.fmax(dg.tensor([1.0, float("nan")]), dg.tensor([2.0, 0.5]))
    tensor([2.0000, 0.5000])
    """
    return _fpick(x, y, "fmax", lambda a, b: a >= b)


@tensor_method
def fmin(x, y):
    """The smaller of ``x`` and ``y`` element-wise, where a nan loses to a number (NumPy's fmin).

    >>> import dualgrad as dg
    >>> dg.fmin(dg.tensor([1.0, float("nan")]), dg.tensor([2.0, 0.5]))
    tensor([1.0000, 0.5000])
    """
    return _fpick(x, y, "fmin", lambda a, b: a <= b)


@tensor_method(inplace=True)
def ldexp(x, other):
    """``x * 2**other`` (torch's ``mul(x, pow(2., other))``): a float result.

    >>> import dualgrad as dg
    >>> dg.ldexp(dg.tensor([1.0, 3.0]), dg.tensor([2, -1]))
    tensor([4.0000, 1.5000])
    """
    _tensor_arg(x, "ldexp")
    _tensor_arg(other, "ldexp")
    return x * (2.0**other)


class Frexp(tuple):
    """``(mantissa, exponent)`` with names, like torch.return_types.frexp."""

    @property
    def mantissa(self):
        return self[0]

    @property
    def exponent(self):
        return self[1]

    def __repr__(self) -> str:
        return f"dualgrad.return_types.frexp(\nmantissa={self[0]!r},\nexponent={self[1]!r})"


@tensor_method
def frexp(x):
    """``x`` as ``mantissa * 2**exponent``, the mantissa in [0.5, 1) in magnitude (0 for 0) and
    the exponent int32: a (mantissa, exponent) pair. The mantissa's derivative is torch's,
    ``1 / 2**exponent``.

    >>> import dualgrad as dg
    >>> m, e = dg.frexp(dg.tensor([8.0, 0.75]))
    >>> m.tolist(), e.tolist()
    ([0.5, 0.75], [4, 0])
    """
    _tensor_arg(x, "frexp")
    if not x.is_floating_point():
        raise RuntimeError(
            "torch.frexp() only supports floating-point dtypes (convert first, e.g. x.float())"
        )
    exponent = apply(FREXP_EXPONENT, x)
    # an exact scaling by a power of two, in two halves: 2**-e alone overflows for a subnormal
    # x (e down to -1073 in float64)
    e = -exponent.to(x.dtype)
    half = (e * 0.5).floor()
    mantissa = x * (2.0**half) * (2.0 ** (e - half))
    return Frexp((mantissa, exponent))


@tensor_method(inplace=True)
def heaviside(x, values):
    """The step function: 0 where x < 0, ``values`` where x == 0, 1 where x > 0 (both tensors
    of one dtype).

    >>> import dualgrad as dg
    >>> dg.heaviside(dg.tensor([-1.0, 0.0, 2.0]), dg.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    _tensor_arg(x, "heaviside")
    _tensor_arg(values, "heaviside")
    if x.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return apply(HEAVISIDE, x, values)


@tensor_method(inplace=True)
def nextafter(x, other):
    """The next float after ``x`` toward ``other``, element-wise.

    >>> import dualgrad as dg
    >>> (dg.nextafter(dg.tensor([1.0], dtype=dg.float64), dg.tensor([2.0], dtype=dg.float64)) - 1).item()
    2.220446049250313e-16
    """
    _tensor_arg(x, "nextafter")
    return _binary(NEXTAFTER, x, other)


@tensor_method(inplace=True)
def gcd(x, other):
    """The greatest common divisor of integer tensors, element-wise (non-negative; gcd(0, 0) = 0).

    >>> import dualgrad as dg
    >>> dg.gcd(dg.tensor([12, -18]), dg.tensor([8, 12]))
    tensor([4, 6])
    """
    _tensor_arg(x, "gcd")
    return _binary(GCD, x, other)


@tensor_method(inplace=True)
def lcm(x, other):
    """The least common multiple of integer tensors, element-wise (non-negative).

    >>> import dualgrad as dg
    >>> dg.lcm(dg.tensor([4, -6]), dg.tensor([6, 4]))
    tensor([12, 12])
    """
    _tensor_arg(x, "lcm")
    return _binary(LCM, x, other)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of ``elements`` is among ``test_elements`` (a bool tensor of elements'
    shape); either may be a number. ``invert``: whether it is not.

    >>> import dualgrad as dg
    >>> dg.isin(dg.tensor([1, 2, 3]), dg.tensor([2, 5]))
    tensor([False,  True, False])
    """
    from .._factories import tensor

    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected elements or test_elements to be a Tensor")
    if not isinstance(elements, Tensor):
        elements = tensor(elements)
    if not isinstance(test_elements, Tensor):
        test_elements = tensor(test_elements)
    return apply(ISIN, elements, test_elements, invert=bool(invert))


@tensor_method
def isneginf(x):
    """Whether each element is -inf (a bool tensor; all False for integers).

    >>> import dualgrad as dg
    >>> dg.isneginf(dg.tensor([-float("inf"), float("inf"), 1.0]))
    tensor([ True, False, False])
    """
    _tensor_arg(x, "isneginf")
    return x == -math.inf


@tensor_method
def isposinf(x):
    """Whether each element is +inf (a bool tensor; all False for integers).

    >>> import dualgrad as dg
    >>> dg.isposinf(dg.tensor([-float("inf"), float("inf"), 1.0]))
    tensor([False,  True, False])
    """
    _tensor_arg(x, "isposinf")
    return x == math.inf


@tensor_method
def isreal(x):
    """Whether each element is real: all True, as dualgrad's tensors are real (NOTE: the
    complex dtypes are refused, DESIGN.md section 4).

    >>> import dualgrad as dg
    >>> dg.isreal(dg.tensor([1.0, 2.0]))
    tensor([True, True])
    """
    from .._factories import ones_like

    _tensor_arg(x, "isreal")
    return ones_like(x, dtype=_dtype.bool_)


@tensor_method(inplace=True)
def igamma(input, other):  # noqa: A002  (torch's name)
    """The regularized lower incomplete gamma function P(input, other) (SciPy's gammainc; the
    ``special`` extra). Differentiable in ``other`` only, as in torch.

    >>> import dualgrad as dg
    >>> round(dg.igamma(dg.tensor([1.0]), dg.tensor([1.0])).item(), 4)
    0.6321
    """
    _tensor_arg(input, "igamma")
    return _binary(IGAMMA, input, other)


def zeta(input, other):  # noqa: A002  (torch's name)
    """The Hurwitz zeta function, sum over k >= 0 of (k + other) ** -input (SciPy's zeta; the
    ``special`` extra). Differentiable in ``other`` only, as in torch.

    >>> import dualgrad as dg
    >>> round(dg.special.zeta(dg.tensor([2.0]), dg.tensor([1.0])).item(), 4)
    1.6449
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("special_zeta(): expected a Tensor for input or other")
    return _binary(ZETA, input, other)


@tensor_method(inplace=True)
def igammac(input, other):  # noqa: A002
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P (SciPy's
    gammaincc; the ``special`` extra). Differentiable in ``other`` only, as in torch.

    >>> import dualgrad as dg
    >>> round(dg.igammac(dg.tensor([1.0]), dg.tensor([1.0])).item(), 4)
    0.3679
    """
    _tensor_arg(input, "igammac")
    return _binary(IGAMMAC, input, other)
