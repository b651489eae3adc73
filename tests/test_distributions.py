"""dualgrad.distributions against torch.distributions: log_prob, entropy, moments and
kl_divergence values and their gradients w.r.t. the parameters; sample shapes, dtypes and
moments; validate_args' errors; constraints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

RNG = np.random.default_rng(0)
_SPD = (lambda a: a @ a.T + 3 * np.eye(3))(RNG.normal(size=(3, 3)))


def _pos(*shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def _prob(*shape):
    return RNG.uniform(0.1, 0.9, size=shape)


def _simplex(*shape):
    p = RNG.uniform(0.1, 1.0, size=shape)
    return p / p.sum(-1, keepdims=True)


# name: (constructor(T, *params), params as float64 arrays, a value to score)
CASES = {
    "Normal": (lambda T, a, b: T.distributions.Normal(a, b), [RNG.normal(size=3), _pos(3)], RNG.normal(size=(2, 3))),
    "MVN-cov": (lambda T, m, c: T.distributions.MultivariateNormal(m, covariance_matrix=c), [RNG.normal(size=(2, 3)), _SPD], RNG.normal(size=(4, 2, 3))),
    "MVN-prec": (lambda T, m, c: T.distributions.MultivariateNormal(m, precision_matrix=c), [RNG.normal(size=3), _SPD], RNG.normal(size=(2, 3))),
    "MVN-tril": (lambda T, m, c: T.distributions.MultivariateNormal(m, scale_tril=c), [RNG.normal(size=3), np.linalg.cholesky(_SPD)], RNG.normal(size=(2, 3))),
    "Categorical-probs": (lambda T, p: T.distributions.Categorical(probs=p), [_simplex(2, 4)], np.array([[0, 3], [2, 1]])),
    "Categorical-logits": (lambda T, p: T.distributions.Categorical(logits=p), [RNG.normal(size=(2, 4))], np.array([1, 3])),
    "OneHotCategorical": (lambda T, p: T.distributions.OneHotCategorical(probs=p), [_simplex(2, 3)], np.eye(3)[[0, 2]]),
    "Bernoulli-probs": (lambda T, p: T.distributions.Bernoulli(probs=p), [_prob(3)], np.array([1.0, 0.0, 1.0])),
    "Bernoulli-logits": (lambda T, p: T.distributions.Bernoulli(logits=p), [RNG.normal(size=3)], np.array([0.0, 0.0, 1.0])),
    "Binomial": (lambda T, p: T.distributions.Binomial(5, probs=p), [_prob(3)], np.array([0.0, 3.0, 5.0])),
    "Binomial-logits": (lambda T, p: T.distributions.Binomial(4, logits=p), [RNG.normal(size=3)], np.array([1.0, 2.0, 4.0])),
    "Poisson": (lambda T, r: T.distributions.Poisson(r), [_pos(3)], np.array([0.0, 2.0, 5.0])),
    "Uniform": (lambda T, a, b: T.distributions.Uniform(a, a + b), [RNG.normal(size=3), _pos(3) + 2], None),
    "Exponential": (lambda T, r: T.distributions.Exponential(r), [_pos(3)], _pos(2, 3)),
    "Laplace": (lambda T, a, b: T.distributions.Laplace(a, b), [RNG.normal(size=3), _pos(3)], RNG.normal(size=3)),
    "LogNormal": (lambda T, a, b: T.distributions.LogNormal(a, b), [RNG.normal(size=3), _pos(3)], _pos(3)),
    "Gamma": (lambda T, a, b: T.distributions.Gamma(a, b), [_pos(3), _pos(3)], _pos(2, 3)),
    "Beta": (lambda T, a, b: T.distributions.Beta(a, b), [_pos(3), _pos(3)], _prob(3)),
    "Dirichlet": (lambda T, a: T.distributions.Dirichlet(a), [_pos(2, 3)], _simplex(2, 3)),
    "Independent": (lambda T, a, b: T.distributions.Independent(T.distributions.Normal(a, b), 1), [RNG.normal(size=(2, 3)), _pos(2, 3)], RNG.normal(size=(2, 3))),
}  # fmt: skip
NO_ENTROPY = {"Poisson"}  # torch has none: its Poisson.entropy raises NotImplementedError
NO_MOMENTS = {"Categorical-probs", "Categorical-logits"}  # nan by definition (checked apart)


def _build(T, name):
    make, params, value = CASES[name]
    tensors = [T.tensor(p, requires_grad=True) for p in params]
    return make(T, *tensors), tensors, value


def _quantities(T, name):
    d, tensors, value = _build(T, name)
    if name == "Uniform":
        value = (tensors[0] + 0.3).detach()
    elif value is not None:
        dtype = T.int64 if "Categorical-" in name else T.float64
        value = T.tensor(value, dtype=dtype)
    out = {"log_prob": d.log_prob(value)}
    if name not in NO_ENTROPY:
        out["entropy"] = d.entropy()
    else:
        with pytest.raises(NotImplementedError):
            d.entropy()
    if name not in NO_MOMENTS:
        out.update(mean=d.mean, variance=d.variance, stddev=d.stddev)
    return d, tensors, out


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    d_t, params_t, out_t = _quantities(torch, name)
    d_d, params_d, out_d = _quantities(dg, name)
    assert tuple(d_d.batch_shape) == tuple(d_t.batch_shape)
    assert tuple(d_d.event_shape) == tuple(d_t.event_shape)
    assert d_d.has_rsample == d_t.has_rsample
    for key in out_t:
        np.testing.assert_allclose(
            out_d[key].detach().numpy(),
            out_t[key].detach().numpy(),
            rtol=1e-6,
            atol=1e-8,
            err_msg=key,
        )
        w = np.linspace(0.5, 1.5, out_t[key].numel()).reshape(tuple(out_t[key].shape))
        grads_t = torch.autograd.grad(
            (out_t[key] * torch.tensor(w)).sum(), params_t, allow_unused=True, retain_graph=True
        )
        grads_d = dg.autograd.grad(
            (out_d[key] * dg.tensor(w)).sum(), params_d, allow_unused=True, retain_graph=True
        )
        for gt, gd in zip(grads_t, grads_d):
            if gt is None:
                assert gd is None or not gd.numpy().any(), key
            else:
                np.testing.assert_allclose(
                    gd.numpy(), gt.numpy(), rtol=1e-6, atol=1e-8, err_msg=key
                )


def test_categorical_moments_are_nan_and_mode_matches():
    for T in (torch, dg):
        d = T.distributions.Categorical(probs=T.tensor([[0.2, 0.8], [0.7, 0.3]]))
        assert np.isnan(d.mean.numpy()).all() and np.isnan(d.variance.numpy()).all()
        assert d.mode.tolist() == [1, 0]


# ---- sampling: shapes, dtypes, moments (dualgrad's stream is not torch's)
@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shapes_and_dtypes_match_torch(name):
    d_t, _, _ = _build(torch, name)
    d_d, _, _ = _build(dg, name)
    for shape in [(), (5,), (2, 3)]:
        s_t, s_d = d_t.sample(shape), d_d.sample(shape)
        assert tuple(s_d.shape) == tuple(s_t.shape)
        assert str(s_d.dtype).split(".")[-1] == str(s_t.dtype).split(".")[-1]
        assert not s_d.requires_grad
        if d_t.has_rsample:
            r = d_d.rsample(shape)
            assert tuple(r.shape) == tuple(s_t.shape) and r.requires_grad
    assert tuple(d_d.expand((4,) + tuple(d_d.batch_shape)).sample().shape) == tuple(
        d_t.expand((4,) + tuple(d_t.batch_shape)).sample().shape
    )


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_MOMENTS - {"LogNormal"}))
def test_sample_moments(name):
    dg.manual_seed(0)
    d, _, _ = _build(dg, name)
    s = d.sample((20000,)).double()
    mean, std = d.mean.detach().numpy(), d.stddev.detach().numpy()
    np.testing.assert_allclose(s.mean(0).numpy(), mean, atol=float(4 * std.max() / np.sqrt(20000)))
    np.testing.assert_allclose(s.std(0).numpy(), std, rtol=0.05)


def test_samples_follow_the_generator():
    d = dg.distributions.Gamma(dg.tensor([0.5, 3.0]), dg.tensor(1.0))
    dg.manual_seed(7)
    a = d.sample((4,))
    dg.manual_seed(7)
    assert d.sample((4,)).tolist() == a.tolist()


def test_standard_gamma_grad_matches_torch():
    from dualgrad.distributions.gamma import _standard_gamma_grad

    alpha = np.array([0.05, 0.3, 1.0, 2.5, 10.0, 80.0])
    dg.manual_seed(0)
    x = dg.distributions.Gamma(dg.tensor(alpha).expand(50, 6), 1.0).sample()
    ours = _standard_gamma_grad(dg.tensor(alpha).expand(50, 6), x).numpy()
    ref = torch._standard_gamma_grad(torch.tensor(alpha).expand(50, 6), torch.tensor(x.numpy()))
    np.testing.assert_allclose(ours, ref.numpy(), rtol=2e-3)


# pathwise gradients of E[x**2]: per draw they need not be torch's (NOTE: [Dirichlet draws
# from gammas]), in expectation they are the analytic gradient
RSAMPLE_GRADS = {
    "Normal": (lambda T, a, b: T.distributions.Normal(a, b), [0.5, 1.5], lambda a, b: [2 * a, 2 * b]),
    "Gamma": (lambda T, a, b: T.distributions.Gamma(a, b), [2.0, 1.5], lambda a, b: [(2 * a + 1) / b**2, -2 * a * (a + 1) / b**3]),
    "Beta": (lambda T, a, b: T.distributions.Beta(a, b), [2.0, 3.0], None),
    "Exponential": (lambda T, r: T.distributions.Exponential(r), [2.0], lambda r: [-4 / r**3]),
    "Laplace": (lambda T, a, b: T.distributions.Laplace(a, b), [0.5, 1.5], lambda a, b: [2 * a, 4 * b]),
    "Uniform": (lambda T, a, b: T.distributions.Uniform(a, b), [0.5, 1.5], lambda a, b: [(2 * a + b) / 3, (a + 2 * b) / 3]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(RSAMPLE_GRADS))
def test_rsample_gradient_is_the_expected_gradient(name):
    make, params, exact = RSAMPLE_GRADS[name]
    dg.manual_seed(1)
    ps = [dg.tensor(p, dtype=dg.float64, requires_grad=True) for p in params]
    grads = dg.autograd.grad(make(dg, *ps).rsample((200000,)).pow(2).mean(), ps)
    if exact is None:  # Beta: E[x^2] = a(a+1)/((a+b)(a+b+1)), differentiated by torch
        pt = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
        a, b = pt
        expected = torch.autograd.grad(a * (a + 1) / ((a + b) * (a + b + 1)), pt)
        expected = [float(e) for e in expected]
    else:
        expected = exact(*params)
    np.testing.assert_allclose([float(g) for g in grads], expected, rtol=0.03, atol=3e-3)


# ---- kl_divergence
_KL_PARAMS = {
    "Normal": [RNG.normal(size=3), _pos(3)],
    "MultivariateNormal": [RNG.normal(size=3), np.linalg.cholesky(_SPD)],
    "Categorical": [_simplex(2, 4)],
    "OneHotCategorical": [_simplex(2, 4)],
    "Bernoulli": [_prob(3)],
    "Binomial": [_prob(3)],
    "Poisson": [_pos(3)],
    "Uniform": [RNG.uniform(0, 0.4, size=3), RNG.uniform(0.6, 1.0, size=3)],
    "Exponential": [_pos(3)],
    "Laplace": [RNG.normal(size=3), _pos(3)],
    "LogNormal": [RNG.normal(size=3), _pos(3)],
    "Gamma": [_pos(3), _pos(3)],
    "Beta": [_pos(3), _pos(3)],
    "Dirichlet": [_pos(2, 3)],
    "Independent": [RNG.normal(size=(2, 3)), _pos(2, 3)],
}
_KL_MAKE = {
    "MultivariateNormal": lambda T, m, L: T.distributions.MultivariateNormal(m, scale_tril=L),
    "Categorical": lambda T, p: T.distributions.Categorical(probs=p),
    "OneHotCategorical": lambda T, p: T.distributions.OneHotCategorical(probs=p),
    "Binomial": lambda T, p: T.distributions.Binomial(4, probs=p),
    "Independent": lambda T, a, b: T.distributions.Independent(T.distributions.Normal(a, b), 1),
}
KL_PAIRS = [(n, n) for n in _KL_PARAMS] + [
    ("Bernoulli", "Poisson"), ("Beta", "Exponential"), ("Beta", "Gamma"), ("Beta", "Normal"),
    ("Beta", "Uniform"), ("Exponential", "Gamma"), ("Exponential", "Normal"),
    ("Exponential", "Uniform"), ("Gamma", "Exponential"), ("Gamma", "Normal"),
    ("Gamma", "Uniform"), ("Laplace", "Normal"), ("Normal", "Laplace"), ("Normal", "Gamma"),
    ("Uniform", "Beta"), ("Uniform", "Exponential"), ("Uniform", "Gamma"), ("Uniform", "Normal"),
    ("Poisson", "Bernoulli"),
]  # fmt: skip


def _kl_dist(T, name, shift):
    params = [
        T.tensor(p * (1 - shift) if name != "Uniform" else p, requires_grad=True)
        for p in _KL_PARAMS[name]
    ]
    make = _KL_MAKE.get(name, lambda T, *ps: getattr(T.distributions, name)(*ps))
    if name == "Uniform" and shift:
        params = [
            T.tensor(_KL_PARAMS[name][0] - 0.5, requires_grad=True),
            T.tensor(_KL_PARAMS[name][1] + 0.5, requires_grad=True),
        ]
    return make(T, *params), params


@pytest.mark.parametrize("pair", KL_PAIRS, ids="-".join)
def test_kl_divergence_matches_torch(pair):
    results = []
    for T in (torch, dg):
        p, pp = _kl_dist(T, pair[0], 0.0)
        q, qp = _kl_dist(T, pair[1], 0.3)
        kl = T.distributions.kl_divergence(p, q)
        finite = np.isfinite(kl.detach().numpy())
        grads = (
            T.autograd.grad(kl[T.tensor(finite)].sum(), pp + qp, allow_unused=True)
            if finite.any()
            else []
        )
        results.append((kl.detach().numpy(), [None if g is None else g.numpy() for g in grads]))
    (kl_t, g_t), (kl_d, g_d) = results
    np.testing.assert_allclose(kl_d, kl_t, rtol=1e-6, atol=1e-8)
    for a, b in zip(g_d, g_t):
        if b is None:
            assert a is None or not a.any()
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_kl_not_implemented_and_register_kl():
    for T in (torch, dg):
        D = T.distributions
        with pytest.raises(
            NotImplementedError,
            match="No KL\\(p \\|\\| q\\) is implemented for p type Categorical and q type Normal",
        ):
            D.kl_divergence(D.Categorical(T.tensor([0.5, 0.5])), D.Normal(0.0, 1.0))

    class MyNormal(dg.distributions.Normal):
        pass

    @dg.distributions.register_kl(MyNormal, MyNormal)
    def _kl(p, q):
        return dg.tensor(42.0)

    assert float(dg.distributions.kl_divergence(MyNormal(0.0, 1.0), MyNormal(0.0, 1.0))) == 42.0
    # a subclass with no pair of its own falls back to its base's
    assert (
        float(dg.distributions.kl_divergence(MyNormal(0.0, 1.0), dg.distributions.Normal(1.0, 1.0)))
        == 0.5
    )
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        dg.distributions.register_kl(int, MyNormal)


# ---- validate_args: torch's ValueErrors
BAD = [
    ("Normal", lambda T: T.distributions.Normal(T.tensor([0.0]), T.tensor([-1.0])), "Expected parameter scale"),
    ("Categorical", lambda T: T.distributions.Categorical(probs=T.tensor([0.5, -0.2])), "to satisfy the constraint Simplex()"),
    ("Bernoulli", lambda T: T.distributions.Bernoulli(probs=T.tensor([1.5])), "to satisfy the constraint Interval(lower_bound=0.0, upper_bound=1.0)"),
    ("MVN", lambda T: T.distributions.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])), "to satisfy the constraint PositiveDefinite()"),
    ("MVN-tril", lambda T: T.distributions.MultivariateNormal(T.zeros(2), scale_tril=T.tensor([[1.0, 1.0], [0.0, 1.0]])), "LowerCholesky()"),
    ("Uniform", lambda T: T.distributions.Uniform(T.tensor(2.0), T.tensor(1.0)), "Expected parameter low"),
    ("Dirichlet", lambda T: T.distributions.Dirichlet(T.tensor([1.0, 0.0])), "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"),
    ("both", lambda T: T.distributions.Categorical(probs=T.ones(2), logits=T.ones(2)), "Either `probs` or `logits` must be specified, but not both."),
    ("MVN-none", lambda T: T.distributions.MultivariateNormal(T.zeros(2)), "Exactly one of covariance_matrix or precision_matrix or scale_tril"),
    ("support", lambda T: T.distributions.Exponential(T.tensor(1.0)).log_prob(T.tensor(-1.0)), "to be within the support (GreaterThanEq(lower_bound=0.0))"),
    ("event", lambda T: T.distributions.Dirichlet(T.ones(3)).log_prob(T.ones(2) / 2), "The right-most size of value must match event_shape"),
    ("broadcast", lambda T: T.distributions.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2)), "Value is not broadcastable with batch_shape+event_shape"),
    ("not tensor", lambda T: T.distributions.Normal(0.0, 1.0).log_prob(0.5), "The value argument to log_prob must be a Tensor"),
    ("independent", lambda T: T.distributions.Independent(T.distributions.Normal(0.0, 1.0), 1), "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual 1 vs 0"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_validation_errors_match_torch(case):
    _, make, phrase = case
    for T in (torch, dg):
        with np.errstate(invalid="ignore"), pytest.raises(ValueError) as info:
            make(T)
        assert phrase in str(info.value), (T.__name__, str(info.value))


def test_validate_args_false_skips_the_checks():
    d = dg.distributions.Normal(dg.tensor(0.0), dg.tensor(-1.0), validate_args=False)
    assert np.isnan(d.log_prob(dg.tensor(0.0)).item())
    try:
        dg.distributions.Distribution.set_default_validate_args(False)
        dg.distributions.Exponential(dg.tensor(-1.0))
    finally:
        dg.distributions.Distribution.set_default_validate_args(True)


# ---- constraints
CONSTRAINT_VALUES = [
    ("real", lambda c: c.real, [0.0, float("nan"), float("inf")]),
    ("positive", lambda c: c.positive, [1.0, 0.0, -1.0]),
    ("nonnegative", lambda c: c.nonnegative, [1.0, 0.0, -1.0]),
    ("unit_interval", lambda c: c.unit_interval, [0.0, 1.0, 1.5]),
    ("interval", lambda c: c.interval(-1.0, 2.0), [-1.0, 2.0, 2.5]),
    ("half_open_interval", lambda c: c.half_open_interval(-1.0, 2.0), [-1.0, 2.0, 0.0]),
    ("greater_than", lambda c: c.greater_than(1.0), [1.0, 1.5, 0.0]),
    ("greater_than_eq", lambda c: c.greater_than_eq(1.0), [1.0, 1.5, 0.0]),
    ("less_than", lambda c: c.less_than(1.0), [1.0, 0.5, 2.0]),
    ("integer_interval", lambda c: c.integer_interval(0, 3), [0.0, 3.0, 1.5, 4.0]),
    ("nonnegative_integer", lambda c: c.nonnegative_integer, [0.0, 2.0, -1.0, 0.5]),
    ("positive_integer", lambda c: c.positive_integer, [0.0, 2.0, 1.0]),
    ("boolean", lambda c: c.boolean, [0.0, 1.0, 0.5]),
    ("simplex", lambda c: c.simplex, [[0.5, 0.5], [0.2, 0.9], [1.0, 0.0], [-0.5, 1.5]]),
    ("one_hot", lambda c: c.one_hot, [[0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]),
    ("real_vector", lambda c: c.real_vector, [[0.0, 1.0], [float("nan"), 1.0]]),
    ("lower_triangular", lambda c: c.lower_triangular, [[[1.0, 0.0], [2.0, -1.0]], [[1.0, 1.0], [0.0, 1.0]]]),
    ("lower_cholesky", lambda c: c.lower_cholesky, [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 0.0], [2.0, -1.0]], [[1.0, 1.0], [0.0, 1.0]]]),
    ("symmetric", lambda c: c.symmetric, [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 2.0], [0.0, 1.0]]]),
    ("positive_definite", lambda c: c.positive_definite, [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    ("positive_semidefinite", lambda c: c.positive_semidefinite, [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    ("independent", lambda c: c.independent(c.positive, 1), [[1.0, 2.0], [1.0, -2.0]]),
]  # fmt: skip


@pytest.mark.parametrize("case", CONSTRAINT_VALUES, ids=[c[0] for c in CONSTRAINT_VALUES])
def test_constraint_check_and_repr_match_torch(case):
    _, get, values = case
    c_t, c_d = get(torch.distributions.constraints), get(dg.distributions.constraints)
    assert c_d.check(dg.tensor(values)).tolist() == c_t.check(torch.tensor(values)).tolist()
    assert repr(c_d) == repr(c_t)
    assert (c_d.event_dim, c_d.is_discrete) == (c_t.event_dim, c_t.is_discrete)


def test_support_and_arg_constraints():
    D, C = dg.distributions, dg.distributions.constraints
    assert D.Normal.support is C.real and D.Normal.arg_constraints["scale"] is C.positive
    assert C.is_dependent(D.Uniform.support) and C.is_dependent(D.Categorical.support)
    u = D.Uniform(dg.tensor([0.0]), dg.tensor([2.0]))
    assert u.support.check(dg.tensor([1.0, 3.0])).tolist() == [True, False]
    assert (
        repr(D.Categorical(dg.ones(3)).support) == "IntegerInterval(lower_bound=0, upper_bound=2)"
    )
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(dg.tensor(1.0))


# ---- expand, repr, misc
def test_expand_keeps_gradients_and_shapes():
    loc = dg.tensor([0.0, 1.0], requires_grad=True)
    d = dg.distributions.Normal(loc, 1.0).expand((3, 2))
    assert tuple(d.batch_shape) == (3, 2) and tuple(d.sample((4,)).shape) == (4, 3, 2)
    d.log_prob(dg.zeros(3, 2)).sum().backward()
    assert loc.grad.tolist() == [0.0, -3.0]
    m = dg.distributions.MultivariateNormal(dg.zeros(2), dg.eye(2)).expand((5,))
    assert tuple(m.sample().shape) == (5, 2) and tuple(m.covariance_matrix.shape) == (5, 2, 2)


def test_repr_matches_torch():
    for make in (
        lambda T: T.distributions.Normal(0.0, 1.0),
        lambda T: T.distributions.Categorical(T.tensor([0.5, 0.5])),
        lambda T: T.distributions.Independent(T.distributions.Normal(T.zeros(2), 1.0), 1),
    ):
        assert repr(make(dg)).replace("dualgrad.", "torch.") == repr(make(torch))


def test_enumerate_support_matches_torch():
    for make in (
        lambda T: T.distributions.Categorical(T.ones(2, 3)),
        lambda T: T.distributions.Bernoulli(T.tensor([0.5, 0.2])),
        lambda T: T.distributions.OneHotCategorical(T.ones(2, 3)),
        lambda T: T.distributions.Binomial(3, T.tensor([0.5, 0.2])),
    ):
        for expand in (True, False):
            assert (
                make(dg).enumerate_support(expand).tolist()
                == make(torch).enumerate_support(expand).tolist()
            )


def test_entropy_gradient_in_forward_mode_and_second_order():
    import dualgrad.autograd.forward_ad as fwAD

    scale = dg.tensor(2.0, dtype=dg.float64)
    with fwAD.dual_level():
        d = dg.distributions.Normal(0.0, fwAD.make_dual(scale, dg.tensor(1.0, dtype=dg.float64)))
        assert abs(float(fwAD.unpack_dual(d.entropy()).tangent) - 0.5) < 1e-12
    s = dg.tensor(2.0, dtype=dg.float64, requires_grad=True)
    lp = dg.distributions.Normal(0.0, s).log_prob(dg.tensor(1.0, dtype=dg.float64))
    (g,) = dg.autograd.grad(lp, s, create_graph=True)
    (h,) = dg.autograd.grad(g, s)
    assert abs(float(h) - (1 / 4 - 3 / 16)) < 1e-12  # d2/ds2 (-1/(2 s^2) - log s) at s = 2
