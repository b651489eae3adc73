"""No helper leaks into a public namespace: every public name of dualgrad.nn.functional and
dualgrad.nn.init is one torch's module has too (imports are private aliases, helpers start
with an underscore)."""

from __future__ import annotations

import types

import pytest
import torch
import torch.nn.functional as TF

import dualgrad as dg
import dualgrad.nn.functional as DF

# ``annotations`` is the ``from __future__`` import, which every module holds
ALLOWED = {"annotations"}


@pytest.mark.parametrize(
    "ours,theirs", [(DF, TF), (dg.nn.init, torch.nn.init)], ids=["functional", "init"]
)
def test_no_public_name_torch_lacks(ours, theirs):
    extra = {
        n
        for n in dir(ours)
        if not n.startswith("_")
        and not hasattr(theirs, n)
        and not isinstance(getattr(ours, n), types.ModuleType)
    }
    assert extra <= ALLOWED, sorted(extra - ALLOWED)


def test_one_hot_helper_is_private():
    assert not hasattr(DF, "one_hot_np") and hasattr(DF, "_one_hot_np")
    assert set(DF.__all__) <= set(dir(TF))
