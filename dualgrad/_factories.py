"""Tensor factories and the random generator.

``manual_seed`` seeds dualgrad's own NumPy generator, so seeded runs repeat whatever else
uses NumPy's global state.
"""

from __future__ import annotations

import numpy as np

from . import _dtype
from ._tensor import Tensor

_rng = [np.random.default_rng()]


def manual_seed(seed: int):
    """Seed the generator behind rand, randn, randint and the ``*_like`` random factories."""
    _rng[0] = np.random.default_rng(int(seed))
    return _rng[0]


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


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
        return np.asarray(data, dtype=_dtype.from_numpy_dtype(data.dtype).np)
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _nested_to_list(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(_dtype.get_default_dtype().np)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "O" or arr.dtype.kind in "US":
        raise TypeError(f"can't make a tensor from {type(data).__name__} of mixed or non-numeric data")
    _dtype.from_numpy_dtype(arr.dtype)
    return arr


def _infer_with(data, np_dtype):
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _nested_to_list(data)
    return np.array(data, dtype=np_dtype)


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
    if dtype is not None and not isinstance(data, (Tensor, np.ndarray)):
        # build in the requested dtype directly: 0.7 must not pass through float32 first
        return _finish(np.array(_infer_with(data, _dtype.to_dtype(dtype).np)), None, requires_grad)
    return _finish(np.array(_infer(data), copy=True), dtype, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_dtype(dtype) == data.dtype):
        return data
    return _finish(np.asarray(_infer(data)), dtype, False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    d = _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array if array.dtype == d.np else array.astype(d.np))


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    return (_dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_shape(size), _float_dtype(dtype)), None, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_shape(size), _float_dtype(dtype)), None, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(_shape(size), _float_dtype(dtype)), None, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = _dtype.result_type_of_arrays(fill_value)
    return _finish(np.full(_shape((size,)), fill_value, _dtype.to_dtype(dtype).np), None, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    dtype = _dtype.to_dtype(dtype)
    return _finish(np.arange(start, end, step).astype(dtype.np), None, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.linspace(start, end, int(steps)).astype(_float_dtype(dtype)), None, requires_grad)


def _check_vmap_randomness():
    """Random ops under vmap follow its ``randomness`` (NOTE: [vmap levels] in _batching.py)."""
    from . import _levels

    level = _levels.top("vmap")
    if level is None or level.info == "same":
        return
    if level.info == "different":
        from ._batching import NeedsLoop

        raise NeedsLoop("randomness='different'")
    raise RuntimeError(
        "vmap: called a random operation while in randomness error mode. Please either use "
        "the 'same' or 'different' randomness flags on vmap or perform the randomness "
        "operation out of vmap"
    )


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    _check_vmap_randomness()
    dt = _float_dtype(dtype)
    return _finish(_rng[0].random(_shape(size)).astype(dt), None, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    _check_vmap_randomness()
    dt = _float_dtype(dtype)
    return _finish(_rng[0].standard_normal(_shape(size)).astype(dt), None, requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size), as torch allows
    if high is None:
        low, high = 0, low
    _check_vmap_randomness()
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.int64
    return _finish(_rng[0].integers(low, high, _shape((size,))).astype(dt), None, requires_grad)


def randperm(n, *, dtype=None, device=None) -> Tensor:
    return _finish(_rng[0].permutation(int(n)).astype(np.int64), dtype, False)


def _like(fn, x, dtype, requires_grad, **kw):
    dt = _dtype.to_dtype(dtype) if dtype is not None else x.dtype
    out = fn(tuple(x.shape), dtype=dt, **kw)
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(x._data.shape, _dtype.to_dtype(dtype).np if dtype else x._data.dtype), None, requires_grad)


def ones_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(x._data.shape, _dtype.to_dtype(dtype).np if dtype else x._data.dtype), None, requires_grad)


def empty_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(x._data.shape, _dtype.to_dtype(dtype).np if dtype else x._data.dtype), None, requires_grad)


def full_like(x, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.full(x._data.shape, fill_value, _dtype.to_dtype(dtype).np if dtype else x._data.dtype), None, requires_grad)


def rand_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(rand, x, dtype, requires_grad)


def randn_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(randn, x, dtype, requires_grad)


def randint_like(x, low, high=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    dt = _dtype.to_dtype(dtype) if dtype is not None else x.dtype
    return _finish(_rng[0].integers(low, high, x._data.shape).astype(dt.np), None, requires_grad)
