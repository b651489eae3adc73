"""F.interpolate over the grid of issue 17's list, against torch in float64: every mode on every
input rank it takes (3-D, 4-D, 5-D), with size or scale_factor (up and down, per-axis,
recompute_scale_factor) and both align_corners; value, gradient, forward-mode JVP and vmap
(tests/test_nn_pool.py's ``_check``), and the second derivative (an HVP) once per mode and rank.
Where torch refuses a combination, dualgrad raises the same exception type."""

from __future__ import annotations

import itertools

import pytest
import torch

import dualgrad as dg

from test_nn_pool import _check

F, TF = dg.nn.functional, torch.nn.functional
SHAPES = {1: (2, 2, 5), 2: (1, 2, 4, 5), 3: (1, 1, 3, 4, 2)}
MODES = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "bicubic": (2,),
    "trilinear": (3,),
    "area": (1, 2, 3),
}


def _cases():
    for mode, ranks in MODES.items():
        for k in ranks:
            sizes = [
                dict(size=(7,) * k if k > 1 else 7),
                dict(size=(3,) * k if k > 1 else 3),
                dict(scale_factor=1.7),
                dict(scale_factor=0.6),
                dict(scale_factor=2.5, recompute_scale_factor=True),
                dict(scale_factor=(1.5, 0.75, 2.0)[:k]),
            ]
            corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
            for i, (kw, ac) in enumerate(itertools.product(sizes, corners)):
                kw = dict(kw, mode=mode)
                if ac is not None:
                    kw["align_corners"] = ac
                yield pytest.param(SHAPES[k], kw, i == 0, id=f"{mode}-{k}d-{i}")


# the modes on a rank they do not take: torch's refusal, dualgrad's of the same type
_cases_wrong_rank = [
    (SHAPES[k], dict(size=(4,) * k, mode=mode))
    for mode, ranks in MODES.items()
    for k in (1, 2, 3)
    if k not in ranks
]


@pytest.mark.parametrize("shape,kw,second", list(_cases()))
def test_interpolate_as_torch(shape, kw, second):
    _check(
        lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), shape, second=second
    )


@pytest.mark.parametrize("shape,kw", _cases_wrong_rank)
def test_interpolate_refuses_as_torch(shape, kw):
    with pytest.raises(Exception) as want:
        TF.interpolate(torch.zeros(shape, dtype=torch.float64), **kw)
    with pytest.raises(want.type):
        F.interpolate(dg.zeros(*shape, dtype=dg.float64), **kw)


def test_upsample_module_as_torch():
    for kw in (dict(scale_factor=2, mode="trilinear", align_corners=True), dict(size=(3, 5, 2))):
        _check(dg.nn.Upsample(**kw), torch.nn.Upsample(**kw), SHAPES[3], second=False)
