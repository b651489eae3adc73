"""torch.fft without complex numbers: the frequency grids and the shifts, which are real.

NOTE: [fft without complex] dualgrad has no complex dtype (docs/differences.md: complex
autograd needs torch's conjugate-Wirtinger convention in every mode). The transforms whose
results are complex (fft, ifft, rfft, irfft, fft2, fftn, ...) therefore raise
NotImplementedError naming that reason, rather than return, say, magnitudes; irfft and friends
take complex input, so they have nothing to take either. fftfreq, rfftfreq, fftshift and
ifftshift are real and are torch's: the grids as torch computes them (integers times
1 / (n d) in the result's dtype), the shifts a roll (differentiable in every mode, as roll).
"""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .. import _factories
from .._compat import device as _device
from .._ops.args import int_arg, number_arg
from .._ops.reindex import roll
from .._tensor import Tensor


def _grid(k: np.ndarray, n, d, dtype, device, requires_grad, name):
    _device.check(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not dt.is_floating_point:  # (torch's mul_ by a float into an integer tensor)
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_dtype.torch_name(dt.name)}"
        )
    # torch: arange in the dtype, then mul_(1.0 / (n * d)) with the scalar in the dtype
    values = k.astype(dt.np) * dt.np.type(1.0 / (n * d))
    return _factories._finish(values, dt, requires_grad)


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    """The sample frequencies of an n-point FFT with spacing ``d``: ``[0, 1, ..., -(n // 2),
    ..., -1] / (n d)``.

    >>> import dualgrad as dg
    >>> dg.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    n = int_arg(n, "fft_fftfreq", "n", 1)
    number_arg(d, "fft_fftfreq", "d", 2)
    k = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
    return _grid(k, n, d, dtype, device, requires_grad, "fftfreq")


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    """The sample frequencies of an n-point real FFT: ``[0, 1, ..., n // 2] / (n d)``.

    >>> import dualgrad as dg
    >>> dg.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    n = int_arg(n, "fft_rfftfreq", "n", 1)
    number_arg(d, "fft_rfftfreq", "d", 2)
    return _grid(np.arange(n // 2 + 1), n, d, dtype, device, requires_grad, "rfftfreq")


def _shift(x, dim, sign, name):
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    if x.ndim == 0:  # (torch rolls by no shifts over no dims, which its roll refuses)
        raise RuntimeError("`shifts` required")
    dims = tuple(range(x.ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(int_arg(d, name, "dim", 2) for d in dims)
    return roll(x, tuple(sign * (x.shape[d] // 2) for d in dims), dims)


def fftshift(input, dim=None) -> Tensor:  # noqa: A002  (torch's keyword name)
    """``input`` with the zero frequency moved to the centre: a roll by ``n // 2`` along
    ``dim`` (every dim if None).

    >>> import dualgrad as dg
    >>> dg.fft.fftshift(dg.arange(5))
    tensor([3, 4, 0, 1, 2])
    """
    return _shift(input, dim, 1, "fft_fftshift")


def ifftshift(input, dim=None) -> Tensor:  # noqa: A002
    """The inverse of fftshift: a roll by ``-(n // 2)`` along ``dim`` (every dim if None).

    >>> import dualgrad as dg
    >>> dg.fft.ifftshift(dg.arange(5))
    tensor([2, 3, 4, 0, 1])
    """
    return _shift(input, dim, -1, "fft_ifftshift")


def _complex_transform(name):
    def transform(*args, **kwargs):
        raise NotImplementedError(
            f"torch.fft.{name} returns or takes complex tensors, and dualgrad has no complex "
            "dtype (NOTE: [fft without complex]; docs/differences.md). fftfreq, rfftfreq, "
            "fftshift and ifftshift are there; for a real spectrum compute the DFT as a matmul "
            "with cos/sin matrices"
        )

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = (
        f"Not available: torch.fft.{name} needs complex tensors (NOTE: [fft without complex])."
    )
    return transform


COMPLEX = (
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
    "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn",
)  # fmt: skip
globals().update({name: _complex_transform(name) for name in COMPLEX})
