"""``dualgrad.testing``: comparing results as torch.testing does."""

from ._comparison import assert_allclose, assert_close

__all__ = ["assert_close", "assert_allclose"]
