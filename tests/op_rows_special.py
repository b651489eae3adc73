"""Op-table rows for the special ops (issue 3); tests/op_table.py gathers them into ROWS."""

from op_table_base import B, Const, F, I, R, Row  # noqa: F401

from dualgrad._ops import special as _dg_special


def _nnf(m):
    """torch.nn.functional for torch; the activations' home until dualgrad.nn exists."""
    return m.nn.functional if m.__name__ == "torch" else _dg_special


U = [[F((3, 4), -2.0, 2.0)], [F(())], [F((4, 3), transposed=True)]]
POS = [[F((3, 4), 0.5, 3.0)], [F((), 0.5, 3.0)]]
GAMMA = POS + [[Const([-1.5, -2.3, -0.7, 0.4, 4.2], diff=True)]]
WIDE = [[F((3, 4), -4.0, 4.0)], [F((5,), -30.0, 30.0)]]
PAIR = [[F((3, 4)), F((3, 4))], [F((3, 1)), F((4,))], [F(()), F((2, 3))]]
NONFINITE = Const([1.0, float("nan"), float("inf"), -float("inf"), -2.0])


def _nan_to_num(m, x, c, **kw):
    return m.nan_to_num(m.cat([x, c]), **kw)


ROWS: list = [
    # ---------------------------------------------------------------- error functions
    Row("erf", lambda m, x: m.erf(x), U),
    Row("erf_method_special", lambda m, x: m.special.erf(x) * x.erf(), U[:1], ops=("erf",)),
    Row("erfc", lambda m, x: m.erfc(x), U + [[F((4,), 2.0, 5.0)]]),
    Row("erfinv", lambda m, x: m.erfinv(x), [[F((3, 4), -0.9, 0.9)], [F(())]]),
    Row("erfcx", lambda m, x: m.special.erfcx(x), [[F((3, 4), -1.0, 3.0)]]),
    Row("ndtri", lambda m, x: m.special.ndtri(x), [[F((3, 4), 0.05, 0.95)]]),
    Row("log_ndtr", lambda m, x: m.special.log_ndtr(x), [[F((3, 4), -4.0, 3.0)]]),
    Row("ndtr", lambda m, x: m.special.ndtr(x), U[:1], ops=("erfc",)),
    # ---------------------------------------------------------------- gamma family
    Row("lgamma", lambda m, x: m.lgamma(x), GAMMA),
    Row("gammaln", lambda m, x: m.special.gammaln(x), POS[:1], ops=("lgamma",)),
    Row("digamma", lambda m, x: m.digamma(x), GAMMA),
    Row("psi_method", lambda m, x: m.special.psi(x) + x.digamma(), POS[:1], ops=("digamma",)),
    Row("polygamma", lambda m, x: m.polygamma(1, x), GAMMA),
    Row("polygamma_0", lambda m, x: m.polygamma(0, x), POS[:1], ops=("polygamma",)),
    Row("polygamma_3", lambda m, x: m.special.polygamma(3, x), POS[:1], ops=("polygamma",)),
    Row("polygamma_method", lambda m, x: x.polygamma(2), POS[:1], ops=("polygamma",)),
    Row("mvlgamma", lambda m, x: m.mvlgamma(x, 3), [[F((3, 4), 1.5, 3.0)]], ops=("lgamma",)),
    Row(
        "multigammaln",
        lambda m, x: m.special.multigammaln(x, 2),
        [[F((4,), 1.0, 3.0)]],
        ops=("lgamma",),
    ),
    # ---------------------------------------------------------------- Bessel functions
    Row("i0", lambda m, x: m.i0(x), U + [[F((4,), -8.0, 8.0)]]),
    Row("i0e", lambda m, x: m.special.i0e(x), U[:2] + [[F((4,), -8.0, 8.0)]]),
    Row("i1", lambda m, x: m.special.i1(x), U[:2] + [[Const([0.0, 1.5], diff=True)]]),
    Row("i1e", lambda m, x: m.special.i1e(x), U[:2] + [[F((4,), -8.0, 8.0)]]),
    # ---------------------------------------------------------------- binary functions
    Row(
        "xlogy",
        lambda m, x, y: m.xlogy(x, y),
        [[F((3, 4)), F((3, 4), 0.5, 2.0)], [F((3, 1)), F((4,), 0.5, 2.0)]],
    ),
    Row("xlogy_scalar", lambda m, x: m.xlogy(x, 2.5) + m.xlogy(2.0, x + 2), U[:1], ops=("xlogy",)),
    Row(
        "xlogy_zero",
        lambda m, x, y: m.xlogy(x * 0, y),
        [[F((3,)), Const([0.5, 1.0, 2.0], diff=True)]],
        ops=("xlogy",),
        gradcheck=False,
    ),
    Row("xlog1py", lambda m, x, y: m.special.xlog1py(x, y), [[F((3, 4)), F((3, 4), -0.5, 2.0)]]),
    Row(
        "logaddexp",
        lambda m, x, y: m.logaddexp(x, y),
        PAIR + [[Const([-800.0, 1.0, 700.0], diff=True), Const([-801.0, 700.0, 2.0], diff=True)]],
    ),
    Row("logaddexp2", lambda m, x, y: m.logaddexp2(x, y), PAIR),
    Row("hypot", lambda m, x, y: m.hypot(x, y), PAIR),
    Row(
        "fmod",
        lambda m, x, y: m.fmod(x, y),
        [[F((3, 4), -3.0, 3.0), F((3, 4), 0.5, 1.5)], [F((3, 4), -3.0, 3.0), F((4,), -1.5, -0.5)]],
    ),
    Row("fmod_scalar", lambda m, x: m.fmod(x * 3, 0.7), U[:1], ops=("fmod",)),
    Row(
        "remainder",
        lambda m, x, y: m.remainder(x, y),
        [[F((3, 4), -3.0, 3.0), F((3, 4), 0.5, 1.5)], [F((3, 4), -3.0, 3.0), F((4,), -1.5, -0.5)]],
    ),
    Row(
        "mod_operator",
        lambda m, x, y: x % y + x % 0.7,
        [[F((3, 4), -3.0, 3.0), F((4,), 0.5, 1.5)]],
        ops=("remainder",),
    ),
    Row(
        "fmod_int",
        lambda m, x, y: m.fmod(x, y),
        [[I((3, 4), -9, 9), I((4,), 1, 4)]],
        nondiff=True,
        ops=("fmod",),
    ),
    Row(
        "remainder_int", lambda m, x: x % 3, [[I((3, 4), -9, 9)]], nondiff=True, ops=("remainder",)
    ),
    # torch has no derivative for remainder(Scalar, Tensor): values only
    Row("rmod", lambda m, y: 2.5 % y, [[F((3, 4), 0.5, 1.5)]], nondiff=True, ops=("remainder",)),
    Row("copysign", lambda m, x, y: m.copysign(x, y), PAIR[:2]),
    Row("copysign_scalar", lambda m, x: m.copysign(x, -1.0), U[:1], ops=("copysign",)),
    Row(
        "isclose",
        lambda m, x, y: m.isclose(x, y, rtol=0.1, atol=0.05),
        [[F((3, 4)), F((3, 4))]],
        nondiff=True,
    ),
    Row(
        "isclose_nan",
        lambda m, x: m.isclose(x, x, equal_nan=True),
        [[NONFINITE]],
        nondiff=True,
        ops=("isclose",),
    ),
    Row(
        "allclose",
        lambda m, x, y: m.tensor([m.allclose(x, y), m.allclose(x, x + 1e-9)]),
        [[F((3, 4)), F((3, 4))]],
        nondiff=True,
        ops=("isclose",),
    ),
    # ---------------------------------------------------------------- composites
    Row("sinc", lambda m, x: m.sinc(x), U),
    # torch's second derivative of sinc at 0 is nan (ours is 0, from where); first order only
    Row(
        "sinc_zero",
        lambda m, x: m.sinc(x),
        [[Const([0.0, 0.5, -1.5], diff=True)]],
        gradcheck=False,
        torch_second_order=False,
    ),
    Row("logit", lambda m, x: m.logit(x), [[F((3, 4), 0.05, 0.95)]]),
    Row("logit_eps", lambda m, x: m.logit(x, eps=0.2), [[F((3, 4), 0.0, 1.0)]]),
    Row("expit", lambda m, x: m.special.expit(x), U[:1]),
    Row("entr", lambda m, x: m.special.entr(x), [[F((3, 4), 0.1, 2.0)]]),
    Row("frac", lambda m, x: m.frac(x * 3), U[:2]),
    Row(
        "lerp",
        lambda m, a, b, w: m.lerp(a, b, w),
        [[F((3, 4)), F((3, 4)), F((3, 4), 0.0, 1.0)], [F((3, 1)), F((4,)), F((3, 4), 0.0, 1.0)]],
    ),
    Row("lerp_scalar", lambda m, a, b: m.lerp(a, b, 0.3) + a.lerp(b, 0.8), PAIR[:2]),
    Row(
        "addcmul",
        lambda m, x, a, b: m.addcmul(x, a, b, value=0.5) + x.addcmul(a, b),
        [[F((3, 4)), F((3, 4)), F((4,))]],
    ),
    Row(
        "addcdiv",
        lambda m, x, a, b: m.addcdiv(x, a, b, value=-2.0) + x.addcdiv(a, b),
        [[F((3, 4)), F((3, 4)), F((4,), 0.5, 2.0)]],
    ),
    Row("nan_to_num", lambda m, x, c: _nan_to_num(m, x, c), [[F((3,)), NONFINITE]]),
    Row(
        "nan_to_num_values",
        lambda m, x, c: _nan_to_num(m, x, c, nan=1.5, posinf=9.0, neginf=-9.0),
        [[F((3,)), NONFINITE]],
    ),
    Row("nan_to_num_method", lambda m, x: x.nan_to_num() * 2, U[:1]),
    # ---------------------------------------------------------------- activations
    Row("selu", lambda m, x: m.selu(x), WIDE),
    Row("celu", lambda m, x: m.celu(x, 0.7), WIDE),
    Row("elu", lambda m, x: _nnf(m).elu(x, 1.3), WIDE),
    Row("softplus", lambda m, x: _nnf(m).softplus(x), WIDE),
    Row("softplus_beta", lambda m, x: _nnf(m).softplus(x, beta=2.0, threshold=3.0), WIDE),
    Row("softsign", lambda m, x: _nnf(m).softsign(x), WIDE),
    Row("gelu", lambda m, x: _nnf(m).gelu(x), WIDE),
    Row("gelu_tanh", lambda m, x: _nnf(m).gelu(x, approximate="tanh"), WIDE),
    Row("silu", lambda m, x: _nnf(m).silu(x), WIDE),
    Row("mish", lambda m, x: _nnf(m).mish(x), WIDE),
    Row("leaky_relu", lambda m, x: _nnf(m).leaky_relu(x, 0.2), WIDE),
    Row("hardtanh", lambda m, x: _nnf(m).hardtanh(x, -0.5, 2.0), WIDE),
    Row("relu6", lambda m, x: _nnf(m).relu6(x * 2), [[F((5,), -10.0, 10.0)]]),
    # torch has no double backward for hardsigmoid; gradgradcheck covers ours
    Row("hardsigmoid", lambda m, x: _nnf(m).hardsigmoid(x), WIDE, torch_second_order=False),
    Row("hardswish", lambda m, x: _nnf(m).hardswish(x), WIDE),
    Row("logsigmoid", lambda m, x: _nnf(m).logsigmoid(x), WIDE),
]
