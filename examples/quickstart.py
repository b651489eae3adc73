"""dualgrad in three steps: a JVP with dual tensors, an HVP by forward-over-reverse, and a
double backward. Each result is checked against a second way of computing it.

    python examples/quickstart.py

The code is PyTorch's API: with ``import torch as dg`` and ``torch.autograd.forward_ad`` the
same lines run on PyTorch.
"""

import numpy as np

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD


def as_array(t):
    return np.asarray(t.tolist(), dtype=np.float64)  # tolist: works on tensors that carry a graph


def check(name, got, expected, rtol=1e-4, atol=1e-5):
    got, expected = as_array(got), as_array(np.asarray(expected))
    assert np.allclose(got, expected, rtol=rtol, atol=atol), (
        f"{name}: got {got}, expected {expected} "
        f"(largest difference {np.max(np.abs(got - expected)):.3g})"
    )
    print(f"  ok: {name}")


x = dg.randn(5)
v = dg.randn(5)
xn, vn = as_array(x), as_array(v)


# (a) JVP: the directional derivative J(x)·v in one forward pass, with a dual tensor.
def f(x):
    return dg.exp(dg.sin(x)) * x


with fwAD.dual_level():
    out = f(fwAD.make_dual(x, v))
    jvp = fwAD.unpack_dual(out).tangent

print("(a) JVP of exp(sin(x)) * x along v:", jvp)
check(
    "JVP matches (exp(sin x) cos x · x + exp(sin x)) · v",
    jvp,
    (np.exp(np.sin(xn)) * np.cos(xn) * xn + np.exp(np.sin(xn))) * vn,
)


# (b) HVP by forward-over-reverse: reverse mode gives the gradient; running it inside a dual
# level on a dual input makes the gradient a dual tensor whose tangent is H(x)·v.
def loss(x):
    return dg.sum(dg.sin(x) * dg.exp(x) + x**3)


x_leaf = dg.tensor(np.asarray(x), requires_grad=True)
with fwAD.dual_level():
    x_dual = fwAD.make_dual(x_leaf, v)
    (g,) = dg.autograd.grad(loss(x_dual), x_dual, create_graph=True)
    hvp = fwAD.unpack_dual(g).tangent

# The double-vjp trick, reverse over reverse: u ↦ J_g(x)ᵀu is linear in u, so its vjp with v
# is J_g(x)·v = H(x)·v (H is the Jacobian of the gradient g).
(g,) = dg.autograd.grad(loss(x_leaf), x_leaf, create_graph=True)
u = dg.tensor(
    np.zeros(5, dtype=np.float32), requires_grad=True
)  # any value: the vjp is linear in u
(vjp,) = dg.autograd.grad(g, x_leaf, grad_outputs=u, create_graph=True)
(hvp_rr,) = dg.autograd.grad(vjp, u, grad_outputs=v)

print("(b) HVP of sum(sin(x) exp(x) + x**3) along v:", hvp)
check("forward-over-reverse HVP matches the double-vjp trick", hvp, hvp_rr)
check(
    "HVP matches the formula (2 cos(x) exp(x) + 6x) · v",
    hvp,
    (2 * np.cos(xn) * np.exp(xn) + 6 * xn) * vn,
)


# (c) Double backward: differentiate the gradient again, d²/dx² x**3 = 6x.
x3 = dg.tensor([1.0, -2.0, 0.5], requires_grad=True)
(d1,) = dg.autograd.grad(dg.sum(x3**3), x3, create_graph=True)
(d2,) = dg.autograd.grad(dg.sum(d1), x3)

print("(c) d/dx x**3 =", d1, " d²/dx² x**3 =", d2)
check("first derivative is 3x**2", d1, [3.0, 12.0, 0.75])
check("second derivative is 6x", d2, [6.0, -12.0, 3.0])

print("all checks passed")
