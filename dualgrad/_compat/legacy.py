"""torch's legacy constructors: ``Tensor(data)`` / ``Tensor(*sizes)``, the typed ``FloatTensor``,
``LongTensor``, ... , and ``autograd.Variable``.

NOTE: [legacy constructors] Old code and many tutorials still write ``torch.Tensor([-4.0])``,
``torch.Tensor(40, 1)`` and ``torch.FloatTensor(x)``. As in torch, the arguments are either data
(a sequence, an array, a tensor) or a size (ints, or one ``Size``); a tuple is data, and ints are
a size, so ``Tensor((2, 3))`` holds 2 and 3 while ``Tensor(2, 3)`` is an uninitialized 2x3.
The typed names are not subclasses of Tensor but type objects whose ``isinstance`` asks the
dtype, as torch's ``tensortype``: ``isinstance(x, FloatTensor)`` is ``x.dtype == float32``.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _dtype
from . import device as _device
from .._tensor import Size, Tensor, alias


def legacy_new(dtype, args, kwargs) -> Tensor:
    """``Tensor(...)`` (``dtype`` None: the default dtype) or ``FloatTensor(...)`` and kin."""
    from .._factories import empty, tensor

    if set(kwargs) - {"device"}:
        raise TypeError(
            f"new() received an invalid combination of arguments - got ({_got(args, kwargs)}), "
            "but expected one of: (*, device), (Tensor other), (tuple of ints size, *, device), "
            "(object data, *, device); only device= is a keyword: use dualgrad.tensor(data, "
            "dtype=..., requires_grad=...) for the others"
        )
    dev = kwargs.get("device")
    if dev is not None and _device.device(dev).type != "cpu":
        raise RuntimeError(
            f"legacy constructor expects device type: cpu but device type: "
            f"{_device.device(dev).type} was passed"
        )
    dt = _dtype.get_default_dtype() if dtype is None else dtype
    if len(args) == 1 and isinstance(args[0], Tensor):
        x = args[0]
        if dtype is not None and x.dtype is not dtype:
            raise TypeError(
                f"expected a tensor of dtype {dtype}, got one of dtype {x.dtype}; convert it "
                f"first with .to({dtype})"
            )
        return alias(x)  # shares data and history, as torch's
    size = _size(args)
    if size is not None:
        return empty(size, dtype=dt)
    if len(args) != 1:
        raise TypeError(
            f"new() received an invalid combination of arguments - got ({_got(args, kwargs)}), "
            "but expected one of: (Tensor other), (tuple of ints size), (object data)"
        )
    data = args[0]
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not isinstance(data, (list, tuple, np.ndarray)):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return tensor(data, dtype=dt)


def _size(args):
    """The size when ``args`` are ints (or one Size), else None (data)."""
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if not args or not _is_int(args[0]):
        return None if args else (0,)
    for i, a in enumerate(args):
        if not _is_int(a):
            raise TypeError(
                f"new(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                f'"type must be tuple of ints,but got {type(a).__name__}"'
            )
    size = tuple(operator.index(a) for a in args)
    if any(s < 0 for s in size):
        neg = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {list(size)}")
    return size


def _is_int(a) -> bool:
    if isinstance(a, (bool, np.bool_, Tensor)):
        return False
    try:
        operator.index(a)
    except TypeError:
        return False
    return True


def _got(args, kwargs) -> str:
    return ", ".join(
        [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    )


class _TensorType(type):
    """The type of ``FloatTensor`` and kin (torch's ``tensortype``): calling one is the legacy
    constructor in its dtype, ``isinstance`` checks the dtype (NOTE: [legacy constructors])."""

    @property
    def dtype(cls) -> _dtype.dtype:
        return _dtype._by_name(cls._dtype_name)

    def __call__(cls, *args, **kwargs):
        return legacy_new(cls.dtype, args, kwargs)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype.name == cls._dtype_name

    def __repr__(cls) -> str:
        return f"<class 'dualgrad.{cls.__name__}'>"


def _tensor_type(name: str, dtype_name: str) -> _TensorType:
    doc = (
        f"torch's legacy ``{name}(data)`` / ``{name}(*sizes)``: a tensor of dtype {dtype_name}; "
        f"``isinstance(x, {name})`` checks ``x.dtype``."
    )
    return _TensorType(
        name, (), {"_dtype_name": dtype_name, "__module__": "dualgrad", "__doc__": doc}
    )


FloatTensor = _tensor_type("FloatTensor", "float32")
DoubleTensor = _tensor_type("DoubleTensor", "float64")
LongTensor = _tensor_type("LongTensor", "int64")
BoolTensor = _tensor_type("BoolTensor", "bool")
IntTensor = _tensor_type("IntTensor", "int32")
ShortTensor = _tensor_type("ShortTensor", "int16")
CharTensor = _tensor_type("CharTensor", "int8")
ByteTensor = _tensor_type("ByteTensor", "uint8")
HalfTensor = _tensor_type("HalfTensor", "float16")
BFloat16Tensor = _tensor_type("BFloat16Tensor", "bfloat16")


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)

    def __call__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            return Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)


class Variable(metaclass=_VariableMeta):
    """Deprecated in torch, where Variables and Tensors merged: ``Variable(t, requires_grad=b)``
    is a new leaf sharing ``t``'s data (``t.detach().requires_grad_(b)``), and every tensor is
    a Variable for ``isinstance``.

    >>> import dualgrad as dg
    >>> dg.autograd.Variable(dg.ones(2), requires_grad=True)
    tensor([1., 1.], requires_grad=True)
    """


def is_tensor(obj, /) -> bool:
    """Whether ``obj`` is a tensor (a Parameter included), as ``isinstance(obj, Tensor)``."""
    return isinstance(obj, Tensor)


_TENSOR_TYPES = (
    FloatTensor, DoubleTensor, LongTensor, BoolTensor, IntTensor, ShortTensor, CharTensor,
    ByteTensor, HalfTensor, BFloat16Tensor,
)  # fmt: skip


def tensor_type(x: Tensor, dtype=None, non_blocking=False, **kwargs):
    """``x.type()``: the name of ``x``'s legacy type, torch's string (``'torch.FloatTensor'``:
    code compares it with torch's names); ``x.type(t)``: ``x`` converted to ``t``, a dtype, a
    legacy type or its name (``torch.`` or ``dualgrad.``), as ``x.to`` (``x`` itself when
    nothing changes)."""
    if dtype is None:
        name = next(t.__name__ for t in _TENSOR_TYPES if t._dtype_name == x.dtype.name)
        return f"torch.{name}"
    if isinstance(dtype, str):
        prefix, _, name = dtype.rpartition(".")
        found = [t for t in _TENSOR_TYPES if t.__name__ == name]
        if prefix not in ("torch", "dualgrad") or not found:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = found[0]
    if isinstance(dtype, _TensorType):
        dtype = dtype.dtype
    return x.to(dtype)


Tensor._legacy_new = staticmethod(legacy_new)  # Tensor(...) (Tensor stands below this module)


def set_default_tensor_type(t) -> None:
    """Deprecated in torch 2.1 (its warning too): the default dtype from a legacy type, such as
    ``DoubleTensor`` or ``'torch.DoubleTensor'``."""
    import warnings

    from .._dtype import set_default_dtype

    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(t, str):
        prefix, _, name = t.rpartition(".")
        found = [c for c in _TENSOR_TYPES if c.__name__ == name]
        if prefix not in ("torch", "dualgrad") or not found:
            raise TypeError(f"invalid type: '{t}'")
        t = found[0]
    if not isinstance(t, _TensorType):
        raise TypeError(f"invalid type: '{t}'")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    set_default_dtype(t.dtype)


def typename(obj) -> str:
    """torch.typename: a tensor's legacy type name (``'torch.FloatTensor'``), else the object's
    class by module and name (``'float'``, ``'dualgrad.nn.modules.linear.Linear'``)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not hasattr(obj, "__qualname__"):
        module = type(obj).__module__
    return name if module in ("", "builtins") else f"{module}.{name}"
