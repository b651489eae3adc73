"""SparseAdam, refused: it exists for sparse gradients, and dualgrad has no sparse tensors."""

from __future__ import annotations


class SparseAdam:
    """torch.optim.SparseAdam updates only the rows a sparse gradient touches; dualgrad has no
    sparse tensors (its Embedding gradients are dense), so it refuses at construction, where
    torch would refuse the dense gradients at the first step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        raise RuntimeError(
            "SparseAdam does not support dense gradients, please consider Adam instead "
            "(dualgrad has no sparse tensors, so every gradient is dense)"
        )
