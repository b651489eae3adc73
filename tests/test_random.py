"""Random numbers against torch: generators and their states, generator= everywhere, the
in-place random methods and the sampling functions. dualgrad's streams are not torch's (NOTE:
[dualgrad's random streams] in _generator.py), so values are compared only through shapes,
dtypes, ranges, errors and the moments of large samples."""

import math

import numpy as np
import pytest
import torch

import dualgrad
from dualgrad.func import vmap

N = 200_000


def _np(t):
    return np.asarray(t._data if isinstance(t, dualgrad.Tensor) else t.numpy(), dtype=np.float64)


# each case: a sampler given (module, generator) -> tensor; both libraries run it
FACTORIES = {
    "rand": lambda m, g: m.rand(3, 4, generator=g),
    "randn": lambda m, g: m.randn(3, 4, generator=g, dtype=m.float64),
    "randint": lambda m, g: m.randint(2, 9, (5,), generator=g),
    "randperm": lambda m, g: m.randperm(7, generator=g),
    "rand_like": lambda m, g: m.rand_like(m.zeros(2, 3), generator=g),
    "randn_like": lambda m, g: m.randn_like(m.zeros(2, 3, dtype=m.float64), generator=g),
    "randint_like": lambda m, g: m.randint_like(m.zeros(4), 3, 6, generator=g),
    "normal": lambda m, g: m.normal(m.zeros(3, 1), m.ones(4), generator=g),
    "normal_numbers": lambda m, g: m.normal(2.0, 3.0, (2, 5), generator=g),
    "bernoulli": lambda m, g: m.bernoulli(m.full((6,), 0.3), generator=g),
    "poisson": lambda m, g: m.poisson(m.full((6,), 2.0), generator=g),
    "multinomial": lambda m, g: m.multinomial(m.ones(2, 5), 3, generator=g),
    "multinomial_repl": lambda m, g: m.multinomial(m.ones(5), 8, True, generator=g),
    "uniform_": lambda m, g: m.zeros(5).uniform_(-1, 2, generator=g),
    "normal_": lambda m, g: m.zeros(5).normal_(1, 2, generator=g),
    "bernoulli_": lambda m, g: m.zeros(5).bernoulli_(0.5, generator=g),
    "exponential_": lambda m, g: m.zeros(5).exponential_(2.0, generator=g),
    "random_": lambda m, g: m.zeros(5, dtype=m.int64).random_(0, 10, generator=g),
    "cauchy_": lambda m, g: m.zeros(5).cauchy_(generator=g),
    "log_normal_": lambda m, g: m.zeros(5).log_normal_(generator=g),
    "geometric_": lambda m, g: m.zeros(5).geometric_(0.4, generator=g),
    "init.kaiming_uniform_": lambda m, g: m.nn.init.kaiming_uniform_(m.empty(3, 4), generator=g),
    "init.orthogonal_": lambda m, g: m.nn.init.orthogonal_(m.empty(3, 4), generator=g),
    "init.trunc_normal_": lambda m, g: m.nn.init.trunc_normal_(m.empty(6), generator=g),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_generator_streams(name):
    """Same seed, same stream; another seed, another; set_state restores; the default
    generator is untouched by a private one; shape and dtype as torch's."""
    f = FACTORIES[name]
    ours = f(dualgrad, dualgrad.Generator().manual_seed(5))
    ref = f(torch, torch.Generator().manual_seed(5))
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    g = dualgrad.Generator().manual_seed(5)
    np.testing.assert_array_equal(_np(f(dualgrad, g)), _np(ours))
    state = g.get_state()
    first = _np(f(dualgrad, g))
    g.set_state(state)
    np.testing.assert_array_equal(_np(f(dualgrad, g)), first)
    # the global generator: manual_seed / get_rng_state / set_rng_state
    dualgrad.manual_seed(11)
    a = _np(f(dualgrad, None))
    dualgrad.manual_seed(11)
    saved = dualgrad.get_rng_state()
    f(dualgrad, dualgrad.Generator().manual_seed(99))  # draws nothing from the default one
    np.testing.assert_array_equal(_np(f(dualgrad, None)), a)
    dualgrad.set_rng_state(saved)
    np.testing.assert_array_equal(_np(f(dualgrad, None)), a)
    if name not in ("bernoulli_", "random_", "randint_like", "geometric_"):  # few values
        assert not np.array_equal(_np(f(dualgrad, dualgrad.Generator().manual_seed(6))), a)


def test_generator_api():
    for m in (dualgrad, torch):
        g = m.Generator()
        assert g.initial_seed() == 67280421310721
        assert g.manual_seed(-1) is g and g.initial_seed() == 2**64 - 1
        s = g.seed()
        assert isinstance(s, int) and g.initial_seed() == s
        assert m.manual_seed(7).initial_seed() == 7 == m.initial_seed() == m.random.initial_seed()
        state = m.get_rng_state()
        assert state.ndim == 1 and state.min() >= 0 and state.max() <= 255
        with pytest.raises(RuntimeError, match="manual_seed expected a long"):
            g.manual_seed(1.5)
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            g.manual_seed(2**64)
        with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
            g.set_state(m.zeros(4))
        with pytest.raises(RuntimeError, match="but found the input RNG state size to be 3"):
            g.set_state(m.zeros(3, dtype=m.int64 if m is dualgrad else m.uint8))
        with pytest.raises(TypeError, match=r"rand\(\).*generator"):
            m.rand(2, generator=5)
        with m.random.fork_rng():
            m.rand(3)
        assert m.equal(m.get_rng_state(), state) if m is torch else True
    dualgrad.manual_seed(3)
    state = dualgrad.get_rng_state()
    with dualgrad.random.fork_rng():
        dualgrad.rand(3)
    np.testing.assert_array_equal(dualgrad.get_rng_state()._data, state._data)


def _moments(x):
    x = _np(x).ravel()
    return x.mean(), x.var()


# (name, sampler (module, n) -> tensor): mean and variance compared with torch's
DISTRIBUTIONS = {
    "uniform_": lambda m, n: m.empty(n).uniform_(-2, 3),
    "normal_": lambda m, n: m.empty(n).normal_(1.5, 2.0),
    "bernoulli_": lambda m, n: m.empty(n).bernoulli_(0.3),
    "bernoulli_tensor_p": lambda m, n: m.empty(n).bernoulli_(m.full((n,), 0.7)),
    "exponential_": lambda m, n: m.empty(n).exponential_(2.5),
    "random_to": lambda m, n: m.empty(n).random_(7),
    "random_from_to": lambda m, n: m.empty(n, dtype=m.int64).random_(-3, 4),
    "random_float32": lambda m, n: m.empty(n).random_(),
    "log_normal_": lambda m, n: m.empty(n).log_normal_(0.2, 0.5),
    "geometric_": lambda m, n: m.empty(n).geometric_(0.25),
    "bernoulli": lambda m, n: m.bernoulli(m.full((n,), 0.2)),
    "bernoulli_p": lambda m, n: m.bernoulli(m.zeros(n), 0.6),
    "poisson": lambda m, n: m.poisson(m.full((n,), 3.5)),
    "normal_tt": lambda m, n: m.normal(m.full((n,), 2.0), m.full((n,), 0.5)),
    "normal_tf": lambda m, n: m.normal(m.full((n,), -1.0), 3.0),
    "normal_ft": lambda m, n: m.normal(4.0, m.full((n,), 0.1)),
    "normal_ff": lambda m, n: m.normal(1.0, 2.0, (n,)),
    "multinomial": lambda m, n: m.multinomial(m.tensor([1.0, 0.0, 3.0, 6.0]), n, True),
    "multinomial_norepl": lambda m, n: m.multinomial(
        m.tensor([1.0, 2.0, 3.0, 4.0]).expand(n // 4, 4).contiguous(), 2
    )[:, 0],
    "randint_like": lambda m, n: m.randint_like(m.zeros(n), -5, 5),
}


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_distributions_match_torch(name):
    """Mean and variance of a large sample within loose statistical bounds of torch's."""
    dualgrad.manual_seed(0)
    torch.manual_seed(0)
    ours, ref = DISTRIBUTIONS[name](dualgrad, N), DISTRIBUTIONS[name](torch, N)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    (m1, v1), (m2, v2) = _moments(ours), _moments(ref)
    n = _np(ours).size
    assert abs(m1 - m2) <= 6 * math.sqrt((v1 + v2) / n) + 1e-9 * abs(m2)
    assert abs(v1 - v2) <= 0.05 * v2 + 1e-12
    if _np(ref).min() >= 0:  # a non-negative distribution stays so
        assert _np(ours).min() >= 0


def test_ranges_and_support():
    dualgrad.manual_seed(1)
    x = _np(dualgrad.empty(N).uniform_(2, 3))
    assert x.min() >= 2 and x.max() < 3
    r = _np(dualgrad.empty(N).random_())  # float32: [0, 2**24]
    assert r.min() >= 0 and r.max() <= 2**24 and (r == np.round(r)).all()
    m = _np(dualgrad.multinomial(dualgrad.tensor([0.0, 1.0, 0.0, 1.0]), N, True))
    assert set(np.unique(m)) == {1, 3}
    w = dualgrad.multinomial(dualgrad.ones(50, 6), 6)  # without replacement: a permutation
    assert (np.sort(w._data, -1) == np.arange(6)).all()
    assert set(np.unique(dualgrad.zeros(1000, dtype=dualgrad.bool).random_()._data)) == {0, 1}
    assert _np(dualgrad.empty(N).geometric_(0.5)).min() == 1


ERRORS = {
    "uniform_bounds": lambda m: m.zeros(3).uniform_(2, 1),
    "uniform_long": lambda m: m.zeros(3, dtype=m.int64).uniform_(),
    "normal_std": lambda m: m.zeros(3).normal_(0, -1),
    "normal_long": lambda m: m.zeros(3, dtype=m.int64).normal_(),
    "exponential_lambda": lambda m: m.zeros(3).exponential_(0),
    "exponential_long": lambda m: m.zeros(3, dtype=m.int64).exponential_(),
    "geometric_p": lambda m: m.zeros(3).geometric_(1.5),
    "bernoulli_p": lambda m: m.zeros(3).bernoulli_(1.5),
    "log_normal_std": lambda m: m.zeros(3).log_normal_(0, -1),
    "cauchy_sigma": lambda m: m.zeros(3).cauchy_(0, -1),
    "random_range": lambda m: m.zeros(3).random_(5, 2),
    "leaf": lambda m: m.zeros(3, requires_grad=True).uniform_(),
    "multinomial_too_many": lambda m: m.multinomial(m.ones(3), 4),
    "multinomial_negative": lambda m: m.multinomial(m.tensor([-1.0, 2.0]), 1),
    "multinomial_zero_sum": lambda m: m.multinomial(m.zeros(2), 1),
    "multinomial_dim": lambda m: m.multinomial(m.ones(2, 3, 4), 1),
    "multinomial_long": lambda m: m.multinomial(m.ones(3, dtype=m.int64), 1),
    "multinomial_zero": lambda m: m.multinomial(m.ones(3), 0),
    "normal_tensor_std": lambda m: m.normal(m.zeros(2), -1.0),
    "normal_numbers_std": lambda m: m.normal(0.0, -1.0, (2,)),
    "normal_long_mean": lambda m: m.normal(m.zeros(2, dtype=m.int64), 1.0),
    "bernoulli_range": lambda m: m.bernoulli(m.full((3,), 1.5)),
    "bernoulli_long": lambda m: m.bernoulli(m.ones(3, dtype=m.int64)),
    "poisson_negative": lambda m: m.poisson(m.full((3,), -2.0)),
    "poisson_long": lambda m: m.poisson(m.ones(3, dtype=m.int64)),
    "rand_long": lambda m: m.rand(2, dtype=m.int64),
}
_PHRASE = {  # where dualgrad's message differs in more than the op name, the key phrase
    "bernoulli_range": "Expected p_in >= 0 && p_in <= 1",
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_as_torch(name):
    with pytest.raises(Exception) as ref:
        ERRORS[name](torch)
    with pytest.raises(type(ref.value)) as ours:
        ERRORS[name](dualgrad)
    phrase = _PHRASE.get(name, str(ref.value).split("(Could")[0].strip())
    assert phrase.split("\n")[0] in str(ours.value)


def test_autograd_of_samples():
    """Samples are constants: requires_grad as torch's, zero gradients; an in-place sample
    gives the overwritten value a zero gradient."""
    for m in (dualgrad, torch):
        mean = m.zeros(3, requires_grad=True)
        std = m.ones(3, requires_grad=True)
        p = m.full((3,), 0.5, requires_grad=True)
        rate = m.full((3,), 2.0, requires_grad=True)
        outs = [m.normal(mean, std), m.bernoulli(p), m.poisson(rate)]
        assert all(o.requires_grad for o in outs)
        sum(o.sum() for o in outs).backward()
        for t in (mean, std, p, rate):
            assert not _np(t.grad).any()
        x = m.ones(3, requires_grad=True)
        y = x * 2
        y.uniform_()
        assert y.requires_grad
        y.sum().backward()
        assert not _np(x.grad).any()


def test_vmap_randomness():
    """New random ops follow vmap's randomness modes as rand does."""
    ops = [
        lambda x: x.clone().uniform_(),
        lambda x: x.clone().normal_(),
        lambda x: dualgrad.bernoulli(x * 0 + 0.5),
        lambda x: dualgrad.normal(x, 1.0),
        lambda x: x + dualgrad.poisson(dualgrad.ones(3)),
        lambda x: x + dualgrad.multinomial(dualgrad.ones(3), 3),
    ]
    x = dualgrad.zeros(4, 3)
    for f in ops:
        with pytest.raises(RuntimeError, match="randomness error mode"):
            vmap(f)(x)
        same = vmap(f, randomness="same")(x)
        np.testing.assert_array_equal(_np(same[0]), _np(same[1]))
        diff = vmap(f, randomness="different")(x)
        assert tuple(diff.shape) == (4, 3)
    # a batched parameter under 'same': the same uniforms, compared with each element's p
    p = dualgrad.tensor([[0.0] * 3, [1.0] * 3])
    np.testing.assert_array_equal(vmap(dualgrad.bernoulli, randomness="same")(p)._data, p._data)
    with pytest.raises(RuntimeError, match="randomness='different'"):
        vmap(dualgrad.poisson, randomness="same")(p)
