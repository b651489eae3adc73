"""Tensor operators and methods: each one calls the public function of the same op.

Kept apart from _tensor.py so that Tensor does not import the op table it is used by.
"""

from __future__ import annotations

import numpy as np

from . import _dtype
from ._grad_mode import state as _grad_state
from ._ops import composite as C
from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import linalg as L
from ._ops import reduction as R
from ._ops import shape as S
from ._tensor import Tensor, alias, set_tangent


def _commit_inplace(x: Tensor, out: Tensor, name: str) -> Tensor:
    """Make ``x`` hold ``out``: its values (in x's own buffer), history and tangents."""
    if x.grad_fn is None and x._requires_grad and _grad_state.enabled:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation ({name}); "
            "do it under 'with dualgrad.no_grad():' or on a clone"
        )
    if x._base is not None and (out._requires_grad or out._fw) and (x._base._requires_grad or x._requires_grad or x._base._fw):
        raise RuntimeError(
            f"{name}: in-place modification of a view of a tensor that requires grad or carries "
            "a tangent is not supported yet; use the out-of-place op and rebuild the tensor"
        )
    out_dt = out._data.dtype
    if out_dt != x._data.dtype and _dtype.from_numpy_dtype(out_dt).category > x.dtype.category:
        raise RuntimeError(
            f"result type {_dtype.from_numpy_dtype(out_dt)} can't be cast to the desired output "
            f"type {x.dtype} (in-place {name}); convert x first, e.g. x = x.float()"
        )
    if not x._data.flags.writeable:
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor refers "
            "to a single memory location (an expanded tensor); clone() it first"
        )
    np.copyto(x._data, out._data, casting="unsafe")
    x._version_counter()[0] += 1
    if out._requires_grad:
        x.grad_fn, x._out_nr, x._requires_grad = out.grad_fn, out._out_nr, True
    if out._fw:
        x._fw = None
        for level, tangent in out._fw.items():
            set_tangent(x, level, tangent)
    elif x._fw:
        x._fw = None
    return x


def _source(x: Tensor) -> Tensor:
    """The value an in-place op reads: a snapshot when the op may record or carry tangents.

    The node of ``x.mul_(y)`` must save x's *old* values; a snapshot alias keeps them (and x's
    autograd edge) while x's buffer is overwritten.
    """
    if (_grad_state.enabled and x._requires_grad) or x._fw:
        src = alias(x)
        src._data = x._data.copy()
        src._vc = None
        src._base = None
        return src
    return x


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        return _commit_inplace(self, fn(_source(self), *args, **kwargs), name)

    method.__name__ = name
    return method


def _setitem(self, index, value):
    if isinstance(value, np.ndarray):
        from ._factories import tensor

        value = tensor(value)
    out = I.index_put(_source(self), index, value)
    _commit_inplace(self, out, "__setitem__")


def _to(self, *args, **kwargs):
    dtype = kwargs.get("dtype")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps"):
            if not a.startswith("cpu"):
                raise RuntimeError(f"dualgrad runs on the CPU only; cannot move a tensor to '{a}'")
        elif a is not None:
            dtype = a
    if dtype is None:
        return self
    dtype = _dtype.to_dtype(dtype)
    if dtype.np == self._data.dtype and not kwargs.get("copy", False):
        return self
    return _apply_to(self, dtype)


def _apply_to(x, dtype):
    from ._dispatch import apply

    return apply(E.TO, x, dtype=dtype)


def _zero_(self):
    with _no_record(self):
        pass
    return _commit_inplace(self, E.mul(_source(self), 0), "zero_")


class _no_record:
    def __init__(self, x):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _fill_(self, value):
    src = _source(self)
    out = E.add(E.mul(src, 0), value)
    return _commit_inplace(self, out, "fill_")


def _copy_(self, src):
    from ._factories import tensor as _tensor

    if not isinstance(src, Tensor):
        src = _tensor(src)
    out = E.add(E.mul(_source(self), 0), S.expand(src.to(self.dtype), tuple(self.shape)))
    return _commit_inplace(self, out, "copy_")


def _swap(fn):
    return lambda self, other: fn(other, self)


def _operator(op, fn, reflected=False):
    """``Tensor.__mul__`` and friends: straight to the dispatcher for tensors and numbers
    (NOTE: [hot path] in _dispatch.py); anything else takes the checked function."""
    from ._dispatch import apply

    if reflected:
        def method(self, other):
            if isinstance(other, (float, int)):
                return apply(op, other, self)
            return fn(other, self)
    else:
        def method(self, other):
            if isinstance(other, (Tensor, float, int)):
                return apply(op, self, other)
            return fn(self, other)
    return method


_OPERATORS = {
    "__add__": _operator(E.ADD, E.add), "__radd__": _operator(E.ADD, E.add, reflected=True),
    "__sub__": _operator(E.SUB, E.sub), "__rsub__": _operator(E.SUB, E.sub, reflected=True),
    "__mul__": _operator(E.MUL, E.mul), "__rmul__": _operator(E.MUL, E.mul, reflected=True),
    "__truediv__": _operator(E.DIV, E.div),
    "__rtruediv__": _operator(E.DIV, E.div, reflected=True),
    "__floordiv__": E.floor_divide, "__rfloordiv__": _swap(E.floor_divide),
    "__pow__": E.pow, "__rpow__": _swap(E.pow),
    "__neg__": E.neg, "__pos__": lambda self: self, "__abs__": E.abs,
    "__eq__": E.eq, "__ne__": E.ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt, "__ge__": E.ge,
    # NumPy's bitwise ufuncs on bool arrays are the logical ops, and promote bool & int as torch does
    "__and__": E.bitwise_and, "__rand__": _swap(E.bitwise_and),
    "__or__": E.bitwise_or, "__ror__": _swap(E.bitwise_or),
    "__xor__": E.bitwise_xor, "__rxor__": _swap(E.bitwise_xor),
    "__invert__": E.bitwise_not,
    "__getitem__": I.getitem, "__setitem__": _setitem,
    "__matmul__": L.matmul, "__rmatmul__": _swap(L.matmul),
}
_INPLACE_OPERATORS = {
    "__iadd__": E.add, "__isub__": E.sub, "__imul__": E.mul, "__itruediv__": E.div,
    "__ipow__": E.pow, "__ifloordiv__": E.floor_divide,
}

# Functions that are also Tensor methods, by module; each also gets an in-place ``name_``
# variant when listed in _INPLACE_NAMES.
_METHOD_SOURCES = (E, R, S, I, L, C)
_METHOD_NAMES = (
    "add sub mul div neg pow reciprocal exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square abs "
    "sign sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh arcsin arccos arctan "
    "arcsinh arccosh arctanh sigmoid relu clamp clip clamp_min clamp_max maximum minimum floor "
    "ceil round trunc fix where clone eq ne lt le gt ge greater greater_equal less less_equal "
    "not_equal logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor "
    "bitwise_not isnan isinf isfinite floor_divide true_divide divide multiply subtract negative "
    "absolute "
    "sum mean prod amax amin max min argmax argmin cumsum "
    "reshape view expand expand_as broadcast_to permute transpose swapaxes swapdims t unsqueeze "
    "squeeze flatten unflatten movedim moveaxis flip fliplr flipud "
    "gather nonzero argwhere "
    "split chunk tensor_split unbind repeat diagonal diag diag_embed trace tril triu "
    "matmul mm bmm mv dot vdot inner outer ger cross "
    "softmax log_softmax logsumexp var std norm"
).split()
# linear algebra (issue 3)
from ._ops import linalg_decomp as LD  # noqa: E402

_METHOD_SOURCES += (LD,)
_METHOD_NAMES += (
    "inverse det logdet slogdet pinverse matrix_exp matrix_power kron addmm baddbmm "
    "cholesky_solve svd qr"
).split()
_INPLACE_NAMES = (
    "add sub mul div neg pow reciprocal exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square abs "
    "sign sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh sigmoid relu clamp "
    "clip clamp_min clamp_max floor ceil round trunc true_divide multiply subtract"
).split()
# sorting and special functions (issue 3); __mod__, __rmod__ and __imod__ are functions of
# dualgrad._ops.special, found here by name
from ._ops import sorting as SO  # noqa: E402
from ._ops import special as SP  # noqa: E402

_METHOD_SOURCES += (SO, SP)
_METHOD_NAMES += (
    "sort argsort msort topk kthvalue median quantile nanquantile mode cummax cummin cumprod "
    "logcumsumexp unique "
    "erf erfc erfinv lgamma digamma polygamma xlogy logaddexp logaddexp2 hypot sinc logit i0 "
    "fmod remainder copysign frac lerp addcmul addcdiv nan_to_num isclose allclose mvlgamma "
    "__mod__ __rmod__ __imod__"
).split()
_INPLACE_NAMES += (
    "cumprod erf erfc erfinv lgamma digamma polygamma xlogy hypot sinc logit i0 fmod remainder "
    "copysign frac lerp addcmul addcdiv nan_to_num mvlgamma"
).split()


def _find(name):
    for mod in _METHOD_SOURCES:
        fn = getattr(mod, name, None)
        if fn is not None:
            return fn
    raise AttributeError(name)


def attach() -> None:
    """Give Tensor its operators and methods (called once, by dualgrad/__init__.py)."""
    for name, fn in _OPERATORS.items():
        setattr(Tensor, name, fn)
    for name, fn in _INPLACE_OPERATORS.items():
        setattr(Tensor, name, _inplace(fn, name))
    for name in _METHOD_NAMES:
        setattr(Tensor, name, _find(name))
    for name in _INPLACE_NAMES:
        setattr(Tensor, name + "_", _inplace(_find(name), name + "_"))
    Tensor.to = _to
    Tensor.float = lambda self: _to(self, _dtype.float32)
    Tensor.double = lambda self: _to(self, _dtype.float64)
    Tensor.long = lambda self: _to(self, _dtype.int64)
    Tensor.int = lambda self: _to(self, _dtype.int64)
    Tensor.bool = lambda self: _to(self, _dtype.bool_)
    Tensor.type_as = lambda self, other: _to(self, other.dtype)
    Tensor.cpu = lambda self: self
    Tensor.contiguous = lambda self: self if self._data.flags.c_contiguous else E.clone(self)
    Tensor.zero_ = _zero_
    Tensor.fill_ = _fill_
    Tensor.copy_ = _copy_
    Tensor.T = property(lambda self: S.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: S.transpose(self, -2, -1))
