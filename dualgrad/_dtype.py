"""Dtypes and PyTorch's type promotion.

A dtype is a small object wrapping a NumPy dtype. Promotion follows PyTorch: categories
bool < integer < floating; within the operands, dimensioned tensors outrank 0-d tensors, which
outrank Python scalars, and a lower tier only matters when it is of a higher category (so
``float32_tensor * 2.5`` stays float32 and ``int_tensor * 2.5`` becomes the default dtype).
"""

from __future__ import annotations

import math

import numpy as np


class dtype:
    """A tensor element type (``dualgrad.float32``, ...)."""

    __slots__ = ("name", "np", "category", "is_floating_point", "is_signed", "itemsize")
    is_complex = False  # (NOTE: [no complex dtypes])

    def __init__(self, name: str, np_dtype, category: int, itemsize: int | None = None):
        self.name = name
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        if np_dtype is not None:
            self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize if itemsize is None else itemsize
        self.is_signed = category == 2 or (category == 1 and not name.startswith("u"))

    def __repr__(self) -> str:
        return f"dualgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


class _MissingDtype(dtype):
    """A dtype whose NumPy type comes from an optional package that is not installed: it can be
    named and compared, and any use of its data says which extra to install."""

    __slots__ = ("_install",)

    def __init__(self, name: str, category: int, itemsize: int, install: str):
        self._install = install
        super().__init__(name, None, category, itemsize)

    @property
    def np(self):
        raise ImportError(
            f"dualgrad.{self.name} needs the optional package {self._install}: "
            f"pip install dualgrad[bf16] (or pip install {self._install})"
        )


BOOL, INT, FLOAT = 0, 1, 2
bool_ = dtype("bool", np.bool_, BOOL)
uint8 = dtype("uint8", np.uint8, INT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
float16 = dtype("float16", np.float16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)


# NOTE: [bfloat16] NumPy has no bfloat16; the ml_dtypes package (JAX's) registers one with
# NumPy's ufuncs, so kernels run on it as on any NumPy dtype. It is an optional extra
# (dualgrad[bf16]): without it dualgrad.bfloat16 still exists, so code that names it imports,
# and the first use of its data raises an ImportError that names the extra. NumPy gives the
# ml_dtypes type kind "V", not "f", so code that must see it as floating asks is_floating().
# Autograd does not: the dispatcher records floating ("f") arrays only, so bfloat16 tensors
# compute and convert as torch's do but cannot require grad (a clear error, not a silent
# no-grad); differentiate in float32.
def _bfloat16_dtype(ml_dtypes) -> dtype:
    if ml_dtypes is None:
        return _MissingDtype("bfloat16", FLOAT, 2, "ml_dtypes")
    return dtype("bfloat16", ml_dtypes.bfloat16, FLOAT)


try:
    import ml_dtypes as _ml_dtypes
except ImportError:  # the bf16 extra is not installed
    _ml_dtypes = None
bfloat16 = _bfloat16_dtype(_ml_dtypes)

_BFLOAT16_NP = bfloat16.np if type(bfloat16) is dtype else None


def is_floating(np_dtype) -> bool:
    """Whether a NumPy dtype is one of dualgrad's floating types (NOTE: [bfloat16]: its kind is
    "V", not "f")."""
    return np_dtype.kind == "f" or np_dtype == _BFLOAT16_NP


_ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_FROM_NP = {d.np: d for d in _ALL if type(d) is dtype}
# NumPy types torch has no dtype for (uint16/32/64 have limited support in torch 2.3+, which
# dualgrad does not copy; longdouble) are accepted on input and widened.
_WIDEN = {"u": int64, "f": float64}


# NOTE: [same-dtype operands]
# Most ops promote mixed dtypes, but some of torch's do not and raise instead: lerp (end and
# a dimensioned weight), isclose/allclose, prelu, the normalisations' parameters, index_put
# with an advanced index, index_add, index_copy, scatter, masked_scatter. Promoting there
# would run where torch refuses, so they check, with torch's wording.
# torch's spellings of dtypes, for those errors: ScalarType names ("Float") and the element
# type names of its dtype-mismatch checks ("float")
# torch's names for dtypes, for errors worded as torch's (NumPy's names for those dualgrad does
# not have yet, which NumPy arrays can still carry)
TORCH_NAMES = {
    "bool": "Bool", "int64": "Long", "float32": "Float", "float64": "Double", "float16": "Half",
    "bfloat16": "BFloat16", "int8": "Char", "int16": "Short", "int32": "Int", "uint8": "Byte",
}  # fmt: skip


def torch_name(name: str) -> str:
    """torch's name of the dtype named ``name`` ("float32" -> "Float")."""
    return TORCH_NAMES.get(name, name)


TORCH_ELEMENT_NAMES = {
    "bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
    "int32": "int", "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
    "float32": "float", "float64": "double",
}  # fmt: skip


_BY_NAME = {d.name: d for d in _ALL}
# torch's other names for its dtypes (torch.half, torch.int, ...), as strings for .type("...")
# and .to("...") arguments
_ALIASES = {
    "float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
    "short": int16, "char": int8, "byte": uint8,
}  # fmt: skip


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


# NOTE: [no complex dtypes] torch.cfloat/complex64 and kin are absent from dualgrad (an
# AttributeError, so hasattr() is False) and complex arrays are refused on input: complex
# autograd needs PyTorch's conjugate-Wirtinger convention in every mode, which no issue has
# asked for yet (DESIGN section 4). Splitting into real and imaginary parts works today.
def from_numpy_dtype(np_dtype) -> dtype:
    """The dualgrad dtype for a NumPy dtype, refusing complex and object arrays."""
    d = _FROM_NP.get(np_dtype)
    if d is not None:
        return d
    np_dtype = np.dtype(np_dtype)
    d = _FROM_NP.get(np_dtype)
    if d is not None:
        return d
    if np_dtype.kind == "c":
        raise TypeError(
            "complex tensors are not supported: dualgrad has real dtypes only (float16, "
            "bfloat16, float32, float64, the integer types and bool); split the data into real "
            "and imaginary parts"
        )
    if np_dtype.kind in _WIDEN:
        return _WIDEN[np_dtype.kind]
    raise TypeError(
        f"unsupported element type {np_dtype}; use a floating, integer or bool type "
        "(float32, float64, float16, int64, int32, int16, int8, uint8, bool)"
    )


def to_dtype(d) -> dtype:
    """Accept a dualgrad dtype, a NumPy dtype, a Python type or a torch-style name."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return get_default_dtype()
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        name = d.removeprefix("torch.").removeprefix("dualgrad.")
        found = _BY_NAME.get(name) or _ALIASES.get(name)
        if found is not None:
            return found
    return from_numpy_dtype(np.dtype(d))


# ---------------------------------------------------------------- default dtype
# Process-wide, as torch's is: a worker thread sees the dtype the main thread set.
_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the dtype of new floating tensors; only float32 and float64 are allowed."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default[0] = d


# ---------------------------------------------------------------- promotion
def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both promote to, as torch.promote_types: bool < integers < floating;
    uint8 with int8 gives int16, float16 with bfloat16 gives float32."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.is_signed != b.is_signed:  # uint8 and a signed integer type
        signed = a if a.is_signed else b
        return signed if signed.itemsize > 1 else int16
    if a.itemsize == b.itemsize:  # float16 and bfloat16
        return float32
    return a if a.itemsize > b.itemsize else b


def _scalar_dtype(x) -> dtype:
    if isinstance(x, np.generic) and not isinstance(x, (float, int, bool)):
        x = x.item()
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, float):
        return get_default_dtype()
    raise TypeError(
        f"expected a Tensor or a Python number, got {type(x).__name__}; "
        "wrap arrays and lists with dualgrad.tensor(...)"
    )


def _combine(higher, lower):
    """PyTorch's combine_categories: a lower tier only wins with a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type_of_arrays(*xs) -> dtype:
    """Promotion over raw operands: ndarrays (dimensioned or 0-d) and Python scalars."""
    dim = zero = wrapped = None
    for x in xs:
        # an ndarray, or a batched tensor's logical view of one (shape and dtype, no data)
        if isinstance(x, np.ndarray) or (
            hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic)
        ):
            d = from_numpy_dtype(x.dtype)
            if len(x.shape):
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        elif x is not None:
            d = _scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    out = _combine(dim, _combine(zero, wrapped))
    if out is None:
        raise TypeError("cannot determine a result dtype from no operands")
    return out


# NOTE: [value overflow] A number written into an integer tensor as a value (tensor([...],
# dtype=), full, fill) must fit, as c10::overflows checks: a float must lie in the type's range;
# an int too, except that an unsigned type takes negatives down to -max, which wrap (full((2,),
# -1, dtype=uint8) is 255). Arithmetic operands wrap instead (NOTE: [integer wrapping] in
# _ops/kernels.py). A floating dtype refuses a finite number beyond its range (full((2,), 1e6,
# dtype=float16)) but takes inf and NaN; tensor([70000.], dtype=float16) does not check (inf).
def overflows(value, d: dtype) -> bool:
    """Whether torch refuses to convert the number ``value`` to dtype ``d``."""
    if d.category == BOOL or isinstance(value, (bool, np.bool_)):
        return False
    if d.is_floating_point:
        big = float(np.finfo(d.np).max)
        return (
            isinstance(value, (int, float, np.number))
            and (-big > value or value > big)
            and np.isfinite(float(value))
        )
    info = np.iinfo(d.np)
    if isinstance(value, (float, np.floating)):
        return not info.min <= value <= info.max  # (NaN compares False: refused too)
    value = int(value)
    low = info.min if d.is_signed else -int(info.max)
    return not low <= value <= info.max


def result_type(tensor, other) -> dtype:
    """The dtype an arithmetic op on ``tensor`` and ``other`` (tensors or numbers) returns.

    >>> import dualgrad as dg
    >>> dg.result_type(dg.tensor([1], dtype=dg.uint8), dg.tensor([1], dtype=dg.int8))
    dualgrad.int16
    """
    # (tensors by their arrays: this module sits below _tensor.py)
    return result_type_of_arrays(getattr(tensor, "_data", tensor), getattr(other, "_data", other))


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether torch's in-place ops may cast ``from_`` to ``to``: never to a lower category
    (floating to integer, or anything but bool to bool).

    >>> import dualgrad as dg
    >>> dg.can_cast(dg.float64, dg.int32), dg.can_cast(dg.int64, dg.float16)
    (False, True)
    """
    return to_dtype(from_).category <= to_dtype(to).category


def to_float(d: dtype) -> dtype:
    """Integer and bool results of float-valued ops (sin, div, mean) use the default dtype."""
    return d if d.is_floating_point else get_default_dtype()


# ------------------------------------------------------------------ checked scalars
# Python numbers converted to a tensor's dtype as torch converts them, or torch's error.
#
# NOTE: [checked scalars] torch converts a Python number to a tensor's dtype in two ways. Ops that
# write the number into the tensor, or that use it as a bound or a factor (fill_, masked_fill,
# index_fill, scatter's value, x[i] = v, full/new_full/full_like, where with a number, clamp's
# bounds, add/sub's alpha, pow's exponent) convert it with c10::checked_convert, which raises
# RuntimeError "value cannot be converted to type int8_t without overflow" where the number does
# not fit. Arithmetic with a number (x + 300, x * 1000, add(x, 300)) converts it with C's
# wrap-around instead and never raises (NOTE: [integer wrapping] in _ops/kernels.py). NumPy does
# neither: it raises its own OverflowError for an int out of range and wraps or gives inf for a
# float, so the ops of the first kind call ``check_scalar`` before NumPy sees the number.
#
# c10's rule (c10/util/TypeCast.h, ``overflows``): nothing overflows bool; an int must lie in
# the integer type's range, except that an unsigned type also takes negatives down to -max (they
# wrap: uint8 takes -255 as 1); a float must lie in the type's range, compared in double, and NaN
# and the infinities fit only a floating type; an int or a float fits a floating type unless its
# magnitude passes the type's largest finite value. A Python int outside [-2**63, 2**64) is
# refused before that, by torch's argument parser, with an OverflowError. (``overflows`` above,
# NOTE: [value overflow], is the same rule for tensor(..., dtype=), worded as torch's tensor().)


# c10's names of the C types, in its overflow error
_C_NAMES = {
    "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
    "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
}  # fmt: skip
_LIMITS: dict = {}  # numpy dtype -> (lowest, largest, kind), as Python numbers


def _limits(dt):
    limits = _LIMITS.get(dt)
    if limits is None:
        if dt.kind in "iu":
            info = np.iinfo(dt)
            limits = (int(info.min), int(info.max), dt.kind)
        else:
            info = np.finfo(dt)
            limits = (float(info.min), float(info.max), dt.kind)
        _LIMITS[dt] = limits
    return limits


def fits(value, dt) -> bool:
    """Whether torch converts the Python number ``value`` to the NumPy dtype ``dt`` (NOTE:
    [checked scalars]); ``value`` is known to be within [-2**63, 2**64) if it is an int."""
    if dt.kind == "b" or isinstance(value, bool):
        return True
    low, high, kind = _limits(dt)
    if kind == "f":
        # (NaN and the infinities fit; an int compares exactly, as c10 compares in double
        # only where it must)
        return not (math.isfinite(value) and (value < low or value > high))
    if isinstance(value, int):
        if kind == "u" and value < 0:
            return -value <= high
        return low <= value <= high
    # a float into an integer type: compared in double, NaN refused
    return float(low) <= value <= float(high)


def check_scalar(value, dt, what: str = "", *, opmath: bool = False) -> None:
    """Raise torch's error where the Python number ``value`` cannot be converted to the NumPy
    dtype ``dt`` without overflow (NOTE: [checked scalars]); ``what`` names the op for the hint
    after torch's message. ``opmath``: the op converts the number to a double for a float16
    tensor (where, x[i] = v: 70000 becomes inf there, as in torch), not to float16."""
    if dt.kind == "f" and -65504.0 <= value <= 65504.0:
        return  # (the common case, first: fits every floating type)
    if opmath and dt == np.float16:
        dt = np.dtype(np.float64)
    if type(value) is int and not -(2**63) <= value < 2**64:
        # torch's argument parser reads such an int as an unsigned 64-bit one
        raise OverflowError(
            "can't convert negative int to unsigned" if value < 0 else "int too big to convert"
        )
    if fits(value, dt):
        return
    name = _C_NAMES.get(dt.name, dt.name)
    where = f"{what}: " if what else ""
    raise RuntimeError(
        f"value cannot be converted to type {name} without overflow ({where}{value!r} does not "
        f"fit {dt.name}; convert the tensor first, e.g. x.double(), or use a value in range)"
    )


def scalar_for(value, dt, what: str = "", *, opmath: bool = False):
    """``value`` checked for the NumPy dtype ``dt`` (``check_scalar``) and made a number NumPy
    takes for it: a negative int wraps into an unsigned type, as in torch (NumPy refuses it), and
    any number is a bool for a bool tensor."""
    if dt.kind == "f" and -65504.0 <= value <= 65504.0:
        return value  # (the common case, first: fits every floating type)
    check_scalar(value, dt, what, opmath=opmath)
    if dt.kind == "u" and type(value) is int and value < 0:
        return value % (1 << (8 * dt.itemsize))
    if dt.kind == "b" and is_number(value):
        return bool(value)
    return value


def result_dtype(*operands):
    """The NumPy dtype torch gives an op on ``operands`` (tensors, batched or not, and Python
    numbers): a tensor counts by its dtype, whatever its shape, above any number."""
    # (a tensor by its dtype attribute: this module sits below _tensor.py)
    probes = [np.empty((1,), v.dtype.np) if hasattr(v, "dtype") else v for v in operands]
    return result_type_of_arrays(*probes).np


def is_number(value) -> bool:
    """A Python int or float (not a bool: a bool fits every dtype)."""
    return type(value) is int or type(value) is float
