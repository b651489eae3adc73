"""Activations as modules: each calls its dualgrad.nn.functional form."""

from __future__ import annotations

from ... import _factories
from .. import functional as F
from ..module import Module
from ..parameter import Parameter


class _Act(Module):
    """An activation with keyword settings ``_keys`` passed to ``_fn``."""

    _keys: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__()
        names = self._keys
        values = dict(zip(names, self._defaults))
        for k, v in zip(names, args):
            values[k] = v
        for k, v in kwargs.items():
            if k == "inplace":
                continue
            if k not in names:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument '{k}'")
            values[k] = v
        for k, v in values.items():
            setattr(self, k, v)

    _defaults: tuple = ()

    def forward(self, input):
        return type(self)._fn(input, **{k: getattr(self, k) for k in self._keys})

    def extra_repr(self):
        return ", ".join(
            f"{k}={getattr(self, k)!r}"
            if isinstance(getattr(self, k), str)
            else f"{k}={getattr(self, k)}"
            for k in self._keys
        )


def _act(name, fn, keys=(), defaults=()):
    return type(
        name,
        (_Act,),
        {
            "_fn": staticmethod(fn),
            "_keys": keys,
            "_defaults": defaults,
            "__doc__": f"Module form of {fn.__name__}.",
        },
    )


ReLU = _act("ReLU", lambda x: F.relu(x))
ReLU6 = _act("ReLU6", F.relu6)
Sigmoid = _act("Sigmoid", F.sigmoid)
Tanh = _act("Tanh", F.tanh)
SiLU = _act("SiLU", F.silu)
Mish = _act("Mish", F.mish)
SELU = _act("SELU", F.selu)
Softsign = _act("Softsign", F.softsign)
Tanhshrink = _act("Tanhshrink", F.tanhshrink)
LogSigmoid = _act("LogSigmoid", F.logsigmoid)
Hardsigmoid = _act("Hardsigmoid", F.hardsigmoid)
Hardswish = _act("Hardswish", F.hardswish)
GELU = _act("GELU", F.gelu, ("approximate",), ("none",))
ELU = _act("ELU", F.elu, ("alpha",), (1.0,))
CELU = _act("CELU", F.celu, ("alpha",), (1.0,))
LeakyReLU = _act("LeakyReLU", F.leaky_relu, ("negative_slope",), (0.01,))
Softplus = _act("Softplus", F.softplus, ("beta", "threshold"), (1.0, 20.0))
Hardtanh = _act("Hardtanh", F.hardtanh, ("min_val", "max_val"), (-1.0, 1.0))
Softshrink = _act("Softshrink", F.softshrink, ("lambd",), (0.5,))
Hardshrink = _act("Hardshrink", F.hardshrink, ("lambd",), (0.5,))
Threshold = _act("Threshold", F.threshold, ("threshold", "value"), (None, None))
GLU = _act("GLU", F.glu, ("dim",), (-1,))
Softmax = _act(
    "Softmax",
    lambda x, dim: F.softmax(x, dim if dim is not None else _implicit_dim(x)),
    ("dim",),
    (None,),
)
Softmin = _act(
    "Softmin",
    lambda x, dim: F.softmin(x, dim if dim is not None else _implicit_dim(x)),
    ("dim",),
    (None,),
)
LogSoftmax = _act(
    "LogSoftmax",
    lambda x, dim: F.log_softmax(x, dim if dim is not None else _implicit_dim(x)),
    ("dim",),
    (None,),
)


def _implicit_dim(x):
    return 0 if x.ndim in (0, 1, 3) else 1


class PReLU(Module):
    """``max(0, x) + weight * min(0, x)`` with a learnt slope: one, or one per channel
    (``num_parameters``), initialised to ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(
            _factories.full((num_parameters,), init, dtype=dtype, device=device)
        )

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
