"""dualgrad.func: composable function transforms (torch.func's API)."""

from ._jet import jet, laplacian  # noqa: F401
from ._pytree import tree_flatten, tree_map, tree_unflatten  # noqa: F401
from ._transforms import (  # noqa: F401
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
    vmap,
)
from ..nn.utils.stateless import (  # noqa: F401,E402
    functional_call,
    make_functional,
    make_functional_with_buffers,
    stack_module_state,
)
