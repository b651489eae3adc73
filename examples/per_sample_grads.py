"""Per-sample gradients of a small MLP: one gradient per example instead of the batch mean.

It is torch.func's per-sample-gradient recipe, ``vmap(grad(loss), in_dims=(None, 0, 0))`` over
``functional_call``, and checks it against an explicit loop of ``autograd.grad`` calls and the
per-sample gradients' mean against the batch gradient; it prints their norms (the quantity
DP-SGD clips). ``dualgrad.func.vmap`` loops over the batch for now (batching rules are the
transforms issue's remaining work); the check against the explicit loop will guard them.

    python examples/per_sample_grads.py
"""

from __future__ import annotations

import dualgrad as dg
import dualgrad.nn as nn
import dualgrad.nn.functional as F
from dualgrad.func import functional_call, grad, vmap


def main():
    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 3))
    x, y = dg.randn(8, 10), dg.randint(0, 3, (8,))
    params = {k: v.detach().requires_grad_() for k, v in model.named_parameters()}

    def loss_of(p, xi, yi):
        return F.cross_entropy(functional_call(model, p, (xi[None],)), yi[None])

    stacked = vmap(grad(loss_of), in_dims=(None, 0, 0))(params, x, y)

    per_sample = []
    for i in range(x.shape[0]):
        grads = dg.autograd.grad(loss_of(params, x[i], y[i]), list(params.values()))
        per_sample.append(dict(zip(params, grads)))
    for k in params:
        assert dg.allclose(stacked[k], dg.stack([g[k] for g in per_sample]), atol=1e-6), k

    batch = dg.autograd.grad(
        F.cross_entropy(functional_call(model, params, (x,)), y), list(params.values())
    )
    for (k, s), b in zip(stacked.items(), batch):
        assert dg.allclose(s.mean(0), b, atol=1e-6), k
        print(f"{k:10s} per-sample grads {tuple(s.shape)}; mean equals the batch gradient")
    norms = dg.stack([dg.cat([g.reshape(-1) for g in d.values()]).norm() for d in per_sample])
    print("per-sample gradient norms:", [round(v, 4) for v in norms.tolist()])
    return stacked


if __name__ == "__main__":
    main()
