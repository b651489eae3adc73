"""parameters_to_vector and vector_to_parameters (torch.nn.utils)."""

from __future__ import annotations

from ..._grad_mode import no_grad
from ..._ops.shape import cat


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place and without
    history."""
    i = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[i : i + n].reshape(tuple(p.shape)))
            i += n
