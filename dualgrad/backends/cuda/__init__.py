"""dualgrad.backends.cuda: no CUDA (NOTE: [CPU-only devices] in dualgrad/_compat/device.py). The
precision flags scripts set (``matmul.allow_tf32``, ...) are accepted and change nothing, as on a
CPU-only torch build."""

from __future__ import annotations


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: flags for CUDA matmuls, kept and ignored on the CPU."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    """False: dualgrad computes on the CPU only."""
    return False
