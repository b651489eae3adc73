"""Special functions and the other element-wise ops of torch, torch.special and the activations.

Primitives (each declared by its kernel and its local partials, which follow PyTorch's
derivatives.yaml): erf, erfc, erfinv, erfcx, lgamma, digamma, polygamma, i0, i0e, i1, i1e,
ndtri, log_ndtr, xlogy, xlog1py, logaddexp, logaddexp2, hypot, remainder, copysign, and the
non-differentiable isclose (fmod's primitive is in elementwise.py, whose integer ``div``
rounds with it). Every derivative is itself written with these primitives
(d lgamma = digamma, d digamma = polygamma(1), d polygamma(n) = polygamma(n + 1), d i0 = i1,
d i1 = i0 - i1 / x), so every order works by construction.

Everything else is a composite of primitives (NOTE: [activations as composites]).

# NOTE: [optional SciPy]
NumPy lacks erf, gammaln, psi, the Bessel functions and the normal quantile; their kernels call
``scipy.special``, imported when a kernel first runs, so SciPy stays an optional dependency
(``pip install 'dualgrad[special]'``). Without it, the op raises ImportError naming the extra.
We never hand-write approximations of these functions.

# NOTE: [activations as composites]
mish, celu, hardsigmoid, hardswish, softsign, logit, sinc, nan_to_num, lerp, addcmul and
addcdiv (and selu, through elu) are written with primitives (gelu, silu, elu, softplus,
leaky_relu, hardtanh and logsigmoid are primitives themselves: NOTE: [activations torch
records as one node]); ``where`` picks the branch, and a branch that could overflow where it is
not picked is fed a safe value (the double-where trick), so no inf * 0 = nan reaches a
gradient. At a kink the branch is chosen to give PyTorch's one-sided derivative (hardtanh and
hardsigmoid pass no gradient at their bounds, hardswish's middle branch includes them, elu's
x <= 0 branch includes 0). Torch keeps most activations in torch.nn.functional only; they are
defined here and re-exported where torch has them (dualgrad.selu, dualgrad.special.expit, ...).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._batching import LOOP_FIX, BatchedTensor
from .._dispatch import apply
from .._tensor import Tensor
from .args import number_arg, tensor_args
from .elementwise import (
    FMOD,
    SIGMOID,
    _binary,
    _tensor_arg,
    abs,
    clamp,
    elementwise,
    exp,
    expm1,
    floor,
    isfinite,
    log,
    log1p,
    sigmoid,
    sin,
    tanh,
    trunc,
    where,
)
from .indexing import known_values
from .kernels import float_binary, float_unary, int_division
from .registry import _zeros_like, nondiff
from ._methods import tensor_method

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LN2 = math.log(2.0)


def _scipy(fn: str):
    """scipy.special, or an ImportError naming the extra (NOTE: [optional SciPy])."""
    try:
        import scipy.special as sc
    except ImportError:
        raise ImportError(f"dualgrad.{fn} needs SciPy: pip install 'dualgrad[special]'") from None
    return sc


def _sc_unary(fn: str, sc_name: str | None = None):
    """A float kernel calling scipy.special.<sc_name>, keeping the input's float dtype."""

    def kernel(a):
        r = getattr(_scipy(fn), sc_name or fn)(a)  # fn: the public name, for the error
        return np.asarray(r).astype(a.dtype, copy=False)

    return float_unary(kernel)


# ------------------------------------------------------------------ error functions
ERF = elementwise("erf", _sc_unary("erf"), (lambda x, out: _TWO_OVER_SQRT_PI * exp(-(x * x)),))
ERFC = elementwise("erfc", _sc_unary("erfc"), (lambda x, out: -_TWO_OVER_SQRT_PI * exp(-(x * x)),))
ERFINV = elementwise(
    "erfinv",
    _sc_unary("erfinv"),
    # torch's rule recomputes erfinv(x) rather than saving the result (NOTE: [what a rule
    # saves] in elementwise.py)
    (lambda x, out: (0.5 * _SQRT_PI) * exp(erfinv(x) ** 2),),
)
ERFCX = elementwise(
    "erfcx",
    _sc_unary("special.erfcx", "erfcx"),
    (lambda x, out: 2.0 * x * out - _TWO_OVER_SQRT_PI,),
    uses_out=True,
    node_name="SpecialErfcxBackward0",
)
NDTRI = elementwise(
    "ndtri",
    _sc_unary("special.ndtri", "ndtri"),
    (lambda x, out: _SQRT_2PI * exp(0.5 * (out * out)),),
    uses_out=True,
    reads=((),),  # the result only (NOTE: [what a rule saves] in elementwise.py)
    node_name="SpecialNdtriBackward0",
)
LOG_NDTR = elementwise(
    "log_ndtr",
    _sc_unary("special.log_ndtr", "log_ndtr"),
    (lambda x, out: exp(-(out + 0.5 * (x * x))) / _SQRT_2PI,),
    uses_out=True,
    node_name="SpecialLogNdtrBackward0",
)


# ------------------------------------------------------------------ gamma family
def _digamma_kernel(a):
    r = np.asarray(_scipy("digamma").psi(a)).astype(a.dtype, copy=False)
    # PyTorch (and the limit from the right) give -inf at 0; SciPy gives nan or inf
    return np.where(a == 0, np.array(-np.inf, a.dtype), r)


def _polygamma_kernel(a, *, n):
    if n == 0:
        return _digamma_kernel(a)
    return np.asarray(_scipy("polygamma").polygamma(n, a)).astype(a.dtype, copy=False)


LGAMMA = elementwise("lgamma", _sc_unary("lgamma", "gammaln"), (lambda x, out: digamma(x),))
DIGAMMA = elementwise("digamma", float_unary(_digamma_kernel), (lambda x, out: polygamma(1, x),))
POLYGAMMA = elementwise(
    "polygamma", float_unary(_polygamma_kernel), (lambda x, out, n: polygamma(n + 1, x),)
)


# ------------------------------------------------------------------ modified Bessel functions
def _i1_partial(x, out):
    """d i1 = i0 - i1 / x, which is 1/2 at 0 (PyTorch's i1_backward, with the same guard)."""
    eps = float(np.finfo(x._data.dtype).eps)
    small = abs(x) <= eps
    safe = where(small, eps, x)
    return where(small, 0.5, i0(safe) - out / safe)


def _i1e_partial(x, out):
    """d i1e = i0e - i1e (sign(x) + 1 / x), which is 1/2 at 0 (PyTorch's i1e_backward)."""
    eps = float(np.finfo(x._data.dtype).eps)
    small = abs(x) <= eps
    safe = where(small, eps, x)
    return where(small, 0.5, i0e(safe) - out * (safe.sign() + 1.0 / safe))


I0 = elementwise("i0", float_unary(np.i0), (lambda x, out: i1(x),))
I0E = elementwise(
    "i0e",
    _sc_unary("special.i0e", "i0e"),
    (lambda x, out: i1e(x) - x.sign() * out,),
    uses_out=True,
    node_name="SpecialI0EBackward0",
)
I1 = elementwise(
    "i1",
    _sc_unary("special.i1", "i1"),
    (_i1_partial,),
    uses_out=True,
    node_name="SpecialI1Backward0",
)
I1E = elementwise(
    "i1e",
    _sc_unary("special.i1e", "i1e"),
    (_i1e_partial,),
    uses_out=True,
    node_name="SpecialI1EBackward0",
)


# ------------------------------------------------------------------ binary functions
def _xlogy_kernel(log_fn):
    def kernel(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(x == 0, 0.0, x * log_fn(y))
        return np.where(np.isnan(y), y, r)

    return kernel


def _xlogy_x_partial(log_fn, np_log, edge):
    """d xlogy(x, y)/dx = log(y), and 0 where x == 0 and y <= 0 (log1p: y <= -1), as torch's
    rule (``xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0)``); the inner where
    keeps the masked points out of log's own derivative."""

    def partial(x, y, out):
        if not isinstance(y, Tensor):
            with np.errstate(divide="ignore", invalid="ignore"):
                d = float(np_log(np.float64(y)))  # -inf at the edge, nan below it, as torch
            return where(x == 0, 0.0, d) if y <= edge else d
        masked = (x == 0) & (y <= edge)
        return where(masked, 0.0, log_fn(where(masked, 1.0, y)))

    return partial


XLOGY = elementwise(
    "xlogy",
    float_binary(_xlogy_kernel(np.log)),
    (_xlogy_x_partial(log, np.log, 0.0), lambda x, y, out: x / y),
)
XLOG1PY = elementwise(
    "xlog1py",
    float_binary(_xlogy_kernel(np.log1p)),
    (_xlogy_x_partial(log1p, np.log1p, -1.0), lambda x, y, out: x / (y + 1)),
    node_name="SpecialXlog1PyBackward0",
)
LOGADDEXP = elementwise(
    "logaddexp",
    float_binary(np.logaddexp),
    (lambda x, y, out: sigmoid(x - y), lambda x, y, out: sigmoid(y - x)),
)
LOGADDEXP2 = elementwise(
    "logaddexp2",
    float_binary(np.logaddexp2),
    (lambda x, y, out: sigmoid((x - y) * _LN2), lambda x, y, out: sigmoid((y - x) * _LN2)),
)
HYPOT = elementwise(
    "hypot",
    float_binary(np.hypot),
    (lambda x, y, out: x / out, lambda x, y, out: y / out),
    uses_out=True,
    reads=((0,), (1,)),
)


# NOTE: [sign of a zero remainder] torch's float remainder is fmod(x, y), moved by y where it is
# nonzero and of the other sign than y; a zero keeps fmod's sign, the dividend's: -3.0 % 1 is
# -0.0 and 0.0 % -1 is 0.0. NumPy's remainder gives a zero the divisor's sign (0.0 and -0.0),
# which copysign, signbit and 1 / r tell apart. Integers have no signed zero, so they take
# NumPy's (the same numbers, and its integer loops).
def _remainder(a, b):
    r = np.fmod(a, b)
    if r.dtype.kind not in "fV":
        return np.remainder(a, b)
    moved = (r != 0) & ((r < 0) != (np.asarray(b) < 0))
    return np.where(moved, r + b, r).astype(r.dtype, copy=False)


REMAINDER = elementwise(
    "remainder",
    int_division(_remainder, "remainder"),
    (1, lambda x, y, out: -floor(x / y)),
    reads=((), (0, 1)),
)


def _copysign_partial(x, y, out):
    """out / x, and 0 where x == 0 (PyTorch's copysign_tensor_self_backward)."""
    zero = x == 0
    return where(zero, 0.0, out / where(zero, 1.0, x))


COPYSIGN = elementwise(
    "copysign", float_binary(np.copysign), (_copysign_partial, 0), uses_out=True, reads=((0,), ())
)


def _isclose_kernel(a, b, *, rtol, atol, equal_nan):
    dt = _dtype.result_type_of_arrays(a, b).np
    return np.asarray(
        np.isclose(
            a.astype(dt), np.asarray(b).astype(dt), rtol=rtol, atol=atol, equal_nan=equal_nan
        )
    )


ISCLOSE = nondiff("isclose", _isclose_kernel, broadcasting=True)


# ------------------------------------------------------------------ public functions: primitives
@tensor_method(inplace=True)
def erf(x):
    """The error function.

    >>> import dualgrad as dg
    >>> dg.erf(dg.tensor([0.0])).tolist()
    [0.0]
    """
    return apply(ERF, x)


@tensor_method(inplace=True)
def erfc(x):
    """``1 - erf(x)``, accurate for large x."""
    return apply(ERFC, x)


@tensor_method(inplace=True)
def erfinv(x):
    """The inverse of erf on (-1, 1)."""
    return apply(ERFINV, x)


def erfcx(x):
    """The scaled complementary error function ``exp(x**2) * erfc(x)``."""
    return apply(ERFCX, x)


def ndtri(x):
    """The quantile function of the standard normal distribution."""
    return apply(NDTRI, x)


def log_ndtr(x):
    """``log(ndtr(x))``, accurate in the left tail."""
    return apply(LOG_NDTR, x)


@tensor_method(inplace=True)
def lgamma(x):
    """``log(|Gamma(x)|)``; its derivative is digamma."""
    return apply(LGAMMA, x)


@tensor_method(inplace=True)
def digamma(x):
    """The logarithmic derivative of Gamma; its derivative is ``polygamma(1, x)``."""
    return apply(DIGAMMA, x)


@tensor_method(inplace=True)
def polygamma(n, x):
    """The n-th derivative of digamma: ``polygamma(n, x)``.

    As a method, ``x.polygamma(n)``; the arguments are told apart by type.

    >>> import dualgrad as dg
    >>> round(dg.polygamma(1, dg.tensor(1.0)).item(), 6)  # pi ** 2 / 6
    1.644934
    """
    if isinstance(n, Tensor) and not isinstance(x, Tensor):  # the method form x.polygamma(n)
        n, x = x, n
    _tensor_arg(x, "polygamma")
    n = int(n)
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n})")
    return apply(POLYGAMMA, x, n=n)


@tensor_method(inplace=True)
def i0(x):
    """The modified Bessel function of the first kind, order 0."""
    return apply(I0, x)


def i0e(x):
    """``exp(-|x|) * i0(x)``."""
    return apply(I0E, x)


def i1(x):
    """The modified Bessel function of the first kind, order 1."""
    return apply(I1, x)


def i1e(x):
    """``exp(-|x|) * i1(x)``."""
    return apply(I1E, x)


@tensor_method(inplace=True)
def xlogy(x, y):
    """``x * log(y)``, and 0 where x == 0 (even where y == 0)."""
    return _binary(XLOGY, x, y)


@tensor_method(method=False, inplace=True)
def xlog1py(x, y):
    """``x * log1p(y)``, and 0 where x == 0."""
    return _binary(XLOG1PY, x, y)


@tensor_method(inplace=True)
def logaddexp(x, y):
    """``log(exp(x) + exp(y))``, computed stably."""
    tensor_args(x, y, "logaddexp")  # NOTE: [parsed arguments]
    return _binary(LOGADDEXP, x, y)


@tensor_method
def logaddexp2(x, y):
    """``log2(2**x + 2**y)``, computed stably."""
    tensor_args(x, y, "logaddexp2")  # NOTE: [parsed arguments]
    return _binary(LOGADDEXP2, x, y)


@tensor_method(inplace=True)
def hypot(x, y):
    """``sqrt(x**2 + y**2)`` without overflow."""
    tensor_args(x, y, "hypot")  # NOTE: [parsed arguments]
    return _binary(HYPOT, x, y)


@tensor_method(inplace=True)
def fmod(x, y):
    """The C remainder of ``x / y``: the sign follows the dividend."""
    return _binary(FMOD, x, y)


@tensor_method(inplace=True)
def remainder(x, y):
    """The Python remainder ``x % y``: the sign follows the divisor.

    >>> import dualgrad as dg
    >>> (dg.tensor([-3.0, 3.0]) % 2).tolist()
    [1.0, 1.0]
    """
    return _binary(REMAINDER, x, y)


@tensor_method(inplace=True)
def copysign(x, y):
    """The magnitude of ``x`` with the sign of ``y`` (its sign bit, so -0.0 counts)."""
    return _binary(COPYSIGN, x, y)


@tensor_method
def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|x - y| <= atol + rtol * |y|`` element-wise (a bool tensor)."""
    _tensor_arg(x, "isclose")
    if not isinstance(y, Tensor):
        from .._factories import tensor

        y = tensor(y, dtype=x.dtype)
    if y.dtype != x.dtype:  # NOTE: [same-dtype operands] in _dtype.py
        names = _dtype.TORCH_NAMES
        raise RuntimeError(
            f"{names[x.dtype.name]} did not match {names[y.dtype.name]} (isclose and "
            "allclose compare tensors of one dtype; convert one with .to())"
        )
    return apply(ISCLOSE, x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


@tensor_method
def allclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element of ``x`` is close to ``y`` (a Python bool).

    >>> import dualgrad as dg
    >>> dg.allclose(dg.tensor([1.0]), dg.tensor([1.0 + 1e-9]))
    True
    """
    close = isclose(x, y, rtol, atol, equal_nan)
    if isinstance(close, BatchedTensor):  # inside vmap: one answer per element, not one bool
        raise RuntimeError(
            "vmap over torch.allclose isn't supported yet. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues if you need this feature. (dualgrad: "
            f"isclose(x, y).all() gives one answer per batch element, as a tensor; {LOOP_FIX})"
        )
    return bool(close._data.all())


# Tensor operators % and %= (found by name by _tensor_methods)
@tensor_method
def __mod__(x, y):
    return remainder(x, y)


@tensor_method
def __rmod__(x, y):
    return remainder(y, x)


@tensor_method
def __imod__(x, y):
    return x.remainder_(y)


# ------------------------------------------------------------------ composites
def _float(x, fn):
    _tensor_arg(x, fn)
    return x if x.is_floating_point() else x.to(_dtype.get_default_dtype())


# NOTE: [activations of integers] torch's kernels for elu, gelu, silu, softplus and most other
# activations exist for floating dtypes only: an integer or bool input raises
# NotImplementedError('"elu_cpu" not implemented for 'Char''), it is not promoted (sin and exp
# promote; these do not). relu, hardtanh and threshold have integer kernels that keep the
# dtype, and refuse bool.
def floating_only(x, fn, kernel):
    """``x``, a floating tensor, or torch's error naming its kernel (NOTE: [activations of
    integers])."""
    _tensor_arg(x, fn)
    if not x.is_floating_point():
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_dtype.torch_name(x.dtype.name)}' ({fn} needs "
            "a floating tensor: convert first, e.g. x.float())"
        )
    return x


def ndtr(x):
    """The standard normal CDF: ``0.5 * erfc(-x / sqrt(2))``."""
    return 0.5 * erfc(_float(x, "ndtr") * -math.sqrt(0.5))


def expit(x):
    """The logistic sigmoid (torch.special.expit)."""
    return sigmoid(x)


@tensor_method(inplace=True)
def logit(x, eps=None):
    """``log(x / (1 - x))``; with ``eps``, x is first clamped to [eps, 1 - eps] (and the
    gradient is 0 outside it, as in PyTorch)."""
    x = _float(x, "logit")
    if eps is not None:
        number_arg(eps, "logit", "eps", 2)
    if eps is None:
        return _logit(x)
    # Not logit(clamp(x)): outside the bounds clamp's 0 would meet logit's inf at 0 or 1
    # (eps = 0) and give nan. Outside, the clamped value as a constant; inside (and at nan, as
    # torch), logit of x, which sees a safe 0.5 where it is not used.
    outside = (x < eps) | (x > 1.0 - eps)
    xs = where(outside, 0.5, x)
    xc = clamp(x.detach(), eps, 1.0 - eps)
    return where(outside, _logit(xc), _logit(xs))


def _logit(x):
    # log x - log(1 - x), not log(x / (1 - x)): its derivative 1/x + 1/(1 - x) is torch's inf
    # at 0 and 1, where the quotient's chain rule multiplies 0 by inf
    return log(x) - log1p(-x)


@tensor_method(inplace=True)
def sinc(x):
    """``sin(pi x) / (pi x)``, and 1 at 0 with gradient 0 there (PyTorch's choice)."""
    x = _float(x, "sinc")
    zero = x == 0
    pix = where(zero, 1.0, x) * math.pi
    return where(zero, 1.0, sin(pix) / pix)


def entr(x):
    """``-x log x`` for x > 0, 0 at 0 and -inf below (torch.special.entr)."""
    x = _float(x, "entr")
    pos = x > 0
    safe = where(pos, x, 1.0)
    return where(pos, -safe * log(safe), where(x == 0, 0.0, -math.inf))


def multigammaln(x, p):
    """The multivariate log-gamma function of dimension ``p``.

    ``sum_j lgamma(x - j / 2) + p (p - 1) / 4 log(pi)`` over j < p; needs x > (p - 1) / 2.
    """
    from .._factories import arange

    x = _float(x, "multigammaln")
    if p < 1:
        raise ValueError(f"multigammaln: p must be >= 1, got {p}")
    xd = known_values(x)  # None inside vmap for a batched x: the domain check is skipped
    if xd is not None and bool((xd <= (p - 1) / 2).any()):
        raise RuntimeError(f"All elements must be greater than (p-1)/2 (p={p})")
    shift = arange(p, dtype=x.dtype) * -0.5
    return lgamma(x.unsqueeze(-1) + shift).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


mvlgamma = tensor_method(multigammaln, "mvlgamma", inplace=True)
gammaln = lgamma
psi = digamma


@tensor_method(inplace=True)
def frac(x):
    """The fractional part ``x - trunc(x)``, with the sign of x (floats only, as torch)."""
    x = floating_only(x, "frac", "frac_cpu")
    return x - trunc(x)


def _same_dtype_as_start(start, other, name):
    if isinstance(other, Tensor) and other.dtype != start.dtype:
        names = _dtype.TORCH_ELEMENT_NAMES
        raise RuntimeError(
            f"expected dtype {names[start.dtype.name]} for `{name}` but got dtype "
            f"{names[other.dtype.name]} (lerp does not promote; convert it, e.g. "
            f"{name}.to(start.dtype))"
        )


@tensor_method(inplace=True)
def lerp(start, end, weight):
    """``start + weight * (end - start)``, with PyTorch's two-sided formula for accuracy
    near weight = 1; ``weight`` is a tensor or a number."""
    _tensor_arg(start, "lerp")
    # ``end`` and a dimensioned ``weight`` must have start's dtype; a 0-d weight may differ
    # (NOTE: [same-dtype operands] in _dtype.py)
    _same_dtype_as_start(start, end, "end")
    if isinstance(weight, Tensor) and weight.ndim:
        _same_dtype_as_start(start, weight, "weight")
    diff = end - start
    if not isinstance(weight, Tensor):
        return start + weight * diff if weight < 0.5 else end - diff * (1 - weight)
    return where(weight < 0.5, start + weight * diff, end - diff * (1 - weight))


@tensor_method(inplace=True)
def addcmul(x, tensor1, tensor2, *, value=1):
    """``x + value * tensor1 * tensor2``."""
    prod = tensor1 * tensor2
    return x + (prod if value == 1 else value * prod)


@tensor_method(inplace=True)
def addcdiv(x, tensor1, tensor2, *, value=1):
    """``x + value * tensor1 / tensor2``."""
    quot = tensor1 / tensor2
    return x + (quot if value == 1 else value * quot)


@tensor_method(inplace=True)
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest
    finite values by default); the gradient is 0 at the replaced elements."""
    _tensor_arg(x, "nan_to_num")
    for k, (arg, v) in enumerate((("nan", nan), ("posinf", posinf), ("neginf", neginf))):
        if v is not None:
            number_arg(v, "nan_to_num", arg, k + 2)
    if not x.is_floating_point():
        return x.clone()
    info = np.finfo(x._data.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    out = where(isfinite(x), x, nan)
    out = where(x == math.inf, posinf, out)
    return where(x == -math.inf, neginf, out)


# ------------------------------------------------------------------ activations (primitives)
# NOTE: [activations torch records as one node] gelu, silu, elu (and selu, celu through it),
# softplus, leaky_relu, hardtanh (and relu6) and logsigmoid are one node each in torch's graph
# (GeluBackward0, ...), so they are primitives here: a NumPy kernel and the local derivative
# written in dualgrad ops (so vjp, jvp, batching and every order follow from the element-wise
# kind). Where the kernel has branches, the derivative picks torch's side at the kink (elu's
# x <= 0 branch includes 0, hardtanh passes nothing at its bounds, leaky_relu's slope applies
# at 0).
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_GELU_KAPPA = 0.044715


def _gelu_kernel(x, *, approximate):
    if approximate == "tanh":
        inner = _GELU_BETA * (x + _GELU_KAPPA * (x * x * x))
        return np.asanyarray(0.5 * x * (1 + np.tanh(inner)))
    return np.asanyarray(0.5 * x * (1 + ERF.forward(x * math.sqrt(0.5))))


def _gelu_partial(x, out, *, approximate):
    if approximate == "tanh":
        x2 = x * x
        t = tanh(_GELU_BETA * (x + _GELU_KAPPA * (x2 * x)))
        return 0.5 * (1 + t) + (0.5 * _GELU_BETA) * x * (1 - t * t) * (1 + (3 * _GELU_KAPPA) * x2)
    return 0.5 * (1 + erf(x * math.sqrt(0.5))) + x * exp(-0.5 * (x * x)) * _INV_SQRT_2PI


def _silu_partial(x, out):
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


def _elu_kernel(x, *, alpha):
    return np.asanyarray(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), dtype=x.dtype)


def _elu_partial(x, out, *, alpha):
    pos = x > 0
    return where(pos, 1.0, exp(where(pos, 0.0, x)) * alpha)


def _softplus_kernel(x, *, beta, threshold):
    bx = x * beta
    soft = np.log1p(np.exp(np.minimum(bx, threshold))) / beta
    return np.asanyarray(np.where(bx > threshold, x, soft), dtype=x.dtype)


def _softplus_partial(x, out, *, beta, threshold):
    bx = x * beta
    return where(bx > threshold, 1.0, sigmoid(bx))


def _leaky_relu_partial(x, out, *, negative_slope):
    # (the slope as a tensor of x's dtype: a float64 gradient gets the float64 slope)
    return where(x > 0, 1.0, _zeros_like(x) + negative_slope)


def _hardtanh_kernel(x, *, min_val, max_val):
    return np.asanyarray(
        np.where(x <= min_val, min_val, np.where(x >= max_val, max_val, x)), dtype=x.dtype
    )


def _logsigmoid_kernel(x):
    return np.asanyarray(np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), dtype=x.dtype)


GELU = elementwise("gelu", _gelu_kernel, (_gelu_partial,))
SILU = elementwise("silu", lambda x: np.asanyarray(x * SIGMOID.forward(x)), (_silu_partial,))
ELU = elementwise("elu", _elu_kernel, (_elu_partial,))
SOFTPLUS = elementwise("softplus", _softplus_kernel, (_softplus_partial,))
LEAKY_RELU = elementwise(
    "leaky_relu",
    lambda x, *, negative_slope: np.asanyarray(
        np.where(x > 0, x, x * negative_slope), dtype=x.dtype
    ),
    (_leaky_relu_partial,),
)
HARDTANH = elementwise(
    "hardtanh",
    _hardtanh_kernel,
    (lambda x, out, *, min_val, max_val: (x > min_val) & (x < max_val),),
)
LOGSIGMOID = elementwise(
    "logsigmoid",
    _logsigmoid_kernel,
    (lambda x, out: sigmoid(-x),),
    node_name="LogSigmoidBackward0",
)


# ------------------------------------------------------------------ activations (composites)
def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, and x itself where ``beta x > threshold``."""
    x = floating_only(x, "softplus", "softplus_cpu")
    beta = number_arg(beta, "softplus", "beta", 2)
    threshold = number_arg(threshold, "softplus", "threshold", 3)
    return apply(SOFTPLUS, x, beta=beta, threshold=threshold)


def softsign(x):
    """``x / (1 + |x|)``."""
    return x / (abs(x) + 1)


def gelu(x, approximate="none"):
    """``x * Phi(x)``, exact (``approximate='none'``, via erf) or with the tanh formula."""
    x = floating_only(x, "gelu", "GeluKernelImpl")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(GELU, x, approximate=approximate)


def silu(x):
    """``x * sigmoid(x)`` (swish)."""
    x = floating_only(x, "silu", "silu_cpu")
    return apply(SILU, x)


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = floating_only(x, "mish", "mish_cpu")
    return x * tanh(softplus(x))


def elu(x, alpha=1.0):
    """x for x > 0, ``alpha (exp(x) - 1)`` otherwise."""
    x = floating_only(x, "elu", "elu_cpu")
    alpha = number_arg(alpha, "elu", "alpha", 2)  # NOTE: [parsed arguments]
    return apply(ELU, x, alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def celu(x, alpha=1.0):
    """x for x > 0, ``alpha (exp(x / alpha) - 1)`` otherwise."""
    x = floating_only(x, "celu", "elu_cpu")
    number_arg(alpha, "celu", "alpha", 2)
    pos = x > 0
    neg = expm1(where(pos, 0.0, x) / alpha) * alpha
    return where(pos, x, neg)


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, ``negative_slope * x`` otherwise."""
    x = floating_only(x, "leaky_relu", "leaky_relu_cpu")
    negative_slope = number_arg(negative_slope, "leaky_relu", "negative_slope", 2)
    return apply(LEAKY_RELU, x, negative_slope=negative_slope)


@tensor_method(method=False, inplace=True)
def hardtanh(x, min_val=-1.0, max_val=1.0):
    """x clamped to [min_val, max_val]; no gradient at or beyond the bounds (as PyTorch).
    Integers keep their dtype and bools raise, as torch (NOTE: [activations of integers])."""
    _tensor_arg(x, "hardtanh")
    min_val = number_arg(min_val, "hardtanh", "min_val", 2)
    max_val = number_arg(max_val, "hardtanh", "max_val", 3)
    if not x.is_floating_point():
        if x.dtype.name == "bool":
            raise RuntimeError("Bool inputs not supported for hardtanh")
        if x.dtype.name == "uint8" and (min_val < 0 or max_val < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        # torch clamps in the integer dtype, its bounds converted to it (toward 0)
        return clamp(x, int(min_val), int(max_val))
    return apply(HARDTANH, x, min_val=min_val, max_val=max_val)


def relu6(x):
    """``hardtanh(x, 0, 6)``."""
    return hardtanh(x, 0.0, 6.0)


def hardsigmoid(x):
    """``relu6(x + 3) / 6``; no gradient at or beyond -3 and 3 (as PyTorch)."""
    x = floating_only(x, "hardsigmoid", "hardsigmoid_cpu")
    return where(x <= -3, 0.0, where(x >= 3, 1.0, (x + 3) / 6))


def hardswish(x):
    """``x * relu6(x + 3) / 6``."""
    x = floating_only(x, "hardswish", "hardswish_cpu")
    return where(x < -3, 0.0, where(x > 3, x, x * (x + 3) / 6))


def logsigmoid(x):
    """``log(sigmoid(x))`` = ``-softplus(-x)``, computed stably."""
    x = floating_only(x, "logsigmoid", "log_sigmoid_cpu")
    return apply(LOGSIGMOID, x)


# Names torch has at the top level (torch.erf, torch.selu, ...); the other activations are
# for dualgrad.nn.functional (see ACTIVATIONS) and the rest for dualgrad.special.
__all__ = [
    "addcdiv",
    "addcmul",
    "allclose",
    "celu",
    "copysign",
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "fmod",
    "frac",
    "hypot",
    "i0",
    "isclose",
    "lerp",
    "lgamma",
    "logaddexp",
    "logaddexp2",
    "logit",
    "mvlgamma",
    "nan_to_num",
    "polygamma",
    "remainder",
    "selu",
    "sinc",
    "xlogy",
]
ACTIVATIONS = [
    "softplus",
    "softsign",
    "gelu",
    "silu",
    "mish",
    "elu",
    "selu",
    "celu",
    "leaky_relu",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
]
