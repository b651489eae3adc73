"""dualgrad.serialization: ``save`` and ``load`` in PyTorch's checkpoint format, as
torch.serialization (the format and the weights-only rules: _format.py)."""

from ._format import (  # noqa: F401
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    load,
    safe_globals,
    save,
)
