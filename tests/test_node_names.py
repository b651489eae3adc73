"""torch's node names and structure: the same code builds a small graph in torch and in
dualgrad, and the whole ``grad_fn.next_functions`` tree (names, order of edges, None edges,
AccumulateGrad leaves) must be torch's, so walks of the graph and viz.make_dot pictures look
like torch's (issue 16; NOTE: [torch's node names by variant], [fused losses], [addmm])."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4, 5))
V4 = RNG.standard_normal(4)
X3 = RNG.standard_normal((2, 3, 4))
W = RNG.standard_normal((5, 4))
BIAS = RNG.standard_normal(5)
P = RNG.uniform(0.1, 0.9, (3, 4))
LABELS = np.array([0, 2, 1])


def tree(node):
    """A node as (name, children), None for an edge to nothing."""
    if node is None:
        return None
    return (node.name(), tuple(tree(n) for n, _ in node.next_functions))


def leaf(m, a):
    return m.tensor(a, requires_grad=True)


def nnf(m):
    return m.nn.functional


def _linear_module(m):
    m.manual_seed(0)
    return m.nn.Linear(4, 5).double()


CASES = {
    # views and shapes
    "t": lambda m: leaf(m, A).t(),
    "t_1d": lambda m: leaf(m, V4).t(),
    "transpose": lambda m: leaf(m, X3).transpose(0, 2),
    "permute": lambda m: leaf(m, X3).permute(2, 0, 1),
    "view": lambda m: leaf(m, A).view(12),
    "reshape": lambda m: leaf(m, A).reshape(2, 6),
    "squeeze": lambda m: leaf(m, A[None]).squeeze(),
    "squeeze_dim": lambda m: leaf(m, A[None]).squeeze(0),
    "squeeze_dims": lambda m: leaf(m, A[None, :, None]).squeeze((0, 2)),
    "unsqueeze": lambda m: leaf(m, A).unsqueeze(0),
    "expand": lambda m: leaf(m, V4).expand(3, 4),
    "flatten": lambda m: leaf(m, X3).flatten(1),
    "select": lambda m: leaf(m, A)[1],
    "select_col": lambda m: leaf(m, A)[:, 1],
    "select_ellipsis": lambda m: leaf(m, X3)[..., 2],
    "slice": lambda m: leaf(m, A)[1:],
    "slice_2": lambda m: leaf(m, A)[:, 1:3],
    "index": lambda m: leaf(m, A)[m.tensor([0, 2])],
    "cat": lambda m: m.cat([leaf(m, A), leaf(m, A)]),
    "stack": lambda m: m.stack([leaf(m, A), leaf(m, A)]),
    # products
    "mm": lambda m: leaf(m, A) @ leaf(m, B),
    "mv": lambda m: leaf(m, A) @ leaf(m, V4),
    "mv_fn": lambda m: m.mv(leaf(m, A), leaf(m, V4)),
    "dot": lambda m: leaf(m, V4) @ leaf(m, V4 * 2),
    "dot_fn": lambda m: m.dot(leaf(m, V4), leaf(m, V4 * 2)),
    "bmm": lambda m: m.bmm(leaf(m, X3), leaf(m, X3.transpose(0, 2, 1))),
    "addmm": lambda m: m.addmm(leaf(m, BIAS), leaf(m, A), leaf(m, B)),
    "addmm_const_bias": lambda m: m.addmm(m.tensor(BIAS), leaf(m, A), leaf(m, B)),
    "linear_2d": lambda m: nnf(m).linear(leaf(m, A), leaf(m, W), leaf(m, BIAS)),
    "linear_1d": lambda m: nnf(m).linear(leaf(m, V4), leaf(m, W), leaf(m, BIAS)),
    "linear_3d": lambda m: nnf(m).linear(leaf(m, X3), leaf(m, W), leaf(m, BIAS)),
    "linear_no_bias": lambda m: nnf(m).linear(leaf(m, A), leaf(m, W)),
    "linear_const_input": lambda m: nnf(m).linear(m.tensor(A), leaf(m, W), m.tensor(BIAS)),
    "nn_linear": lambda m: _linear_module(m)(leaf(m, A)),
    # reductions
    "sum": lambda m: leaf(m, A).sum(),
    "sum_dim": lambda m: leaf(m, A).sum(1),
    "sum_dims": lambda m: leaf(m, X3).sum((0, 2), keepdim=True),
    "mean": lambda m: leaf(m, A).mean(),
    "mean_dim": lambda m: leaf(m, A).mean(1),
    "mean_dims": lambda m: m.mean(leaf(m, X3), (0, 2)),
    "max": lambda m: leaf(m, A).max(),
    "min": lambda m: leaf(m, A).min(),
    "max_dim": lambda m: leaf(m, A).max(1)[0],
    "min_dim": lambda m: leaf(m, A).min(0).values,
    "amax": lambda m: leaf(m, A).amax(1),
    "norm": lambda m: leaf(m, A).norm(),
    "norm_dim": lambda m: leaf(m, A).norm(dim=1),
    "vector_norm": lambda m: m.linalg.vector_norm(leaf(m, A)),
    "vector_norm_keepdim": lambda m: m.linalg.vector_norm(leaf(m, X3), dim=(0, 2), keepdim=True),
    "linalg_norm": lambda m: m.linalg.norm(leaf(m, V4)),
    "prod": lambda m: leaf(m, A).prod(),
    "var": lambda m: leaf(m, A).var(),
    "var_dim": lambda m: leaf(m, A).var(1, correction=0),
    "std": lambda m: leaf(m, A).std(),
    "std_dim": lambda m: m.std(leaf(m, X3), (0, 2), keepdim=True),
    "logsumexp": lambda m: leaf(m, A).logsumexp(1),
    "median": lambda m: leaf(m, A).median(),
    "cumsum": lambda m: leaf(m, A).cumsum(1),
    # element-wise
    "pow2": lambda m: leaf(m, A) ** 2,
    "rpow": lambda m: 2 ** leaf(m, A),
    "div2": lambda m: leaf(m, A) / 2,
    "rdiv": lambda m: 2 / leaf(m, A),
    "mul2": lambda m: leaf(m, A) * 2,
    "rmul": lambda m: 2 * leaf(m, A),
    "radd": lambda m: 1 + leaf(m, A),
    "rsub": lambda m: 1 - leaf(m, A),
    "sub1": lambda m: leaf(m, A) - 1,
    "neg": lambda m: -leaf(m, A),
    "relu": lambda m: nnf(m).relu(leaf(m, A)),
    "torch_relu": lambda m: m.relu(leaf(m, A)),
    "sigmoid": lambda m: m.sigmoid(leaf(m, A)),
    "tanh": lambda m: m.tanh(leaf(m, A)),
    "exp_log": lambda m: leaf(m, A).exp().log(),
    "abs_sqrt": lambda m: leaf(m, A).abs().sqrt(),
    "square": lambda m: leaf(m, A).square(),
    "dropout": lambda m: nnf(m).dropout(leaf(m, A), 0.5, training=True),
    "gelu": lambda m: nnf(m).gelu(leaf(m, A)),
    "gelu_tanh": lambda m: nnf(m).gelu(leaf(m, A), approximate="tanh"),
    "silu": lambda m: nnf(m).silu(leaf(m, A)),
    "elu": lambda m: nnf(m).elu(leaf(m, A)),
    "leaky_relu": lambda m: nnf(m).leaky_relu(leaf(m, A), 0.2),
    "softplus": lambda m: nnf(m).softplus(leaf(m, A)),
    "hardtanh": lambda m: nnf(m).hardtanh(leaf(m, A)),
    "relu6": lambda m: nnf(m).relu6(leaf(m, A)),
    "logsigmoid": lambda m: nnf(m).logsigmoid(leaf(m, A)),
    "softmax": lambda m: nnf(m).softmax(leaf(m, A), 1),
    "torch_softmax": lambda m: m.softmax(leaf(m, A), 1),
    "log_softmax": lambda m: nnf(m).log_softmax(leaf(m, A), 1),
    # losses
    "mse_loss": lambda m: nnf(m).mse_loss(leaf(m, A), m.tensor(P)),
    "mse_loss_sum": lambda m: nnf(m).mse_loss(leaf(m, A), m.tensor(P), reduction="sum"),
    "mse_loss_none": lambda m: nnf(m).mse_loss(leaf(m, A), m.tensor(P), reduction="none"),
    "mse_loss_both": lambda m: nnf(m).mse_loss(leaf(m, A), leaf(m, P) * 2),
    "l1_loss": lambda m: nnf(m).l1_loss(leaf(m, A), m.tensor(P)),
    "smooth_l1_loss": lambda m: nnf(m).smooth_l1_loss(leaf(m, A), m.tensor(P)),
    "smooth_l1_loss_beta": lambda m: nnf(m).smooth_l1_loss(leaf(m, A), leaf(m, P), beta=0.3),
    "huber_loss": lambda m: nnf(m).huber_loss(leaf(m, A), m.tensor(P), reduction="sum"),
    "bce": lambda m: nnf(m).binary_cross_entropy(m.sigmoid(leaf(m, A)), m.tensor(P)),
    "bce_with_logits": lambda m: nnf(m).binary_cross_entropy_with_logits(leaf(m, A), m.tensor(P)),
    "bce_with_logits_none": lambda m: nnf(m).binary_cross_entropy_with_logits(
        leaf(m, A), leaf(m, P), reduction="none"
    ),
    "nll_loss": lambda m: nnf(m).nll_loss(leaf(m, A), m.tensor(LABELS)),
    "nll_loss_1d": lambda m: nnf(m).nll_loss(leaf(m, V4), m.tensor(1)),
    "nll_loss_weight": lambda m: nnf(m).nll_loss(
        leaf(m, A), m.tensor(LABELS), m.tensor(V4**2), reduction="sum"
    ),
    "cross_entropy": lambda m: nnf(m).cross_entropy(leaf(m, A), m.tensor(LABELS)),
    "cross_entropy_none": lambda m: nnf(m).cross_entropy(
        leaf(m, A), m.tensor(LABELS), reduction="none"
    ),
    "kl_div": lambda m: nnf(m).kl_div(
        nnf(m).log_softmax(leaf(m, A), 1), m.tensor(P), reduction="batchmean"
    ),
    "mlp": lambda m: nnf(m).cross_entropy(
        nnf(m).linear(
            nnf(m).relu(nnf(m).linear(leaf(m, A), leaf(m, W), leaf(m, BIAS))), leaf(m, B[:3].copy())
        ),
        m.tensor(LABELS),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_is_torchs(case):
    build = CASES[case]
    torch.manual_seed(0)
    expected = tree(build(torch).grad_fn)
    dg.manual_seed(0)
    assert tree(build(dg).grad_fn) == expected


def test_saved_values_have_torchs_names():
    """The fused nodes expose their saved values under torch's names; the norm saves its
    result, the very output tensor's values."""
    for m in (torch, dg):
        x = leaf(m, A)
        n = x.norm()
        assert n.grad_fn._saved_result.item() == pytest.approx(np.linalg.norm(A))
        mse = nnf(m).mse_loss(x, leaf(m, P))
        np.testing.assert_allclose(mse.grad_fn._saved_self.detach().numpy(), A)
        np.testing.assert_allclose(mse.grad_fn._saved_target.detach().numpy(), P)
        mm = m.addmm(leaf(m, BIAS), x, leaf(m, B))
        np.testing.assert_allclose(mm.grad_fn._saved_mat2.detach().numpy(), B)
        assert mm.grad_fn._saved_alpha == 1 and mm.grad_fn._saved_beta == 1
        mv = m.mv(x, leaf(m, V4))
        np.testing.assert_allclose(mv.grad_fn._saved_vec.detach().numpy(), V4)


@pytest.mark.parametrize(
    "register",
    [
        lambda m, x: x.register_hook(lambda g: g),
        lambda m, x: (x * 2).register_hook(lambda g: g),
        lambda m, x: (x * 2).grad_fn.register_hook(lambda gi, go: None),
        lambda m, x: (x * 2).grad_fn.register_prehook(lambda go: None),
        lambda m, x: x.register_post_accumulate_grad_hook(lambda t: None),
        lambda m, x: m.nn.Linear(2, 2).register_forward_hook(lambda *a: None),
    ],
)
def test_hook_handles_are_removable_handles(register):
    assert (
        type(register(torch, torch.ones(2, requires_grad=True)))
        is torch.utils.hooks.RemovableHandle
    )
    handle = register(dg, dg.ones(2, requires_grad=True))
    assert type(handle) is dg.utils.hooks.RemovableHandle
    assert isinstance(handle.id, int)


def test_removing_a_tensor_hook_by_its_handle():
    """Two equal hooks are two hooks: a handle removes its own, as torch's (by id)."""
    seen = {}
    for m in (torch, dg):
        x = m.ones(2, requires_grad=True)
        calls = []

        def hook(g, calls=calls):
            calls.append(1)

        y = x * 3
        first = y.register_hook(hook)
        y.register_hook(hook)
        with first:
            pass  # leaving the block removes the first
        y.sum().backward()
        seen[m.__name__] = (len(calls), x.grad.tolist())
    assert seen["dualgrad"] == seen["torch"] == (1, [3.0, 3.0])
