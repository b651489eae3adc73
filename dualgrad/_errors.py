"""Errors shared across the levels: a module that imports nothing of dualgrad, low in the
import order, so that the op table and the levels can both raise them."""

from __future__ import annotations


class NeedsLoop(RuntimeError):
    """Raised inside the batched path where vmap cannot batch what the function does (yet).

    vmap does not catch it (NOTE: [asked-for loops] in func/_transforms.py): it reaches the
    caller as the RuntimeError it is, saying what and naming the fix."""

    def __init__(self, what: str):
        super().__init__(
            f"vmap: {what}: this cannot run batched; to run the function once per batch "
            "element instead, pass fallback='loop' to dualgrad.func.vmap"
        )
