"""dualgrad.linalg: torch.linalg's functions. This file only re-exports."""

from .._kernel_errors import LinAlgError  # noqa: F401
from .._ops.linalg import linalg_cross as cross  # noqa: F401
from .._ops.linalg import matmul  # noqa: F401
from .._ops.linalg_decomp import (  # noqa: F401
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_power,
    multi_dot,
    pinv,
    slogdet,
    solve,
    solve_triangular,
    svdvals,
    vecdot,
    vector_norm,
)
from .._ops.linalg_decomp import linalg_norm as norm  # noqa: F401
from .._ops.linalg_decomp import linalg_qr as qr  # noqa: F401
from .._ops.linalg_decomp import linalg_svd as svd  # noqa: F401
from ._factor import ldl_factor, ldl_factor_ex, ldl_solve  # noqa: F401,E402
from ._factor import lu, lu_factor, lu_factor_ex, lu_solve  # noqa: F401,E402
from ._composites import cond, diagonal, vander  # noqa: F401,E402
from ._wrappers import (  # noqa: F401,E402
    cholesky_ex,
    inv_ex,
    matrix_rank,
    solve_ex,
    tensorinv,
    tensorsolve,
)
