"""Sampled calculus: trapezoid (and its older name trapz), cumulative_trapezoid and gradient.

Each is written as torch writes it (aten/native/Integration.cpp, ReduceOps.cpp's gradient):
slices, differences, sums and cat, so the values round as torch's do and every mode comes from
those ops. Sample spacing is a number or coordinates (a tensor), as in torch.
"""

from __future__ import annotations

from numbers import Number

from .._tensor import Tensor
from .reduction import normalize_dims
from .shape import cat

__all__ = ["trapezoid", "trapz", "cumulative_trapezoid", "gradient"]


def _slice(x, d, start=None, stop=None):
    return x[(slice(None),) * d + (slice(start, stop),)]


def _check_y(y, fn):
    from .. import _dtype

    if not isinstance(y, Tensor):
        raise TypeError(f"{fn}(): argument 'y' must be Tensor, not {type(y).__name__}")
    if y.dtype == _dtype.bool_:
        raise RuntimeError(f"{fn}: received a bool input for `y`, but bool is not supported")


def _spacing(y, x, d, fn):
    """The differences of the sample points ``x`` along dim ``d``, shaped to broadcast against
    the differences of ``y`` (torch: x is not broadcast to y before the difference)."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{fn}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return _slice(x, d, 1) - _slice(x, d, 0, -1)


def _empty_integral(y, d):
    from .._factories import zeros

    return zeros(*(s for i, s in enumerate(y.shape) if i != d), dtype=y.dtype)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of the samples ``y`` along ``dim`` by the trapezoidal rule, at the sample
    points ``x`` or at a constant spacing ``dx`` (default 1).

    >>> import dualgrad as dg
    >>> dg.trapezoid(dg.tensor([1.0, 2.0, 4.0]), dx=2)
    tensor(9.)
    """
    _check_y(y, "trapezoid")
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: x and dx")
    (d,) = normalize_dims(dim, y.ndim)
    if y.shape[d] == 0:  # NumPy's answer for no samples
        return _empty_integral(y, d)
    if isinstance(x, Tensor):
        step = _spacing(y, x, d, "trapezoid")
        return ((_slice(y, d, 0, -1) + _slice(y, d, 1)) * step).sum(d) / 2.0
    step = 1.0 if dx is None else dx
    if x is not None:  # a number in x's place is the spacing (torch.trapezoid(y, 0.5))
        step = x
    if isinstance(step, bool) or not isinstance(step, Number):
        raise TypeError("trapezoid: Currently, we only support dx as a real number.")
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * step


def trapz(y, x=None, *, dx=None, dim=-1):
    """trapezoid's older name: ``trapz(y, x, dim=-1)`` or ``trapz(y, dx=1, dim=-1)``.

    >>> import dualgrad as dg
    >>> dg.trapz(dg.tensor([1.0, 2.0, 4.0]), dg.tensor([0.0, 1.0, 3.0]))
    tensor(7.5000)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule (one element fewer
    than ``y`` along ``dim``), at the sample points ``x`` or a constant spacing ``dx``.

    >>> import dualgrad as dg
    >>> dg.cumulative_trapezoid(dg.tensor([1.0, 2.0, 4.0]))
    tensor([1.5000, 4.5000])
    """
    _check_y(y, "cumulative_trapezoid")
    if x is not None and dx is not None:
        raise TypeError(
            "cumulative_trapezoid() received an invalid combination of arguments: x and dx"
        )
    (d,) = normalize_dims(dim, y.ndim)
    pairs = _slice(y, d, 0, -1) + _slice(y, d, 1)
    if isinstance(x, Tensor):
        return (pairs * _spacing(y, x, d, "cumulative_trapezoid")).cumsum(d) / 2.0
    step = x if x is not None else (1.0 if dx is None else dx)
    if isinstance(step, bool) or not isinstance(step, Number):
        raise TypeError("cumulative_trapezoid: Currently, we only support dx as a real number.")
    return (step / 2.0 * pairs).cumsum(d)


# ------------------------------------------------------------------ gradient
def _uniform(f, d, h, edge_order):
    center = (_slice(f, d, 2) - _slice(f, d, 0, -2)) / h
    if edge_order == 1:
        first = (_slice(f, d, 1, 2) - _slice(f, d, 0, 1)) / h
        last = (_slice(f, d, -1) - _slice(f, d, -2, -1)) / h
    else:
        first = (_slice(f, d, 0, 1) * -1.5 + _slice(f, d, 1, 2) * 2 - _slice(f, d, 2, 3) * 0.5) / h
        last = (_slice(f, d, -3, -2) * 0.5 + _slice(f, d, -2, -1) * -2 + _slice(f, d, -1) * 1.5) / h
    return cat([first, center / 2, last], d)


def _coordinates(f, d, coords, edge_order):
    if coords.ndim != 1:
        raise RuntimeError(
            "torch.gradient expected each element of spacing to have one dimension, but got an "
            f"element with {coords.ndim} dimensions!"
        )
    shape = [1] * f.ndim
    shape[d] = -1
    h = coords.diff()
    h1, h2 = h[:-1], h[1:]
    a = (-h2 / (h1 * (h1 + h2))).reshape(shape)
    b = ((h2 - h1) / (h1 * h2)).reshape(shape)
    c = (h1 / (h2 * (h1 + h2))).reshape(shape)
    center = a * _slice(f, d, 0, -2) + b * _slice(f, d, 1, -1) + c * _slice(f, d, 2)
    if edge_order == 1:
        first = (_slice(f, d, 1, 2) - _slice(f, d, 0, 1)) / h[0]
        last = (_slice(f, d, -1) - _slice(f, d, -2, -1)) / h[-1]
    else:
        a = -(2.0 * h[0] + h[1]) / (h[0] * (h[0] + h[1]))
        b = (h[0] + h[1]) / (h[0] * h[1])
        c = (-h[0]) / (h[1] * (h[0] + h[1]))
        first = a * _slice(f, d, 0, 1) + b * _slice(f, d, 1, 2) + c * _slice(f, d, 2, 3)
        a = h[-1] / (h[-2] * (h[-1] + h[-2]))
        b = -(h[-1] + h[-2]) / (h[-1] * h[-2])
        c = (2 * h[-1] + h[-2]) / (h[-1] * (h[-1] + h[-2]))
        last = a * _slice(f, d, -3, -2) + b * _slice(f, d, -2, -1) + c * _slice(f, d, -1)
    return cat([first, center, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):  # noqa: A002  (torch's name)
    """The derivative of sampled values along each of ``dim`` (default: every dim), by second
    order central differences inside and first or second order (``edge_order``) one-sided
    differences at the ends, as NumPy's and torch's gradient: a tuple, one tensor per dim.
    ``spacing``: the distance between samples (a number, or one per dim) or the sample
    coordinates (one 1-d tensor per dim).

    >>> import dualgrad as dg
    >>> dg.gradient(dg.tensor([1.0, 2.0, 4.0, 7.0]), spacing=2.0)
    (tensor([0.5000, 0.7500, 1.2500, 1.5000]),)
    """
    from .. import _dtype

    if not isinstance(input, Tensor):
        raise TypeError(f"gradient(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype == _dtype.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if isinstance(dim, int):
        dims = normalize_dims(dim, input.ndim)
    elif dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = normalize_dims(tuple(dim), input.ndim)
    if isinstance(spacing, (list, tuple)):
        spacings = list(spacing)
        if dim is None and len(spacings) not in (1, input.ndim):
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar or a list of length "
                f"equal to 'self.dim() = {input.ndim}', since dim argument was not given, but "
                f"got a list of length {len(spacings)}"
            )
        if dim is not None and len(spacings) != len(dims):
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                f"dim arguments to have the same length, but got a spacing argument of length "
                f"{len(spacings)} and a dim argument of length {len(dims)}."
            )
        if len(spacings) == 1 and len(dims) > 1:
            spacings = spacings * len(dims)
    else:
        spacings = [spacing] * len(dims)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )
    out = []
    for d, h in zip(dims, spacings):
        if isinstance(h, Tensor) and h.ndim > 0:
            out.append(_coordinates(input, d, h, edge_order))
        else:
            h = h.item() if isinstance(h, Tensor) else h
            out.append(_uniform(input, d, h, edge_order))
    return tuple(out)
