"""Tensor operators and methods: each one calls the public function of the same op.

Kept apart from _tensor.py so that Tensor does not import the op table it is used by.
"""

from __future__ import annotations

from . import _dtype
from ._inplace import _copy_, _fill_, _inplace, _setitem, _zero_
from ._ops import composite as C
from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import linalg as L
from ._ops import reduction as R
from ._ops import shape as S
from ._ops import view_scatter as VS
from ._tensor import Tensor


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


def _swap(fn):
    return lambda self, other: fn(other, self)


def _operator(op, fn, reflected=False):
    """``Tensor.__mul__`` and friends: straight to the dispatcher for tensors and numbers
    (NOTE: [hot path] in _dispatch.py); anything else takes the checked function."""
    from ._dispatch import apply, apply_binary

    if reflected:

        def method(self, other):
            if isinstance(other, (float, int)):
                return apply(op, other, self)
            return fn(other, self)
    else:

        def method(self, other):
            if isinstance(other, (Tensor, float, int)):
                return apply_binary(op, self, other)
            return fn(self, other)

    return method


_OPERATORS = {
    "__add__": _operator(E.ADD, E.add),
    "__radd__": _operator(E.ADD, E.add, reflected=True),
    "__sub__": _operator(E.SUB, E.sub),
    "__rsub__": _operator(E.SUB, E.sub, reflected=True),
    "__mul__": _operator(E.MUL, E.mul),
    "__rmul__": _operator(E.MUL, E.mul, reflected=True),
    "__truediv__": _operator(E.DIV, E.div),
    "__rtruediv__": _operator(E.DIV, E.div, reflected=True),
    "__floordiv__": E.floor_divide,
    "__rfloordiv__": _swap(E.floor_divide),
    "__pow__": E.pow,
    "__rpow__": _swap(E.pow),
    "__neg__": E.neg,
    "__pos__": lambda self: self,
    "__abs__": E.abs,
    "__eq__": E.eq,
    "__ne__": E.ne,
    "__lt__": E.lt,
    "__le__": E.le,
    "__gt__": E.gt,
    "__ge__": E.ge,
    # NumPy's bitwise ufuncs on bool arrays are the logical ops, and promote bool & int as torch does
    "__and__": E.bitwise_and,
    "__rand__": _swap(E.bitwise_and),
    "__or__": E.bitwise_or,
    "__ror__": _swap(E.bitwise_or),
    "__xor__": E.bitwise_xor,
    "__rxor__": _swap(E.bitwise_xor),
    "__invert__": E.invert,
    "__getitem__": I.getitem,
    "__setitem__": _setitem,
    "__matmul__": L.matmul,
    "__rmatmul__": _swap(L.matmul),
}
_INPLACE_OPERATORS = {
    "__iadd__": E.add,
    "__isub__": E.sub,
    "__imul__": E.mul,
    "__itruediv__": E.div,
    "__ipow__": E.pow,
    "__ifloordiv__": E.floor_divide,
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


# in-place variants (issue 3, part 5): the rest of torch's element-wise in-place methods, and
# those of ops other files may provide (attached when the function exists)
_INPLACE_NAMES += (
    "negative absolute arcsin arccos arctan arcsinh arccosh arctanh divide fix floor_divide "
    "cumsum tril triu eq ne lt le gt ge greater greater_equal less less_equal not_equal "
    "logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor "
    "bitwise_not"
).split()
_OPTIONAL_INPLACE_NAMES = (
    "masked_fill masked_scatter index_fill index_add index_copy index_put scatter scatter_add "
    "scatter_reduce deg2rad rad2deg float_power arctan2 xlog1py logaddexp hardtanh"
).split()


def _find_optional(name):
    import sys

    for mod in _METHOD_SOURCES + tuple(
        m for k, m in sorted(sys.modules.items()) if k.startswith("dualgrad._ops.") and m
    ):
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    return None


def _find(name):
    for mod in _METHOD_SOURCES:
        fn = getattr(mod, name, None)
        if fn is not None:
            return fn
    raise AttributeError(name)


def _new_factory(name):
    """``x.new_zeros(size)`` and friends: a factory taking ``x``'s dtype unless told."""
    from . import _factories as F

    fn = getattr(F, name[4:])

    def method(self, *size, dtype=None, device=None, requires_grad=False):
        dt = self.dtype if dtype is None else dtype
        return fn(*size, dtype=dt, requires_grad=requires_grad)

    method.__name__ = name
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    from ._factories import full

    return full(
        size, fill_value, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from ._factories import tensor

    return tensor(data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


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
    for name in _OPTIONAL_INPLACE_NAMES:
        fn = _find_optional(name)
        if fn is not None and not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _inplace(fn, name + "_"))
    Tensor.diagonal = VS.diagonal  # a writable view (x.diagonal().zero_() reaches x)
    Tensor.to = _to
    Tensor.float = lambda self: _to(self, _dtype.float32)
    Tensor.double = lambda self: _to(self, _dtype.float64)
    Tensor.long = lambda self: _to(self, _dtype.int64)
    Tensor.int = lambda self: _to(self, _dtype.int64)
    Tensor.bool = lambda self: _to(self, _dtype.bool_)
    Tensor.type_as = lambda self, other: _to(self, other.dtype)
    Tensor.cpu = lambda self: self
    Tensor.contiguous = lambda self: self if self._data.flags.c_contiguous else E.clone(self)
    for name in ("new_zeros", "new_ones", "new_empty"):
        setattr(Tensor, name, _new_factory(name))
    Tensor.new_full = _new_full
    Tensor.new_tensor = _new_tensor
    Tensor.zero_ = _zero_
    Tensor.fill_ = _fill_
    Tensor.copy_ = _copy_
    Tensor.T = property(lambda self: S.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: S.transpose(self, -2, -1))


# indexing and scatter (issue 3)
from ._ops import reindex as RX  # noqa: E402
from ._ops import scatter as SC  # noqa: E402

_METHOD_SOURCES += (SC, RX)
_METHOD_NAMES += (
    "scatter scatter_add scatter_reduce index_select index_add index_copy index_fill index_put "
    "masked_fill masked_select masked_scatter take take_along_dim narrow select unfold roll tile "
    "repeat_interleave"
).split()
_INPLACE_NAMES += (
    "scatter scatter_add scatter_reduce index_add index_copy index_fill index_put masked_fill "
    "masked_scatter"
).split()
