"""PyTorch's own docstring examples run under ``import dualgrad as torch`` and print torch's
numbers (tools/torch_doc_examples.py): public code nobody here wrote, shipped with the torch
this suite compares against, so nothing of it is copied into the repository.

Every program in scope (NOTE: [docstring programs' scope]: the usage list, the autograd
surface, every public callable of torch's namespaces that dualgrad mirrors) agrees with torch,
except the ones listed as different by design (complex, sparse, quantized tensors) and the
known gaps (programs that print uninitialized memory are compared by what they print, not by its
values), and each of those still differs (so a list entry
that starts to agree is noticed and removed).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import torch_doc_examples as examples  # noqa: E402

PROGRAMS = examples.programs(examples.names_in_scope())


@pytest.fixture(scope="module")
def outcomes():
    progs, theirs, ours = examples.compare_all(list(PROGRAMS))
    assert progs.keys() == PROGRAMS.keys()
    return theirs, ours


def test_the_scope_is_large():
    # the usage list and the autograd surface give hundreds of programs; a torch upgrade that
    # moved the docstrings away would shrink this, and the test below would pass on nothing
    assert len(PROGRAMS) >= 700
    assert sum(len(sources) for sources in PROGRAMS.values()) >= 3500
    for name in ("torch.autograd.graph.saved_tensors_hooks", "torch.func.vmap", "torch.func.jvp"):
        assert name in PROGRAMS


def test_the_lists_name_programs_in_scope():
    listed = set(examples.DIFFERENT) | set(examples.KNOWN_GAPS)
    # (DIFFERENT may name docstrings a torch upgrade dropped; the gaps are all live)
    assert set(examples.KNOWN_GAPS) <= set(PROGRAMS)
    assert len(listed & set(PROGRAMS)) < len(PROGRAMS) // 6


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_docstring_program_prints_torchs_numbers(name, outcomes):
    theirs, ours = outcomes
    values = name not in examples.UNINITIALIZED  # (those print as many numbers as torch's)
    difference = examples.difference(theirs[name], ours[name], values=values)
    listed = "DIFFERENT" if name in examples.DIFFERENT else None
    listed = listed or ("KNOWN_GAPS" if name in examples.KNOWN_GAPS else None)
    if listed:
        assert difference is not None, f"{name} now agrees: remove it from {listed}"
    else:
        assert difference is None, difference
