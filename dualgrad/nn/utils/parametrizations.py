"""torch.nn.utils.parametrizations: ``weight_norm``, ``spectral_norm`` and ``orthogonal`` as
parametrizations (dualgrad.nn.utils.parametrize), with torch's layout (``original0`` /
``original1``, the ``_u`` / ``_v`` buffers, ``base``), so state_dicts match torch's.

>>> import dualgrad as dg
>>> m = dg.nn.utils.parametrizations.orthogonal(dg.nn.Linear(3, 3))
>>> bool(dg.allclose(m.weight @ m.weight.T, dg.eye(3), atol=1e-5))
True
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import _factories
from ..._grad_mode import no_grad
from ..._ops.linalg import mv as _mv
from ..._ops.linalg import vdot as _vdot
from ..._tensor import Tensor
from .. import functional as F
from ..module import Module
from . import parametrize
from .spectral_norm import _as_matrix, _check_iterations, _default_dim
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _named_tensor(module, name):
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return weight


# ------------------------------------------------------------------ weight_norm
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name="weight", dim=0) -> Module:
    """``module.<name>`` computed as ``g * v / ||v||`` from ``parametrizations.<name>.original0``
    (g) and ``original1`` (v); ``dim=None`` takes one norm of the whole tensor."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ------------------------------------------------------------------ spectral_norm
class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        _check_iterations(n_power_iterations)
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = _as_matrix(weight, self.dim)
            h, w = mat.shape
            # torch's draws, in torch's order: u then v, then 15 iterations to start close
            u = mat.new_empty(h).normal_(0, 1)
            v = mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u.detach(), dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v.detach(), dim=0, eps=self.eps))
            self._power_method(mat, 15)

    def _power_method(self, mat, n_power_iterations):
        with no_grad():  # the buffers move in place, as torch's out= writes
            mat = mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(_mv(mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(_mv(mat.mH, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = _as_matrix(weight, self.dim)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / _vdot(u, _mv(mat, v))

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """``module.<name>`` divided by its spectral norm, estimated by power iteration on the
    buffers ``parametrizations.<name>[0]._u`` / ``_v`` (one iteration per forward in training)."""
    weight = _named_tensor(module, name)
    dim = _default_dim(module) if dim is None else dim
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


# ------------------------------------------------------------------ orthogonal
def _householder_product(a, tau):
    """torch.linalg.householder_product: the first k columns of H_1 ... H_k, H_i = I - tau_i
    v_i v_i^T with v_i column i of ``a`` below the diagonal and 1 on it (LAPACK's orgqr),
    as a product of dualgrad ops so every mode follows."""
    n, k = a.shape[-2], a.shape[-1]
    eye = _factories.eye(n, dtype=a.dtype)
    q = eye.expand(*a.shape[:-2], n, n)
    rows = np.arange(n)
    for i in range(k):
        below = _factories.tensor((rows > i).astype(a.dtype.np))
        v = a[..., :, i] * below + eye[i]
        q = q - (q @ v.unsqueeze(-1)) * (tau[..., i, None, None] * v.unsqueeze(-2))
    return q[..., :, :k]


def _make_orthogonal(a):
    """The Q of ``a``'s QR with the signs that make R's diagonal positive (torch's
    geqrf + householder_product, which is what LAPACK's QR gives)."""
    from ... import linalg

    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


def _is_orthogonal(q):
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * np.finfo(q.dtype.np).eps
    return bool(np.allclose((q.mH @ q).numpy(), np.eye(k), atol=eps, rtol=1e-5))


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        from ... import linalg, matrix_exp

        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                zeros = _factories.zeros(n, n - k, dtype=X.dtype).expand(*X.shape[:-2], -1, -1)
                X = _cat_last(X, zeros)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                eye = _factories.eye(n, dtype=A.dtype)
                Q = linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if tuple(Q.shape) != tuple(self.shape):
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor "
                    f"of shape {Q.shape}."
                )
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False."
                    )
                A = _geqrf_signed(Q)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = _factories.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(_cat_last(Q, N))
            self.base = Q
            neg_id = _factories.zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def _cat_last(a, b):
    from ..._ops.shape import cat

    return cat([a, b], -1)


def _geqrf_signed(q):
    """torch's right_inverse without trivialization: geqrf's reflectors with the diagonal
    replaced by the signs of R's (flipped where tau is 0)."""
    a = q.detach().numpy()
    out = np.empty_like(a)
    for idx in np.ndindex(a.shape[:-2]):
        h, tau = np.linalg.qr(a[idx], mode="raw")
        h = h.T.copy()
        d = np.sign(np.diagonal(h)).copy()
        d[tau == 0.0] *= -1
        np.fill_diagonal(h, d)
        out[idx] = h
    return _factories.tensor(out)


def orthogonal(module: Module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """``module.<name>`` constrained to orthogonal (or semi-orthogonal) matrices through
    ``orthogonal_map`` ('matrix_exp', 'cayley' or 'householder'; the default is 'matrix_exp'
    for square matrices, else 'householder'), the current value kept as the starting point."""
    weight = _named_tensor(module, name)
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
