"""NumPy kernels shared by many ops: dtype handling around a NumPy call.

This is the only place outside forward functions that touches NumPy dtypes; keeping array calls
behind these wrappers is what would let another array library (CuPy) stand in later.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._parallel import SPLIT_FROM as _split
from .._parallel import split_or_call

_ndarray = np.ndarray
_cache: dict = {}


def _key(a):
    if type(a) is _ndarray:
        return (a.dtype, a.ndim == 0)
    return type(a)


def binary_dtype(a, b) -> np.dtype:
    """PyTorch's result dtype for two raw operands (arrays or Python scalars), cached."""
    default = _dtype.get_default_dtype()
    key = (_key(a), _key(b), default)
    dt = _cache.get(key)
    if dt is None:
        dt = _cache[key] = _dtype.result_type_of_arrays(a, b).np
    return dt


# NOTE: [integer wrapping] torch computes int8 + 1000 in int8: the Python int is converted to
# the result dtype with C's wrap-around (1000 -> -24), and so is a 0-d int64 tensor, and the
# result wraps too. NumPy (NEP 50) refuses a Python int out of the array type's range, so the
# kernels convert it first; NumPy's integer arithmetic then wraps as torch's does.
def _cast(a, dt):
    ta = type(a)
    if ta is _ndarray:
        return a.astype(dt) if a.dtype != dt else a
    if ta is int and dt.kind in "iu" and dt.itemsize < 8:
        return np.array(a, np.int64).astype(dt)
    return a


def _as_array(r, dt):
    if type(r) is not _ndarray:
        r = np.asanyarray(r)
    return r if r.dtype == dt else r.astype(dt)


def _call(fn, *arrays):
    """``fn(*arrays)``, split over threads where the arrays are large enough (NOTE: [parallel
    threshold] in _parallel.py; ``split_or_call`` declines what it cannot split)."""
    if type(arrays[0]) is _ndarray and arrays[0].size >= _split[0]:
        return split_or_call(fn, *arrays)
    return fn(*arrays)


def _fast(kernel, fn):
    """Mark ``kernel`` with its NumPy ufunc: where the inputs need no dtype handling (a float
    array, with a float array of the same dtype or a Python float) the result is the ufunc's, and
    the dispatcher calls the ufunc directly (NOTE: [hot path] in _dispatch.py)."""
    if isinstance(fn, np.ufunc):
        kernel.ufunc = fn
    elif getattr(fn, "ufunc", None) is not None:  # a function that is its ufunc on floats
        kernel.ufunc = fn.ufunc
    return kernel


# NOTE: [half opmath] torch multiplies and divides float16 (or bfloat16) tensors by a Python
# number in float32, the number as it is, and rounds the result once. NumPy converts the number
# to the array's dtype first (NEP 50), so ``x / 70000`` of a float16 x divided by inf (0, where
# torch gives 1.4e-05), ``zeros * 1e5`` gave nan (torch: 0) and ``x * 0.1`` rounded 0.1 to
# float16 before multiplying. The kernels of mul and div (``opmath=True``) compute such calls in
# float32 and cast back. torch's add and sub do round the number to float16 first, and so does
# NumPy, so they keep NumPy's way; two float16 arrays need nothing (NumPy's float16 loops already
# compute in float32 and round once).
_F32 = np.dtype(np.float32)


def _opmath(dt):
    """The dtype an element-wise op of result dtype ``dt`` computes in (NOTE: [half opmath])."""
    return _F32 if dt.itemsize == 2 and dt.kind in "fV" else dt


def promote_binary(fn, opmath=False):
    """Kernel for ops whose result has the promoted dtype (add, mul, maximum); ``opmath``:
    float16 computes in float32 (NOTE: [half opmath])."""

    def kernel(a, b):
        # Fast paths (NOTE: [hot path]): same-dtype arrays, or a float array and a Python
        # float, need no promotion and NumPy already returns the right dtype.
        if type(a) is _ndarray:
            tb = type(b)
            if (tb is _ndarray and a.dtype is b.dtype) or (
                tb is float and a.dtype.kind == "f" and a.dtype.itemsize > 2
            ):
                if a.size >= _split[0]:  # NOTE: [parallel threshold] in _parallel.py
                    # (a Python float as NumPy converts it for a float array: NEP 50)
                    return split_or_call(fn, a, b if tb is _ndarray else np.asarray(b, a.dtype))
                r = fn(a, b)
                return r if type(r) is _ndarray else np.asanyarray(r, dtype=a.dtype)
        dt = binary_dtype(a, b)
        cdt = _opmath(dt) if opmath else dt
        return _as_array(_call(fn, _cast(a, cdt), _cast(b, cdt)), dt)

    return _fast(kernel, fn)


def float_binary(fn, opmath=False):
    """Kernel for ops with a floating result (div, atan2): ints promote to the default dtype;
    ``opmath``: float16 computes in float32 (NOTE: [half opmath])."""

    def kernel(a, b):
        dt = binary_dtype(a, b)
        if not _dtype.is_floating(dt):
            dt = _dtype.get_default_dtype().np
        cdt = _opmath(dt) if opmath else dt
        return _as_array(_call(fn, _cast(a, cdt), _cast(b, cdt)), dt)

    return _fast(kernel, fn)


def compare_binary(fn):
    """Kernel for comparisons: compare in the promoted dtype, return bool."""

    def kernel(a, b):
        dt = binary_dtype(a, b)
        return np.asanyarray(fn(_cast(a, dt), _cast(b, dt)))

    return kernel


def float_unary(fn):
    """Kernel for ops with a floating result (sin, exp): ints become the default dtype."""

    def kernel(x, **params):
        if not _dtype.is_floating(x.dtype):
            x = x.astype(_dtype.get_default_dtype().np)
        r = fn(x, **params) if params else _call(fn, x)
        return r if type(r) is _ndarray else np.asanyarray(r, dtype=x.dtype)

    return _fast(kernel, fn)


def same_unary(fn):
    """Kernel for ops that keep the dtype (neg, abs, floor)."""

    def kernel(x, **params):
        r = fn(x, **params)
        return r if type(r) is _ndarray else np.asanyarray(r, dtype=x.dtype)

    return _fast(kernel, fn)


# NOTE: [bool operands of unary ops] torch has no bool kernel for neg, abs, floor, ceil, round,
# trunc, relu (NumPy has some: np.abs keeps a bool, np.round makes float16, np.negative raises
# its own TypeError), and raises before computing: RuntimeError for neg and relu (their own
# messages), NotImplementedError '"<kernel>" not implemented for 'Bool'' for the others. The
# check runs in the kernel, after the dispatcher's float fast path, so floats never pay for it.
def refuse_bool(fn, error, message):
    """A unary kernel ``fn`` that raises ``error(message)`` for a bool input, as torch does
    (NOTE: [bool operands of unary ops]); it keeps ``fn``'s ufunc for the float fast path."""

    def kernel(x, **params):
        if x.dtype.kind == "b":
            raise error(message)
        return fn(x, **params)

    kernel.ufunc = getattr(fn, "ufunc", None)
    return kernel


def not_for_bool(kernel_name):
    """torch's error for a kernel with no bool version: ``(NotImplementedError, message)``."""
    return NotImplementedError, f"\"{kernel_name}\" not implemented for 'Bool'"


# NOTE: [integer division by zero] NumPy's integer floor_divide, remainder and fmod return 0 for
# a zero divisor (with a RuntimeWarning); torch raises RuntimeError("ZeroDivisionError"), and
# refuses bool operands. Float division by zero gives inf/nan in both and takes the ufunc path
# (_fast), so the check costs nothing there.
def int_division(fn, kernel_name):
    """Kernel for floor_divide, remainder, fmod: the promoted dtype; integer division by zero
    raises as in torch. ``kernel_name`` is torch's for its bool error ("div_floor")."""
    promoted = promote_binary(fn)

    def kernel(a, b):
        dt = binary_dtype(a, b)
        if _dtype.is_floating(dt):
            return promoted(a, b)
        if dt.kind == "b":
            raise NotImplementedError(f"\"{kernel_name}_cpu\" not implemented for 'Bool'")
        with np.errstate(divide="ignore", invalid="ignore"):
            r = promoted(a, b)
        # a non-empty result used every element of the divisor (as converted: a Python int
        # wraps into the dtype, so int8 // 2**31 divides by 0, as in torch)
        if r.size and not np.all(_cast(b, dt)):
            raise RuntimeError(
                "ZeroDivisionError: integer division by zero; convert to floating point first "
                "(x.float()) for inf/nan results"
            )
        return r

    return _fast(kernel, fn)


# NOTE: [zeros by bits] A gradient masked to zero, where(mask, g, 0) (relu's, clamp's and
# threshold's backward, where's own adjoint), is the commonest selection in a network's backward
# pass, and np.where is slow at it: 17 us on a (64, 256) float32 gradient, where torch's
# threshold_backward takes 4.4. The same result is g's bits ANDed with an integer mask of all
# ones where g is kept and zeros elsewhere: 5.2 us, and bitwise np.where's (g's bits, nan
# payloads too, where kept; +0.0 elsewhere). Only +0 qualifies (-0.0 has a bit set), and only
# where NumPy's own result would have g's dtype and layout: a float array of the mask's shape,
# both C-contiguous. Below ~2,000 elements the three calls cost more than np.where's one
# (float32: 16 elements 1.3 -> 2.0 us, 1,024 2.3 -> 2.6, 4,096 5.4 -> 3.3), so small arrays keep
# np.where.
_BITS_FROM = 2048
_SAME_SIZE_INT = {2: np.dtype(np.int16), 4: np.dtype(np.int32), 8: np.dtype(np.int64)}


def where_zero(cond, x, y):
    """``np.where(cond, x, y)`` when one of x, y is the number +0 and the other a float array of
    cond's shape, by bits (NOTE: [zeros by bits]); None when the case is not that one."""
    if type(x) is _ndarray and type(y) in (float, int):
        a, zero, keep_where_true = x, y, True
    elif type(y) is _ndarray and type(x) in (float, int):
        a, zero, keep_where_true = y, x, False
    else:
        return None
    if a.size < _BITS_FROM or zero != 0 or math.copysign(1.0, zero) < 0 or a.dtype.kind != "f":
        return None
    it = _SAME_SIZE_INT.get(a.dtype.itemsize)
    if (
        it is None
        or type(cond) is not _ndarray
        or cond.dtype.kind != "b"
        or cond.shape != a.shape
        or not (a.flags.c_contiguous and cond.flags.c_contiguous)
    ):
        return None
    mask = cond.astype(it)  # 1 where cond, 0 elsewhere
    if keep_where_true:
        np.negative(mask, out=mask)  # -1: all bits set
    else:
        np.subtract(mask, 1, out=mask)  # all bits set where not cond
    np.bitwise_and(mask, a.view(it), out=mask)
    return mask.view(a.dtype)


def contiguous(a: np.ndarray) -> np.ndarray:
    """``a`` in C order (a copy only if it is not): NOTE: [contiguous results] in reduction.py.
    (np.ascontiguousarray would also make a 0-d array 1-d.)"""
    if type(a) is not np.ndarray or a.flags.c_contiguous:  # (a meta array has no data to move)
        return a
    return np.ascontiguousarray(a)
