"""dualgrad.random: generators and the default generator's functions (torch.random).

_generator.py holds ``Generator`` and the default generator; _sampling.py the sampling ops
(``bernoulli``, ``normal``, ``poisson``, ``multinomial``, the in-place random methods).
"""

from ._generator import (  # noqa: F401
    Generator,
    default_generator,
    fork_rng,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
