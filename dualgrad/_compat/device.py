"""Devices as a CPU-only torch build has them: ``device`` objects, the default device, and the
refusals for accelerators.

NOTE: [CPU-only devices] dualgrad computes with NumPy on the CPU. Code written for torch asks
for devices all the time (``x.to(device)``, ``device=`` on factories, ``.cuda()`` behind
``if torch.cuda.is_available()``); it should run here exactly as on a torch build without CUDA:
``device("cuda")`` is a valid object, ``cuda.is_available()`` is False, and putting data on an
accelerator raises torch's own error ("Torch not compiled with CUDA enabled", an
AssertionError) rather than being ignored, so a script never silently believes it ran on a GPU.
"""

from __future__ import annotations

import enum

# torch's device types, in the order of its "Expected one of ..." error
_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip
NO_ACCELERATOR = "Cannot access accelerator device when none is available."
NO_CUDA = "Torch not compiled with CUDA enabled"


class device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``.

    Any of torch's device types can be named (so code that builds ``device("cuda")`` runs), but
    only the CPU holds data (NOTE: [CPU-only devices] in device.py). As in torch, a device
    equals another device of the same type and index, never a string: compare ``d.type``.

    >>> import dualgrad as dg
    >>> dg.device("cuda:1")
    device(type='cuda', index=1)
    >>> dg.zeros(2).device == dg.device("cpu")
    True
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type=None, index=None):  # noqa: A002  (torch's keyword names)
        if isinstance(type, device) and index is None:
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(NO_ACCELERATOR)  # device(0): an accelerator's index
        if not isinstance(type, str):
            raise TypeError(
                f"device(): expected a device string such as 'cpu' or 'cuda:0', or a device, "
                f"got {type.__class__.__name__}"
            )
        name, _, idx = type.partition(":")
        if not type:
            raise RuntimeError("Device string must not be empty")
        if name not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}"
            )
        if idx or type.endswith(":"):
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            if index is not None:
                raise RuntimeError(
                    "type (string) must not include an index because index was passed "
                    f"explicitly: {type}"
                )
            index = int(idx)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(
                    f"device(): argument 'index' (position 2) must be int, not "
                    f"{index.__class__.__name__}"
                )
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self._type, self._index = name, index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self):
        return self._index

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented  # so device("cpu") == "cpu" is False, as in torch
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __reduce__(self):
        return (device, (self._type, self._index))

    # ``with dualgrad.device("cpu"):`` makes it the default device inside the block, as torch's
    def __enter__(self):
        _entered.append(_default[0])  # (a stack: __slots__ leaves no room on the object)
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        _default[0] = _entered.pop()
        return False


CPU = device("cpu")
META = device("meta")  # (NOTE: [meta tensors] in meta.py)

# The default device of factories (None: the CPU); set_default_device accepts any valid device,
# as torch does, and factories then refuse an accelerator when they are called.
_default: list = [None]
_entered: list = []


def set_default_device(d) -> None:
    """The device factories use when given none (``None`` restores the CPU).

    Any device can be set, as in torch; on an accelerator the factories then raise torch's
    CPU-only error (NOTE: [CPU-only devices] in device.py).
    """
    _default[0] = None if d is None else device(d)


def get_default_device() -> device:
    """The device of new tensors: ``device(type='cpu')`` unless set_default_device chose another
    (meta, or an accelerator, which raises here as it does in torch's factories)."""
    return META if is_meta(None) else CPU


def is_meta(d) -> bool:
    """Whether ``d`` (``None``: the default device) is the meta device (NOTE: [meta tensors] in
    meta.py); the CPU is not, and an accelerator raises as in ``check``."""
    if d is None:
        d = _default[0]
        if d is None:
            return False
    if d.__class__ is not device:
        d = device(d)
    if d._type == "meta":
        return True
    if d._type != "cpu":
        raise not_here(d._type)
    return False


def check(d) -> None:
    """Refuse a device that is not the CPU (``None``: the default device), with the error a
    CPU-only torch build raises."""
    if d is None:
        d = _default[0]
        if d is None:
            return
    if d.__class__ is not device:
        d = device(d)
    if d._type != "cpu":
        raise not_here(d._type)


def not_here(kind: str) -> BaseException:
    """torch's error for data put on a device of type ``kind`` on a CPU-only build."""
    if kind == "cuda":
        return AssertionError(NO_CUDA)
    if kind == "xpu":
        return AssertionError("Torch not compiled with XPU enabled")
    if kind == "mps":
        return RuntimeError("PyTorch is not linked with support for mps devices")
    return RuntimeError(
        f"dualgrad runs on the CPU only: it has no {kind} device (as a CPU-only torch build); "
        "use device='cpu'"
    )


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes, as ``torch.utils.dlpack.DLDeviceType``; dualgrad's data is on
    ``kDLCPU`` (``Tensor.__dlpack_device__``)."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17
