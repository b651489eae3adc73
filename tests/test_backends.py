"""torch.backends as a CPU-only torch build has it: the flags real scripts set and read, and the
``flags()`` context managers, each against torch."""

from __future__ import annotations

import pytest
import torch

import dualgrad as dg

CUDNN_FLAGS = ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit")


def _cudnn(lib):
    return tuple(getattr(lib.backends.cudnn, f) for f in CUDNN_FLAGS)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"enabled": False}, {"allow_tf32": False}, {"benchmark": True, "deterministic": True}],
)
def test_cudnn_flags_context_as_torch(kwargs):
    seen = []
    for lib in (dg, torch):
        before = _cudnn(lib)
        with lib.backends.cudnn.flags(**kwargs):
            inside = _cudnn(lib)
        seen.append((before, inside, _cudnn(lib) == before))
    assert seen[0] == seen[1]


def test_cudnn_flags_restored_after_an_error():
    with pytest.raises(KeyError):
        with dg.backends.cudnn.flags(deterministic=True):
            raise KeyError
    assert dg.backends.cudnn.deterministic is False


@pytest.mark.parametrize(
    "read",
    [
        lambda m: m.backends.cudnn.is_available(),
        lambda m: m.backends.cudnn.version(),
        lambda m: m.backends.mps.is_available(),
        lambda m: m.backends.mps.is_built(),
        lambda m: m.backends.opt_einsum.is_available(),
        lambda m: m.backends.opt_einsum.enabled,
        lambda m: m.backends.opt_einsum.strategy,
        lambda m: m.backends.opt_einsum.get_opt_einsum(),
        lambda m: m.backends.cuda.is_built(),
        lambda m: m.backends.cuda.matmul.allow_tf32,
        lambda m: m.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
    ],
)
def test_backend_attributes_as_torch(read):
    assert read(dg) == read(torch)


def test_set_flags_round_trip():
    for lib in (dg, torch):
        lib.backends.cudnn.benchmark = True
        assert lib.backends.cudnn.benchmark is True
        lib.backends.cudnn.benchmark = False
        lib.backends.cuda.matmul.allow_tf32 = True
        assert lib.backends.cuda.matmul.allow_tf32 is True
        lib.backends.cuda.matmul.allow_tf32 = False


@pytest.mark.parametrize(
    "call, phrase",
    [
        (lambda m: m.backends.opt_einsum.set_flags(True), "opt_einsum is not available"),
        (lambda m: m.backends.opt_einsum.set_flags(None, "auto"), "install opt_einsum"),
    ],
)
def test_opt_einsum_refuses_as_torch(call, phrase):
    for lib in (dg, torch):
        with pytest.raises(ValueError, match=phrase):
            call(lib)
    with dg.backends.opt_einsum.flags(enabled=False):
        assert dg.backends.opt_einsum.enabled is False
