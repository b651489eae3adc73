"""Tensor.resize_ and resize_as_: a tensor's shape changed in place, keeping its leading
elements in row-major order (torch keeps its storage and reinterprets it).

As torch, a tensor that requires grad refuses (autograd cannot follow a change of shape in
place). Two differences, both deliberate: new elements are zeros where torch leaves memory
uninitialised (reading them is undefined there, so zeros are one of its possible values), and
a view refuses where torch resizes the shared storage under every other view of it (dualgrad's
views derive from their base, NOTE: [views and in-place] in _views.py; resize a ``clone()``).
"""

from __future__ import annotations

import numpy as np

from .._tensor import size_arg

__all__: list = []  # Tensor methods, attached by _tensor_methods.attach


def resize_(self, *sizes, memory_format=None):
    """``self`` reshaped in place to ``sizes``: the leading elements kept, new ones zero.

    >>> import dualgrad as dg
    >>> x = dg.arange(6.0)
    >>> x.resize_(2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    from .._views import _View

    shape = size_arg(sizes, "resize_")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if isinstance(self, _View) or self._alias_hook is not None:
        raise RuntimeError(
            "resize_: cannot resize a view or a wrapped (vmap, transform) tensor in dualgrad; "
            "resize a copy: y = x.clone().resize_(...)"
        )
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    n = int(np.prod(shape, dtype=np.int64))
    flat = self._data.reshape(-1)
    if n <= flat.size:
        data = flat[:n].reshape(shape)
    else:
        data = np.zeros(n, dtype=flat.dtype)
        data[: flat.size] = flat
        data = data.reshape(shape)
    self._data = data
    self._version_counter()[0] += 1
    return self


def resize_as_(self, other, memory_format=None):
    """``self.resize_(other.shape)``."""
    return resize_(self, tuple(other.shape))


METHODS = {"resize_": resize_, "resize_as_": resize_as_}
