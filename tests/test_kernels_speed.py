"""Kernel choices made for speed (issue 17) give torch's values: bitwise where torch computes the
same way (powers by multiplication), within rounding elsewhere."""

import numpy as np
import pytest
import torch

import dualgrad as dg

# NOTE: [powers by multiplication] in dualgrad/_ops/elementwise.py: torch multiplies for these
# exponents, so the bits must match; sqrt is the exception (torch's vectorised sqrt and NumPy's
# round differently), compared with a tolerance.
BITWISE_EXPONENTS = [0, 1, 2, 3, -2, -0.5, -1, 2.0, 3.0, -1.0, 0.0, 1.0]


def _values(dtype):
    a = np.random.default_rng(0).standard_normal(4099).astype(dtype) * 10
    a[:7] = [0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30, 1.0]
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", BITWISE_EXPONENTS)
def test_pow_by_multiplication_is_bitwise_torch(dtype, exponent):
    a = _values(dtype)
    want = (torch.tensor(a) ** exponent).numpy()
    got = (dg.tensor(a) ** exponent).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
    got_fn = dg.pow(dg.tensor(a), exponent).numpy()
    np.testing.assert_array_equal(got_fn.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize(
    "dtype, exponent",
    [(np.float32, 0.5), (np.float64, 0.5), (np.float16, 2), (np.float16, 3), (np.int64, 3)],
)
def test_pow_without_shortcut_matches_torch(dtype, exponent):
    a = np.abs(_values(np.float64)[7:200]).astype(dtype) if dtype != np.int64 else np.arange(-9, 9)
    want = (torch.tensor(a) ** exponent).numpy()
    got = (dg.tensor(a) ** exponent).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=2e-7 if dtype == np.float64 else 1e-3)


@pytest.mark.parametrize("custom", [False, True])
def test_double_backward_of_cube_matches_torch(custom):
    """W7 of issue 17: the rules ask for x**2 and x**1, which take the shortcuts."""
    a = _values(np.float64)[7:]

    def run(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x**2

        x = lib.tensor(a, requires_grad=True)
        y = Cube.apply(x) if custom else x**3
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()

    for got, want in zip(run(dg), run(torch)):
        np.testing.assert_array_equal(got, want)


# NOTE: [einsum contraction paths]: contractions past the threshold go along a cached path
# (BLAS); the values and gradients stay torch's within rounding, whichever side of it.
EINSUM_CASES = [
    ("ij,jk,kl->il", [(40, 50), (50, 60), (60, 30)]),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 6)]),
    ("bij,bjk->bik", [(8, 32, 32), (8, 32, 32)]),
    ("...ij,jk->...ik", [(2, 3, 40, 50), (50, 60)]),
    ("ab,cd,bd->ac", [(30, 40), (35, 45), (40, 45)]),
    ("ii,ij->j", [(64, 64), (64, 70)]),
    ("i,j,k->ijk", [(30,), (40,), (50,)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM_CASES)
def test_einsum_matches_torch_with_gradients(equation, shapes):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]

    def run(lib):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.einsum(equation, *xs)
        g = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        grads = lib.autograd.grad(out, xs, g)
        return [out.detach().numpy()] + [x.numpy() for x in grads]

    for got, want in zip(run(dg), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_einsum_path_is_cached_per_equation_and_shapes():
    from dualgrad._ops import linalg

    linalg._einsum_path.cache_clear()
    xs = [dg.ones(40, 50), dg.ones(50, 60), dg.ones(60, 30)]
    for _ in range(3):
        dg.einsum("ij,jk,kl->il", *xs)
    info = linalg._einsum_path.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    assert linalg._einsum_path("ij,jk->ik", ((4, 4), (4, 4))) is False  # small: the plain loop


# NOTE: [triangular solves by SciPy]: 32x32 and up go to SciPy's trtrs, smaller ones and batches
# (and every one without SciPy) to np.linalg.solve; torch's values either way.
@pytest.mark.parametrize("scipy_present", [True, False])
@pytest.mark.parametrize(
    "n, upper, left, unitriangular, dtype",
    [
        (64, False, True, False, np.float64),
        (64, True, True, False, np.float64),
        (48, True, False, True, np.float64),
        (40, False, False, False, np.float32),
        (8, True, True, False, np.float64),
    ],
)
def test_solve_triangular_matches_torch(
    monkeypatch, scipy_present, n, upper, left, unitriangular, dtype
):
    from dualgrad._ops import linalg_decomp

    if not scipy_present:
        monkeypatch.setattr(linalg_decomp, "_scipy_solve_triangular", lambda: None)
    rng = np.random.default_rng(2)
    a = (rng.standard_normal((n, n)) / n + np.eye(n)).astype(dtype)  # well conditioned
    b = rng.standard_normal((n, 5) if left else (5, n)).astype(dtype)

    def run(lib):
        A, B = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        x = lib.linalg.solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)
        grads = lib.autograd.grad(x, (A, B), lib.ones_like(x))
        return [x.detach().numpy()] + [g.numpy() for g in grads]

    tol = 1e-12 if dtype == np.float64 else 1e-5
    for got, want in zip(run(dg), run(torch)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_solve_triangular_singular_gives_inf_as_torch():
    a = np.tril(np.ones((40, 40)))
    a[3, 3] = 0.0
    b = np.ones((40, 2))
    want = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=False).numpy()
    got = dg.linalg.solve_triangular(dg.tensor(a), dg.tensor(b), upper=False).numpy()
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))


def test_grad_with_inputs_when_one_root_reaches_another():
    """The engine's one-walk search for the nodes to run (engine._needed) from roots one of
    which lies below another, as torch."""

    def run(lib):
        x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x.sin() * w
        b = (a * a).exp()
        grads = lib.autograd.grad((a, b.sum()), (x,), (lib.ones(3), None))
        return [g.numpy() for g in grads]

    for got, want in zip(run(dg), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


# NOTE: [zeros by bits] in dualgrad/_ops/kernels.py: a gradient masked to zero is computed with a
# bitwise and; torch selects (threshold_backward, where), so the bits must be torch's, nan and
# inf cotangents and signed zeros included, and the result as contiguous as torch's.
MASKED_GRADIENTS = {
    "relu": lambda lib, x: lib.relu(x),
    "clamp": lambda lib, x: lib.clamp(x, -0.5, 0.5),
    "where x": lambda lib, x: lib.where(x > 0, x, lib.zeros_like(x)),
    "where y": lambda lib, x: lib.where(x > 0, lib.zeros_like(x), x),
    "relu of a transpose": lambda lib, x: lib.relu(x.t()),
    "relu broadcast mask": lambda lib, x: lib.where(x[:1] > 0, x, 0.0),
}


@pytest.mark.parametrize("shape", [(6, 5), (64, 40)])  # np.where's size, the bits' size
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", list(MASKED_GRADIENTS))
def test_masked_gradients_are_bitwise_torch(name, dtype, shape):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape).astype(dtype)
    a[0, :3] = [0.0, -0.0, 0.25]
    g = rng.standard_normal(shape).astype(dtype)
    g[1, :5] = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    g[2, :2] = [-0.0, np.nan]

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        out = MASKED_GRADIENTS[name](lib, x)
        go = lib.tensor(g if out.shape == g.shape else g.T.copy())
        (gx,) = lib.autograd.grad(out, x, go)
        return gx

    got, want = run(dg), run(torch)
    assert got.dtype == dg.tensor(want.numpy()).dtype
    if "transpose" not in name:  # (x.t()'s gradient: dualgrad's is strided, torch's not)
        assert got.is_contiguous() == want.is_contiguous()
    got, want = (np.ascontiguousarray(t.numpy()).view(np.uint8) for t in (got, want))
    np.testing.assert_array_equal(got, want)


def test_where_with_zero_keeps_numpys_selection_bits():
    """The kernel itself against np.where, over the cases it takes and the ones it leaves."""
    from dualgrad._ops.kernels import where_zero

    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 40)).astype(np.float32)  # (above the size np.where keeps)
    x[0, :4] = [np.nan, -0.0, np.inf, -np.inf]
    cond = rng.standard_normal((64, 40)) > 0
    for zero in (0.0, 0):
        for args in ((cond, x, zero), (cond, zero, x)):
            got = where_zero(*args)
            want = np.where(*args)
            assert got.dtype == want.dtype and got.flags.c_contiguous
            np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    # -0.0, a nonzero number, an integer array, a broadcast mask, a transposed array: not taken
    for args in (
        (cond, x, -0.0),
        (cond, x, 1.0),
        (cond, np.arange(2560, dtype=np.int32).reshape(64, 40), 0),
        (cond[:3, :4], x[:3, :4], 0.0),  # small: np.where's one call is cheaper
        (cond[:1], x, 0.0),
        (cond.T, x.T, 0.0),
        (cond, x, True),
    ):
        assert where_zero(*args) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (7,), (17,), (64, 256), (8, 8, "t")])
def test_relu_is_bitwise_torch(dtype, shape):
    """NOTE: [relu's kernel]: -0.0 stays -0.0 and a nan keeps its sign and payload, as torch's."""
    transpose = shape[-1] == "t"
    shape = shape[:-1] if transpose else shape
    a = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    flat[: min(4, flat.size)] = [-0.0, np.nan, -np.nan, np.inf][: min(4, flat.size)]
    if transpose:
        a = a.T
    want = torch.relu(torch.from_numpy(a))
    got = dg.relu(dg.from_numpy(a))
    assert got.stride() == want.stride()
    got, want = (np.ascontiguousarray(t.numpy()).view(np.uint8) for t in (got, want))
    np.testing.assert_array_equal(got, want)


# NOTE: [targets' elements] in dualgrad/_ops/softmax.py: an (N, C) input's targets are read and
# written by fancy indexing, other ranks by take/put_along_axis; either way torch's values.
NLL_CASES = {
    "2-d mean": ((64, 10), {}),
    "2-d sum": ((64, 10), {"reduction": "sum"}),
    "2-d none": ((64, 10), {"reduction": "none"}),
    "2-d ignored": ((8, 5), {"ignore_index": 2}),
    "2-d weights": ((8, 5), {"weight": True}),
    "2-d weights ignored none": ((8, 5), {"weight": True, "ignore_index": 1, "reduction": "none"}),
    "1-d": ((5,), {}),
    "3-d": ((4, 5, 3), {}),
    "3-d ignored weights": ((4, 5, 3), {"weight": True, "ignore_index": 0}),
    "empty batch sum": ((0, 5), {"reduction": "sum"}),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("case", list(NLL_CASES))
def test_class_losses_match_torch(case, loss, dtype):
    shape, kw = NLL_CASES[case]
    rng = np.random.default_rng(4)
    a = rng.standard_normal(shape).astype(dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, c, tshape)
    w = rng.uniform(0.5, 2.0, c).astype(dtype)

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        kwargs = dict(kw, weight=lib.tensor(w)) if kw.get("weight") else kw
        out = getattr(lib.nn.functional, loss)(x, lib.tensor(t), **kwargs)
        g = lib.ones_like(out) if out.ndim else None
        (gx,) = lib.autograd.grad(out, x, g)
        return out.detach().numpy(), gx.numpy()

    (got, got_g), (want, want_g) = run(dg), run(torch)
    assert got.dtype == want.dtype and got.shape == want.shape
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got_g, want_g, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("target", [[0, 5, 1], [0, -1, 1], [-100, 7, 1]])
def test_nll_target_out_of_bounds_raises_as_torch(target):
    a = np.zeros((3, 5), np.float32)
    for lib in (torch, dg):
        with pytest.raises(IndexError, match="out of bounds"):
            lib.nn.functional.cross_entropy(lib.tensor(a), lib.tensor(target))


# the matrix fast cases of transpose/permute (_MATRIX_SWAPS, _MATRIX_ORDERS in _ops/shape.py)
# and the spellings beside them that take the general path
TRANSPOSES = {
    ".T": lambda x: x.T,
    ".mT": lambda x: x.mT,
    "transpose(0, 1)": lambda x: x.transpose(0, 1),
    "transpose(-1, 0)": lambda x: x.transpose(-1, 0),
    "transpose(1, -2)": lambda x: x.transpose(1, -2),
    "transpose(1, 1)": lambda x: x.transpose(1, 1),
    "permute(1, 0)": lambda x: x.permute(1, 0),
    "permute(0, 1)": lambda x: x.permute(0, 1),
    "permute(-1, 0)": lambda x: x.permute(-1, 0),
    "permute((1, 0))": lambda x: x.permute((1, 0)),
}


@pytest.mark.parametrize("name", list(TRANSPOSES))
def test_matrix_transposes_match_torch(name):
    a = np.arange(6.0).reshape(2, 3)

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        y = TRANSPOSES[name](x)
        (g,) = lib.autograd.grad(y, x, lib.ones_like(y) * lib.arange(y.numel()).reshape(y.shape))
        return y, g

    (y, g), (ty, tg) = run(dg), run(torch)
    assert tuple(y.shape) == tuple(ty.shape) and y.stride() == ty.stride()
    assert y.grad_fn.name() == ty.grad_fn.name()
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


@pytest.mark.parametrize(
    "call",
    [lambda x: x.transpose(0, 2), lambda x: x.transpose(-3, 1), lambda x: x.transpose(True, 0)],
)
def test_matrix_transpose_errors_as_torch(call):
    for lib in (torch, dg):
        with pytest.raises((IndexError, TypeError)) as info:
            call(lib.zeros(2, 3))
        if lib is torch:
            want = info.type
    assert info.type is want


# NOTE: [a weight's transpose on the left] in dualgrad/_ops/linalg.py: x @ w.T is computed as
# (w @ x.T).T copied to C order where that pays; the product, its layout and its gradients stay
# torch's, and the plain product's values
ROWS_TIMES_WEIGHT_T = [
    ((64, 784), (256, 784), np.float32, "w.T"),  # taken
    ((4, 16), (128, 16), np.float32, "w.T"),  # taken
    ((64, 32), (10, 32), np.float32, "w.T"),  # too few columns
    ((64, 32), (128, 32), np.float32, "w.T"),  # too many rows
    ((8, 16), (128, 16), np.float64, "w.T"),  # float64
    ((8, 16), (128, 16), np.float32, "w"),  # b in C order: a plain product
    ((16, 8), (128, 16), np.float32, "x.T"),  # a in F order
]


@pytest.mark.parametrize("xs, ws, dtype, form", ROWS_TIMES_WEIGHT_T)
def test_rows_times_a_transposed_weight_match_torch(xs, ws, dtype, form):
    rng = np.random.default_rng(5)
    xa = rng.standard_normal(xs).astype(dtype)
    wa = rng.standard_normal(ws).astype(dtype)
    if form == "w":
        wa = np.ascontiguousarray(wa.T)

    def run(lib):
        x = lib.tensor(xa, requires_grad=True)
        w = lib.tensor(wa, requires_grad=True)
        out = {"w.T": lambda: x @ w.T, "w": lambda: x @ w, "x.T": lambda: x.T @ w.T}[form]()
        gx, gw = lib.autograd.grad((out * out).sum(), (x, w))
        return out.detach(), gx, gw

    got, want = run(dg), run(torch)
    assert got[0].is_contiguous() == want[0].is_contiguous()
    plain = {"w.T": lambda: xa @ wa.T, "w": lambda: xa @ wa, "x.T": lambda: xa.T @ wa.T}[form]()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got[0].numpy(), plain, rtol=tol, atol=tol)
    for g, t in zip(got, want):  # (float32 sums of 784 products: torch's BLAS rounds otherwise)
        scale = np.abs(t.numpy()).max()
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=tol, atol=tol * scale)


def test_fast_kernels_leave_meta_tensors_to_numpy():
    """A meta tensor's MetaArray (zero strides over one element) must not reach the kernels
    that allocate by shape (relu's zeros): 10**12 elements here would take terabytes."""
    n = 10**6
    h = dg.relu(dg.empty(n, n, device="meta"))
    assert h.is_meta and h.shape == (n, n)
    # (np.where of meta arrays, the backward's general case, allocates: small shapes)
    x = dg.empty(1000, 10, device="meta", requires_grad=True)
    (g,) = dg.autograd.grad(dg.relu(x), x, dg.empty(1000, 10, device="meta"))
    assert g.is_meta and g.shape == (1000, 10)
    loss = dg.nn.functional.cross_entropy(
        dg.empty(n, 10, device="meta"), dg.empty(n, dtype=dg.int64, device="meta")
    )
    assert loss.is_meta and loss.shape == ()
    # matmul on meta tensors evaluates on the zero-strided arrays: small shapes
    y = dg.empty(64, 784, device="meta") @ dg.empty(256, 784, device="meta").T
    assert y.is_meta and y.shape == (64, 256)
