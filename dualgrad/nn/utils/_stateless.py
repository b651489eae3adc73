"""The pre-2.0 home of ``functional_call`` (``torch.nn.utils._stateless``), kept for seed
001's import; re-exports only."""

from .stateless import functional_call  # noqa: F401
