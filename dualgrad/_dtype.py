"""Dtypes and PyTorch's type promotion.

A dtype is a small object wrapping a NumPy dtype. Promotion follows PyTorch: categories
bool < integer < floating; within the operands, dimensioned tensors outrank 0-d tensors, which
outrank Python scalars, and a lower tier only matters when it is of a higher category (so
``float32_tensor * 2.5`` stays float32 and ``int_tensor * 2.5`` becomes the default dtype).
"""

from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type (``dualgrad.float32``, ...)."""

    __slots__ = ("name", "np", "category", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"dualgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


BOOL, INT, FLOAT = 0, 1, 2
bool_ = dtype("bool", np.bool_, BOOL)
int64 = dtype("int64", np.int64, INT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)

_ALL = (bool_, int64, float32, float64)
# Other NumPy integer types (int32 from np.arange on some platforms, uint8 masks, ...) are
# accepted on input and widened, as torch.from_numpy would keep them; we keep four dtypes.
_FROM_NP = {d.np: d for d in _ALL}
_WIDEN = {"b": bool_, "i": int64, "u": int64, "f": float64}


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


TORCH_ELEMENT_NAMES = {"bool": "bool", "int64": "long int", "float32": "float", "float64": "double"}


def _by_name(name: str) -> dtype:
    return {d.name: d for d in _ALL}[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The dualgrad dtype for a NumPy dtype, refusing complex and object arrays."""
    d = _FROM_NP.get(np_dtype)
    if d is not None:
        return d
    np_dtype = np.dtype(np_dtype)
    d = _FROM_NP.get(np_dtype)
    if d is not None:
        return d
    if np_dtype.kind == "f" and np_dtype.itemsize <= 4:
        return float32
    if np_dtype.kind == "c":
        raise TypeError(
            "complex tensors are not supported yet: dualgrad has real dtypes only "
            "(float32, float64, int64, bool); split the data into real and imaginary parts"
        )
    if np_dtype.kind in _WIDEN:
        return _WIDEN[np_dtype.kind]
    raise TypeError(f"unsupported element type {np_dtype}; use float32, float64, int64 or bool")


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
    if isinstance(d, str) and d in {
        "float32",
        "float64",
        "int64",
        "bool",
        "float",
        "double",
        "long",
    }:
        return {"float": float32, "double": float64, "long": int64}.get(d) or _by_name(d)
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
    """The smallest dtype both promote to: bool < int64 < float32 < float64."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


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
        if isinstance(x, np.ndarray):
            d = from_numpy_dtype(x.dtype)
            if x.ndim:
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


def to_float(d: dtype) -> dtype:
    """Integer and bool results of float-valued ops (sin, div, mean) use the default dtype."""
    return d if d.is_floating_point else get_default_dtype()
