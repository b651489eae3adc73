"""Errors shared across the levels: a module that imports nothing of dualgrad, low in the
import order, so that the op table and the levels can both raise them."""

from __future__ import annotations


class NeedsLoop(RuntimeError):
    """Raised inside the batched path where only the per-element loop is known to be right;
    ``vmap`` catches it and runs the function once per batch element."""
