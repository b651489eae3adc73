"""The op test table's building blocks: input specs, the Row record, and R (a row from shapes).

A row's function takes the module as its first argument, so the same code runs on dualgrad
and on torch: ``lambda m, x: m.sin(x)``. Samples list the inputs; ``F`` inputs are float64 and
differentiable, ``I`` and ``B`` are integer and bool constants. tests/test_ops.py runs every
row in every mode, and a meta-test fails when a registered primitive has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class F:
    """A float64 input that requires grad: shape, value range, optional transposed layout."""

    shape: tuple
    low: float = -1.0
    high: float = 1.0
    transposed: bool = False
    diff: bool = True


@dataclass(frozen=True)
class I:
    """An int64 constant input with values in [low, high)."""

    shape: tuple
    low: int = 0
    high: int = 3
    diff: bool = False


@dataclass(frozen=True)
class B:
    """A bool constant input."""

    shape: tuple
    diff: bool = False


@dataclass(frozen=True)
class Const:
    """A fixed array constant (e.g. indices that must be valid or unique)."""

    value: object
    diff: bool = False  # True: a float64 input that requires grad


@dataclass
class Row:
    name: str
    fn: object  # fn(m, *inputs) -> tensor or tuple of tensors
    samples: list
    ops: tuple = ()  # registered primitives this row exercises (default: (name,))
    torch_fn: object = None  # when torch spells it differently: torch_fn(torch, *inputs)
    nondiff: bool = False  # integer / bool outputs: values only
    second_order: bool = True  # False where the op is piecewise linear (2nd derivative 0 a.e.)
    torch_second_order: bool = True  # False where torch's second derivative is nan (see R)
    atol: float = 1e-7
    gradcheck: bool = True
    # False where torch has no forward-mode formula (igamma, index_reduce) or a wrong one: the
    # forward-mode columns then take their references from torch's reverse mode (Jacobians)
    torch_forward: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def covers(self):
        return self.ops or (self.name,)


def make_inputs(sample, seed: int):
    """NumPy arrays for one sample, the same for dualgrad and torch."""
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in sample:
        if isinstance(spec, F):
            shape = tuple(reversed(spec.shape)) if spec.transposed else spec.shape
            a = rng.uniform(spec.low, spec.high, shape)
            arrays.append(a.T if spec.transposed else a)
        elif isinstance(spec, I):
            arrays.append(rng.integers(spec.low, spec.high, spec.shape).astype(np.int64))
        elif isinstance(spec, B):
            arrays.append(rng.random(spec.shape) > 0.5)
        elif isinstance(spec, Const):
            arrays.append(np.asarray(spec.value))
        else:
            arrays.append(spec)  # a Python scalar passed as is
    return arrays


def R(name, op, fn, *inputs, torch_fn=None, torch_second_order=True):
    """A row from input shapes (uniform in [-1, 1]) or fixed float arrays."""
    sample = [F(i) if isinstance(i, tuple) else Const(i, diff=True) for i in inputs]
    return Row(
        name,
        fn,
        [sample],
        ops=(op,) if op else (),
        torch_fn=torch_fn,
        torch_second_order=torch_second_order and name not in _TORCH_NAN_SECOND_ORDER,
    )


# PyTorch's second derivative of the 2-norm at 0 is nan (its first-order rule masks the
# division by zero and the mask is not differentiated); dualgrad's is 0. These rows are
# compared with torch at first order only.
_TORCH_NAN_SECOND_ORDER = {"norm_zero", "norm_zero_dim"}
