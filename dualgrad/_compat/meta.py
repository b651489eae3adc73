"""The meta device as torch has it: tensors with a shape and a dtype and no data.

NOTE: [meta tensors] A meta tensor is a tensor whose ``_data`` is a ``MetaArray``: a NumPy array
subclass of the right shape and dtype whose strides are all zero over a single element, so it
costs no memory whatever its shape. Ops need no rule of their own and the dispatcher no branch:
NumPy hands every ufunc and array function on a MetaArray to the class (``__array_ufunc__``,
``__array_function__``), which runs it on the zero-strided arrays, keeps only the result's
shape and dtype and returns a MetaArray again (shape propagation by evaluation; the result's
memory lives only for that call; an element-wise ufunc runs on one element only, its shape
being the inputs' broadcast). ``astype``/``copy``, which NumPy does not route there, are
overridden the same way. Where data would be read (``item()``, ``numpy()``, ``tolist()``,
printing, ``.to('cpu')``) Tensor checks for a MetaArray and raises or prints as torch does.
A meta tensor is writable (its one element absorbs every write), so in-place ops and in-place
initialisers run on it as on torch's.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

META_NUMPY = (
    "can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
    "memory first."
)
NO_DATA = "Cannot copy out of meta tensor; no data!"
NO_DATA_MODULE = (
    NO_DATA + " Please use torch.nn.Module.to_empty() instead of torch.nn.Module.to() when "
    "moving module from meta to a different device."
)


class MetaArray(np.ndarray):
    """A shape and a dtype dressed as an array (NOTE: [meta tensors])."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and ufunc.signature is None and not kwargs:
            # element-wise: the broadcast shape, and the dtype from 0-d arrays of the inputs'
            # dtypes (Python numbers stay numbers: NumPy's promotion treats them apart)
            shape = np.broadcast_shapes(*(np.shape(x) for x in inputs))
            small = [np.zeros((), x.dtype) if isinstance(x, np.ndarray) else x for x in inputs]
            with np.errstate(all="ignore"):
                result = ufunc(*small)
            if isinstance(result, tuple):
                return tuple(meta_array(shape, np.result_type(r)) for r in result)
            return meta_array(shape, np.result_type(result))
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        with np.errstate(all="ignore"):  # (the values are placeholders: no warning is meant)
            result = getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _as_meta(result)

    def __array_function__(self, func, types, args, kwargs):
        with np.errstate(all="ignore"):
            return _as_meta(func(*_plain_all(args), **_plain_all(kwargs)))

    def astype(self, dtype, *args, **kwargs):
        return meta_array(self.shape, np.dtype(dtype))

    def copy(self, order="C"):
        return meta_array(self.shape, self.dtype)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (meta_array, (self.shape, self.dtype))


def meta_array(shape, dtype) -> MetaArray:
    """A MetaArray of ``shape`` and ``dtype``: one element, zero strides."""
    one = np.zeros((), dtype)
    return as_strided(one, tuple(shape), (0,) * len(shape)).view(MetaArray)


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, MetaArray) else x


def _plain_all(x):
    if isinstance(x, MetaArray):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain_all(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain_all(v) for k, v in x.items()}
    return x


def _as_meta(result):
    if isinstance(result, np.ndarray):
        return meta_array(result.shape, result.dtype)
    if isinstance(result, np.generic):  # a 0-d result NumPy made a scalar
        return meta_array((), result.dtype)
    if isinstance(result, tuple):
        return tuple(_as_meta(r) for r in result)
    if isinstance(result, list):
        return [_as_meta(r) for r in result]
    return result
