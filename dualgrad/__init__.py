"""dualgrad: automatic differentiation for NumPy with PyTorch's API.

Reverse mode to any order, forward mode with nested dual levels, and both together.
This file only re-exports.
"""

import warnings as _warnings

from . import _tensor_methods
from ._dtype import (  # noqa: F401
    bfloat16,
    can_cast,
    dtype,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    get_default_dtype,
    set_default_dtype,
    promote_types,
    result_type,
)
from ._dtype import bool_ as bool  # noqa: F401,A001
from ._factories import (  # noqa: F401
    arange,
    as_tensor,
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .random._generator import (  # noqa: F401
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .random._sampling import bernoulli, multinomial, normal, poisson  # noqa: F401
from ._grad_mode import (  # noqa: F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ._compat.device import device, get_default_device, set_default_device  # noqa: F401
from ._compat.dtype_info import finfo, iinfo  # noqa: F401
from ._printing import set_printoptions  # noqa: F401
from ._parallel import (  # noqa: F401
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)
from ._compat.real_tensors import (  # noqa: F401
    adjoint,
    conj,
    imag,
    is_complex,
    is_conj,
    is_floating_point,
    is_neg,
    layout,
    real,
    resolve_conj,
    resolve_neg,
    sparse_coo,
    sparse_csr,
    strided,
)
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.composite import *  # noqa: F401,F403
from ._ops.indexing import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.reduction import *  # noqa: F401,F403
from ._ops.shape import *  # noqa: F401,F403
from ._tensor import Size, Tensor  # noqa: F401
from ._compat.legacy import (  # noqa: F401
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    is_tensor,
    set_default_tensor_type,
    typename,
)
from ._compat.memory_format import (  # noqa: F401
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from . import autograd  # noqa: F401
from . import func  # noqa: F401
from . import random  # noqa: F401
from . import testing  # noqa: F401
from . import utils  # noqa: F401
from .utils.dlpack import from_dlpack  # noqa: F401
from .serialization import load, save  # noqa: F401
from .func import vmap  # noqa: F401
from . import backends, cuda  # noqa: F401
from math import e, inf, nan, pi  # noqa: F401
from ._compat.flags import *  # noqa: F401,F403
from ._compat import flags as _flags

float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
short = int16
half = float16

from ._compat.everyday import (  # noqa: F401,E402  (declares methods: before attach)
    angle,
    as_strided_scatter,
    asarray,
    conj_physical,
    diagflat,
    empty_strided,
    frombuffer,
    is_nonzero,
    logspace,
    unravel_index,
)
from ._compat.everyday import range  # noqa: F401,E402,A004  (torch.range, deprecated)
from ._compat.everyday import METHODS as _EXTRA_METHODS  # noqa: E402

_tensor_methods.attach()
for _name, _fn in _EXTRA_METHODS.items():
    setattr(Tensor, _name, _fn)
from ._ops.linalg_decomp import *  # noqa: F401,F403,E402
from . import linalg  # noqa: F401,E402
from .linalg._factor import METHODS as _LU_METHODS  # noqa: E402
from .linalg._factor import lu_legacy as lu, lu_unpack  # noqa: F401,E402
from .linalg._factor import lu_solve_legacy as lu_solve  # noqa: F401,E402
from .linalg._wrappers import cholesky, cholesky_inverse, triangular_solve  # noqa: F401,E402

for _name, _fn in _LU_METHODS.items():
    setattr(Tensor, _name, _fn)

# NOTE: [numpy warnings] PyTorch computes log(0) = -inf and 1/0 = inf silently; NumPy warns.
# Wrapping every kernel in np.errstate would cost more than the kernel itself on small
# tensors, so the warnings NumPy raises from inside dualgrad's kernels are filtered instead
# (only those: the filter matches warnings attributed to dualgrad._ops modules, and to the
# dispatcher, which calls a kernel's ufunc directly on the hot path, and to dualgrad.compile's
# trace and replays, which call the kernels themselves).
_warnings.filterwarnings(
    "ignore",
    category=RuntimeWarning,
    module=r"dualgrad\.(_ops\.|_dispatch$|_compile\.(trace|replay)$)",
)
from ._ops.sorting import *  # noqa: F401,F403,E402
from ._ops.special import *  # noqa: F401,F403,E402
from . import special  # noqa: F401,E402
from . import fft  # noqa: F401,E402
from ._ops.scatter import *  # noqa: F401,F403,E402
from ._ops.reindex import *  # noqa: F401,F403,E402
from ._ops.pad import pad  # noqa: F401,E402  (nn.functional.pad re-exports it)
from ._ops.joins import *  # noqa: F401,F403,E402
from ._ops.products import *  # noqa: F401,F403,E402
from ._ops.numeric import *  # noqa: F401,F403,E402
from ._ops.embed import *  # noqa: F401,F403,E402
from ._ops.statistics import *  # noqa: F401,F403,E402
from ._ops.integrate import *  # noqa: F401,F403,E402
from ._ops import conv as _conv  # noqa: F401,E402  (im2col/col2im: nn.functional.unfold/fold)
from . import nn  # noqa: F401,E402
from . import optim  # noqa: F401,E402
from . import optimize  # noqa: F401,E402
from . import distributions  # noqa: F401,E402
from ._compile import compile  # noqa: F401,E402,A004

from . import _batching_rules  # noqa: E402

_batching_rules.declare_rules()  # every op's batching rule (NOTE: [batching by kind])

from ._compat.out import install_out as _install_out  # noqa: E402

# torch's out= on the public functions that have it (NOTE: [out= by table])
_install_out(globals())
_install_out(vars(nn.functional), names=("normalize",))


def __getattr__(name):
    if name == "has_cuda":  # deprecated in torch: a module attribute that warns when read
        return _flags.has_cuda()
    # NOTE: [no complex dtypes] in _dtype.py
    if name in _COMPLEX:
        raise AttributeError(
            f"module 'dualgrad' has no attribute '{name}': dualgrad has no complex dtypes "
            "(real dtypes only); split complex data into real and imaginary parts"
        )
    raise AttributeError(f"module 'dualgrad' has no attribute '{name}'")


_COMPLEX = {"cfloat", "cdouble", "chalf", "complex32", "complex64", "complex128"}
