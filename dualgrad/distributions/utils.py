"""Helpers shared by the distributions (torch.distributions.utils): ``broadcast_all``,
``lazy_property``, and the conversions between probabilities and logits."""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .. import _dtype, _factories
from .._compat.dtype_info import finfo
from .._grad_mode import enable_grad
from .._ops import elementwise as E
from .._ops.composite import softmax
from .._tensor import Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni


def broadcast_shapes(*shapes) -> tuple:
    """The shape ``shapes`` broadcast to, or torch's RuntimeError naming the clash."""
    try:
        return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        raise RuntimeError(
            f"Shape mismatch: objects cannot be broadcast to a single shape: {list(map(tuple, shapes))}"
        ) from None


def broadcast_all(*values) -> tuple:
    """The tensors and numbers ``values`` as tensors of one broadcast shape; numbers take the
    first tensor's dtype (the default dtype if there is none).

    >>> import dualgrad as torch
    >>> [tuple(v.shape) for v in broadcast_all(torch.zeros(2, 1), 1.0, torch.ones(3))]
    [(2, 3), (2, 3), (2, 3)]
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects "
            "implementing __torch_function__."
        )
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), _dtype.get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else _factories.tensor(v, dtype=dtype) for v in values]
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in tensors)


def _sum_rightmost(value, dim: int):
    """``value`` summed over its ``dim`` rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities from log-odds (``is_binary``) or from unnormalised log-probabilities over
    the last dim."""
    return E.sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def clamp_probs(probs):
    """``probs`` clamped into [eps, 1 - eps] of their dtype."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    """Log-odds (``is_binary``) or log-probabilities from probabilities."""
    p = clamp_probs(probs)
    return E.log(p) - E.log1p(-p) if is_binary else E.log(p)


class lazy_property:
    """A property computed on first use and then stored on the instance; its value is computed
    with gradients on, so that it stays differentiable in the parameters even when first read
    under ``no_grad`` (as torch's)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_positions(n: int, diag: int):
    """Row-major flat positions of an n x n matrix's lower triangle from diagonal ``diag``."""
    rows, cols = np.indices((n, n))
    return np.flatnonzero(cols < rows + (diag + 1))


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle of (a batch of) square matrices from diagonal ``diag``, in row order
    (torch.distributions.utils.tril_matrix_to_vec): a gather, so every mode follows."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat[..., _factories.tensor(_tril_positions(n, diag))]


def vec_to_tril_matrix(vec, diag: int = 0):
    """(A batch of) lower triangular matrices filled in row order from ``vec``, zero above
    diagonal ``diag`` (torch's vec_to_tril_matrix): the vector, a zero in front, gathered."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > finfo(vec.dtype).eps:
        raise ValueError(
            f"The size of last dimension is {m} which cannot be expressed as "
            "the lower triangular part of a square D x D matrix."
        )
    n = round(n)
    source = np.zeros(n * n, dtype=np.int64)  # position 0 of the padded vector is the zero
    source[_tril_positions(n, diag)] = np.arange(1, m + 1)
    lead = tuple(vec.shape[:-1])
    padded = _factories.zeros(lead + (1,), dtype=vec.dtype)
    from .._ops.shape import cat

    padded = cat([padded, vec], -1)
    return padded[..., _factories.tensor(source)].reshape(lead + (n, n))


def expand_probs_or_logits(self, new, batch_shape):
    """``expand``'s part for a distribution given by probs or logits: whichever of the two is
    set (a lazy property not yet read is not), expanded into ``new``, as its ``_param``."""
    for name in ("probs", "logits"):
        if name in self.__dict__:
            setattr(new, name, getattr(self, name).expand(batch_shape))
            new._param = getattr(new, name)
