"""atan2's rules as torch groups them (NOTE: [atan2's products in torch's order] in
_ops/elementwise.py): the second derivatives of atan2(z, z), all 0, cancel in float32 as
torch's do; at the origin both modes give 0."""

import numpy as np
import torch

import dualgrad as dg


def _rev_rev(m, z0):
    z = m.tensor(z0, requires_grad=True)
    (g,) = m.autograd.grad(m.atan2(z, z).sum() + (z * z).sum(), z, create_graph=True)
    (h,) = m.autograd.grad((g * m.tensor([1.0, -2.0, 0.5])).sum(), z)
    return h.numpy()


def test_second_derivatives_of_atan2_of_one_tensor_cancel_as_torchs():
    z0 = np.array([0.003, -1.78, -0.69], dtype=np.float32)
    got, want = _rev_rev(dg, z0), _rev_rev(torch, z0)
    np.testing.assert_array_equal(got, want)  # 2 * v: atan2 contributes nothing
    np.testing.assert_allclose(got, [2.0, -4.0, 1.0], rtol=1e-6)


def test_atan2_at_the_origin_is_zero_in_both_modes():
    # torch's backward gives 0 there and its forward mode nan; dualgrad's forward mode keeps
    # the backward's convention (DIFFERS_BY_DESIGN / TORCH_WRONG in test_random_programs.py)
    results = []
    for m in (torch, dg):
        y = m.zeros(2, requires_grad=True)
        x = m.zeros(2, requires_grad=True)
        gy, gx = m.autograd.grad(m.atan2(y, x).sum(), (y, x))
        _, t = m.func.jvp(m.atan2, (m.zeros(2), m.zeros(2)), (m.ones(2), m.ones(2)))
        results.append((gy.numpy(), gx.numpy(), t.numpy()))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])
    assert (results[1][2] == 0).all() and np.isnan(results[0][2]).all()


def test_atan2_jvp_with_one_tangent_matches_torch():
    a = np.array([0.5, -1.5, 2.0])
    b = np.array([1.25, 0.75, -3.0])
    outs = []
    for m in (torch, dg):
        ta, tb = m.tensor(a), m.tensor(b)
        outs.append(
            [
                m.func.jvp(lambda y: m.atan2(y, tb), (ta,), (m.ones(3, dtype=m.float64),))[1],
                m.func.jvp(lambda x: m.atan2(ta, x), (tb,), (m.ones(3, dtype=m.float64),))[1],
            ]
        )
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15)
