"""Sampling ops: the in-place random methods (``uniform_``, ``normal_``, ...) and ``bernoulli``,
``normal``, ``poisson``, ``multinomial``. Every one takes ``generator=`` (NOTE: [dualgrad's
random streams] in _generator.py) and follows vmap's ``randomness`` as ``rand`` does.

# NOTE: [samples are constants]
A sample is a constant of its parameters for autograd, as in torch (derivatives.yaml gives
``normal``, ``bernoulli`` and ``poisson`` zero gradients): the output of one whose parameter
requires grad requires grad too, with a zero gradient (``_zero_link``); an in-place sample
writes through ``copy_``, which gives the overwritten value its zero gradient.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .._compat import device as _device
from .._compat.meta import MetaArray
from .._factories import _check_vmap_randomness, _finish, _float_only, _shape, rand, randn, tensor
from ._generator import numpy_rng
from .._grad_mode import state as _grad_state
from .._inplace_methods import _copy_
from .._ops import elementwise as E
from .._ops.indexing import known_values
from .._tensor import Tensor

_TYPE_NAMES = {"i": "Long", "b": "Bool"}


def _type_name(x) -> str:
    return _TYPE_NAMES.get(x._data.dtype.kind, str(x._data.dtype))


def _floating(x, kernel: str) -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(x)}'")


def _floating_dt(values, dt):
    return values.astype(_float_only(dt.np, "normal_kernel_cpu"))


def _write(self, values: np.ndarray, op: str):
    return _copy_(self, tensor(values.astype(self._data.dtype)), name=op)


def _draw(self, op: str, generator, sample):
    """Fill ``self`` in place with ``sample(rng, shape)``."""
    _check_vmap_randomness()
    if isinstance(getattr(self, "_data", None), MetaArray):
        # no data, so no draw: torch's samplers leave the generator as it was for a meta
        # tensor (a module made on the meta device, as nn.utils.skip_init does, draws nothing)
        return self
    rng = numpy_rng(generator, op)
    return _write(self, np.asarray(sample(rng, tuple(self.shape))), op)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with samples uniform on [a, b)."""
    _floating(self, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
        )
    return _draw(self, "uniform_", generator, lambda rng, shape: rng.uniform(a, b, shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples of N(mean, std**2)."""
    _floating(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _draw(self, "normal_", generator, lambda rng, shape: rng.normal(mean, std, shape))


def _continuous(self, op: str) -> None:
    if self._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {_type_name(self)}"
        )


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with samples of the exponential distribution of rate ``lambd``."""
    _continuous(self, "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _draw(
        self, "exponential_", generator, lambda rng, shape: rng.exponential(1.0 / lambd, shape)
    )


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with samples of the Cauchy distribution."""
    _continuous(self, "Cauchy")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return _draw(
        self,
        "cauchy_",
        generator,
        lambda rng, shape: median + sigma * rng.standard_cauchy(shape),
    )


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with samples whose log is N(mean, std**2)."""
    _continuous(self, "LogNormal")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _draw(self, "log_normal_", generator, lambda rng, shape: rng.lognormal(mean, std, shape))


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _draw(self, "geometric_", generator, lambda rng, shape: rng.geometric(p, shape))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability ``p`` (a number or a tensor broadcast to self), else 0."""
    if isinstance(p, Tensor):
        _check_probabilities(p, "bernoulli_")
        u = rand(tuple(self.shape), dtype=_dtype.float64, generator=generator)
        return _copy_(self, E.lt(u, p.detach()).to(self.dtype), name="bernoulli_")
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _draw(self, "bernoulli_", generator, lambda rng, shape: rng.random(shape) < p)


def _random_bounds(self, low, high):
    """random_'s range [low, high) (torch: without ``to``, up to the largest integer the dtype
    holds exactly, that one included)."""
    kind = self._data.dtype.kind
    if high is None:
        if kind == "f":
            high = 2 ** (np.finfo(self._data.dtype).nmant + 1) + 1
        else:
            high = 2 if kind == "b" else int(np.iinfo(self._data.dtype).max) + 1
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    return low, high


def random_(self, from_=0, to=None, *, generator=None):
    """Fill with integers uniform on [from, to); ``random_(to)`` is ``random_(0, to)``."""
    if to is None and from_ != 0:
        from_, to = 0, from_  # random_(to)
    low, high = _random_bounds(self, from_, to)
    return _draw(
        self,
        "random_",
        generator,
        lambda rng, shape: rng.integers(low, high, shape, dtype=np.int64, endpoint=False),
    )


def _check_probabilities(p, op: str) -> None:
    values = known_values(p)
    if values is not None and values.size and not ((values >= 0) & (values <= 1)).all():
        raise RuntimeError(
            f"{op}: Expected p_in >= 0 && p_in <= 1 to be true, but got false. (probabilities "
            "must lie in [0, 1])"
        )


def _zero_link(out, *params):
    """``out`` with a zero gradient to each parameter that requires grad (NOTE: [samples are
    constants])."""
    for x in params:
        if isinstance(x, Tensor) and x.requires_grad and _grad_state.enabled:
            out = E.where(tensor(False), x, out)
    return out


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or the number ``p``) per element, else 0, in input's dtype.

    >>> import dualgrad as torch
    >>> torch.bernoulli(torch.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    _floating(input, "bernoulli_tensor_cpu_p_" if p is None else "bernoulli_scalar_cpu_")
    if p is not None:
        out = bernoulli_(E.clone(input.detach()), p, generator=generator)
        return _zero_link(out, input)
    _check_probabilities(input, "bernoulli")
    u = rand(tuple(input.shape), dtype=_dtype.float64, generator=generator)
    return _zero_link(E.lt(u, input.detach()).to(input.dtype), input)


def normal(
    mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
):
    """Samples of N(mean, std**2): ``mean`` and ``std`` tensors (broadcast) or numbers; for two
    numbers, ``size`` gives the shape."""
    _device.check(device)
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments: two numbers "
                "need a size, normal(mean, std, size)"
            )
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        _check_vmap_randomness()
        values = numpy_rng(generator, "normal").normal(mean, std, _shape((size,), "normal"))
        dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        return _finish(_floating_dt(values, dt), None, requires_grad)
    for x in tensors:
        _floating(x, "normal_kernel_cpu")
    if not isinstance(std, Tensor) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if isinstance(std, Tensor):
        values = known_values(std)
        if values is not None and values.size and (values < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    # torch's normal(Tensor, Tensor) writes into a tensor like mean: mean's dtype, not the
    # promoted one (a float64 std leaves a float32 mean's draws float32)
    dt = tensors[0].dtype
    shape = np.broadcast_shapes(*[tuple(x.shape) for x in tensors])
    noise = randn(shape, generator=generator, dtype=dt)
    plain = [x.detach() if isinstance(x, Tensor) else x for x in (mean, std)]
    out = plain[0] + plain[1] * noise
    return _zero_link(out if out.dtype is dt else out.to(dt), *tensors)


def _value_dependent(x, op: str) -> np.ndarray:
    values = known_values(x)
    if values is None:
        raise RuntimeError(
            f"vmap: {op} of a batched tensor draws per element, which randomness='same' cannot "
            "give in one batched run; pass randomness='different' to vmap"
        )
    return values


def poisson(input, generator=None):
    """Samples of Poisson(rate) per element of ``input``, in its dtype."""
    _floating(input, "poisson_cpu")
    _check_vmap_randomness()
    rates = _value_dependent(input, "poisson")
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    # (np.asarray: NumPy hands back a Python int for a 0-d rate)
    out = np.asarray(numpy_rng(generator, "poisson").poisson(rates)).astype(rates.dtype)
    return _zero_link(tensor(out), input)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the categories of each row of ``input`` (weights, not necessarily
    normalised): ``num_samples`` per row, distinct unless ``replacement``. int64."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {_type_name(input)}"
        )
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    _check_vmap_randomness()
    p = _value_dependent(input, "multinomial").astype(np.float64).reshape(-1, k)
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = numpy_rng(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(p, -1)
        cdf /= cdf[:, -1:]
        u = rng.random((p.shape[0], num_samples))
        # side='right': a category of probability 0 spans an empty interval, never chosen
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        idx = np.minimum(idx, k - 1)
    else:
        # torch's way: the largest p / Exp(1) keys, a draw without replacement by weight
        with np.errstate(divide="ignore"):
            keys = p / rng.exponential(size=p.shape)
        idx = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    return tensor(idx.reshape(*input.shape[:-1], num_samples).astype(np.int64))


# the methods, bound to Tensor by _tensor_methods.attach()
METHODS = {"bernoulli": bernoulli, "multinomial": multinomial}
INPLACE_METHODS = {
    f.__name__: f
    for f in (
        uniform_,
        normal_,
        bernoulli_,
        exponential_,
        random_,
        cauchy_,
        log_normal_,
        geometric_,
    )
}
