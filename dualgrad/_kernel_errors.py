"""Kernel errors in torch's words: what the dispatcher raises when a NumPy kernel refuses.

The kernels are called inside ``try`` blocks in _dispatch.py and _ground.py (free until something raises);
``kernel_error`` turns NumPy's exception into the one torch raises.
"""

from __future__ import annotations

import numpy as np


_ndarray = np.ndarray


# NOTE: [kernel errors] NumPy reports shape mismatches as ValueError ("operands could not be
# broadcast together ..."); torch raises RuntimeError, and code written for torch catches that.
# The kernels are called in three places in _dispatch.py and _ground.py, each inside a try that costs nothing
# until a kernel raises; there the error becomes torch's: the broadcast message with the sizes
# and the dimension, or, for NumPy's other shape complaints, a RuntimeError naming the op and
# the input shapes; NumPy's LinAlgError (a ValueError) becomes torch's. Other ValueErrors (an
# op's own argument checks) pass through unchanged.
_SHAPE_WORDS = ("shape", "broadcast", "dimension", "size", "axis")


class LinAlgError(RuntimeError):
    """A linear-algebra kernel could not complete (a singular matrix, no convergence): torch's
    ``torch.linalg.LinAlgError``, a RuntimeError. NumPy's own LinAlgError never escapes."""


# torch's words where NumPy's kernel refuses, by primitive (others: the op's name and NumPy's)
_LINALG_ERRORS = {
    "linalg_solve": "torch.linalg.solve: The solver failed because the input matrix is singular.",
    "eigh": "linalg.eigh: The algorithm failed to converge because the input matrix is "
    "ill-conditioned or has too many repeated eigenvalues",
    "svd": "linalg.svd: The algorithm failed to converge because the input matrix is "
    "ill-conditioned or has too many repeated singular values",
}


def kernel_error(op, args, err):
    """The exception to raise for ``err``, a ValueError from ``op``'s kernel on ``args``."""
    msg = str(err)
    if isinstance(err, np.linalg.LinAlgError):
        return LinAlgError(_LINALG_ERRORS.get(op.name, f"linalg.{op.name}: {msg}"))
    # tensors by their array (this module imports nothing of dualgrad: no import circle)
    arrays = [getattr(a, "_data", a) for a in args]
    shapes = [a.shape for a in arrays if isinstance(a, _ndarray)]
    if msg.startswith("operands could not be broadcast together"):
        mismatch = _broadcast_mismatch(shapes)
        if mismatch is not None:
            return RuntimeError(mismatch)
    if msg.startswith("Integers to negative integer powers"):  # torch: a RuntimeError
        return RuntimeError(msg)
    if any(w in msg for w in _SHAPE_WORDS):
        listed = ", ".join(str(list(s)) for s in shapes)
        return RuntimeError(f"{op.name}: {msg} (input shapes {listed})")
    return err


def _broadcast_mismatch(shapes):
    """torch's message for the first pair of sizes that do not broadcast (infer_size: the
    shapes are combined left to right, each compared from its last dimension)."""
    if not shapes:
        return None
    acc = tuple(shapes[0])
    for s in shapes[1:]:
        s = tuple(s)
        ndim = max(len(acc), len(s))
        a = (1,) * (ndim - len(acc)) + acc
        b = (1,) * (ndim - len(s)) + s
        for i in range(ndim - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return (
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                    f"at non-singleton dimension {i}"
                )
        acc = tuple(x if y == 1 else y for x, y in zip(a, b))
    return None
