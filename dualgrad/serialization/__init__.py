"""dualgrad.serialization: ``save`` and ``load`` in PyTorch's checkpoint format, as
torch.serialization (the format and the weights-only rules: _format.py)."""

from ._format import load, save  # noqa: F401
