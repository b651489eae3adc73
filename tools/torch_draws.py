"""Record the random draws a script makes under torch, and replay them under dualgrad: for
comparing the numbers a script prints under each (tools/run_ported.py).

dualgrad draws from NumPy (README, "Differences from PyTorch"), so a script that seeds torch and
draws its data or its initial weights prints other numbers under dualgrad even where every
derivative is right. So the torch run records each draw (which sampler, the shape, the values)
and the dualgrad run takes the same values, in the same order, from the same samplers: the
random factories, the in-place samplers, ``nn.init``'s primitives and dropout's mask. A draw
of another kind or shape than the one recorded stops the run with an error naming both, so a
script can never pass on draws that do not correspond. Everything computed from the draws is
each library's own, and the dualgrad run never imports torch.

    torch run:    tools.torch_draws.record(path)
    dualgrad run: tools.torch_draws.replay(path)

A caller that runs many programs in one process (tools/torch_doc_examples.py) keeps a list per
program instead: ``record()`` returns the list the draws go into (the caller empties it between
programs), and ``replay(draws)`` returns a function that starts over on another list.
"""

from __future__ import annotations

import atexit
import functools
import math
import pickle
from collections.abc import Callable

import numpy as np

FACTORIES = (
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson",
)  # fmt: skip
LIKE = ("rand_like", "randn_like", "randint_like")
SAMPLERS = ("uniform_", "normal_", "bernoulli_", "random_", "exponential_", "cauchy_")


def _kind(name: str) -> str:
    """One name for a sampler whichever way it is reached (torch.randn, Tensor.normal_, ...)."""
    return {"randn": "normal", "randn_like": "normal", "normal_": "normal", "rand": "uniform"}.get(
        name, name.rstrip("_").replace("_like", "")
    )


# ------------------------------------------------------------------ the torch run
def record(path: str | None = None) -> list:
    import torch
    import torch.nn.functional as F

    draws = []

    def note(name, t):
        if t.is_meta:  # (no data, no draw: torch's generator is untouched)
            return t
        draws.append((_kind(name), tuple(t.shape), t.detach().cpu().numpy().copy()))
        return t

    def recorded_factory(name, fn):
        @functools.wraps(fn)
        def draw(*args, **kwargs):
            return note(name, fn(*args, **kwargs))

        return draw

    for name in FACTORIES + LIKE:
        setattr(torch, name, recorded_factory(name, getattr(torch, name)))
    for name in SAMPLERS:
        method = getattr(torch.Tensor, name)
        setattr(
            torch.Tensor,
            name,
            lambda self, *a, _m=method, _n=name, **k: note(_n, _m(self, *a, **k)),
        )
    dropout = F.dropout

    def recorded_dropout(input, p=0.5, training=True, inplace=False):
        # aten's dropout: a bernoulli_(1 - p) mask over the input's shape, scaled by 1/(1 - p)
        if not training or p in (0.0, 1.0):
            return dropout(input, p, training, inplace)
        noise = torch.empty_like(input).bernoulli_(1 - p)  # (recorded as a bernoulli draw)
        return input * noise.div_(1 - p)

    F.dropout = recorded_dropout
    rrelu = F.rrelu

    def recorded_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
        # aten draws rrelu's slopes inside its kernel, where they cannot be recorded: in
        # training, its math with the slopes drawn by uniform_ (recorded), as dualgrad draws them
        if not training:
            return rrelu(input, lower, upper, training, inplace)
        slopes = torch.empty_like(input).uniform_(lower, upper)
        out = torch.where(input > 0, input, input * slopes)
        return input.copy_(out) if inplace else out

    F.rrelu = recorded_rrelu

    def recorded_alpha_dropout(original, feature):
        # aten's alpha dropout, op for op (NOTE: [alpha dropout] in dualgrad/nn/functional.py):
        # its bernoulli_(1 - p) mask drawn where dualgrad draws it, so the replay gives torch's
        def alpha_dropout(input, p=0.5, training=False, inplace=False):
            small = input.numel() == 0 or (feature and input.dim() < 2)
            if not training or p in (0.0, 1.0) or small:
                return original(input, p, training, inplace)
            shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2) if feature else input.shape
            noise = input.new_empty(shape).bernoulli_(1 - p)  # (recorded as a bernoulli draw)
            alpha = 1.7580993408473766
            a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
            b = noise.add(-1).mul_(alpha * a).add_(alpha * a * p)
            noise.mul_(a)
            return (input.mul_(noise) if inplace else input * noise).add_(b)

        return alpha_dropout

    sdpa = F.scaled_dot_product_attention

    def recorded_sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                      scale=None, enable_gqa=False):  # fmt: skip
        # torch's fused attention draws its dropout mask inside the kernel, where it cannot be
        # recorded: with dropout, the math it documents, its mask drawn by F.dropout
        if dropout_p == 0.0 or enable_gqa:
            return sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale=scale)
        L, S = query.size(-2), key.size(-2)
        scores = query @ key.transpose(-2, -1) * (scale or 1 / math.sqrt(query.size(-1)))
        if is_causal:
            causal = torch.ones(L, S, dtype=torch.bool).tril()
            scores = scores.masked_fill(~causal, float("-inf"))
        if attn_mask is not None:
            if attn_mask.dtype == torch.bool:
                scores = scores.masked_fill(~attn_mask, float("-inf"))
            else:
                scores = scores + attn_mask
        weights = F.dropout(scores.softmax(-1), dropout_p, True)
        return weights @ value

    F.scaled_dot_product_attention = recorded_sdpa
    F.alpha_dropout = recorded_alpha_dropout(F.alpha_dropout, False)
    F.feature_alpha_dropout = recorded_alpha_dropout(F.feature_alpha_dropout, True)
    if path is not None:
        atexit.register(lambda: pickle.dump(draws, open(path, "wb")))
    return draws


# ------------------------------------------------------------------ the dualgrad run
def replay(source) -> Callable[[list], None]:
    import dualgrad
    import dualgrad.nn.functional as F
    import dualgrad.nn.init as init

    if isinstance(source, list):
        draws = source
    else:
        with open(source, "rb") as f:
            draws = pickle.load(f)
    position = [0]

    def start_over(new_draws):
        nonlocal draws
        draws = new_draws
        position[0] = 0

    def take(name, shape):
        i = position[0]
        if i >= len(draws):
            raise RuntimeError(f"draw {i}: {name}{shape} has no draw recorded under torch")
        kind, recorded_shape, values = draws[i]
        if (kind, recorded_shape) != (_kind(name), tuple(shape)):
            raise RuntimeError(
                f"draw {i}: dualgrad draws {_kind(name)}{tuple(shape)}, torch drew "
                f"{kind}{recorded_shape}: the scripts' random draws do not correspond"
            )
        position[0] += 1
        return values

    inside = [0]  # a factory that calls another (rand_like calls rand) is one draw

    def replayed_factory(name, fn):
        @functools.wraps(fn)
        def draw(*args, **kwargs):
            if inside[0]:
                return fn(*args, **kwargs)
            inside[0] += 1
            try:
                out = fn(*args, **kwargs)  # for the shape, dtype and flags dualgrad gives it
            finally:
                inside[0] -= 1
            with dualgrad.no_grad():
                out.copy_(dualgrad.tensor(take(name, out.shape)))
            return out

        return draw

    import dualgrad._factories as factories

    for name in FACTORIES + LIKE:
        replayed = replayed_factory(name, getattr(dualgrad, name))
        setattr(dualgrad, name, replayed)
        if hasattr(factories, name):  # (what dualgrad's own modules call: nn.init.sparse_)
            setattr(factories, name, replayed)

    def replayed_sampler(name):
        def sample(self, *args, **kwargs):
            if self.is_meta:  # (torch drew nothing for it: nothing recorded)
                return self
            with dualgrad.no_grad():
                return self.copy_(dualgrad.tensor(take(name, self.shape)))

        return sample

    for name in SAMPLERS:
        setattr(dualgrad.Tensor, name, replayed_sampler(name))
    init.uniform_ = lambda tensor, *a, **k: replayed_sampler("uniform_")(tensor)
    init.normal_ = lambda tensor, *a, **k: replayed_sampler("normal_")(tensor)
    dropout = F.dropout

    def replayed_dropout(input, p=0.5, training=True, inplace=False):
        if not training or p in (0.0, 1.0):
            return dropout(input, p, training, inplace)
        noise = np.asarray(take("bernoulli_", input.shape), dtype=input.detach().numpy().dtype)
        return input * dualgrad.tensor(noise / (1 - p))

    F.dropout = replayed_dropout
    return start_over
