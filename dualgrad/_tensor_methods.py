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
from ._ops import view_scatter as VS
from ._views import _View, scatter_into


# NOTE: [in-place ops]
# An in-place op ``x.op_(...)`` is the out-of-place op on a snapshot of x (``_source``), then
# ``_commit_inplace``: checks as PyTorch makes them (leaf, view of a leaf, shape, dtype cast,
# expanded memory), the write into x's buffer, a version bump, and x's new history and
# tangents. On a view the new history goes to the base (NOTE: [views and in-place] in
# _views.py).

_TORCH_DTYPE_NAMES = {
    "float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
}
_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_ERROR = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def _tracks(x: Tensor) -> bool:
    """Whether an in-place op on ``x`` must keep a history or tangents."""
    return bool((_grad_state.enabled and x._requires_grad) or x._fw)


def _check_inplace(x: Tensor, out: Tensor, name: str) -> None:
    if x._copy_of is not None:
        raise RuntimeError(
            f"{name}: this tensor is an output of {x._copy_of}, which in dualgrad returns copies, "
            "so an in-place write would not reach its input; write through slicing (x[a:b]) or "
            "narrow() instead, or clone() the piece to make the copy explicit"
        )
    if _grad_state.enabled:
        if isinstance(x, _View):
            base = x._base
            if base._requires_grad and base.grad_fn is None:
                raise RuntimeError(
                    _VIEW_OF_LEAF_ERROR + f" ({name}) Do it under 'with dualgrad.no_grad():' "
                    "or on a clone."
                )
            if not x._view_grad and base._requires_grad:
                raise RuntimeError(
                    f"A view was created in no_grad mode and is being modified inplace with grad "
                    f"mode enabled ({name}). Given that this use case is ambiguous and error-prone, "
                    "it is forbidden. You can clarify your code by moving both the view and the "
                    "inplace either both inside the no_grad block (if you don't want the inplace "
                    "to be tracked) or both outside (if you want the inplace to be tracked)."
                )
        elif x._requires_grad and x.grad_fn is None:
            raise RuntimeError(
                _LEAF_ERROR + f" ({name}) Do it under 'with dualgrad.no_grad():' or on a clone."
            )
    if out._data.shape != x._data.shape:
        raise RuntimeError(
            f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
            f"{list(out._data.shape)}"
        )
    out_dt = out._data.dtype
    if out_dt != x._data.dtype and _dtype.from_numpy_dtype(out_dt).category > x.dtype.category:
        raise RuntimeError(
            f"result type {_TORCH_DTYPE_NAMES.get(out_dt.name, out_dt.name)} can't be cast to the "
            f"desired output type {_TORCH_DTYPE_NAMES.get(x._data.dtype.name, x._data.dtype.name)}"
        )
    if not x._data.flags.writeable:
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location. Please clone() the tensor before performing the "
            "operation (an expanded tensor cannot be written in place)."
        )


def _commit_inplace(x: Tensor, out: Tensor, name: str, src: Tensor | None = None) -> Tensor:
    """Make ``x`` hold ``out``: its values (in x's own buffer), history and tangents.

    ``src`` is the snapshot ``out`` was computed from: when ``out`` carries no history (an
    integer-valued op such as ``eq_``) x keeps one that gives its old value a zero gradient,
    as PyTorch's ``EqBackward0`` does.
    """
    _check_inplace(x, out, name)
    if isinstance(x, _View):
        return _commit_view_inplace(x, out)
    if x._base is not None and (out._requires_grad or out._fw) and (
        x._base._requires_grad or x._requires_grad or x._base._fw
    ):  # a dual from make_dual shares its primal's memory but is not a view op's output
        raise RuntimeError(
            f"{name}: in-place modification of a dual tensor made by make_dual whose primal "
            "requires grad or carries a tangent is not supported; make the dual from a clone"
        )
    if src is not None and _tracks(src) and not (out._requires_grad or out._fw):
        out = E.where(_false_mask(x), src, out.to(x.dtype))
    if (out._requires_grad or out._fw) and out._data.dtype != x._data.dtype:
        out = out.to(x.dtype)
    if out._requires_grad and out.grad_fn is None and _grad_state.enabled:
        out = E.clone(out)  # x.copy_(leaf): x gets a node of its own, not the leaf's identity
    np.copyto(x._data, out._data, casting="unsafe")
    x._version_counter()[0] += 1
    _take_history(x, out)
    return x


def _take_history(x: Tensor, out: Tensor) -> None:
    if out._requires_grad and out.grad_fn is not None:
        x.grad_fn, x._out_nr, x._requires_grad = out.grad_fn, out._out_nr, True
    if out._fw:
        x._fw = None
        for level, tangent in out._fw.items():
            set_tangent(x, level, tangent)
    elif x._fw:
        x._fw = None


def _commit_view_inplace(x: Tensor, out: Tensor) -> Tensor:
    """In-place on a view: the base gets ``view_scatter(base, out)`` as its new history
    (NOTE: [views and in-place] in _views.py); x re-derives its own from the base lazily."""
    base = x._base
    vc = x._version_counter()
    if (_grad_state.enabled and (base._requires_grad or out._requires_grad)) or base._fw or out._fw:
        if out._data.dtype != x._data.dtype:
            out = out.to(x.dtype)
        new_base = VS.view_scatter(alias(base), out, x._chain)
        np.copyto(base._data, new_base._data)
        if not x._view_shares:
            np.copyto(x._data, out._data, casting="unsafe")
        vc[0] += 1
        _take_history(base, new_base)
    else:
        if x._view_shares:
            np.copyto(x._data, out._data, casting="unsafe")
        else:
            value = out._data.astype(x._data.dtype, copy=False)
            scatter_into(base._data, x._chain, value)
            np.copyto(x._data, value)
        vc[0] += 1
    return x


def _false_mask(x: Tensor) -> Tensor:
    return Tensor._make(np.zeros(x._data.shape, dtype=bool))


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
        src = _source(self)
        return _commit_inplace(self, fn(src, *args, **kwargs), name, src)

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
    return _fill(self, 0, "zero_")


def _fill_(self, value):
    return _fill(self, value, "fill_")


def _fill(self, value, name):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                "dimensions."
            )
        if value._requires_grad or value._fw:
            return _copy_(self, value, name=name)
        value = value._data
    if _tracks(self):
        src = _source(self)
        out = E.where(_false_mask(self), src, float(value))
        return _commit_inplace(self, out.to(self.dtype), name)
    out = Tensor._make(np.full(self._data.shape, value, dtype=self._data.dtype))
    return _commit_inplace(self, out, name)


def _copy_(self, src, non_blocking=False, *, name="copy_"):
    from ._factories import tensor as _tensor

    if not isinstance(src, Tensor):
        src = _tensor(src)
    value = src.to(self.dtype) if src.dtype != self.dtype else src
    if tuple(value.shape) != tuple(self.shape):
        value = S.expand(value, tuple(self.shape))
    if _tracks(self):
        value = E.where(_false_mask(self), _source(self), value)
    return _commit_inplace(self, value, name)


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
