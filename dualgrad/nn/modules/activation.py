"""Activations as modules: each calls its dualgrad.nn.functional form."""

from __future__ import annotations

from ... import _factories
from .. import functional as F
from ..module import Module
from ..parameter import Parameter


class _Act(Module):
    """An activation with keyword settings ``_keys`` passed to ``_fn`` (and ``inplace``, last,
    where torch's module has it: NOTE: [inplace activations] in nn/functional.py)."""

    _keys: tuple = ()
    _defaults: tuple = ()
    _inplace = False  # whether the module takes ``inplace``

    def __init__(self, *args, **kwargs):
        super().__init__()
        names = self._keys + (("inplace",) if self._inplace else ())
        values = dict(zip(names, self._defaults + (False,)))
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} arguments")
        for k, v in zip(names, args):
            values[k] = v
        for k, v in kwargs.items():
            if k not in names:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument '{k}'")
            values[k] = v
        for k, v in values.items():
            setattr(self, k, v)

    def forward(self, input):
        settings = {k: getattr(self, k) for k in self._keys}
        if self._inplace:
            settings["inplace"] = self.inplace
        return type(self)._fn(input, **settings)

    def extra_repr(self):
        shown = [
            f"{k}={getattr(self, k)!r}"
            if isinstance(getattr(self, k), str)
            else f"{k}={getattr(self, k)}"
            for k in self._keys
        ]
        if self._inplace and self.inplace:  # torch shows it only when set
            shown.append("inplace=True")
        return ", ".join(shown)


def _act(name, fn, keys=(), defaults=(), inplace=False):
    return type(
        name,
        (_Act,),
        {
            "_fn": staticmethod(fn),
            "_keys": keys,
            "_defaults": defaults,
            "_inplace": inplace,
            "__doc__": f"Module form of {fn.__name__}.",
        },
    )


ReLU = _act("ReLU", F.relu, inplace=True)
ReLU6 = _act("ReLU6", F.relu6, inplace=True)
Sigmoid = _act("Sigmoid", F.sigmoid)
Tanh = _act("Tanh", F.tanh)
SiLU = _act("SiLU", F.silu, inplace=True)
Mish = _act("Mish", F.mish, inplace=True)
SELU = _act("SELU", F.selu, inplace=True)
Softsign = _act("Softsign", F.softsign)
Tanhshrink = _act("Tanhshrink", F.tanhshrink)
LogSigmoid = _act("LogSigmoid", F.logsigmoid)
Hardsigmoid = _act("Hardsigmoid", F.hardsigmoid, inplace=True)
Hardswish = _act("Hardswish", F.hardswish, inplace=True)
GELU = _act("GELU", F.gelu, ("approximate",), ("none",))
ELU = _act("ELU", F.elu, ("alpha",), (1.0,), inplace=True)
CELU = _act("CELU", F.celu, ("alpha",), (1.0,), inplace=True)
LeakyReLU = _act("LeakyReLU", F.leaky_relu, ("negative_slope",), (0.01,), inplace=True)
Softplus = _act("Softplus", F.softplus, ("beta", "threshold"), (1.0, 20.0))
Hardtanh = _act("Hardtanh", F.hardtanh, ("min_val", "max_val"), (-1.0, 1.0), inplace=True)
Softshrink = _act("Softshrink", F.softshrink, ("lambd",), (0.5,))
Hardshrink = _act("Hardshrink", F.hardshrink, ("lambd",), (0.5,))
Threshold = _act("Threshold", F.threshold, ("threshold", "value"), (None, None), inplace=True)
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


# torch defines MultiheadAttention in this module (torch.nn.modules.activation.MultiheadAttention)
from .attention import MultiheadAttention  # noqa: E402,F401
