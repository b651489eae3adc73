"""Arguments checked as torch's argument parser checks them, before an op reads them.

NOTE: [parsed arguments] torch parses every argument of a public function against its
declared type and raises TypeError naming the function, the argument and the type it got
("tril(): argument 'diagonal' (position 2) must be int, not Tensor"). dualgrad's ops took
Python's conversions instead (int(x), float(x), x %= 4), which accept a one-element tensor
or a float silently, or change a tensor passed by mistake (k %= 4 on a tensor k is an
in-place remainder). These checks cost one isinstance on the common path.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from .._tensor import Tensor


def _refuse(op, arg, pos, value, want):
    where = f" (position {pos})" if pos else ""
    raise TypeError(f"{op}(): argument '{arg}'{where} must be {want}, not {type(value).__name__}")


def int_arg(value, op: str, arg: str, pos: int = 0) -> int:
    """An int argument: an int or a 0-d integer tensor (torch takes its __index__); a bool,
    a float or any other tensor is refused."""
    if type(value) is int:
        return value
    if isinstance(value, (bool, np.bool_, float, np.floating)):
        _refuse(op, arg, pos, value, "int")
    if isinstance(value, Tensor) and (value.ndim or value.is_floating_point()):
        _refuse(op, arg, pos, value, "int")
    try:
        return operator.index(value)
    except (TypeError, RuntimeError):
        _refuse(op, arg, pos, value, "int")


def number_arg(value, op: str, arg: str, pos: int = 0):
    """A Number argument (alpha, negative_slope, lambd, eps): a Python or NumPy number or a
    0-d tensor (torch's parser takes one as a Number); any other tensor is refused, as
    torch's parser refuses it. Returns it as a Python number, as torch's parser reads it (an
    op's parameter is a number: a fused op's kernel takes it as one)."""
    if isinstance(value, numbers.Number):
        return value
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.item()
    _refuse(op, arg, pos, value, "Number")


def tensor_arg(value, op: str, arg: str, pos: int = 0):
    """A Tensor argument of a function with no Number overload (atan2, hypot, maximum, ...):
    a Python number or None is refused, as torch's parser refuses it."""
    if isinstance(value, Tensor):
        return value
    _refuse(op, arg, pos, value, "Tensor")


def tensor_args(x, y, op: str):
    """Both operands of a binary function that has no Number overload are tensors."""
    if not isinstance(x, Tensor):
        _refuse(op, "input", 1, x, "Tensor")
    if not isinstance(y, Tensor):
        _refuse(op, "other", 2, y, "Tensor")
