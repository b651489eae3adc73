"""Errors shared across the levels: a module that imports nothing of dualgrad, low in the
import order, so that the op table and the levels can both raise them."""

from __future__ import annotations


def cannot_batch(what: str, fix: str = "") -> RuntimeError:
    """The error for what vmap cannot batch, raised at the point: vmap never re-runs the user's
    function behind their back (NOTE: [asked-for loops] in func/_transforms.py). It says what,
    the fix, and the way to a per-element run."""
    return RuntimeError(
        f"vmap: {what}: dualgrad cannot batch this. {fix + ' ' if fix else ''}To run the "
        "function once per batch element instead, pass fallback='loop' to dualgrad.func.vmap"
    )
