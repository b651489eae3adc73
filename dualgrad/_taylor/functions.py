"""Custom autograd.Functions in Taylor mode (NOTE: [Taylor representation] in level.py)."""

from __future__ import annotations

from math import factorial

import numpy as np

from .. import _levels
from .._dispatch import apply_function
from .._tensor import Tensor


def function_series(op, primals, series, kwargs, order):
    """A custom Function's output coefficients through ``order`` nested dual levels of one
    scalar t (NOTE: [Taylor representation]): y_k is the tangent of levels k, k - 1, ..., 1
    in turn (NOTE: [canonical form] in _dispatch.py: a mixed partial is stored once)."""
    from .. import _dual_level
    from ..autograd import forward_ad as fwad

    numbers = []
    try:
        base = Tensor._make(np.zeros((), dtype=_dtype_of(primals)))
        one = Tensor._make(np.ones((), dtype=base._data.dtype))
        t = base
        for _ in range(order):
            numbers.append(_dual_level.enter().number)
            t = fwad.make_dual(t, one)
        inputs = []
        for p, s in zip(primals, series):
            if not isinstance(p, Tensor) or all(c is None for c in s):
                inputs.append(p)
                continue
            x, power = p, None
            for k, c in enumerate(s, start=1):
                power = t if power is None else power * t
                if c is not None:
                    x = x + c * (power * (1.0 / factorial(k)))
            inputs.append(x)
        call = apply_function(op, tuple(inputs), kwargs)
        outs = []
        for f in call.finals:
            coeffs = []
            for k in range(1, order + 1):
                c = f if isinstance(f, Tensor) and f._data.dtype.kind == "f" else None
                for lv in reversed(numbers[:k]):
                    c = c._fw.get(lv) if c is not None and c._fw else None
                coeffs.append(c)
            outs.append(coeffs)
        return outs
    finally:
        for number in reversed(numbers):
            _levels.pop(number)


def _dtype_of(primals):
    for p in primals:
        if isinstance(p, Tensor) and p._data.dtype.kind == "f":
            return p._data.dtype
    return "float64"
