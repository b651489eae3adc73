"""Errors shared across the levels: a module that imports nothing of dualgrad, low in the
import order, so that the op table and the levels can both raise them."""

from __future__ import annotations


class NeedsLoop(RuntimeError):
    """Raised inside the batched path where only the per-element loop is known to be right;
    ``vmap`` catches it and runs the function once per batch element."""


def cannot_batch(what: str, fix: str = "") -> RuntimeError:
    """The error for what vmap cannot batch, raised at the point (issue 14: vmap never re-runs
    the user's function behind their back): what it is, the fix, and the way to a per-element
    run."""
    return RuntimeError(
        f"vmap: {what}: dualgrad cannot batch this. {fix + ' ' if fix else ''}To run the "
        "function once per batch element instead, pass fallback='loop' to dualgrad.func.vmap"
    )
