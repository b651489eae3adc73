"""dualgrad.serialization: ``save`` and ``load`` in PyTorch's checkpoint format, as torch.serialization."""

from ._serialization import load, save  # noqa: F401
