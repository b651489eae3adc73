"""Issue 15's everyday names, second list, linalg part, against torch: the LU family
(linalg.lu, lu_factor, lu_factor_ex, lu_solve, lu_unpack, torch.lu), the ``_ex`` forms with
LAPACK's info, matrix_rank, tensorinv, tensorsolve, and the deprecated torch.cholesky,
cholesky_inverse and triangular_solve: values, pivots, info, warnings, errors, the NumPy
fallback of the LU kernel, and the LU's derivatives for square, wide and tall matrices."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad.linalg import _factor as linalg_lu

RNG = np.random.default_rng(11)


def _same(a, b, exact=False):
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    x, y = a.detach().numpy(), b.detach().numpy()
    if exact:
        np.testing.assert_array_equal(x, y)
    else:
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


SHAPES = [(3, 3), (4, 4), (2, 3, 3), (5, 3), (3, 5), (2, 1, 4, 2), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kernel", ["scipy", "numpy"])
def test_lu_family_as_torch(shape, kernel, monkeypatch):
    if kernel == "numpy":  # the kernel without SciPy
        monkeypatch.setattr(linalg_lu, "_scipy_lu", lambda: None)
    a = RNG.standard_normal(shape)
    A, T = dg.tensor(a), torch.tensor(a)
    for x, y in zip(dg.linalg.lu(A), torch.linalg.lu(T)):
        _same(x, y)
    f, g = dg.linalg.lu_factor_ex(A), torch.linalg.lu_factor_ex(T)
    _same(f.LU, g.LU)
    _same(f.pivots, g.pivots, exact=True)
    _same(f.info, g.info, exact=True)
    for x, y in zip(dg.lu_unpack(f.LU, f.pivots), torch.lu_unpack(g.LU, g.pivots)):
        _same(x, y)
    if shape[-1] == shape[-2]:
        b = RNG.standard_normal(shape[:-1] + (2,))
        for kw in ({}, {"adjoint": True}, {"left": False}, {"left": False, "adjoint": True}):
            rhs = b if kw.get("left", True) else np.swapaxes(b, -1, -2)
            _same(
                dg.linalg.lu_solve(f.LU, f.pivots, dg.tensor(rhs), **kw),
                torch.linalg.lu_solve(g.LU, g.pivots, torch.tensor(rhs), **kw),
            )


def test_singular_matrices_info_and_errors_as_torch():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    A, T = dg.tensor(a), torch.tensor(a)
    f, g = dg.linalg.lu_factor_ex(A), torch.linalg.lu_factor_ex(T)
    _same(f.LU, g.LU)
    _same(f.info, g.info, exact=True)
    for call in (
        lambda m, x: m.linalg.lu_factor(x),
        lambda m, x: m.linalg.lu_factor_ex(x, check_errors=True),
        lambda m, x: m.linalg.inv_ex(x, check_errors=True),
        lambda m, x: m.linalg.lu(x, pivot=False),
        lambda m, x: m.linalg.lu_factor(x[0]),
        lambda m, x: m.linalg.lu_solve(*m.linalg.lu_factor(m.eye(2)), m.ones(2)),
        lambda m, x: m.linalg.tensorinv(m.ones(4, 2, 3)),
        lambda m, x: m.linalg.tensorinv(m.ones(4, 4), ind=0),
    ):
        with pytest.raises(RuntimeError) as want:
            call(torch, T)
        with pytest.raises(RuntimeError) as got:
            call(dg, A)
        assert str(got.value) == str(want.value)
    assert int(dg.linalg.inv_ex(A).info) == int(torch.linalg.inv_ex(T).info) == 2
    assert int(dg.linalg.solve_ex(A, dg.ones(2, dtype=dg.float64)).info) == 2
    assert bool(dg.linalg.inv_ex(A).inverse.isnan().all())  # (NOTE: [info instead of an error])


def test_batched_info_keeps_the_good_matrices():
    a = np.stack([np.eye(2) * 2, [[1.0, 2.0], [2.0, 4.0]]])
    inv, info = dg.linalg.inv_ex(dg.tensor(a))
    _same(info, torch.linalg.inv_ex(torch.tensor(a)).info, exact=True)
    np.testing.assert_allclose(inv.numpy()[0], np.eye(2) / 2)
    assert np.isnan(inv.numpy()[1]).all()
    spd = np.stack([np.eye(3), np.diag([1.0, -1.0, 2.0]), [[1.0, 2, 0], [2, 1, 0], [0, 0, 1]]])
    L, info = dg.linalg.cholesky_ex(dg.tensor(spd))
    want = torch.linalg.cholesky_ex(torch.tensor(spd))
    _same(info, want.info, exact=True)
    np.testing.assert_array_equal(L.numpy()[0], np.eye(3))
    with pytest.raises(RuntimeError, match="not positive-definite"):
        dg.linalg.cholesky_ex(dg.tensor(spd), check_errors=True)
    X, info = dg.linalg.solve_ex(dg.tensor(a), dg.ones(2, 2, dtype=dg.float64))
    assert info.tolist() == [0, 2] and np.isnan(X.numpy()[1]).all()
    np.testing.assert_allclose(X.numpy()[0], np.full(2, 0.5))


@pytest.mark.parametrize("shape", [(2, 4, 4), (3, 5), (5, 3), (2, 2, 4), (3, 4, 1)])
def test_lu_gradients_and_jvps_as_torch(shape):
    """Square, wide and tall: the gradient of a cotangent on L alone, on U alone and on both,
    and the JVP (NOTE: [LU derivatives])."""
    a = RNG.standard_normal(shape)
    k = min(shape[-2:])
    w_l = RNG.standard_normal(shape[:-1] + (k,))
    w_u = RNG.standard_normal(shape[:-2] + (k, shape[-1]))
    tangent = RNG.standard_normal(shape)
    for use in ((True, False), (False, True), (True, True)):
        grads = []
        for m in (dg, torch):
            A = m.tensor(a, requires_grad=True)
            _, L, U = m.linalg.lu(A)
            loss = (L * m.tensor(w_l)).sum() * float(use[0]) + (U * m.tensor(w_u)).sum() * float(
                use[1]
            )
            grads.append(m.autograd.grad(loss, A)[0].numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-11)
    jvps = [
        m.func.jvp(lambda x, m=m: tuple(m.linalg.lu(x))[1:], (m.tensor(a),), (m.tensor(tangent),))[
            1
        ]
        for m in (dg, torch)
    ]
    for x, y in zip(*jvps):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-9, atol=1e-11)


def test_deprecated_names_warn_and_compute_as_torch():
    a = RNG.standard_normal((3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    tri = np.triu(a) + 3 * np.eye(3)
    calls = [
        lambda m: m.lu(m.tensor(a)),
        lambda m: m.lu(m.tensor(a), get_infos=True),
        lambda m: m.tensor(a).lu(),
        lambda m: (m.cholesky(m.tensor(spd)), m.cholesky(m.tensor(spd), upper=True)),
        lambda m: m.triangular_solve(m.tensor(b), m.tensor(tri)),
        lambda m: m.triangular_solve(m.tensor(b), m.tensor(tri), transpose=True),
        lambda m: m.triangular_solve(m.tensor(b), m.tensor(tri.T), upper=False, unitriangular=True),
    ]
    # torch warns once per process (TORCH_WARN_ONCE), dualgrad through Python's filters:
    # dualgrad's message is compared with the one torch gave for the same name
    torch_said = {}
    for name, call in zip(["lu", "lu", "lu", "cholesky", "solve", "solve", "solve"], calls):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            ours = call(dg)
        with warnings.catch_warnings(record=True) as want:
            warnings.simplefilter("always")
            theirs = call(torch)
        for w in want:
            torch_said[name] = str(w.message).split(" (Triggered internally")[0]
        assert got, name
        if name in torch_said:  # (unless torch already warned earlier in this process)
            assert {str(w.message) for w in got} == {torch_said[name]}, name
        for x, y in zip(ours, theirs):
            _same(x, y)


def test_cholesky_inverse_matrix_rank_tensorinv_tensorsolve_as_torch():
    a = RNG.standard_normal((2, 3, 3))
    L = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3))
    for upper in (False, True):
        f = np.swapaxes(L, -1, -2) if upper else L
        _same(
            dg.cholesky_inverse(dg.tensor(f), upper=upper),
            torch.cholesky_inverse(torch.tensor(f), upper=upper),
        )
    low_rank = RNG.standard_normal((3, 5, 2)) @ RNG.standard_normal((3, 2, 4))
    sym = low_rank @ np.swapaxes(low_rank, -1, -2)
    for call in (
        lambda m: m.linalg.matrix_rank(m.tensor(low_rank)),
        lambda m: m.linalg.matrix_rank(m.tensor(low_rank), atol=1.0, rtol=0.0),
        lambda m: m.linalg.matrix_rank(m.tensor(low_rank), rtol=0.5),
        lambda m: m.linalg.matrix_rank(m.tensor(sym), hermitian=True),
        lambda m: m.linalg.matrix_rank(m.tensor(low_rank.astype(np.float32))),
        lambda m: m.linalg.matrix_rank(m.zeros(2, 0, 3)),
    ):
        _same(call(dg), call(torch), exact=True)
    t = RNG.standard_normal((4, 6)) + np.eye(4, 6) * 3
    t = np.concatenate([t, RNG.standard_normal((2, 6)) + np.eye(2, 6, 4) * 3]).reshape(6, 2, 3)
    _same(dg.linalg.tensorinv(dg.tensor(t), ind=1), torch.linalg.tensorinv(torch.tensor(t), ind=1))
    a = RNG.standard_normal((2, 3, 6)) + np.eye(6).reshape(2, 3, 6) * 3
    b = RNG.standard_normal((2, 3))
    _same(
        dg.linalg.tensorsolve(dg.tensor(a), dg.tensor(b)),
        torch.linalg.tensorsolve(torch.tensor(a), torch.tensor(b)),
    )
    a2 = np.moveaxis(a, 0, 2)  # (3, 6, 2): dims=(0,) moves the first dim to the end
    _same(
        dg.linalg.tensorsolve(dg.tensor(a2), dg.tensor(b.T), dims=(1,)),
        torch.linalg.tensorsolve(torch.tensor(a2), torch.tensor(b.T), dims=(1,)),
    )


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (1, 1), (5, 5)])
def test_ldl_as_torch(shape):
    a = RNG.standard_normal(shape)
    a = a + np.swapaxes(a, -1, -2)
    b = RNG.standard_normal(shape[:-1] + (2,))
    f, g = dg.linalg.ldl_factor_ex(dg.tensor(a)), torch.linalg.ldl_factor_ex(torch.tensor(a))
    _same(f.LD, g.LD)
    _same(f.pivots, g.pivots, exact=True)
    _same(f.info, g.info, exact=True)
    _same(
        dg.linalg.ldl_solve(f.LD, f.pivots, dg.tensor(b)),
        torch.linalg.ldl_solve(g.LD, g.pivots, torch.tensor(b)),
    )
    LD, pivots = dg.linalg.ldl_factor(dg.tensor(a))
    _same(LD, g.LD)


def test_ldl_refuses_a_gradient_and_reports_singular_matrices_as_torch():
    x = dg.tensor(np.eye(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex"):
        dg.linalg.ldl_factor(x).LD.sum().backward()
    singular = np.zeros((3, 3))
    f, g = (
        dg.linalg.ldl_factor_ex(dg.tensor(singular)),
        torch.linalg.ldl_factor_ex(torch.tensor(singular)),
    )
    _same(f.info, g.info, exact=True)
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor(torch.tensor(singular))
    with pytest.raises(RuntimeError, match="singular"):
        dg.linalg.ldl_factor(dg.tensor(singular))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        dg.linalg.ldl_solve(f.LD, f.pivots, dg.ones(3, dtype=dg.float64))


STRIDED = [
    ("contiguous", lambda m, x: x, (2, 2), (1, 5), 2),
    ("transposed", lambda m, x: x.t(), (3,), (4,), 1),
    ("slice_with_gaps", lambda m, x: m.cat([x, x]).reshape(3, 2, 4)[:, 0], (2,), (1,), 9),
    ("gap_positions", lambda m, x: m.cat([x, x]).reshape(3, 2, 4)[:, 0], (2,), (5,), 1),
    ("overlapping_window", lambda m, x: x, (2, 3), (1, 1), 0),
]


@pytest.mark.parametrize("name,make,size,stride,offset", STRIDED, ids=[s[0] for s in STRIDED])
def test_as_strided_scatter_values_as_torch_and_gradients_by_finite_differences(
    name, make, size, stride, offset
):
    a = RNG.standard_normal((3, 4))
    s = RNG.standard_normal(size)
    want = torch.as_strided_scatter(
        make(torch, torch.tensor(a)), torch.tensor(s), size, stride, offset
    )
    got = dg.as_strided_scatter(make(dg, dg.tensor(a)), dg.tensor(s), size, stride, offset)
    if name != "overlapping_window":  # (torch's result for overlapping writes is unspecified)
        _same(got, want)
    _same(make(dg, dg.tensor(a)).as_strided_scatter(dg.tensor(s), size, stride, offset), got)

    # torch 2.13's own backward fails its gradcheck: finite differences are the reference
    def f(x, y):
        return dg.as_strided_scatter(make(dg, x), y, size, stride, offset)

    assert dg.autograd.gradcheck(
        f, (dg.tensor(a, requires_grad=True), dg.tensor(s, requires_grad=True))
    )
    assert dg.autograd.gradgradcheck(
        f, (dg.tensor(a, requires_grad=True), dg.tensor(s, requires_grad=True))
    )


def test_as_strided_scatter_errors():
    x = dg.zeros(3, 3)
    for call, t_call in (
        (
            lambda: dg.as_strided_scatter(x, dg.ones(3), (2,), (1,)),
            lambda: torch.as_strided_scatter(torch.zeros(3, 3), torch.ones(3), (2,), (1,)),
        ),
        (
            lambda: dg.as_strided_scatter(x, dg.ones(2), (2,), (9,)),
            lambda: torch.as_strided_scatter(torch.zeros(3, 3), torch.ones(2), (2,), (9,)),
        ),
    ):
        with pytest.raises(RuntimeError) as want:
            t_call()
        with pytest.raises(RuntimeError) as got:
            call()
        assert str(got.value) == str(want.value)
    with pytest.raises(NotImplementedError, match="share memory"):
        dg.as_strided_scatter(dg.zeros(3).expand(2, 3), dg.ones(1), (1,), (1,))
