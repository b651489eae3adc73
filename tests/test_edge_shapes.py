"""Op kernels on the edges against PyTorch: aliasing of outputs (no op returns its input or a
NumPy view the autograd graph does not know), 0-d / empty / size-1 inputs, reductions over
empty dims, split-like ops, index checks and the placement of advanced-index dims."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
from op_table import ROWS, make_inputs


def _tensors(out):
    """The tensors in an op's result (a tensor, or a tuple / namedtuple of them)."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    return [out] if isinstance(out, (dg.Tensor, torch.Tensor)) else []


def _leaves(arrays, m):
    return [m.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]


def _check_no_alias(fn, arrays, torch_fn=None):
    """``fn(dg, ...)`` never returns one of its inputs, and where torch's result is not a view
    its result shares no memory with an input."""
    xs = _leaves(arrays, dg)
    ts = _leaves(arrays, torch)
    with dg.no_grad():
        outs = _tensors(fn(dg, *xs))
    touts = _tensors((torch_fn or fn)(torch, *ts))
    assert len(outs) == len(touts)
    inputs = [x for x in xs if isinstance(x, dg.Tensor)]
    for o, t in zip(outs, touts):
        same = [x for x, tx in zip(xs, ts) if t is tx]
        if same:  # torch hands back its input here (dropout(p=0), x.to(its dtype), flatten of
            # a 1-D tensor): dualgrad the input or a view of it, writes reaching the input
            assert np.shares_memory(o._data, same[0]._data), "torch aliases its input here"
            continue
        assert all(o is not x for x in inputs), "an op returned its input object"
        # torch's view(dtype) shares its input's storage without being a view (_is_view False)
        shares = t._is_view() or any(
            isinstance(tx, torch.Tensor)
            and tx.numel()
            and t.numel()
            and t.untyped_storage().data_ptr() == tx.untyped_storage().data_ptr()
            for tx in ts
        )
        if not shares:
            for x in inputs:
                assert not np.shares_memory(o._data, x._data), (
                    "a result torch makes as a new tensor shares memory with an input"
                )


ROW_CASES = [
    pytest.param(row, k, id=f"{row.name}-{k}") for row in ROWS for k in range(len(row.samples))
]


@pytest.mark.parametrize("row,k", ROW_CASES)
def test_no_row_returns_its_input_or_hidden_view(row, k):
    _check_no_alias(row.fn, make_inputs(row.samples[k], seed=k), row.torch_fn)


# Calls where an op has nothing to do (identity-like arguments): the classic place for a kernel
# to hand back its input or a NumPy view of it.
_A = np.arange(6.0).reshape(2, 3)
_SQ = np.arange(4.0).reshape(2, 2) + np.eye(2) * 3
_V = np.arange(3.0)
_S = np.array(2.0)
_X3 = np.arange(12.0).reshape(1, 3, 4)
_X4 = np.arange(24.0).reshape(1, 2, 3, 4)
IDENTITY_CASES = {
    "einsum_ij_ji": (lambda m, x: m.einsum("ij->ji", x), _A),
    "einsum_ij_ij": (lambda m, x: m.einsum("ij->ij", x), _A),
    "einsum_i_i": (lambda m, x: m.einsum("i->i", x), _V),
    "einsum_ii_i": (lambda m, x: m.einsum("ii->i", x), _SQ),
    "einsum_implicit_ij": (lambda m, x: m.einsum("ij", x), _A),
    "matrix_power_1": (lambda m, x: m.linalg.matrix_power(x, 1), _SQ),
    "roll_0d": (lambda m, x: m.roll(x, 1), _S),
    "roll_full_turn": (lambda m, x: m.roll(x, 3, 1), _A),
    "roll_zero": (lambda m, x: m.roll(x, 0), _A),
    "expand_same": (lambda m, x: x.expand(2, 3), _A),
    "expand_as_same": (lambda m, x: x.expand_as(x), _A),
    "broadcast_to_same": (lambda m, x: m.broadcast_to(x, (2, 3)), _A),
    "squeeze_nothing": (lambda m, x: x.squeeze(), _A),
    "squeeze_dim_nothing": (lambda m, x: x.squeeze(0), _A),
    "transpose_1d": (lambda m, x: x.transpose(0, -1), _V),
    "t_1d": (lambda m, x: x.t(), _V),
    "t_0d": (lambda m, x: x.t(), _S),
    "permute_identity": (lambda m, x: x.permute(0, 1), _A),
    "reshape_same": (lambda m, x: x.reshape(2, 3), _A),
    "flatten_1d": (lambda m, x: x.flatten(), _V),
    "movedim_same": (lambda m, x: m.movedim(x, 0, 0), _A),
    "flip_none": (lambda m, x: m.flip(x, ()), _A),
    "tile_ones": (lambda m, x: m.tile(x, (1, 1)), _A),
    "repeat_ones": (lambda m, x: x.repeat(1, 1), _A),
    "narrow_all": (lambda m, x: x.narrow(1, 0, 3), _A),
    "split_whole": (lambda m, x: m.split(x, 2), _A),
    "chunk_one": (lambda m, x: m.chunk(x, 1), _A),
    "tensor_split_one": (lambda m, x: m.tensor_split(x, 1), _A),
    "sort_sorted": (lambda m, x: m.sort(x).values, _V),
    "cumsum_size1": (lambda m, x: m.cumsum(x, 0), _V[:1]),
    "cumprod_size1": (lambda m, x: m.cumprod(x, 0), _V[:1]),
    "sum_no_dims": (lambda m, x: m.sum(x, ()), _A),
    "amax_0d": (lambda m, x: m.amax(x, 0), _S),
    "max_0d_dim": (lambda m, x: m.max(x, 0).values, _S),
    "mean_0d": (lambda m, x: m.mean(x, 0), _S),
    "tril_big": (lambda m, x: m.tril(x, 5), _A),
    "triu_low": (lambda m, x: m.triu(x, -5), _A),
    "clamp_wide": (lambda m, x: m.clamp(x, -100.0, 100.0), _A),
    "gather_identity": (lambda m, x: m.gather(x, 1, m.tensor([[0, 1, 2], [0, 1, 2]])), _A),
    "index_select_all": (lambda m, x: m.index_select(x, 0, m.tensor([0, 1])), _A),
    "getitem_all": (lambda m, x: x[m.tensor([0, 1])], _A),
    "take_along_dim": (lambda m, x: m.take_along_dim(x, m.tensor([[0, 1, 2]]), 1), _A[:1]),
    "masked_fill_none": (lambda m, x: x.masked_fill(m.zeros(2, 3, dtype=m.bool), 1.0), _A),
    "where_all": (lambda m, x: m.where(m.ones(2, 3, dtype=m.bool), x, 0.0), _A),
    "matmul_eye": (lambda m, x: m.matmul(x, m.eye(3, dtype=m.float64)), _A),
    "kron_one": (lambda m, x: m.kron(x, m.ones(1, 1, dtype=m.float64)), _A),
    "cat_one": (lambda m, x: m.cat([x]), _A),
    "stack_one": (lambda m, x: m.stack([x])[0], _A),
    "diag_embed_roundtrip": (lambda m, x: m.diagonal(m.diag_embed(x), 0, -2, -1), _A),
    # nn.functional composites with parameters that make them a no-op
    **{
        f"pad_{mode}_zero_{x.ndim}d": (
            lambda m, x, mode=mode: m.nn.functional.pad(x, (0, 0) * (x.ndim - 1), mode=mode),
            x,
        )
        for mode in ("constant", "reflect", "replicate", "circular")
        for x in (_X3, _X4)
    },
    "pad_reflect_one_dim_zero": (
        lambda m, x: m.nn.functional.pad(x, (0, 0, 1, 1), mode="reflect"),
        _X4,
    ),
    "pad_constant_crop_none": (lambda m, x: m.nn.functional.pad(x, (0, -0)), _A),
    "dropout_p0": (lambda m, x: m.nn.functional.dropout(x, 0.0), _A),
    "dropout_eval": (lambda m, x: m.nn.functional.dropout(x, 0.5, training=False), _A),
    "alpha_dropout_p0": (lambda m, x: m.nn.functional.alpha_dropout(x, 0.0, training=True), _A),
    "alpha_dropout_eval": (lambda m, x: m.nn.functional.alpha_dropout(x, 0.5), _A),
    "interpolate_same_size": (lambda m, x: m.nn.functional.interpolate(x, size=(3, 4)), _X4),
    "interpolate_bilinear_same": (
        lambda m, x: m.nn.functional.interpolate(x, size=(3, 4), mode="bilinear"),
        _X4,
    ),
    "interpolate_scale_1": (lambda m, x: m.nn.functional.interpolate(x, scale_factor=1.0), _X4),
    "interpolate_1d_same": (lambda m, x: m.nn.functional.interpolate(x, size=4), _X3),
    "adaptive_avg_pool2d_same": (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 4)), _X4),
    "adaptive_avg_pool1d_same": (lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, 4), _X3),
    "adaptive_max_pool2d_same": (lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (3, 4)), _X4),
    "adaptive_max_pool1d_same": (lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 4), _X3),
    "avg_pool2d_k1": (lambda m, x: m.nn.functional.avg_pool2d(x, 1), _X4),
    "avg_pool1d_k1": (lambda m, x: m.nn.functional.avg_pool1d(x, 1), _X3),
    "max_pool2d_k1": (lambda m, x: m.nn.functional.max_pool2d(x, 1), _X4),
    "max_pool1d_k1": (lambda m, x: m.nn.functional.max_pool1d(x, 1), _X3),
    "pixel_shuffle_1": (lambda m, x: m.nn.functional.pixel_shuffle(x, 1), _X4),
    "unfold_k1": (lambda m, x: m.nn.functional.unfold(x, 1), _X4),
    "fold_k1": (lambda m, x: m.nn.functional.fold(x, (3, 4), 1), _X4.reshape(1, 2, 12)),
    "relu_positive": (lambda m, x: m.nn.functional.relu(x), _A),
    "hardtanh_wide": (lambda m, x: m.nn.functional.hardtanh(x, -100.0, 100.0), _A),
    "threshold_low": (lambda m, x: m.nn.functional.threshold(x, -100.0, 0.0), _A),
    "leaky_relu_positive": (lambda m, x: m.nn.functional.leaky_relu(x), _A),
    "softshrink_0": (lambda m, x: m.nn.functional.softshrink(x, 0.0), _A),
    "hardshrink_0": (lambda m, x: m.nn.functional.hardshrink(x, 0.0), _A),
    "linear_eye": (lambda m, x: m.nn.functional.linear(x, m.eye(3, dtype=m.float64)), _A),
    "embedding_all_rows": (lambda m, w: m.nn.functional.embedding(m.tensor([0, 1]), w), _A),
    "conv2d_1x1_eye": (
        lambda m, x: m.nn.functional.conv2d(x, m.eye(2, dtype=m.float64).reshape(2, 2, 1, 1)),
        _X4,
    ),
    "conv1d_1_groups": (
        lambda m, x: m.nn.functional.conv1d(x, m.ones(3, 1, 1, dtype=m.float64), groups=3),
        _X3,
    ),
    "softmax_size1": (lambda m, x: m.nn.functional.softmax(x, 0), _A[:1]),
    "layer_norm": (lambda m, x: m.nn.functional.layer_norm(x, (3,)), _A),
    "batch_norm_identity": (
        lambda m, x: m.nn.functional.batch_norm(
            x, m.zeros(3, dtype=m.float64), m.ones(3, dtype=m.float64), eps=0.0
        ),
        _A,
    ),
    # composites and methods with no-op parameters
    "logsumexp_size1": (lambda m, x: m.logsumexp(x, 0), _A[:1]),
    "norm_0d": (lambda m, x: m.norm(x, 2, 0), _S),
    "nan_to_num_finite": (lambda m, x: m.nan_to_num(x), _A),
    "flatten_one_dim": (lambda m, x: m.flatten(x, 0, 0), _A),
    "unflatten_same": (lambda m, x: x.unflatten(1, (3,)), _A),
    "contiguous": (lambda m, x: x.contiguous(), _A),
    "to_own_dtype": (lambda m, x: x.to(m.float64), _A),
    "double_of_double": (lambda m, x: x.double(), _A),
    "type_as_itself": (lambda m, x: x.type_as(x), _A),
    "repeat_interleave_1": (lambda m, x: m.repeat_interleave(x, 1), _A),
    "clamp_min_only": (lambda m, x: m.clamp(x, min=-100.0), _A),
    "where_same": (lambda m, x: m.where(x > -1, x, x), _A),
    "masked_scatter_none": (lambda m, x: x.masked_scatter(m.zeros(2, 3, dtype=m.bool), x), _A),
    "index_add_none": (lambda m, x: m.index_add(x, 0, m.zeros(0, dtype=m.int64), x[:0]), _A),
    "index_copy_none": (lambda m, x: m.index_copy(x, 0, m.zeros(0, dtype=m.int64), x[:0]), _A),
    "index_fill_none": (lambda m, x: m.index_fill(x, 0, m.zeros(0, dtype=m.int64), 1.0), _A),
    "index_put_none": (
        lambda m, x: m.index_put(x, (m.zeros(0, dtype=m.int64),), m.tensor(1.0, dtype=m.float64)),
        _A,
    ),
    "lerp_weight_0": (lambda m, x: m.lerp(x, x, 0.0), _A),
    "addcmul_value_0": (lambda m, x: m.addcmul(x, x, x, value=0.0), _A),
    "add_0": (lambda m, x: m.add(x, 0), _A),
    "pow_1": (lambda m, x: x**1, _A),
    "take_all": (lambda m, x: m.take(x, m.arange(6).reshape(2, 3)), _A),
    "movedim_same_tuple": (lambda m, x: m.movedim(x, (0, 1), (0, 1)), _A),
    "swapaxes_same": (lambda m, x: m.swapaxes(x, 0, 0), _A),
    "multi_dot_eye": (lambda m, x: m.linalg.multi_dot([x, m.eye(3, dtype=m.float64)]), _A),
    "tensordot_0d": (lambda m, x: m.tensordot(x, m.tensor(1.0, dtype=m.float64), 0), _A),
}


@pytest.mark.parametrize("name", sorted(IDENTITY_CASES))
def test_identity_like_calls_return_new_tensors(name):
    fn, a = IDENTITY_CASES[name]
    _check_no_alias(fn, [a])


@pytest.mark.parametrize("equation", ["ij->ji", "ij->ij", "ii->i", "ij", "i...->...i"])
def test_einsum_without_sums_is_a_view_as_in_torch(equation):
    # torch's einsum returns a view when nothing is summed: a write into it reaches the
    # operand, its values and its gradient
    grads = []
    for m in (dg, torch):
        x = m.ones(3, 3, dtype=m.float64, requires_grad=True)
        b = x * 1
        m.einsum(equation, b).mul_(2)
        (b * m.arange(9.0, dtype=m.float64).reshape(3, 3)).sum().backward()
        grads.append((b.detach().numpy().copy(), x.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


def test_matrix_power_1_and_roll_do_not_follow_later_writes():
    for m in (dg, torch):
        x = m.ones(2, 2)
        y = m.linalg.matrix_power(x, 1)
        s = m.tensor(1.0)
        r = m.roll(s, 1)
        x.add_(100)
        s.add_(100)
        assert y.sum().item() == 4 and r.item() == 1


# ---------------------------------------------------------------- 0-d, empty and size-1 inputs
def _run(fn, m, a):
    """``fn`` on a float32 tensor of ``a``'s values: the result, or the exception it raised."""
    try:
        with warnings.catch_warnings():  # torch warns of std's zero degrees of freedom
            warnings.simplefilter("ignore", UserWarning)
            return fn(m, m.tensor(a))
    except Exception as e:  # noqa: BLE001 - the exception is the result compared with torch's
        return e


def _compare(fn, a):
    got, want = _run(fn, dg, a), _run(fn, torch, a)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), (
            f"torch raises {type(want).__name__}: {want}; dualgrad returned"
        )
        assert type(got).__name__ == type(want).__name__ or isinstance(got, type(want)), (got, want)
        return
    if isinstance(got, Exception):
        raise got
    gots, wants = _tensors(got), _tensors(want)
    assert len(gots) == len(wants)
    for g, w in zip(gots, wants):
        assert tuple(g.shape) == tuple(w.shape), (tuple(g.shape), tuple(w.shape))
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5, atol=1e-6)


# Each takes (m, x, dim, keepdim). None as dim means "the op's default" (all dims, or the
# op's own default dim).
def _with_dim(name, **kw):
    def fn(m, x, dim, keepdim):
        f = getattr(m, name)
        if dim is None:
            return f(x, **kw)
        return f(x, dim, keepdim=keepdim, **kw)

    return fn


def _no_keepdim(name, **kw):
    def fn(m, x, dim, keepdim):
        f = getattr(m, name)
        return f(x, **kw) if dim is None else f(x, dim, **kw)

    return fn


REDUCTIONS = {
    "sum": _with_dim("sum"),
    "mean": _with_dim("mean"),
    "prod": lambda m, x, dim, keepdim: (
        m.prod(x) if dim is None else m.prod(x, dim, keepdim=keepdim)
    ),
    "amax": _with_dim("amax"),
    "amin": _with_dim("amin"),
    "max": _with_dim("max"),
    "min": _with_dim("min"),
    "argmax": _with_dim("argmax"),
    "argmin": _with_dim("argmin"),
    "logsumexp": lambda m, x, dim, keepdim: m.logsumexp(
        x, 0 if dim is None else dim, keepdim=keepdim
    ),
    "std": _with_dim("std"),
    "var": _with_dim("var"),
    "std_unbiased0": _with_dim("std", correction=0),
    "norm": lambda m, x, dim, keepdim: (
        m.norm(x) if dim is None else m.norm(x, dim=dim, keepdim=keepdim)
    ),
    "norm_inf": lambda m, x, dim, keepdim: m.linalg.vector_norm(
        x, float("inf"), dim=dim, keepdim=keepdim
    ),
    "vector_norm_1": lambda m, x, dim, keepdim: m.linalg.vector_norm(
        x, 1, dim=dim, keepdim=keepdim
    ),
    "cumsum": lambda m, x, dim, keepdim: m.cumsum(x, 0 if dim is None else dim),
    "cumprod": lambda m, x, dim, keepdim: m.cumprod(x, 0 if dim is None else dim),
    "logcumsumexp": lambda m, x, dim, keepdim: m.logcumsumexp(x, 0 if dim is None else dim),
    "cummax": lambda m, x, dim, keepdim: m.cummax(x, 0 if dim is None else dim),
    "cummin": lambda m, x, dim, keepdim: m.cummin(x, 0 if dim is None else dim),
    "sort": _no_keepdim("sort"),
    "argsort": _no_keepdim("argsort"),
    "topk_1": lambda m, x, dim, keepdim: m.topk(x, 1) if dim is None else m.topk(x, 1, dim),
    "topk_0": lambda m, x, dim, keepdim: m.topk(x, 0) if dim is None else m.topk(x, 0, dim),
    "kthvalue_1": _with_dim("kthvalue", k=1)
    if False
    else (
        lambda m, x, dim, keepdim: (
            m.kthvalue(x, 1) if dim is None else m.kthvalue(x, 1, dim, keepdim)
        )
    ),
    "median": _with_dim("median"),
    "mode": lambda m, x, dim, keepdim: m.mode(x) if dim is None else m.mode(x, dim, keepdim),
    "quantile": lambda m, x, dim, keepdim: (
        m.quantile(x, 0.3) if dim is None else m.quantile(x, 0.3, dim, keepdim)
    ),
    "quantile_vec": lambda m, x, dim, keepdim: (
        m.quantile(x, m.tensor([0.3, 0.5]))
        if dim is None
        else m.quantile(x, m.tensor([0.3, 0.5]), dim, keepdim)
    ),
    "nanquantile": lambda m, x, dim, keepdim: (
        m.nanquantile(x, 0.5) if dim is None else m.nanquantile(x, 0.5, dim, keepdim)
    ),
    "softmax": lambda m, x, dim, keepdim: m.softmax(x, 0 if dim is None else dim),
    "log_softmax": lambda m, x, dim, keepdim: m.log_softmax(x, 0 if dim is None else dim),
    "msort": lambda m, x, dim, keepdim: m.msort(x),
    "unique": lambda m, x, dim, keepdim: m.unique(x),
}

EDGE_SHAPES = [(), (0,), (1,), (0, 3), (3, 0), (1, 1), (2, 0, 3), (1, 3)]


def _edge_array(shape):
    return (np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) % 5) - 1.5


def _dim_choices(shape):
    out = [(None, False)]
    for d in [0, -1] if len(shape) <= 1 else [0, 1, -1]:
        out += [(d, False), (d, True)]
    return out


REDUCTION_CASES = [
    pytest.param(name, shape, dim, keepdim, id=f"{name}-{shape}-{dim}-{keepdim}")
    for name in REDUCTIONS
    for shape in EDGE_SHAPES
    for dim, keepdim in _dim_choices(shape)
]


@pytest.mark.parametrize("name,shape,dim,keepdim", REDUCTION_CASES)
def test_reductions_on_edge_shapes_match_torch(name, shape, dim, keepdim):
    fn = REDUCTIONS[name]
    _compare(lambda m, x: fn(m, x, dim, keepdim), _edge_array(shape))


# Shape ops on the same edge shapes, with the arguments that are valid for some of them and
# not for others (torch's exception is then the expected result).
SHAPE_OPS = {
    "flatten": lambda m, x: x.flatten(),
    "flatten_0_-1": lambda m, x: m.flatten(x, 0, -1),
    "flatten_1_0": lambda m, x: m.flatten(x, 1, 0),
    "flatten_-1_0": lambda m, x: m.flatten(x, -1, 0),
    "flatten_0_0": lambda m, x: m.flatten(x, 0, 0),
    "flatten_1_1": lambda m, x: m.flatten(x, 1, 1),
    "unflatten_last": lambda m, x: x.unflatten(-1, (1, -1)),
    "unflatten_first": lambda m, x: x.unflatten(0, (-1, 1)),
    "unflatten_0_size": lambda m, x: x.unflatten(-1, (0, -1)),
    "squeeze": lambda m, x: x.squeeze(),
    "squeeze_0": lambda m, x: x.squeeze(0),
    "squeeze_-1": lambda m, x: x.squeeze(-1),
    "unsqueeze_0": lambda m, x: x.unsqueeze(0),
    "unsqueeze_-1": lambda m, x: x.unsqueeze(-1),
    "reshape_-1": lambda m, x: x.reshape(-1),
    "reshape_-1_0": lambda m, x: x.reshape(-1, 0),
    "view_1_-1": lambda m, x: x.view(1, -1),
    "t": lambda m, x: x.t(),
    "transpose_0_-1": lambda m, x: x.transpose(0, -1),
    "movedim_0_-1": lambda m, x: m.movedim(x, 0, -1),
    "flip_0": lambda m, x: m.flip(x, (0,)),
    "roll_1": lambda m, x: m.roll(x, 1),
    "roll_1_0": lambda m, x: m.roll(x, 1, 0),
    "repeat_2": lambda m, x: x.repeat(*([2] * max(x.ndim, 1))),
    "tile_2": lambda m, x: m.tile(x, (2,)),
    "narrow_0_0_0": lambda m, x: x.narrow(0, 0, 0),
    "narrow_-1_0_1": lambda m, x: x.narrow(-1, 0, 1),
    "split_1": lambda m, x: m.split(x, 1),
    "split_2_-1": lambda m, x: m.split(x, 2, -1),
    "split_sizes": lambda m, x: m.split(x, [0, x.shape[0]] if x.ndim else [1]),
    "chunk_2": lambda m, x: m.chunk(x, 2),
    "chunk_3_-1": lambda m, x: m.chunk(x, 3, -1),
    "tensor_split_2": lambda m, x: m.tensor_split(x, 2),
    "tensor_split_3_-1": lambda m, x: m.tensor_split(x, 3, -1),
    "tensor_split_idx": lambda m, x: m.tensor_split(x, [-2, 6]),
    "tensor_split_idx_-1": lambda m, x: m.tensor_split(x, [-2, 6], -1),
    "tensor_split_desc": lambda m, x: m.tensor_split(x, [2, 1], -1),
    "tensor_split_neg": lambda m, x: m.tensor_split(x, [-1, -5]),
    "tensor_split_tensor": lambda m, x: m.tensor_split(x, m.tensor([1, -1])),
    "tensor_split_0": lambda m, x: m.tensor_split(x, 0),
    "unbind_0": lambda m, x: m.unbind(x),
    "unbind_-1": lambda m, x: m.unbind(x, -1),
    "cat_self": lambda m, x: m.cat([x, x], -1),
    "stack_self": lambda m, x: m.stack([x, x], -1),
    "diagonal": lambda m, x: m.diagonal(x),
    "diag": lambda m, x: m.diag(x),
    "diag_embed": lambda m, x: m.diag_embed(x),
    "tril": lambda m, x: m.tril(x),
    "triu_1": lambda m, x: m.triu(x, 1),
    "expand": lambda m, x: x.expand(2, *x.shape),
    "permute_rev": lambda m, x: x.permute(tuple(reversed(range(x.ndim)))),
    "trace": lambda m, x: m.trace(x),
    "sum_dims_empty_tuple": lambda m, x: m.sum(x, ()),
    "prod_dims": lambda m, x: m.prod(x, -1),
    "cumsum_-1": lambda m, x: m.cumsum(x, -1),
}


SHAPE_CASES = [
    pytest.param(name, shape, id=f"{name}-{shape}") for name in SHAPE_OPS for shape in EDGE_SHAPES
]


@pytest.mark.parametrize("name,shape", SHAPE_CASES)
def test_shape_ops_on_edge_shapes_match_torch(name, shape):
    _compare(SHAPE_OPS[name], _edge_array(shape))


# ---------------------------------------------------------------- scatter_reduce
# Zeros in self and src, positions no index reaches (holding 0), slots with one and with two
# zeros. (amax/amin with include_self=False and an excluded self value tied with the result is
# a documented difference: NOTE: [scatter_reduce derivatives]; these values avoid that tie.)
_SR_X = np.array([[0.0, 2.0, 3.0, 0.0, 5.0], [1.0, 7.0, 0.0, 4.0, -2.0]])
_SR_SRC = np.array([[5.0, 0.0, 6.0, 2.0], [0.0, 0.0, 3.0, 1.0]])
_SR_INDEX = np.array([[1, 1, 2, 4], [1, 1, 3, 3]])


def _scatter_reduce_run(m, reduce, include_self, x0, src0):
    x = m.tensor(x0, requires_grad=True)
    src = m.tensor(src0, requires_grad=True)
    out = x.scatter_reduce(1, m.tensor(_SR_INDEX), src, reduce, include_self=include_self)
    w = m.tensor(np.arange(10.0).reshape(2, 5) - 3)
    gx, gs = m.autograd.grad((out * w).sum(), (x, src))
    return [out.detach().numpy(), gx.numpy(), gs.numpy()]


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("signs", ["zeros", "no_zeros"])
def test_scatter_reduce_values_and_gradients_match_torch(reduce, include_self, signs):
    x0, src0 = (_SR_X, _SR_SRC) if signs == "zeros" else (_SR_X + 10.0, _SR_SRC + 10.0)
    got = _scatter_reduce_run(dg, reduce, include_self, x0, src0)
    want = _scatter_reduce_run(torch, reduce, include_self, x0, src0)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- ints beside index tensors
# torch selects the int dims first, so ints never separate index tensors (NumPy counts them as
# advanced): NOTE: [ints beside index tensors] in dualgrad/_ops/indexing.py
_IDX_KEYS = [
    lambda T, B: (1, slice(None), T([0, 1, 2])),
    lambda T, B: (slice(None), T([0, 1]), 1, T([1, 2])),
    lambda T, B: (T([0, 1]), 1),
    lambda T, B: (1, T([0, 1]), 2),
    lambda T, B: (-1, Ellipsis, T([2, 0])),
    lambda T, B: (None, 1, slice(None), T([1]), None),
    lambda T, B: (1, B),
    lambda T, B: (T([1, 0]), slice(None), 2, T([0, 5])),
    lambda T, B: (slice(0, 1), 0, T([[0, 1], [2, 3]]), slice(None)),
]
_IDX_X = np.random.default_rng(0).random((2, 5, 4, 6))
_IDX_MASK = _IDX_X[0, :, :, 0] > 0.5


def _index_run(m, key):
    T = m.tensor
    k = key(T, T(_IDX_MASK))
    x = T(_IDX_X, requires_grad=True)
    y = x[k]
    w = T(np.arange(y.numel(), dtype=np.float64).reshape(y.shape))
    (gx,) = m.autograd.grad((y * w).sum(), x)
    z = T(_IDX_X.copy())
    z[k] = w
    acc = T(_IDX_X.copy())
    acc[k] += w
    return [y.detach().numpy(), gx.numpy(), z.numpy(), acc.numpy()]


@pytest.mark.parametrize("k", range(len(_IDX_KEYS)))
def test_ints_beside_index_tensors_place_dims_as_torch(k):
    got, want = _index_run(dg, _IDX_KEYS[k]), _index_run(torch, _IDX_KEYS[k])
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w)


def test_ints_beside_a_batched_index_tensor_under_vmap():
    idx = np.array([[0, 1, 2], [3, 2, 1]])
    outs = []
    for m in (dg, torch):
        x = m.tensor(_IDX_X)
        outs.append(m.func.vmap(lambda t: x[1, :, t])(m.tensor(idx)).numpy())

        def put(t, m=m, x=x):
            z = x.clone() * t.sum()
            z[1, :, t] = 0.0
            return z

        outs.append(m.func.vmap(put)(m.tensor(idx)).numpy())
    for g, w in zip(outs[:2], outs[2:]):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w)


# ---------------------------------------------------------------- index ranges
# Every op that takes an index tensor, with a negative, a too negative and a too large index:
# the same values as torch, or the same exception type. (take_along_dim with a dim is left out:
# torch 2.13 reads out of bounds there without a check.)
_IX = np.arange(6.0).reshape(3, 2)


def _f64(m, *shape):
    return m.ones(*shape, dtype=m.float64)


INDEX_OPS = {
    "index_select": lambda m, v: m.index_select(m.tensor(_IX), 0, m.tensor([v])),
    "index_select_dim1": lambda m, v: m.index_select(m.tensor(_IX), 1, m.tensor([v, 0])),
    "gather": lambda m, v: m.gather(m.tensor(_IX), 0, m.tensor([[v, 0]])),
    "scatter": lambda m, v: m.tensor(_IX).scatter(0, m.tensor([[v, 0]]), _f64(m, 1, 2)),
    "scatter_value": lambda m, v: m.tensor(_IX).scatter(0, m.tensor([[v, 0]]), 2.0),
    "scatter_add": lambda m, v: m.tensor(_IX).scatter_add(0, m.tensor([[v, 0]]), _f64(m, 1, 2)),
    "scatter_reduce": lambda m, v: m.tensor(_IX).scatter_reduce(
        0, m.tensor([[v, 0]]), _f64(m, 1, 2), "amax"
    ),
    "index_add": lambda m, v: m.tensor(_IX).index_add(0, m.tensor([v]), _f64(m, 1, 2)),
    "index_copy": lambda m, v: m.tensor(_IX).index_copy(0, m.tensor([v]), _f64(m, 1, 2)),
    "index_fill": lambda m, v: m.tensor(_IX).index_fill(0, m.tensor([v]), 7.0),
    "take": lambda m, v: m.take(m.tensor(_IX), m.tensor([v * 2])),
    "take_along_dim_flat": lambda m, v: m.take_along_dim(m.tensor(_IX), m.tensor([v * 2])),
    "getitem": lambda m, v: m.tensor(_IX)[m.tensor([v])],
    "index_put": lambda m, v: m.tensor(_IX).index_put(
        (m.tensor([v]),), m.tensor(1.0, dtype=m.float64)
    ),
    "index_put_acc": lambda m, v: m.tensor(_IX).index_put(
        (m.tensor([v]),), m.tensor(1.0, dtype=m.float64), accumulate=True
    ),
    "select": lambda m, v: m.tensor(_IX).select(0, v),
    "narrow": lambda m, v: m.tensor(_IX).narrow(0, v, 1),
}


@pytest.mark.parametrize("v", [-1, -3, -4, 2, 3, 5])
@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_ranges_match_torch(name, v):
    fn = INDEX_OPS[name]
    _compare(lambda m, x: fn(m, v), np.zeros(()))


# ---------------------------------------------------------------- linear solvers
_LSTSQ_SHAPES = [
    ((3, 1, 1), (1, 1)),
    ((2, 2, 2), (2, 3)),
    ((3, 2), (3,)),
    ((2, 3, 2), (2, 3)),
    ((2, 3, 2), (3,)),
    ((3, 2), (3, 4)),
    ((4, 3, 2), (1, 3, 5)),
    ((3, 3), (2, 3, 1)),
]


@pytest.mark.parametrize("shapes", _LSTSQ_SHAPES, ids=str)
def test_lstsq_broadcasts_b_as_torch(shapes):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    _compare(lambda m, x: m.linalg.lstsq(m.tensor(a), m.tensor(b)).solution, np.zeros(()))


_SOLVE_A = np.eye(3) * 2 + np.triu(np.ones((3, 3)))
_SOLVERS = {
    "solve_triangular": lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
    "solve_triangular_right": lambda m, a, b: m.linalg.solve_triangular(
        a, b.mT, upper=True, left=False
    ),
    "solve": lambda m, a, b: m.linalg.solve(a, b),
    "lstsq": lambda m, a, b: m.linalg.lstsq(a, b).solution,
    "cholesky_solve": lambda m, a, b: m.cholesky_solve(b, a.mT),
    "matmul": lambda m, a, b: a @ b,
}


@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64")])
@pytest.mark.parametrize("name", sorted(_SOLVERS))
def test_linear_solvers_with_mixed_dtypes_as_torch(name, dtypes):
    # solve_triangular solves in A's dtype; the others refuse
    def fn(m, x):
        a = m.tensor(_SOLVE_A, dtype=getattr(m, dtypes[0]))
        b = m.tensor(np.arange(6.0).reshape(3, 2), dtype=getattr(m, dtypes[1]))
        return _SOLVERS[name](m, a, b)

    _compare(fn, np.zeros(()))


# ---------------------------------------------------------------- runs where torch runs
_PRODUCTS = {
    "linear": lambda m, w, x: m.nn.functional.linear(x, w).sum(),
    "linear_bias": lambda m, w, x: m.nn.functional.linear(x, w, m.ones(3)).sum(),
    "matmul": lambda m, w, x: (x @ w.mT).sum(),
    "matmul_mv": lambda m, w, x: (w @ x).sum(),
    "mv": lambda m, w, x: m.mv(w, x).sum(),
    "mm": lambda m, w, x: m.mm(w, x.unsqueeze(1)).sum(),
    "einsum": lambda m, w, x: m.einsum("ij,j->i", w, x).sum(),
}


@pytest.mark.parametrize("argnum", [0, 1])
@pytest.mark.parametrize("in_dims", [(None, 0), (0, None), (0, 0)], ids=str)
@pytest.mark.parametrize("name", sorted(_PRODUCTS))
def test_vmap_grad_through_products_with_an_empty_contracted_dim(name, in_dims, argnum):
    f = _PRODUCTS[name]

    def run(m, _):
        w = m.zeros(4, 3, 0) if in_dims[0] == 0 else m.zeros(3, 0)
        x = m.zeros(4, 0) if in_dims[1] == 0 else m.zeros(0)
        return m.func.vmap(m.func.grad(lambda w, x: f(m, w, x), argnums=argnum), in_dims=in_dims)(
            w, x
        )

    _compare(run, np.zeros(()))


def _expanded_write(m, key, value):
    x = m.zeros(3).expand(2, 3)
    if key == "view_mul_":
        x[1:1].mul_(2)
    else:
        x[key(m)] = value(m)
    return x * 1


_EMPTY_REGIONS = {
    "slice": lambda m: slice(1, 1),
    "inner_slice": lambda m: (slice(None), slice(2, 1)),
    "empty_index": lambda m: m.tensor([], dtype=m.long),
    "false_mask": lambda m: m.zeros(2, 3, dtype=m.bool),
}


@pytest.mark.parametrize("value", ["number", "tensor", "bad_shape"])
@pytest.mark.parametrize("region", sorted(_EMPTY_REGIONS) + ["view_mul_"])
def test_writing_an_empty_region_of_an_expanded_tensor(region, value):
    values = {
        "number": lambda m: 5.0,
        "tensor": lambda m: m.ones(1),
        "bad_shape": lambda m: m.ones(2),
    }
    key = _EMPTY_REGIONS.get(region, region)
    _compare(lambda m, _: _expanded_write(m, key, values[value]), np.zeros(()))


def test_writing_a_nonempty_region_of_an_expanded_tensor_still_refuses():
    # torch writes through the memory the rows share (every row changes); dualgrad refuses
    x = dg.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x[1:2] = 5.0


@pytest.mark.parametrize(
    "expand",
    [
        lambda x: x.expand(-1, -1),
        lambda x: x.expand(1, 2, 3),
        lambda x: x.expand(2, 3),
        lambda x: x[:1].expand(1, 1, 3),
        lambda x: x.expand_as(x),
    ],
    ids=["same", "new_leading_1", "explicit_same", "size1_kept", "expand_as"],
)
@pytest.mark.parametrize("write", ["mul_", "setitem", "exp_"])
def test_writing_an_expand_that_repeats_nothing_as_torch(expand, write):
    """An expand that repeats no element is an ordinary view: writes reach the base, and its
    gradient, as in torch (NumPy's broadcast_to would have made it read-only)."""
    results = []
    for m in (dg, torch):
        x = m.tensor(np.arange(6.0).reshape(2, 3) / 7, requires_grad=True)
        y = x * 1
        v = expand(y)
        if write == "mul_":
            v.mul_(2)
        elif write == "setitem":
            v[..., 0] = 9.0
        else:
            v.exp_()
        (g,) = m.autograd.grad((y * y).sum(), x)
        results.append((y.detach().numpy().copy(), g.numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# The same reductions on int64 and bool inputs: result dtypes (int64 sums and cumsums, float
# logsumexp, nan cast to the dtype for an empty median). Left out: where torch has no integer
# or bool kernel and dualgrad computes anyway (softmax, log_softmax, logcumsumexp; for bool
# also argmax/argmin, topk, kthvalue, median).
_INT_SKIP = {"softmax", "log_softmax", "logcumsumexp"}
_BOOL_SKIP = _INT_SKIP | {"argmax", "argmin", "topk_0", "topk_1", "kthvalue_1", "median"}
INT_CASES = [
    pytest.param(dt, name, shape, dim, keepdim, id=f"{dt}-{name}-{shape}-{dim}-{keepdim}")
    for dt, skip in (("int64", _INT_SKIP), ("bool", _BOOL_SKIP))
    for name in REDUCTIONS
    if name not in skip
    for shape in [(), (0,), (1,), (2, 3), (0, 3)]
    for dim, keepdim in _dim_choices(shape)
]


@pytest.mark.parametrize("dt,name,shape,dim,keepdim", INT_CASES)
def test_reductions_on_int_and_bool_edge_shapes_match_torch(dt, name, shape, dim, keepdim):
    a = _edge_array(shape)
    a = a.astype(np.int64) if dt == "int64" else a > 0
    fn = REDUCTIONS[name]
    _compare(lambda m, x: fn(m, x, dim, keepdim), a)


# ---------------------------------------------------------------- kernels of the registry
def test_no_registered_kernel_returns_memory_of_its_inputs(monkeypatch):
    """Every op in the registry, through every row of the op table and the identity-like calls
    above: a kernel of an op that is not a view never returns memory of an input array (the
    dispatcher would wrap it as a new tensor the autograd graph does not know aliases)."""
    from dualgrad._ops.registry import REGISTRY

    caught = {}

    def checked(op, forward):
        def run(*args, **params):
            out = forward(*args, **params)
            for o in out if op.multi_output else (out,):
                for a in args:
                    if (
                        isinstance(a, np.ndarray)
                        and isinstance(o, np.ndarray)
                        and o.size
                        and (np.shares_memory(o, a))
                    ):
                        caught.setdefault(op.name, params)
            return out

        return run

    for op in REGISTRY.values():
        if not op.view:
            monkeypatch.setattr(op, "forward", checked(op, op.forward))
            monkeypatch.setattr(op, "ufunc", None)  # so the fast path calls the kernel too
    calls = [(row.fn, make_inputs(s, seed=k)) for row in ROWS for k, s in enumerate(row.samples)]
    calls += [(fn, [a]) for fn, a in IDENTITY_CASES.values()]
    with dg.no_grad():
        for fn, arrays in calls:
            fn(dg, *_leaves(arrays, dg))
    assert not caught, f"kernels that return a view of an input: {caught}"


# ---------------------------------------------------------------- gradients on the edges
def _edge_grad(m, fn, a):
    """d/dx of a weighted sum of ``fn``'s float outputs, in float64: the gradient, "no grad"
    when no output depends on x, or the exception."""
    try:
        x = m.tensor(a.astype(np.float64), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            outs = [o for o in _tensors(fn(m, x)) if o.is_floating_point() and o.requires_grad]
            if not outs:
                return "no grad"
            loss = sum(
                (o * (m.arange(o.numel(), dtype=m.float64).reshape(o.shape) + 1)).sum()
                for o in outs
            )
            return m.autograd.grad(loss, x)[0].numpy()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return e


def _compare_grads(fn, a):
    got, want = _edge_grad(dg, fn, a), _edge_grad(torch, fn, a)
    if isinstance(want, Exception):
        return  # the forward raised in torch: compared by the value tests above
    if isinstance(got, Exception):
        raise got
    if isinstance(want, str):
        assert isinstance(got, str), "dualgrad's output depends on x where torch's does not"
        return
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,shape,dim,keepdim", REDUCTION_CASES)
def test_reduction_gradients_on_edge_shapes_match_torch(name, shape, dim, keepdim):
    fn = REDUCTIONS[name]
    _compare_grads(lambda m, x: fn(m, x, dim, keepdim), _edge_array(shape))


@pytest.mark.parametrize("name,shape", SHAPE_CASES)
def test_shape_op_gradients_on_edge_shapes_match_torch(name, shape):
    _compare_grads(SHAPE_OPS[name], _edge_array(shape))


# NOTE: [untouched signed zeros] in _ops/scatter.py
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, i, s: x.scatter_add(0, i, s),
        lambda m, x, i, s: x.index_add(0, i, s),
        *[
            (lambda red, inc: lambda m, x, i, s: x.scatter_reduce(0, i, s, red, include_self=inc))(
                r, c
            )
            for r in ("sum", "mean", "amax", "amin", "prod")
            for c in (True, False)
        ],
    ],
)
def test_scatters_leave_untouched_signed_zeros_as_torch(call):
    """Positions no index reaches keep their value bit for bit (-0.0 stays -0.0), so atan2 or
    1/x of the result agrees with torch; values and gradients too."""
    outs = []
    for m in (dg, torch):
        x = m.tensor([-0.0, 0.0, -0.0, 1.0, -0.0], dtype=m.float64, requires_grad=True)
        # (no tie between an excluded self and the source: README, scatter_reduce amax/amin)
        s = m.tensor([2.0, -3.0], dtype=m.float64, requires_grad=True)
        y = call(m, x, m.tensor([3, 4]), s)
        gx, gs = m.autograd.grad((m.atan2(y, m.tensor(-1.0, dtype=m.float64)) * 1.0).sum(), (x, s))
        outs.append([y.detach().numpy(), gx.numpy(), gs.numpy()])
    np.testing.assert_array_equal(np.signbit(outs[0][0]), np.signbit(outs[1][0]))  # the values
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b)
