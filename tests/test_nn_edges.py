"""dualgrad.nn at its edges, against torch (issue 12, "no silent wrong answers"): broadcasting
in the pairwise functions, the losses' checks of their inputs (in torch's order and words),
cross_entropy's two kinds of target, load_state_dict's argument, embedding indices, and the
softmax family over empty dims."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.nn as nn
import dualgrad.nn.functional as F


def _pair(values, dtype=None):
    """The same values as a torch tensor and a dualgrad tensor (float64 unless told)."""
    a = np.asarray(values, dtype=dtype or np.float64)
    return torch.tensor(a), dg.tensor(a)


def _outcome(fn):
    """(result, None) or (None, exception) of fn()."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(), None
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return None, e


def _same_outcome(t_fn, d_fn, what):
    """Both run and agree in value and shape, or both raise the same exception type with the
    same message head (dualgrad may add a hint after torch's words)."""
    t_out, t_err = _outcome(t_fn)
    d_out, d_err = _outcome(d_fn)
    if t_err is not None or d_err is not None:
        assert t_err is not None and d_err is not None, (
            f"{what}: torch {t_err!r}, dualgrad {d_err!r}"
        )
        assert type(d_err) is type(t_err), f"{what}: torch {t_err!r}, dualgrad {d_err!r}"
        head = str(t_err).split("(torch.Size")[0].split(" (")[0]
        assert head in str(d_err), f"{what}: torch says {t_err}, dualgrad {d_err}"
        return
    assert tuple(d_out.shape) == tuple(t_out.shape), what
    np.testing.assert_allclose(
        d_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=what
    )


# ------------------------------------------------------------------ 1. pairwise functions
PAIRWISE = [
    ("cosine_similarity", dict(dim=-1)),
    ("cosine_similarity", dict(dim=1)),
    ("pairwise_distance", {}),
]
SHAPE_PAIRS = [
    ((1, 2), (1,)),
    ((3, 2), (1, 2)),
    ((2, 1, 4), (3, 4)),
    ((1, 2), (1, 3)),
    ((2, 3), (2, 3)),
]


@pytest.mark.parametrize("name,kw", PAIRWISE)
@pytest.mark.parametrize("s1,s2", SHAPE_PAIRS)
def test_pairwise_functions_broadcast_before_the_norms(name, kw, s1, s2):
    rng = np.random.default_rng(0)
    t1, d1 = _pair(rng.normal(size=s1))
    t2, d2 = _pair(rng.normal(size=s2))
    t1.requires_grad_(), d1.requires_grad_()
    _same_outcome(
        lambda: getattr(torch.nn.functional, name)(t1, t2, **kw),
        lambda: getattr(F, name)(d1, d2, **kw),
        f"{name} {s1} {s2}",
    )
    t_out, t_err = _outcome(lambda: getattr(torch.nn.functional, name)(t1, t2, **kw))
    if t_err is None:  # and the gradients
        t_out.sum().backward()
        getattr(F, name)(d1, d2, **kw).sum().backward()
        np.testing.assert_allclose(d1.grad.numpy(), t1.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_cosine_similarity_issue_case_zero_vectors_and_integers():
    _same_outcome(
        lambda: torch.nn.functional.cosine_similarity(
            torch.tensor([[0.3, -1.2]]), torch.tensor([0.7]), dim=-1
        ),
        lambda: F.cosine_similarity(dg.tensor([[0.3, -1.2]]), dg.tensor([0.7]), dim=-1),
        "issue case",
    )
    tz, dz = _pair([[0.0, 0.0], [1.0, 2.0]])
    ty, dy = _pair([[3.0, 4.0], [0.0, 0.0]])
    _same_outcome(
        lambda: torch.nn.functional.cosine_similarity(tz, ty),
        lambda: F.cosine_similarity(dz, dy),
        "zero vectors",
    )
    _same_outcome(
        lambda: torch.nn.functional.cosine_similarity(
            torch.tensor([[1, 2]]), torch.tensor([[3, 4]])
        ),
        lambda: F.cosine_similarity(dg.tensor([[1, 2]]), dg.tensor([[3, 4]])),
        "integers",
    )


@pytest.mark.parametrize(
    "s1,s2,st",
    [
        ((2, 3), (2, 3), (2,)),
        ((3,), (3,), ()),
        ((2, 3), (3,), (2,)),
        ((2, 3), (2, 3), ()),
        ((2, 3), (2, 3), (2, 1)),
    ],
)
def test_cosine_embedding_loss_matches_torch_and_checks_dims(s1, s2, st):
    rng = np.random.default_rng(1)
    t1, d1 = _pair(rng.normal(size=s1))
    t2, d2 = _pair(rng.normal(size=s2))
    tt, dt = _pair(np.where(rng.normal(size=st) > 0, 1.0, -1.0))
    _same_outcome(
        lambda: torch.nn.functional.cosine_embedding_loss(t1, t2, tt, margin=0.1),
        lambda: F.cosine_embedding_loss(d1, d2, dt, margin=0.1),
        f"{s1} {s2} {st}",
    )


# ------------------------------------------------------------------ 2. losses check their inputs
LOSS_CASES = [
    # (name, args, kwargs): lists become float64 tensors; (values, dtype) tuples keep dtype
    ("binary_cross_entropy", ([1.5, 0.2], [1.0, 0.0]), {}),
    ("binary_cross_entropy", ([-0.5, 0.2], [1.0, 0.0]), {}),
    ("binary_cross_entropy", ([float("nan"), 0.2], [1.0, 0.0]), {}),
    ("binary_cross_entropy", ([0.5, 0.2], [1.5, 0.0]), {}),
    ("binary_cross_entropy", ([0.5, 0.2], [1.0, 0.0, 1.0]), {}),
    ("binary_cross_entropy", ([0.5, 0.2], ([1, 0], np.int64)), {}),
    ("binary_cross_entropy", ([0.5, 0.2], [1.0, 0.0]), {"weight": [1.0, 2.0]}),
    ("binary_cross_entropy", ([0.0, 1.0], [0.0, 1.0]), {}),
    ("binary_cross_entropy_with_logits", ([0.5, 0.2], ([1, 0], np.int64)), {}),
    ("binary_cross_entropy_with_logits", ([0.5, 0.2], [1.0, 0.0, 1.0]), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3]], ([3], np.int64)), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3]], ([-1], np.int64)), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], ([-100, 1], np.int64)), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], ([5, 1], np.int64)), {"ignore_index": 5}),
    ("nll_loss", ([[0.1, 0.2, 0.3]], ([0, 1], np.int64)), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3]], ([[0]], np.int64)), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3]], [0.0]), {}),
    ("nll_loss", ([[0.1, 0.2, 0.3]], ([0], np.int64)), {"weight": [1.0, 2.0]}),
    ("nll_loss", ([0.1, 0.2, 0.3], ([1], np.int64)), {}),
    ("nll_loss", ([0.1, 0.2, 0.3], ([1], np.int64)), {"reduction": "none"}),
    ("nll_loss", ([0.1, 0.2, 0.3], (1, np.int64)), {"reduction": "none"}),
    ("nll_loss", ([0.1, 0.2, 0.3], ([0, 1], np.int64)), {}),
    ("nll_loss", (np.zeros((2, 3, 4)), (np.zeros((2, 5)), np.int64)), {}),
    ("nll_loss", (np.zeros((2, 3, 4)), (np.full((2, 4), 5), np.int64)), {}),
    ("cross_entropy", ([[0.1, 0.2, 0.3]], ([3], np.int64)), {"label_smoothing": 0.1}),
    ("cross_entropy", ([[0.1, 0.2, 0.3]], ([0], np.int64)), {"label_smoothing": 1.5}),
    ("cross_entropy", ([[0.1, 0.2, 0.3]], [[0.2, 0.3, 0.5]]), {"weight": [1.0, 2.0]}),
    ("smooth_l1_loss", ([0.1, 0.2], [0.5, 0.5]), {"beta": -1.0}),
    ("huber_loss", ([0.1, 0.2], [0.5, 0.5]), {"delta": 0.0}),
    ("huber_loss", ([0.1, 0.2], [0.5, 0.5]), {"delta": -1.0}),
    ("gaussian_nll_loss", ([0.1, 0.2], [0.5, 0.5], [-1.0, 1.0]), {}),
    ("gaussian_nll_loss", ([0.1, 0.2], [0.5, 0.5], [1.0, 1.0, 1.0]), {}),
    ("gaussian_nll_loss", ([[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.5], [0.1, 0.1]], [1.0, 2.0]), {}),
    ("gaussian_nll_loss", ([[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.5], [0.1, 0.1]], [[1.0], [2.0]]), {}),
    ("gaussian_nll_loss", ([0.1, 0.2], [0.5, 0.5], 0.5), {}),
    ("gaussian_nll_loss", ([0.1, 0.2], [0.5, 0.5], -0.5), {}),
    ("gaussian_nll_loss", ([0.1, 0.2], [0.5, 0.5], [1.0, 1.0]), {"reduction": "max"}),
]


def _arg(lib, a):
    if isinstance(a, tuple):
        return lib.tensor(np.asarray(a[0], dtype=a[1]))
    if isinstance(a, (list, np.ndarray)):
        return lib.tensor(np.asarray(a, dtype=np.float64))
    return a


@pytest.mark.parametrize(
    "name,args,kw", LOSS_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSS_CASES)]
)
def test_losses_check_their_inputs_as_torch(name, args, kw):
    def call(lib, Fn):
        return lambda: getattr(Fn, name)(
            *[_arg(lib, a) for a in args], **{k: _arg(lib, v) for k, v in kw.items()}
        )

    _same_outcome(call(torch, torch.nn.functional), call(dg, F), f"{name}{args}{kw}")


def test_elementwise_losses_warn_when_target_broadcasts():
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        with pytest.warns(UserWarning, match="Using a target size"):
            getattr(torch.nn.functional, name)(torch.zeros(1, 2), torch.zeros(2))
        with pytest.warns(UserWarning, match="Using a target size"):
            getattr(F, name)(dg.zeros(1, 2), dg.zeros(2))


def test_gaussian_nll_loss_gradient_through_small_var_is_torch_s():
    tv, dv = _pair([1e-8, 0.5])
    tv.requires_grad_(), dv.requires_grad_()
    torch.nn.functional.gaussian_nll_loss(
        torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64), tv
    ).backward()
    F.gaussian_nll_loss(dg.zeros(2, dtype=dg.float64), dg.ones(2, dtype=dg.float64), dv).backward()
    np.testing.assert_allclose(dv.grad.numpy(), tv.grad.numpy(), rtol=1e-9)


# ------------------------------------------------------------------ 3. cross_entropy's targets
TARGETS = [
    [0, 1],
    [[0.2, 0.3, 0.5], [1, 0, 0]],
    [[0, 1, 2], [1, 0, 0]],
    [[0.2, 0.3, 0.5]],
    [0],
    1,
    [[True, False, False], [False, True, False]],
]
TARGET_DTYPES = [np.int64, np.float32, np.float64, np.bool_]


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("target", TARGETS, ids=[str(t) for t in TARGETS])
@pytest.mark.parametrize("dtype", TARGET_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("input_shape", [(2, 3), (3,)])
def test_class_targets_every_dtype_and_shape_as_torch(fn, target, dtype, input_shape):
    x = np.random.default_rng(2).normal(size=input_shape).astype(np.float32)
    tgt = np.asarray(target).astype(dtype)
    # (not label smoothing on one sample: torch 2.13 fails there on a shape of its own making)
    other = (
        {"label_smoothing": 0.2}
        if fn == "cross_entropy" and len(input_shape) == 2
        else {"reduction": "none"}
    )
    for kw in ({}, other):
        _same_outcome(
            lambda: getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(tgt), **kw),
            lambda: getattr(F, fn)(dg.tensor(x), dg.tensor(tgt), **kw),
            f"{fn} input {input_shape} target {tgt!r} {kw}",
        )


def test_cross_entropy_probabilities_refuse_ignore_index():
    x, p = np.zeros((2, 3), np.float32), np.full((2, 3), 1 / 3, np.float32)
    _same_outcome(
        lambda: torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p), ignore_index=1),
        lambda: F.cross_entropy(dg.tensor(x), dg.tensor(p), ignore_index=1),
        "ignore_index",
    )


# ------------------------------------------------------------------ 4. load_state_dict's argument
@pytest.mark.parametrize("what", ["module", "path", "pairs"])
def test_load_state_dict_wants_a_mapping(what):
    t_mod, d_mod = torch.nn.Linear(2, 2), nn.Linear(2, 2)
    args = {
        "module": (t_mod, d_mod),
        "path": ("model.pt", "model.pt"),
        "pairs": ([("weight", t_mod.weight)], [("weight", d_mod.weight)]),
    }[what]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like") as t_err:
        t_mod.load_state_dict(args[0])
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like") as d_err:
        d_mod.load_state_dict(args[1])
    assert type(args[1]).__name__ in str(d_err.value) and type(args[0]).__name__ in str(t_err.value)


# ------------------------------------------------------------------ 5. embedding indices
@pytest.mark.parametrize("padding_idx", [5, 4, -5, -4, -1, 0, 3])
def test_embedding_padding_idx_range_as_torch(padding_idx):
    _same_outcome(
        lambda: torch.zeros(1) if torch.nn.Embedding(4, 2, padding_idx=padding_idx) else None,
        lambda: dg.zeros(1) if nn.Embedding(4, 2, padding_idx=padding_idx) else None,
        f"Embedding padding_idx={padding_idx}",
    )
    if -4 <= padding_idx < 4:
        assert (
            nn.Embedding(4, 2, padding_idx=padding_idx).padding_idx
            == torch.nn.Embedding(4, 2, padding_idx=padding_idx).padding_idx
        )
    w = np.arange(8.0).reshape(4, 2)
    _same_outcome(
        lambda: torch.nn.functional.embedding(
            torch.tensor([1, 2]), torch.tensor(w), padding_idx=padding_idx
        ),
        lambda: F.embedding(dg.tensor([1, 2]), dg.tensor(w), padding_idx=padding_idx),
        f"F.embedding padding_idx={padding_idx}",
    )


@pytest.mark.parametrize("index", [[-1], [4], [[0, 1], [2, 7]], [0, 3], []])
def test_embedding_index_out_of_range_raises_instead_of_wrapping(index):
    w = np.arange(8.0).reshape(4, 2)
    idx = np.asarray(index, dtype=np.int64)
    _same_outcome(
        lambda: torch.nn.functional.embedding(torch.tensor(idx), torch.tensor(w)),
        lambda: F.embedding(dg.tensor(idx), dg.tensor(w)),
        f"index {index}",
    )


def test_embedding_index_checked_inside_vmap_without_a_loop():
    w = dg.tensor(np.arange(8.0).reshape(4, 2))
    with pytest.raises(IndexError, match="index out of range in self"):
        dg.func.vmap(lambda i: F.embedding(i, w))(dg.tensor([[0, 1], [2, 4]]))
    out = dg.func.vmap(lambda i: F.embedding(i, w))(dg.tensor([[0, 1], [2, 3]]))
    np.testing.assert_array_equal(out.numpy(), np.arange(8.0).reshape(2, 2, 2))


def test_embedding_constructor_checks_as_torch():
    _same_outcome(
        lambda: torch.nn.Embedding.from_pretrained(torch.ones(4)),
        lambda: nn.Embedding.from_pretrained(dg.ones(4)),
        "from_pretrained 1-D",
    )
    _same_outcome(
        lambda: torch.nn.Embedding(4, 2, _weight=torch.ones(3, 2)),
        lambda: nn.Embedding(4, 2, _weight=dg.ones(3, 2)),
        "_weight shape",
    )


# ------------------------------------------------------------------ 6. softmax family over empty dims
EMPTY = [((0, 3), 0), ((0, 3), 1), ((3, 0), 0), ((3, 0), 1), ((2, 0, 3), 1), ((0,), 0), ((0,), -1)]
SOFTMAX_FAMILY = {
    "softmax": lambda lib, x, d: lib.nn.functional.softmax(x, dim=d),
    "log_softmax": lambda lib, x, d: lib.nn.functional.log_softmax(x, dim=d),
    "softmin": lambda lib, x, d: lib.nn.functional.softmin(x, dim=d),
    "logsumexp": lambda lib, x, d: lib.logsumexp(x, d),
    "logsumexp keepdim": lambda lib, x, d: lib.logsumexp(x, d, keepdim=True),
    "softmax method": lambda lib, x, d: x.softmax(d),
    "log_softmax method": lambda lib, x, d: x.log_softmax(d),
    "normalize": lambda lib, x, d: lib.nn.functional.normalize(x, dim=d),
}


@pytest.mark.parametrize("name", list(SOFTMAX_FAMILY))
@pytest.mark.parametrize("shape,dim", EMPTY)
def test_softmax_family_over_empty_dims_returns_empty(name, shape, dim):
    fn = SOFTMAX_FAMILY[name]
    tx = torch.zeros(shape, requires_grad=True)
    dx = dg.zeros(*shape, requires_grad=True)
    _same_outcome(lambda: fn(torch, tx, dim), lambda: fn(dg, dx, dim), f"{name} {shape} dim={dim}")
    t_out, t_err = _outcome(lambda: fn(torch, tx, dim))
    if t_err is None:
        t_out.sum().backward()
        fn(dg, dx, dim).sum().backward()
        assert dx.grad is not None and tuple(dx.grad.shape) == tuple(tx.grad.shape)
