"""dualgrad.nn.attention (torch.nn.attention): the ``SDPBackend`` names and the ``sdpa_kernel``
context manager. dualgrad has one implementation of scaled_dot_product_attention, the math
one (a composite of matmul and softmax, every mode by construction), so choosing backends
selects nothing: the context manager checks its argument and leaves the computation as it is.

>>> import dualgrad as dg
>>> from dualgrad.nn.attention import SDPBackend, sdpa_kernel
>>> q = dg.ones(1, 2, 3)
>>> with sdpa_kernel(SDPBackend.MATH):
...     dg.nn.functional.scaled_dot_product_attention(q, q, q).shape
dualgrad.Size([1, 2, 3])
"""

from __future__ import annotations

import contextlib
from enum import Enum

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(Enum):
    """The backends torch's scaled_dot_product_attention may use (names and values as
    torch's); dualgrad's is always MATH."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value

    def __str__(self):
        return f"SDPBackend.{self.name}"


_current = [list(SDPBackend)[1:]]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block, scaled_dot_product_attention may use ``backends`` (one SDPBackend or
    a list). dualgrad computes attention one way, the math backend's, whatever is chosen."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
            f"{type(backends).__name__}"
        )
    _current.append([backends] if isinstance(backends, SDPBackend) else list(backends))
    try:
        yield
    finally:
        _current.pop()
