"""Issue 15's small names against torch: cdist, std_mean/var_mean, diff, rot90,
unique_consecutive, put/put_, resize_/resize_as_, the window functions, the deterministic and
matmul-precision switches, has_cuda, nn.attention (SDPBackend, sdpa_kernel),
utils.hooks.RemovableHandle and serialization's safe globals. Values, and for the
differentiable ones gradients and forward-mode JVPs in float64."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _close(a, b, what="", rtol=1e-10, atol=1e-12):
    assert tuple(a.shape) == tuple(b.shape), (what, tuple(a.shape), tuple(b.shape))
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, err_msg=what)


def _same_everywhere(fn, *arrays, rtol=1e-9, atol=1e-11, jvp=True, vmap=True):
    """``fn(module, *tensors)`` under torch and dualgrad: values, the gradient of every float
    input for a random cotangent, the JVP, and vmap over a batch of 2 of the first input."""
    rng = np.random.default_rng(1)
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    d_in = [dg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_out, d_out = fn(torch, *t_in), fn(dg, *d_in)
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    d_outs = d_out if isinstance(d_out, tuple) else (d_out,)
    for a, b in zip(d_outs, t_outs):
        _close(a, b, "value", rtol, atol)
    diff = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    if not diff:
        return
    cts = [rng.standard_normal(tuple(t.shape)) for t in t_outs]
    tg = torch.autograd.grad(t_outs, [t_in[i] for i in diff], [torch.tensor(c) for c in cts])
    dgs = dg.autograd.grad(
        d_outs, [d_in[i] for i in diff], [dg.tensor(c) for c in cts], materialize_grads=True
    )
    for a, b in zip(dgs, tg):
        _close(a, b, "gradient", rtol, atol)
    if jvp:
        tangents = [rng.standard_normal(arrays[i].shape) for i in diff]

        def fixed(m, i_args):
            def f(*xs):
                args = list(i_args)
                for i, x in zip(diff, xs):
                    args[i] = x
                return fn(m, *args)

            return f

        # torch's reference JVP is its reverse-mode Jacobian times the tangents (torch has no
        # forward-mode rule for some of these, cdist among them)
        jac = torch.autograd.functional.jacobian(
            fixed(torch, [torch.tensor(a) for a in arrays]),
            tuple(torch.tensor(arrays[i]) for i in diff),
        )
        jac = jac if isinstance(jac, tuple) and isinstance(t_out, tuple) else (jac,)
        t_j = []
        for rows, out in zip(jac, t_outs):
            rows = rows if isinstance(rows, tuple) else (rows,)
            t_j.append(
                sum(
                    torch.tensordot(r, torch.tensor(t), dims=t.ndim) if t.ndim else r * float(t)
                    for r, t in zip(rows, tangents)
                ).reshape(out.shape)
            )
        t_j = tuple(t_j)
        d_j = dg.func.jvp(
            fixed(dg, [dg.tensor(a) for a in arrays]),
            tuple(dg.tensor(arrays[i]) for i in diff),
            tuple(dg.tensor(t) for t in tangents),
        )[1]
        for a, b in zip(
            d_j if isinstance(d_j, tuple) else (d_j,), t_j if isinstance(t_j, tuple) else (t_j,)
        ):
            _close(a, b, "jvp", rtol, atol)
    if vmap:
        xs = np.stack([arrays[0], arrays[0] * 0.5 + 0.25])
        rest = [dg.tensor(a) for a in arrays[1:]]
        got = dg.func.vmap(lambda x: fn(dg, x, *rest))(dg.tensor(xs))
        want = [fn(torch, torch.tensor(x), *[torch.tensor(a) for a in arrays[1:]]) for x in xs]
        got = got if isinstance(got, tuple) else (got,)
        want = [w if isinstance(w, tuple) else (w,) for w in want]
        for j, g in enumerate(got):
            _close(g, torch.stack([w[j] for w in want]), "vmap", rtol, atol)


RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ cdist
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf, 0.0])
@pytest.mark.parametrize(
    "shapes,mode",
    [
        (((4, 3), (5, 3)), "use_mm_for_euclid_dist_if_necessary"),
        (((2, 4, 3), (1, 5, 3)), "donot_use_mm_for_euclid_dist"),
        (((3, 2), (30, 2)), "use_mm_for_euclid_dist_if_necessary"),  # > 25 rows: the mm path
        (((2, 3, 4), (2, 6, 4)), "use_mm_for_euclid_dist"),
    ],
)
def test_cdist(shapes, mode, p):
    a, b = (RNG.standard_normal(s) for s in shapes)
    _same_everywhere(lambda m, x, y: m.cdist(x, y, p, mode), a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "call,phrase",
    [
        (
            lambda m: m.cdist(m.ones(3, 2), m.ones(3, 3)),
            "X1 and X2 must have the same number of columns",
        ),
        (lambda m: m.cdist(m.ones(3, 2), m.ones(3, 2), p=-1), "cdist only supports non-negative p"),
        (lambda m: m.cdist(m.ones(3), m.ones(3, 3)), "cdist only supports at least 2D tensors"),
    ],
)
def test_cdist_errors_as_torch(call, phrase):
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match=phrase):
            call(m)


# ------------------------------------------------------------------ std_mean / var_mean
@pytest.mark.parametrize("name", ["std_mean", "var_mean"])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"dim": 1},
        {"dim": (0, 2), "keepdim": True},
        {"dim": 0, "correction": 0},
        {"dim": -1, "unbiased": False},
    ],
)
def test_std_var_mean(name, kw):
    x = RNG.standard_normal((3, 4, 2))
    _same_everywhere(lambda m, t: getattr(m, name)(t, **kw), x)


# ------------------------------------------------------------------ diff / rot90
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"n": 2},
        {"dim": 0},
        {"n": 3, "dim": 1},
        {"prepend": "p"},
        {"append": "a", "dim": 0, "n": 2},
        {"n": 0},
    ],
)
def test_diff(kw):
    x = RNG.standard_normal((4, 5))

    def fn(m, t):
        k = dict(kw)
        if k.get("prepend") == "p":
            k["prepend"] = m.ones(4, 2, dtype=m.float64)
        if k.get("append") == "a":
            k["append"] = m.full((1, 5), 2.0, dtype=m.float64)
        return m.diff(t, **k)

    _same_everywhere(fn, x)
    for v in ([1, 4, 9, 16], [True, False, False, True]):
        _close(dg.tensor(v).diff(), torch.tensor(v).diff(), str(v))
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
            m.diff(m.tensor(1.0))


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (2, 0), (-1, -2)])
def test_rot90(k, dims):
    _same_everywhere(lambda m, t: m.rot90(t, k, dims), RNG.standard_normal((2, 3, 4)))


@pytest.mark.parametrize(
    "dims,phrase",
    [
        ((0, 0), "expected rotation dims to be different"),
        ((0, 1, 2), "expected total rotation dims == 2"),
        ((0, 3), "Dimension out of range"),
    ],
)
def test_rot90_errors_as_torch(dims, phrase):
    for m in (torch, dg):
        with pytest.raises((RuntimeError, IndexError), match=phrase) as err:
            m.rot90(m.ones(2, 3, 4), 1, dims)
        assert err.type is (IndexError if "out of range" in phrase else RuntimeError)


# ------------------------------------------------------------------ unique_consecutive
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_consecutive(dim):
    x = [[1, 1, 2], [1, 1, 2], [0, 3, 3], [0, 3, 3]]
    got = dg.unique_consecutive(dg.tensor(x), return_inverse=True, return_counts=True, dim=dim)
    want = torch.unique_consecutive(
        torch.tensor(x), return_inverse=True, return_counts=True, dim=dim
    )
    for a, b in zip(got, want):
        np.testing.assert_array_equal(_np(a), _np(b))
    _close(
        dg.tensor([1.0, 1.0, 2.0]).unique_consecutive(),
        torch.tensor([1.0, 1.0, 2.0]).unique_consecutive(),
    )


# ------------------------------------------------------------------ put / put_
@pytest.mark.parametrize("accumulate", [False, True])
def test_put(accumulate):
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 2))
    idx = np.array([[0, 5], [-1, 7]]) if not accumulate else np.array([[0, 5], [5, 0]])
    _same_everywhere(lambda m, a, s: a.put(m.tensor(idx), s, accumulate), x, src, vmap=False)
    for m in (torch, dg):
        t = m.zeros(2, 2, dtype=m.float64)
        r = t.put_(m.tensor([0, 3]), m.tensor([1.0, 2.0], dtype=m.float64), accumulate=accumulate)
        assert r is t and t._version if m is dg else r is t
    _close(
        dg.zeros(2, 2).put_(dg.tensor([0, 3, 0]), dg.tensor([1.0, 2.0, 5.0]), accumulate),
        torch.zeros(2, 2).put_(torch.tensor([0, 3, 0]), torch.tensor([1.0, 2.0, 5.0]), accumulate),
    )
    for m in (torch, dg):
        with pytest.raises(
            IndexError, match="out of range: tried to access index 4 on a tensor of 4"
        ):
            m.zeros(2, 2).put(m.tensor([4]), m.tensor([1.0]))


# ------------------------------------------------------------------ resize_ / resize_as_
@pytest.mark.parametrize("shape", [(2, 2), (6,), (3, 2), (0,)])
def test_resize_keeps_the_leading_elements(shape):
    t, d = torch.arange(6.0), dg.arange(6.0)
    assert d.resize_(*shape) is d
    t.resize_(*shape)
    _close(d, t)
    v = d._version
    d.resize_(3, 3)  # grows: the first elements are kept, the new ones are zeros (torch: garbage)
    assert d._version > v and tuple(d.shape) == (3, 3)
    n = int(np.prod(shape))
    np.testing.assert_array_equal(_np(d).reshape(-1)[:n], np.arange(n, dtype=np.float32))
    assert not _np(d).reshape(-1)[n:].any()
    assert tuple(dg.arange(6.0).resize_as_(dg.zeros(3, 2)).shape) == (3, 2)


def test_resize_refusals():
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            m.zeros(3, requires_grad=True).resize_(4)
    with pytest.raises(RuntimeError, match="cannot resize a view"):  # torch resizes the storage
        dg.zeros(4).view(2, 2).resize_(5)


# ------------------------------------------------------------------ windows
@pytest.mark.parametrize(
    "name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, n, periodic):
    got = getattr(dg, name)(n, periodic, dtype=dg.float64)
    want = getattr(torch, name)(n, periodic, dtype=torch.float64)
    _close(got, want, name, rtol=1e-12, atol=1e-15)
    _close(getattr(dg, name)(n), getattr(torch, name)(n), name, rtol=1e-6, atol=1e-7)
    assert getattr(dg, name)(n).dtype == dg.float32


def test_window_parameters_and_dtype():
    _close(
        dg.hamming_window(7, False, 0.5, 0.4, dtype=dg.float64),
        torch.hamming_window(7, False, 0.5, 0.4, dtype=torch.float64),
    )
    _close(
        dg.kaiser_window(7, True, 5.0, dtype=dg.float64),
        torch.kaiser_window(7, True, 5.0, dtype=torch.float64),
    )
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match="hann_window expects floating point dtypes"):
            m.hann_window(3, dtype=m.int64)


# ------------------------------------------------------------------ switches
def test_deterministic_and_matmul_precision_switches():
    for m in (torch, dg):
        assert m.are_deterministic_algorithms_enabled() is False
        m.use_deterministic_algorithms(True, warn_only=True)
        assert m.are_deterministic_algorithms_enabled() is True
        assert m.is_deterministic_algorithms_warn_only_enabled() is True
        assert m.get_deterministic_debug_mode() == 1
        m.use_deterministic_algorithms(False)
        assert m.get_deterministic_debug_mode() == 0
        assert m.get_float32_matmul_precision() == "highest"
        m.set_float32_matmul_precision("medium")
        assert m.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            m.set_float32_matmul_precision("fast")
        assert m.get_float32_matmul_precision() == "medium"
        m.set_float32_matmul_precision("highest")


def test_has_cuda_warns_and_is_false():
    for m in (torch, dg):
        with pytest.warns(UserWarning, match="'has_cuda' is deprecated"):
            assert m.has_cuda is False


# ------------------------------------------------------------------ nn.attention, hooks
def test_sdp_backend_names_and_kernel():
    T, D = torch.nn.attention, dg.nn.attention
    for name in (
        "ERROR",
        "MATH",
        "FLASH_ATTENTION",
        "EFFICIENT_ATTENTION",
        "CUDNN_ATTENTION",
        "OVERRIDEABLE",
    ):
        t, d = getattr(T.SDPBackend, name), getattr(D.SDPBackend, name)
        assert (str(d), repr(d), int(d), d.name) == (str(t), repr(t), int(t), t.name)
    q = RNG.standard_normal((1, 2, 3, 4))
    with T.sdpa_kernel([T.SDPBackend.MATH]):
        want = torch.nn.functional.scaled_dot_product_attention(*[torch.tensor(q)] * 3)
    with D.sdpa_kernel([D.SDPBackend.MATH, D.SDPBackend.FLASH_ATTENTION], set_priority=True):
        got = dg.nn.functional.scaled_dot_product_attention(*[dg.tensor(q)] * 3)
    _close(got, want)
    for m in (T, D):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
            with m.sdpa_kernel("math"):
                pass


def test_removable_handle():
    calls = []
    lin = dg.nn.Linear(1, 1)
    h = lin.register_forward_hook(lambda *a: calls.append(1))
    assert isinstance(h, dg.utils.hooks.RemovableHandle)
    lin(dg.ones(1))
    h.remove()
    lin(dg.ones(1))
    assert calls == [1]


# ------------------------------------------------------------------ safe globals
class Point:
    def __init__(self, x=0, y=0):
        self.x, self.y = x, y


def test_safe_globals_as_torch():
    for m in (torch, dg):
        buf = io.BytesIO()
        m.save({"p": Point(1, 2), "w": m.ones(2)}, buf)
        buf.seek(0)
        with pytest.raises(Exception, match="Weights only load failed"):
            m.load(buf)
        buf.seek(0)
        with m.serialization.safe_globals([Point]):
            assert Point in m.serialization.get_safe_globals()
            r = m.load(buf)
        assert (r["p"].x, r["p"].y) == (1, 2) and Point not in m.serialization.get_safe_globals()
        buf.seek(0)
        m.serialization.add_safe_globals([(Point, f"{__name__}.Point")])
        try:
            assert m.load(buf)["p"].y == 2
        finally:
            m.serialization.clear_safe_globals()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            buf.seek(0)
            with pytest.raises(Exception, match="Weights only load failed"):
                m.load(buf)
