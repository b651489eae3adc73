"""Train a small CNN on scikit-learn's bundled 8x8 digits (no download) with dualgrad.

Needs scikit-learn (``pip install 'dualgrad[examples]'``). Prints the test accuracy after each
epoch; expect about 95% after 8 epochs (a few seconds on a laptop).

    python examples/digits_cnn.py
"""

from __future__ import annotations

import numpy as np

import dualgrad as dg
import dualgrad.nn as nn

try:
    from sklearn.datasets import load_digits
except ImportError:  # pragma: no cover
    raise SystemExit("this example needs scikit-learn: pip install 'dualgrad[examples]'") from None


def main(epochs: int = 8) -> float:
    dg.manual_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    y = digits.target
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    xtr, ytr, xte, yte = x[:1400], y[:1400], x[1400:], y[1400:]
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    opt = dg.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        perm = rng.permutation(len(ytr))
        for i in range(0, len(ytr), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            loss = loss_fn(model(dg.tensor(xtr[idx])), dg.tensor(ytr[idx]))
            loss.backward()
            opt.step()
        model.eval()
        with dg.no_grad():
            acc = float((model(dg.tensor(xte)).argmax(1).numpy() == yte).mean())
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
