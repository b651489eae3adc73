"""What torch's complex and sparse machinery says of a real, strided tensor, which is every
dualgrad tensor: ``real`` is the tensor itself, ``imag`` raises, ``conj()`` is the tensor,
``is_sparse`` is False, ``to_dense()`` is the tensor, the layout is ``strided``; and the other
questions code asks of a tensor (``is_xpu``, ``data_ptr()``, ``H``, ...).

NOTE: [real, strided tensors] Complex and sparse tensors are refused (DESIGN.md, dtypes), so
each of these is torch's answer for a real strided CPU tensor: code that checks ``is_sparse``
or calls ``x.real`` / ``x.conj()`` on real data runs unchanged. Where torch returns its input
object (``real``, ``conj()``, ``to_dense()``, ``resolve_conj()``), so does dualgrad.
"""

from __future__ import annotations

import warnings

from .._ops import shape as S
from .._tensor import Tensor
from . import device as _device


class layout:
    """How a tensor's elements are laid out: ``dualgrad.strided`` (dense, the only one dualgrad
    has), and torch's other names, so code can compare against them."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"dualgrad.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")

_NO_SPARSE = (
    "dualgrad has no sparse tensors (NOTE: [real, strided tensors]); keep the dense tensor, "
    "which every op takes"
)


def _tensor_arg(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )


def is_complex(input) -> bool:
    """False: dualgrad's tensors are real (NOTE: [real, strided tensors])."""
    _tensor_arg(input, "is_complex")
    return input._data.dtype.kind == "c"


def is_floating_point(input) -> bool:
    """Whether ``input``'s dtype is a floating one.

    >>> import dualgrad as dg
    >>> dg.is_floating_point(dg.tensor([1.0])), dg.is_floating_point(dg.tensor([1]))
    (True, False)
    """
    _tensor_arg(input, "is_floating_point")
    return input._data.dtype.kind == "f"


def real(input) -> Tensor:
    """The real part: ``input`` itself, as torch's for a real tensor."""
    _tensor_arg(input, "real")
    return input


def imag(input) -> Tensor:
    """Raises, as torch's for a real tensor."""
    _tensor_arg(input, "imag")
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def conj(input) -> Tensor:
    """The complex conjugate: ``input`` itself for a real tensor, as torch's."""
    _tensor_arg(input, "conj")
    return input


def resolve_conj(input) -> Tensor:
    """``input`` itself: a real tensor has no lazy conjugation to resolve."""
    _tensor_arg(input, "resolve_conj")
    return input


def resolve_neg(input) -> Tensor:
    """``input`` itself: a real tensor has no lazy negation to resolve."""
    _tensor_arg(input, "resolve_neg")
    return input


def is_conj(input) -> bool:
    """False: dualgrad tensors are real and never carry torch's lazy conjugate bit."""
    _tensor_arg(input, "is_conj")
    return False


def is_neg(input) -> bool:
    """False: dualgrad tensors never carry torch's lazy negative bit."""
    _tensor_arg(input, "is_neg")
    return False


def adjoint(input) -> Tensor:
    """The conjugate transpose of the last two dims: their transpose for a real tensor."""
    _tensor_arg(input, "adjoint")
    if input.ndim < 2:
        raise RuntimeError(
            "tensor.adjoint() is only supported on matrices or batches of matrices. "
            f"Got {input.ndim}-D tensor."
        )
    return S.transpose(input, -2, -1)


def _H(self) -> Tensor:
    if self.ndim == 0:
        warnings.warn(
            "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
            UserWarning,
            stacklevel=2,
        )
        return self
    if self.ndim != 2:
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
        )
    return S.transpose(self, 0, 1)


def _mH(self) -> Tensor:
    if self.ndim < 2:
        raise RuntimeError(
            "tensor.mH is only supported on matrices or batches of matrices. "
            f"Got {self.ndim}-D tensor."
        )
    return S.transpose(self, -2, -1)


def _real_setter(self, value) -> None:
    self.copy_(value)  # (writing the real part of a real tensor writes the tensor)


def _to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
    """x itself (or x in ``dtype``): every dualgrad tensor is dense (strided)."""
    return self if dtype is None else self.to(dtype)


def _to_sparse(self, *args, **kwargs):
    """Raises NotImplementedError: dualgrad has no sparse layouts."""
    raise NotImplementedError(f"to_sparse: {_NO_SPARSE}")


def _sparse_only(name: str):
    def method(self, *args, **kwargs):
        raise RuntimeError(f"{name} expected sparse {_KIND[name]} layout but got Strided")

    method.__name__ = name
    method.__doc__ = f"Raises torch's error for a dense tensor: ``{name}()`` is for sparse ones."
    return method


_KIND = {"indices": "coordinate tensor", "values": "tensor"}


def _data_ptr(self) -> int:
    """The address of the first element (NumPy's ``ctypes.data``), as torch's (0 on meta)."""
    return 0 if self.is_meta else self._data.ctypes.data


def _record_stream(self, stream):
    """Raises torch's CPU-only error: streams are CUDA's."""
    raise _device.not_here("cuda")  # (streams are CUDA's: NOTE: [CPU-only devices])


_FALSE = (
    "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_nested", "is_xpu", "is_mps",
    "is_ipu", "is_vulkan", "is_mtia", "is_maia", "is_hpu",
)  # fmt: skip

METHODS = {
    "is_complex": is_complex,
    "conj": conj,
    "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg,
    "is_conj": is_conj,
    "is_neg": is_neg,
    "adjoint": adjoint,
    "to_dense": _to_dense,
    "to_sparse": _to_sparse,
    "indices": _sparse_only("indices"),
    "values": _sparse_only("values"),
    "sparse_dim": lambda self: 0,
    "dense_dim": lambda self: self.ndim,
    "data_ptr": _data_ptr,
    "record_stream": _record_stream,
}
PROPERTIES = {
    "real": property(real, _real_setter),
    "imag": property(imag),
    "H": property(_H),
    "mH": property(_mH),
    "layout": property(lambda self: strided),
    **{name: property(lambda self: False) for name in _FALSE},
}


def attach() -> None:
    """Give Tensor these methods and properties (called by _tensor_methods.attach)."""
    for name, fn in {**METHODS, **PROPERTIES}.items():
        setattr(Tensor, name, fn)
