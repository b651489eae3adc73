"""Tensor factories, the random ones among them (their streams: NOTE: [dualgrad's random
streams] in _generator.py).
"""

from __future__ import annotations

import functools
import math
import operator
import warnings

import numpy as np

from . import _dtype
from .random._generator import default_generator, manual_seed, numpy_rng, seed  # noqa: F401
from ._compat import device as _device
from ._compat.meta import meta_array
from ._dtype import check_scalar
from ._tensor import Tensor, size_arg

# the default generator's NumPy generator, one object for the process (vmap's
# randomness='same' saves and restores its state)
_rng = [default_generator._np]


def _finish(data: np.ndarray, dtype, requires_grad: bool) -> Tensor:
    if dtype is not None:
        data = data.astype(_dtype.to_dtype(dtype).np, copy=False)
    t = Tensor._make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data):
    """NumPy array from Python data, with PyTorch's inference (floats -> default dtype)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (np.ndarray, np.generic)):
        # refuses complex/object with a clear error; widens int32, uint8, float16 to our dtypes
        if data.dtype == np.uint64 and data.size and data.max() > _INT64_MAX:
            raise ValueError(
                "Overflow when unpacking long long: this uint64 array holds values beyond int64, "
                "dualgrad's only integer dtype; convert it to float64 first"
            )
        return np.asarray(data, dtype=_dtype.from_numpy_dtype(data.dtype).np)
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _nested_to_list(data)
    arr = np.array(data)
    # NumPy's ways out for Python ints beyond int64: uint64, object, or float64 beside other
    # numbers (np.array([1, 2**63]) is float64); the elementwise look happens only then
    if arr.dtype.kind in "uO" or (
        arr.dtype.kind == "f" and arr.size and (np.abs(arr) >= 2.0**63).any()
    ):
        _check_python_ints(data)
    if arr.dtype.kind == "f":
        with np.errstate(over="ignore"):  # tensor(1e40) is inf in float32, silently as in torch
            arr = arr.astype(_dtype.get_default_dtype().np)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "O" or arr.dtype.kind in "US":
        raise TypeError(
            f"can't make a tensor from {type(data).__name__} of mixed or non-numeric data"
        )
    _dtype.from_numpy_dtype(arr.dtype)
    return arr


def _infer_with(data, d):
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat(data)):
        data = _nested_to_list(data)
    if d is _dtype.int64:
        _check_python_ints(data)
    elif d.category == _dtype.INT:
        # NOTE: [value overflow]; NumPy refuses -1 for uint8, which torch wraps: so a cast
        for v in _flat(data) if isinstance(data, (list, tuple)) else (data,):
            if _dtype.overflows(v, d):
                raise RuntimeError(
                    f"value cannot be converted to type {d.name} without overflow: {v}"
                )
        return np.array(data).astype(d.np)
    with np.errstate(over="ignore"):  # (out of a float16's range is inf, as in torch)
        return np.array(data, dtype=d.np)


# NOTE: [int64 overflow] Python ints are unbounded and dualgrad's one integer dtype is int64:
# NumPy would make 2**63 a uint64 (which the int64 cast wraps to -2**63) or an object array.
# torch refuses both, with a ValueError from its argument parser for data and a RuntimeError
# for a fill value; so do we.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _check_python_ints(data):
    for v in _flat(data) if isinstance(data, (list, tuple)) else (data,):
        if type(v) is int and not _INT64_MIN <= v <= _INT64_MAX:
            raise ValueError(
                f"Overflow when unpacking long long: {v} does not fit in int64, the widest integer "
                "dtype; pass it as a float (dtype=dualgrad.float64) if an approximation will do"
            )


def _check_int64(value):
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        raise RuntimeError(f"value cannot be converted to type int64_t without overflow: {value}")


def _check_fits(value, d):
    # full, new_full, full_like: the value converts to the dtype, checked (NOTE: [checked
    # scalars] in _dtype.py)
    if isinstance(value, (int, float)):
        check_scalar(value, d.np, "full")


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d


def _nested_to_list(data):
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, (list, tuple)):
        return [_nested_to_list(d) for d in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a Tensor)."""
    _device.check(device)
    if dtype is not None and not isinstance(data, (Tensor, np.ndarray)):
        # build in the requested dtype directly: 0.7 must not pass through float32 first
        return _finish(np.array(_infer_with(data, _dtype.to_dtype(dtype))), None, requires_grad)
    return _finish(np.array(_infer(data), copy=True), dtype, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when it can."""
    _device.check(device)
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_dtype(dtype) == data.dtype):
        return data
    arr = _finish(np.asarray(_infer(data)), dtype, False)
    if isinstance(data, np.ndarray) and np.may_share_memory(arr._data, data):
        _warn_if_read_only(data)
    return arr


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    d = _dtype.from_numpy_dtype(array.dtype)
    if array.dtype != d.np:
        return Tensor._make(array.astype(d.np))
    _warn_if_read_only(array)
    return Tensor._make(array)


def _warn_if_read_only(array):
    """torch's warning for a tensor sharing a read-only array's memory; an in-place write then
    raises (NOTE: [read-only arrays] in _inplace.py)."""
    if not array.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable, and PyTorch does not support non-writable "
            "tensors. This means writing to this tensor will result in undefined behavior. You may "
            "want to copy the array to protect its data or make it writable before converting it "
            "to a tensor.",
            UserWarning,
            stacklevel=3,
        )


def _shape(size, op: str) -> tuple:
    """The size arguments of factory ``op`` as ints (NOTE: [size arguments] in _tensor.py)."""
    shape = size_arg(size, op)
    for d in shape:
        if d < 0:
            raise RuntimeError(
                f"{op}: Trying to create tensor with negative dimension {d}: {list(shape)}"
            )
    return shape


def _float_dtype(dtype):
    return (_dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of the given size (ints or one sequence) filled with 0, in the default dtype unless
    told."""
    _device.check(device)
    return _finish(np.zeros(_shape(size, "zeros"), _float_dtype(dtype)), None, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of the given size (ints or one sequence) filled with 1, in the default dtype unless
    told."""
    _device.check(device)
    return _finish(np.ones(_shape(size, "ones"), _float_dtype(dtype)), None, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of the given size with unspecified values (NumPy's ``np.empty``), in the default
    dtype unless told."""
    _device.check(device)
    return _finish(np.empty(_shape(size, "empty"), _float_dtype(dtype)), None, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value as in torch
    (bool, int64 or the default float)."""
    _device.check(device)
    if dtype is None:
        dtype = _dtype.result_type_of_arrays(fill_value)
    dtype = _dtype.to_dtype(dtype)
    _check_fits(fill_value, dtype)
    return _finish(
        np.full(_shape((size,), "full"), _fill(fill_value, dtype), dtype.np), None, requires_grad
    )


def _fill(value, d):
    """A fill value NumPy takes for ``d``: negatives wrap into an unsigned type, as in torch."""
    if d.category == _dtype.INT and not d.is_signed and isinstance(value, int) and value < 0:
        return np.array(value, np.int64).astype(d.np)
    if d.category == _dtype.BOOL and isinstance(value, (int, float)):
        return bool(value)  # (any number fits bool, 2**63 too, which NumPy cannot hold)
    return value


def _int_arg(value, op: str, arg: str, pos: int) -> int:
    """An int argument (a count, a bound of randint) refusing floats, as torch does."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (float, np.floating)):
        raise TypeError(
            f"{op}(): argument '{arg}' (position {pos}) must be int, not {type(value).__name__}"
        )
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{op}(): argument '{arg}' (position {pos}) must be int, not {type(value).__name__}"
        ) from None


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix (m defaults to n), in the default dtype unless told."""
    _device.check(device)
    n = _int_arg(n, "eye", "n", 1)
    m = n if m is None else _int_arg(m, "eye", "m", 2)
    for name, d in (("n", n), ("m", m)):
        if d < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {d}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad)


def _scalar(v):
    """A 0-d tensor's value (torch takes them as arange/linspace bounds)."""
    return v.item() if isinstance(v, Tensor) else v


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``[start, end)`` in steps of ``step`` (``arange(end)`` starts at 0); int64 for integer
    arguments, else the default float dtype."""
    _device.check(device)
    if end is None:
        start, end = 0, start
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    dtype = _dtype.to_dtype(dtype)
    # torch's checks (RangeFactories.cpp), before NumPy's less clear ZeroDivisionError/ValueError
    if dtype is _dtype.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if any(not np.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is _dtype.int64:
        for v in (start, end):
            _check_int64(v)
        # torch counts an integer range in integers: the bounds and step truncated first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("arange: step must be nonzero (it truncates to 0 in an integer dtype)")
    return _finish(np.arange(start, end, step).astype(dtype.np), None, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, in the default dtype
    unless told."""
    _device.check(device)
    steps = _int_arg(steps, "linspace", "steps", 3)
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    start, end = _scalar(start), _scalar(end)
    return _finish(_linspace(start, end, steps, _float_dtype(dtype)), None, requires_grad)


def _linspace(start, end, steps, dt):
    """torch's linspace kernel: the first half counts up from ``start`` and the second half
    down from ``end`` by one step, in the result's dtype (integers: in float64, truncated).
    np.linspace differs where it matters: it puts ``end`` last even when start or the step is
    nan or inf (torch: linspace(nan, 1, 3) is all nan, linspace(inf, 1, 3) is [nan, inf, nan])."""
    work = dt
    if steps == 0:
        return np.empty(0, dt)
    if dt.kind in "iu":  # the ends become integers first (truncated), the step is a float64
        work = np.dtype(np.float64)
        for v in (start,) if steps == 1 else (start, end):  # (torch reads one end for one step)
            if not (math.isfinite(v) and -(2.0**63) <= v <= 2.0**63):
                raise RuntimeError("value cannot be converted to type int64_t without overflow")
        start, end = (np.array(v).astype(dt) if math.isfinite(v) else 0 for v in (start, end))
    with np.errstate(all="ignore"):
        lo, hi = np.array(start).astype(work), np.array(end).astype(work)
        if steps == 1:
            return np.full(1, lo).astype(dt)
        step = (hi - lo) / work.type(max(steps - 1, 1))
        i = np.arange(steps).astype(work)
        half = steps // 2
        out = np.where(
            np.arange(steps) < half, lo + step * i, hi - step * (work.type(steps - 1) - i)
        )
        return out.astype(dt)


def _check_vmap_randomness():
    """Random ops under vmap follow its ``randomness`` (NOTE: [vmap levels] in _vmap_level.py)."""
    from . import _levels

    level = _levels.top("vmap")
    # (no vmap level has randomness='different': that vmap runs once per batch element from
    # the start, NOTE: [asked-for loops] in func/_transforms.py, so its random ops run here
    # outside any level and draw anew each time)
    if level is None or level.randomness == "same":
        return
    raise RuntimeError(
        "vmap: called a random operation while in randomness error mode. Please either use "
        "the 'same' or 'different' randomness flags on vmap or perform the randomness "
        "operation out of vmap"
    )


def _float_only(dt, op: str):
    """torch's refusal of a continuous distribution in an integer dtype."""
    if not _dtype.is_floating(dt):
        name = _dtype.torch_name(_dtype.from_numpy_dtype(dt).name)
        raise NotImplementedError(f"\"{op}\" not implemented for '{name}'")
    return dt


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1) (NOTE: [dualgrad's random streams] in _generator.py)."""
    _device.check(device)
    _check_vmap_randomness()
    dt = _float_only(_float_dtype(dtype), "check_uniform_bounds")
    rng = numpy_rng(generator, "rand")
    return _finish(rng.random(_shape(size, "rand")).astype(dt), None, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (NOTE: [dualgrad's random streams] in _generator.py)."""
    _device.check(device)
    _check_vmap_randomness()
    dt = _float_only(_float_dtype(dtype), "normal_kernel_cpu")
    rng = numpy_rng(generator, "randn")
    return _finish(rng.standard_normal(_shape(size, "randn")).astype(dt), None, requires_grad)


def randint(
    low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Integers uniform on [low, high), as int64 unless ``dtype`` says otherwise."""
    _device.check(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size), as torch allows
    if high is None:
        low, high = 0, low
    _check_vmap_randomness()
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    low, high = _int_arg(low, "randint", "low", 1), _int_arg(high, "randint", "high", 2)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.int64
    rng = numpy_rng(generator, "randint")
    return _finish(
        rng.integers(low, high, _shape((size,), "randint")).astype(dt), None, requires_grad
    )


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    _device.check(device)
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"randperm: Trying to create tensor with negative dimension {n}: [{n}]")
    _check_vmap_randomness()
    rng = numpy_rng(generator, "randperm")
    return _finish(rng.permutation(n).astype(np.int64), dtype, requires_grad)


def _like(fn, x, dtype, requires_grad, **kw):
    dt = _dtype.to_dtype(dtype) if dtype is not None else x.dtype
    out = fn(tuple(x.shape), dtype=dt, device=_device.CPU, **kw)
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros with x's shape, and x's dtype unless told."""
    if device is not None:  # (None: the input's device, not the default one)
        _device.check(device)
    return _finish(
        np.zeros(x._data.shape, _dtype.to_dtype(dtype).np if dtype else x._data.dtype),
        None,
        requires_grad,
    )


def ones_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones with x's shape, and x's dtype unless told."""
    if device is not None:  # (None: the input's device, not the default one)
        _device.check(device)
    return _finish(
        np.ones(x._data.shape, _dtype.to_dtype(dtype).np if dtype else x._data.dtype),
        None,
        requires_grad,
    )


def empty_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor with x's shape, and x's dtype unless told."""
    if device is not None:  # (None: the input's device, not the default one)
        _device.check(device)
    return _finish(
        np.empty(x._data.shape, _dtype.to_dtype(dtype).np if dtype else x._data.dtype),
        None,
        requires_grad,
    )


def full_like(x, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of x's shape filled with ``fill_value``, in x's dtype unless told."""
    if device is not None:  # (None: the input's device, not the default one)
        _device.check(device)
    d = _dtype.to_dtype(dtype) if dtype else x.dtype
    _check_fits(fill_value, d)
    return _finish(
        np.full(x._data.shape, _fill(fill_value, d), d.np),
        None,
        requires_grad,
    )


def rand_like(x, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``rand`` in the shape (and dtype, unless given) of ``x``."""
    if device is not None:  # (None: the input's device, not the default one)
        _device.check(device)
    return _like(rand, x, dtype, requires_grad, generator=generator)


def randn_like(x, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``randn`` in the shape (and dtype, unless given) of ``x``."""
    if device is not None:
        _device.check(device)
    return _like(randn, x, dtype, requires_grad, generator=generator)


def randint_like(
    x, low, high=None, *, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """``randint`` in the shape (and dtype, unless given) of ``x``."""
    if device is not None:
        _device.check(device)
    if high is None:
        low, high = 0, low
    dt = _dtype.to_dtype(dtype) if dtype is not None else x.dtype
    return randint(
        low, high, tuple(x.shape), generator=generator, dtype=dt, requires_grad=requires_grad
    )


# NOTE: [meta factories] Every factory makes meta tensors (NOTE: [meta tensors] in
# _compat/meta.py) for ``device='meta'``, or with meta as the default device (``with
# dualgrad.device('meta'):``, the usual way to build a model without its memory); the ``_like``
# ones for a meta input too, as their device defaults to the input's. Those whose result's shape
# and dtype are known from their arguments make it directly (no memory, and the random ones
# draw nothing, as torch's); the others run on the CPU and keep the result's shape and dtype.
def to_meta(x: Tensor) -> Tensor:
    """A meta tensor of ``x``'s shape and dtype, requiring grad as ``x`` does."""
    out = Tensor._make(meta_array(x._data.shape, x._data.dtype))
    out._requires_grad = x._requires_grad
    return out


def _placed(fn, spec=None, like=False):
    @functools.wraps(fn)
    def factory(*args, device=None, **kwargs):
        if like and device is None and args:
            meta = isinstance(args[0], Tensor) and args[0].is_meta
        else:
            meta = _device.is_meta(device)
        if not meta:
            return fn(*args, device=device, **kwargs)
        if spec is None:
            return to_meta(fn(*args, device=_device.CPU, **kwargs))
        out = Tensor._make(meta_array(*spec(*args, **kwargs)))
        if kwargs.get("requires_grad"):
            out.requires_grad_(True)
        return out

    return factory


def _size_spec(name):
    return lambda *size, dtype=None, **_: (_shape(size, name), _float_dtype(dtype))


def _like_spec(x, *args, dtype=None, **_):
    return x._data.shape, (_dtype.to_dtype(dtype).np if dtype is not None else x._data.dtype)


for _name in ("zeros", "ones", "empty", "rand", "randn"):
    globals()[_name] = _placed(globals()[_name], _size_spec(_name))
for _name in ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like"):
    globals()[_name] = _placed(globals()[_name], _like_spec, like=True)
randint_like = _placed(randint_like, like=True)
for _name in ("tensor", "as_tensor", "full", "eye", "arange", "linspace", "randint", "randperm"):
    globals()[_name] = _placed(globals()[_name])
del _name


# ------------------------------------------------------------------ window functions
# NOTE: [window functions] hann/hamming/blackman/bartlett/kaiser_window are computed in float64
# and cast to the requested floating dtype (torch computes in that dtype, so float32 values can
# differ from torch's in the last bit). ``periodic=True`` (the default, as torch) is the window
# of length N + 1 with its last point dropped, the form ``stft`` wants; ``periodic=False`` is
# the symmetric window.
def _window(name, n, periodic, dtype, device, requires_grad, fn):
    _device.check(device)
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if dt.np.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    if n <= 1:
        values = np.ones(n)
    else:
        m = n + 1 if periodic else n
        values = fn(np.arange(m, dtype=np.float64), m)[:n]
    return _finish(values.astype(dt.np), None, requires_grad)


def hamming_window(
    window_length,
    periodic=True,
    alpha=0.54,
    beta=0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    """``alpha - beta * cos(2 pi n / (N - 1))``.

    >>> import dualgrad as dg
    >>> dg.hamming_window(3, periodic=False)
    tensor([0.0800, 1.0000, 0.0800])
    """
    return _window(
        "hamming_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda k, m: alpha - beta * np.cos(2 * np.pi * k / (m - 1)),
    )


def _fixed_window(name, formula, doc):
    """A window function of torch's signature whose values are ``formula(k, m)`` alone (no
    parameter of its own beyond the length and ``periodic``)."""

    def window(
        window_length,
        periodic=True,
        *,
        dtype=None,
        layout=None,
        device=None,
        pin_memory=False,
        requires_grad=False,
    ):
        return _window(name, window_length, periodic, dtype, device, requires_grad, formula)

    window.__name__ = window.__qualname__ = name
    window.__doc__ = doc
    return window


hann_window = _fixed_window(
    "hann_window",
    lambda k, m: 0.5 - 0.5 * np.cos(2 * np.pi * k / (m - 1)),
    """``0.5 - 0.5 * cos(2 pi n / (N - 1))``, i.e. ``sin(pi n / (N - 1)) ** 2``.

    >>> import dualgrad as dg
    >>> dg.hann_window(4, periodic=False)
    tensor([0.0000, 0.7500, 0.7500, 0.0000])
    """,
)
blackman_window = _fixed_window(
    "blackman_window",
    lambda k, m: (
        0.42 - 0.5 * np.cos(2 * np.pi * k / (m - 1)) + 0.08 * np.cos(4 * np.pi * k / (m - 1))
    ),
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.""",
)
bartlett_window = _fixed_window(
    "bartlett_window",
    lambda k, m: 1 - np.abs(2 * k / (m - 1) - 1),
    """The triangle ``1 - |2 n / (N - 1) - 1|``.""",
)


def kaiser_window(
    window_length,
    periodic=True,
    beta=12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    """``I0(beta sqrt(1 - (2 n / (N - 1) - 1) ** 2)) / I0(beta)``."""
    return _window(
        "kaiser_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda k, m: (
            np.i0(beta * np.sqrt(np.clip(1 - (2 * k / (m - 1) - 1) ** 2, 0, None))) / np.i0(beta)
        ),
    )
