"""Bad inputs against torch: where torch raises, dualgrad raises the same builtin exception type;
where torch returns, dualgrad returns the same values and dtype.

The cases are the classes tools/bad_inputs.py found (it fuzzes every public function with
awkward arguments); each row is one call, run in both libraries.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


def _x(m, dtype="float64", shape=(3, 4)):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) / 5 - 1.1
    return m.tensor(a, dtype=getattr(m, dtype))


def _F(m):
    return m.nn.functional


CASES = {
    # dims: a 0-d tensor takes only 0 and -1 (these skipped the range check)
    **{
        f"{name}_0d_dim_5": (lambda m, name=name: getattr(m, name)(m.tensor(1.5), dim=5))
        for name in (
            "sort",
            "argsort",
            "cummax",
            "cummin",
            "cumprod",
            "cumsum",
            "logcumsumexp",
            "median",
            "mode",
            "softmax",
            "log_softmax",
        )
    },  # fmt: skip
    "cumprod_0d_dim_-1": lambda m: m.cumprod(m.tensor(1.5), -1),
    "sort_0d_dim_0": lambda m: m.sort(m.tensor(1.5), 0).values,
    # dims: a float, a bool or a tensor of several elements is not a dim
    "sum_dim_float": lambda m: _x(m).sum(0.5),
    "sum_dim_bool": lambda m: _x(m).sum(True),
    "sum_dim_empty_tensor": lambda m: m.sum(_x(m), m.zeros(0)),
    "sum_dim_0d_int_tensor": lambda m: _x(m).sum(m.tensor(1)),
    "mean_dim_tensor": lambda m: m.mean(_x(m), _x(m)),
    "amax_dim_float": lambda m: m.amax(_x(m), 1.0),
    "softmax_dim_tensor": lambda m: m.softmax(_x(m), m.zeros(0)),
    "softmax_dim_none": lambda m: m.softmax(_x(m), None),
    "log_softmax_dim_none": lambda m: m.log_softmax(_x(m), None),
    # int arguments: torch's parser refuses floats, bools and tensors but 0-d integer ones
    "tril_diagonal_tensor": lambda m: m.tril(_x(m), m.tensor(1.0)),
    "triu_diagonal_float": lambda m: m.triu(_x(m), 0.5),
    "tril_diagonal_0d_int": lambda m: m.tril(_x(m), m.tensor(1)),
    "diag_diagonal_float": lambda m: m.diag(_x(m), 1.0),
    "diagonal_offset_tensor": lambda m: m.diagonal(_x(m), m.tensor(1.5)),
    "diag_embed_offset_float": lambda m: m.diag_embed(_x(m), 1.0),
    "rot90_k_tensor": lambda m: m.rot90(_x(m), _x(m)),
    "rot90_k_float": lambda m: m.rot90(_x(m), 1.0),
    "rot90_k_bool": lambda m: m.rot90(_x(m), True),
    "rot90_k_5": lambda m: m.rot90(_x(m), 5),
    "rot90_k_-3": lambda m: m.rot90(_x(m), -3),
    "topk_k_float": lambda m: m.topk(_x(m), 1.0),
    # binary functions without a Number overload
    **{
        f"{name}_number_other": (lambda m, name=name: getattr(m, name)(_x(m), 2))
        for name in (
            "atan2",
            "arctan2",
            "maximum",
            "minimum",
            "logaddexp",
            "logaddexp2",
            "hypot",
        )
    },  # fmt: skip
    "maximum_number_input": lambda m: m.maximum(2.0, _x(m)),
    "hypot_method_number": lambda m: _x(m).hypot(2.0),
    "atan2_none": lambda m: m.atan2(_x(m), None),
    # Number arguments refuse tensors
    "celu_alpha_tensor": lambda m: m.celu(_x(m), _x(m)),
    "F_celu_alpha_tensor": lambda m: _F(m).celu(_x(m), m.tensor(2.0)),
    "F_elu_alpha_tensor": lambda m: _F(m).elu(_x(m), m.tensor(2.0)),
    "F_leaky_relu_slope_tensor": lambda m: _F(m).leaky_relu(_x(m), m.tensor(0.2)),
    "F_hardtanh_min_tensor": lambda m: _F(m).hardtanh(_x(m), _x(m)),
    "F_softplus_beta_tensor": lambda m: _F(m).softplus(_x(m), m.tensor(2.0)),
    "F_softshrink_lambd_tensor": lambda m: _F(m).softshrink(_x(m), m.tensor(0.5)),
    "F_hardshrink_lambd_tensor": lambda m: _F(m).hardshrink(_x(m), m.tensor(0.5)),
    "F_threshold_tensor": lambda m: _F(m).threshold(_x(m), m.tensor(0.5), 0.0),
    "F_rrelu_lower_tensor": lambda m: _F(m).rrelu(_x(m), m.tensor(0.1)),
    "logit_eps_tensor": lambda m: m.logit(_x(m), m.tensor(0.1)),
    "nan_to_num_nan_tensor": lambda m: m.nan_to_num(_x(m), _x(m)),
    "nan_to_num_numbers": lambda m: m.nan_to_num(
        m.tensor([math.nan, math.inf, -math.inf, 1.0]), 0.5, 2.0, -2.0
    ),
    "F_celu_inplace_number": lambda m: _F(m).celu(_x(m), 5, True),
    # required arguments
    "reshape_no_shape": lambda m: m.tensor(1.5).reshape(),
    "permute_no_dims": lambda m: m.tensor(1.5).permute(),
    "tile_no_dims": lambda m: m.tile(_x(m)),
    "logsumexp_no_dim": lambda m: m.logsumexp(_x(m)),
    # nn.functional's softmax family picks a dim as torch's (with a warning)
    **{
        f"F_{name}_{n}d_no_dim": (
            lambda m, name=name, n=n: getattr(_F(m), name)(_x(m, shape=(2, 3, 4)[:n]))
        )
        for name in ("softmax", "log_softmax", "softmin")
        for n in (1, 2, 3)
    },
    # losses: targets other than 1 and -1; 0-d targets of another dtype; integer inputs
    "hinge_embedding_loss_target_0_2": lambda m: _F(m).hinge_embedding_loss(
        _x(m), m.tensor([[0.0, 1.0, -1.0, 2.0]] * 3, dtype=m.float64), reduction="none"
    ),
    "hinge_embedding_loss_float_target": lambda m: _F(m).hinge_embedding_loss(_x(m), _x(m) * 0.3),
    "cosine_embedding_loss_target_0": lambda m: _F(m).cosine_embedding_loss(
        _x(m), _x(m).flip(0), m.tensor([0.0, 1.0, -1.0], dtype=m.float64), reduction="none"
    ),
    **{
        f"{name}_0d_float64_target": (
            lambda m, name=name: getattr(_F(m), name)(
                _x(m, "float32"), m.tensor(0.5, dtype=m.float64)
            )
        )
        for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss")
    },
    "kl_div_integer_target": lambda m: _F(m).kl_div(_x(m), m.ones(3, 4, dtype=m.int64)),
    "kl_div_integer_input": lambda m: _F(m).kl_div(m.ones(3, 4, dtype=m.int64), _x(m)),
    # dropout of integers: torch's cast error when it scales; zeros of the dtype at p = 1
    **{
        f"F_{name}_{dt}_p{p}": (
            lambda m, name=name, dt=dt, p=p: getattr(_F(m), name)(
                m.ones(2, 3, 4, 5, dtype=getattr(m, dt)), p
            )
        )
        for name in ("dropout", "dropout2d", "dropout3d")
        for dt in ("int64", "bool")
        for p in (0.0, 0.5, 1.0)
    },
    "F_dropout1d_int64": lambda m: _F(m).dropout1d(m.ones(2, 3, 4, dtype=m.int64), 0.5),
    # torch returns where dualgrad raised
    "poisson_0d_shape": lambda m: list(m.poisson(m.tensor(1.5)).shape),
    "mse_loss_bool_target": lambda m: _F(m).mse_loss(_x(m), _x(m) > 0.5),
    "smooth_l1_loss_bool_target": lambda m: _F(m).smooth_l1_loss(_x(m), _x(m) > 0.5),
    "l1_loss_bool_target": lambda m: _F(m).l1_loss(_x(m), _x(m) > 0.5),
    "huber_loss_bool_target": lambda m: _F(m).huber_loss(_x(m), _x(m) > 0.5),
    "soft_margin_loss_bool_target": lambda m: _F(m).soft_margin_loss(_x(m), _x(m) > 0.5),
    "cosine_similarity_int_other": lambda m: _F(m).cosine_similarity(
        _x(m), m.ones(3, 4, dtype=m.int64)
    ),
    "cosine_similarity_int_both": lambda m: _F(m).cosine_similarity(
        m.ones(3, 4, dtype=m.int64), m.ones(3, 4, dtype=m.int64)
    ),
    "kron_int_other": lambda m: m.kron(_x(m), m.ones(2, 2, dtype=m.int64)),
    "kron_bool": lambda m: m.kron(m.ones(2, dtype=m.bool), m.ones(2, 2, dtype=m.bool)),
    "kron_number": lambda m: m.kron(_x(m), 2),
    "diff_n_beyond_size": lambda m: m.diff(_x(m), 5),
    "diff_n_negative": lambda m: m.diff(_x(m), -3),
    "diff_n_float": lambda m: m.diff(_x(m), 1.0),
    # normal(Tensor, Tensor): mean's dtype
    "normal_f32_mean_f64_std_dtype": lambda m: (
        m.normal(_x(m, "float32"), m.tensor(0.5, dtype=m.float64)).dtype
    ),
    "normal_f64_mean_f32_std_dtype": lambda m: (
        m.normal(m.tensor(0.5, dtype=m.float64), _x(m, "float32").abs()).dtype
    ),
    "normal_f32_mean_f64_row_dtype": lambda m: (
        m.normal(_x(m, "float32"), m.ones(4, dtype=m.float64)).dtype
    ),
    # a 0-d tensor takes part in the result type below the dimensioned ones (composites that
    # promoted over all their tensors gave float64)
    "block_diag_0d_f64": lambda m: m.block_diag(_x(m, "float32"), m.tensor(2.0, dtype=m.float64)),
    "block_diag_int_and_0d_float": lambda m: m.block_diag(
        m.ones(2, 2, dtype=m.int64), m.tensor(2.5)
    ),
    "pairwise_distance_0d_f64": lambda m: _F(m).pairwise_distance(
        _x(m, "float32"), m.tensor(0.5, dtype=m.float64)
    ),
    # a nan in an SVD's or eigh's input: torch raises (an inf: tests below)
    **{
        f"{name}_nan": (
            lambda m, f=f: f(m, _x(m, shape=(3, 3)).index_fill(0, m.tensor([0]), math.nan))
        )
        for name, f in {
            "svd": lambda m, a: m.linalg.svd(a),
            "svdvals": lambda m, a: m.linalg.svdvals(a),
            "torch_svd": lambda m, a: m.svd(a),
            "pinv": lambda m, a: m.linalg.pinv(a),
            "matrix_rank": lambda m, a: m.linalg.matrix_rank(a),
            "matrix_norm_2": lambda m, a: m.linalg.matrix_norm(a, ord=2),
            "nuclear_norm": lambda m, a: m.linalg.matrix_norm(a, ord="nuc"),
            "eigh": lambda m, a: m.linalg.eigh(a + a.mT),
            "eigvalsh": lambda m, a: m.linalg.eigvalsh(a + a.mT),
        }.items()
    },
    # linalg.cond, vander: torch's checks and its inf for a singular matrix
    "cond_p3": lambda m: m.linalg.cond(_x(m, shape=(3, 3)), 3),
    "cond_fro_not_square": lambda m: m.linalg.cond(_x(m), "fro"),
    "cond_fro_singular": lambda m: m.linalg.cond(m.ones(3, 3, dtype=m.float64), "fro"),
    "cond_1_singular_batch": lambda m: m.linalg.cond(m.stack([m.ones(2, 2), m.eye(2) * 2]), 1),
    "cond_int": lambda m: m.linalg.cond(m.tensor([[1, 2], [3, 4]])),
    "vander_N1": lambda m: m.linalg.vander(m.tensor([1.0, 2.0]), N=1),
    "vander_0d": lambda m: m.linalg.vander(m.tensor(2.0)),
    # pivots are lu_factor's int32: others were read as positions (a wrong permutation)
    **{
        f"lu_unpack_pivots_{dt}": (
            lambda m, dt=dt: (
                m.lu_unpack(
                    m.linalg.lu_factor(_x(m, shape=(3, 3)) + m.eye(3, dtype=m.float64))[0],
                    m.tensor([2.0, 3.0, 3.0]).to(getattr(m, dt)),
                ).P
            )
        )
        for dt in ("float64", "int64", "int32")
    },
    "lu_solve_pivots_int64": lambda m: m.linalg.lu_solve(
        m.linalg.lu_factor(_x(m, shape=(3, 3)) + m.eye(3, dtype=m.float64))[0],
        m.tensor([2, 3, 3]),
        _x(m, shape=(3, 2)),
    ),
    # cdist's kernel takes one dtype (an empty result is x1's)
    "cdist_mixed_dtypes": lambda m: m.cdist(_x(m, "float32"), _x(m, "float64")),
    "cdist_mixed_dtypes_empty": lambda m: m.cdist(_x(m, "float32"), m.ones(0, 4, dtype=m.float64)),
    # an empty input's histogram spans [0, 1], as torch's (and NumPy's)
    "histogram_empty": lambda m: m.histogram(m.ones(0), 5).bin_edges,
}


def _builtin(e):
    for t in (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError):
        if isinstance(e, t):
            return t
    return type(e)


def _run(m, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return "ok", fn(m), [type(w.message) for w in caught]
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            return "raise", e, [type(w.message) for w in caught]


def _plain(v):
    if isinstance(v, (torch.Tensor, dg.Tensor)):
        return (tuple(v.shape), str(v.dtype).split(".")[-1], np.asarray(v.detach().numpy()))
    if isinstance(v, (torch.dtype, dg.dtype)):
        return str(v).split(".")[-1]
    return v


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_as_torch(name):
    fn = CASES[name]
    t_kind, t_val, t_warn = _run(torch, fn)
    d_kind, d_val, d_warn = _run(dg, fn)
    if t_kind == "raise":
        assert d_kind == "raise", f"torch raises {t_val!r}; dualgrad returns {d_val!r}"
        assert isinstance(d_val, _builtin(t_val)), f"torch {t_val!r}, dualgrad {d_val!r}"
        assert str(d_val), "the error must say what is wrong"
        return
    assert d_kind == "ok", f"torch returns; dualgrad raises {d_val!r}"
    t, d = _plain(t_val), _plain(d_val)
    if isinstance(t, tuple):
        assert d[:2] == t[:2], f"shape/dtype {d[:2]}, torch {t[:2]}"
        if "dropout" not in name or "p1.0" in name or "p0.0" in name:
            np.testing.assert_allclose(d[2].astype(np.float64), t[2].astype(np.float64), 1e-6, 1e-6)
    else:
        assert d == t
    # torch's warnings (the implicit softmax dim, a broadcast loss target) come with the value
    assert set(t_warn) <= set(d_warn), f"torch warns {t_warn}, dualgrad {d_warn}"


def test_a_tensor_argument_is_not_changed():
    """rot90(x, k) with a tensor k used to run k %= 4 on it in place before refusing nothing."""
    k = dg.ones(3, 4)
    with pytest.raises(TypeError, match="rot90.*'k'"):
        dg.rot90(dg.ones(3, 4), k)
    assert k.tolist() == [[1.0] * 4] * 3


# NOTE: [non-finite input to LAPACK's iterations] in _ops/linalg_decomp.py: OpenBLAS's SVD
# iteration ran forever on a 3x3 matrix holding one inf. torch (MKL) returns nans for these and
# raises for a nan (rows above); dualgrad raises on every non-finite input (docs/differences.md).
@pytest.mark.parametrize(
    "call",
    [
        lambda a: dg.linalg.svd(a),
        lambda a: dg.linalg.svdvals(a),
        lambda a: dg.linalg.pinv(a),
        lambda a: dg.linalg.matrix_norm(a, ord=2),
        lambda a: dg.linalg.lstsq(a, a, driver="gelsd"),
    ],
)
@pytest.mark.parametrize("where", ["one", "row"])
def test_svd_of_a_matrix_holding_an_inf_raises_instead_of_running_forever(call, where):
    a = np.random.default_rng(0).standard_normal((3, 3))
    if where == "one":
        a[0, 0] = np.inf
    else:
        a[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite values"):
        call(dg.tensor(a))
    # torch's answer is no number either: nans where it does not raise
    assert torch.linalg.svdvals(torch.tensor(a)).isnan().all()
