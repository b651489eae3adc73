"""Which batching rule each op has under vmap: the one place that binds ops to rules.

# NOTE: [batching by kind]
An op declares what its batching follows from: ``broadcasting`` (element-wise with
broadcasting, differentiable or not: the rule moves the batch dim in front and pads the
others), or ``loops`` (its output's shape depends on the values: nonzero, unique, run once per
batch element). Every other op gets its rule from the table below, keyed by the op object,
never by name. ``declare_rules`` runs once, when dualgrad is imported; it refuses a second
rule for one op and an op with neither a rule nor ``loops``, as ``register`` refuses a
differentiable op without a vjp.

This module imports the rule modules and the op table; nothing in the core imports it (only
dualgrad/__init__.py), so binding ops to rules adds no import circle.
"""

from __future__ import annotations

from . import _batching_generic as B
from . import _batching_indexing as BI
from . import _batching_linalg as BL
from ._ops import conv as CV
from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import linalg as L
from ._ops import linalg_decomp as D
from ._ops import reduction as R
from ._ops import reindex as RI
from ._ops import shape as SH
from ._ops import softmax as SM
from ._ops import sorting as S
from ._ops import view_scatter as VS
from ._ops.registry import REGISTRY

# (ops, rule) pairs: the rules that do not follow from broadcasting
TABLE = [
    ((E.CLONE, E.TO), B._unary_same_layout),
    ((R.SUM, R.PROD, R.AMAX, R.AMIN, R.ALL, R.ANY, SM.SOFTMAX, SM.LOG_SOFTMAX), B._reduce_dims),
    ((R.CUMSUM, R.MAX_DIM, R.MIN_DIM), B._one_dim),
    ((SH.VIEW_DTYPE,), B._batch_in_front),
    ((SH.RESHAPE,), B._reshape),
    ((SH.EXPAND,), B._expand),
    ((SH.PERMUTE,), B._permute),
    ((SH.FLIP,), B._flip),
    ((I.SELECT,), B._select),
    ((L.MATMUL,), B._matmul),
    ((SH.CAT, SH.STACK), B._join),
    # linear algebra, scans and sorting (_batching_linalg.py)
    (
        (
            D.SOLVE,
            D.SOLVE_TRIANGULAR,
            D.SLOGDET,
            D.DET,
            D.CHOLESKY,
            D.QR,
            D.EIGH,
            D.SVD,
            D.PINV,
            D.MATRIX_EXP,
            D.ORTH_COMPLEMENT,
        ),
        BL._matrix_stack,
    ),  # fmt: skip
    ((D.QR_VALUES,), BL._qr_values),
    (
        (S.CUMPROD, S.LOGCUMSUMEXP, S.ARGSORT, S.MODE_INDICES, S.CUMMAX_INDICES, S.CUMMIN_INDICES),
        BL._along_dim,
    ),  # fmt: skip
    ((R.ARGMAX, R.ARGMIN), BL._arg_extreme),
    ((L.EINSUM,), BL._einsum),
    ((L.CROSS,), BL._cross),
    ((S.SEARCHSORTED,), BL._searchsorted),
    # indexing, scatter, views, convolution (_batching_indexing.py)
    ((I.INDEX,), BI._index),
    ((I.INDEX_ADD_ZEROS,), BI._index_add_zeros),
    ((I.INDEX_PUT,), BI._index_put),
    ((I.GATHER, I.SCATTER_ADD_ZEROS, I.SCATTER, I.SCATTER_REDUCE), BI._along_dim),
    ((SH.SPLIT,), BI._split),
    ((RI.UNFOLD,), BI._split),
    (
        (RI.ONE_HOT_INFER,),
        B.per_element(
            "When vmap-ing torch.nn.functional.one_hot, please provide an explicit positive "
            "num_classes argument."
        ),
    ),
    ((SH.REPEAT,), BI._repeat),
    ((SH.DIAGONAL, VS.DIAGONAL_VIEW, SH.DIAGONAL_SCATTER_ZEROS), BI._two_dims),
    ((SH.TRIL, SH.TRIU), BI._last_two_dims),
    ((VS.VIEW_SCATTER,), BI._view_scatter),
    ((CV.IM2COL, CV.COL2IM), BI._images),
]


def declare(op, rule) -> None:
    """Give ``op`` its batching rule, once: a second rule for one op is an error, not a silent
    override."""
    if op.batch is not None and op.batch is not rule:
        raise ValueError(
            f"op '{op.name}' has two batching rules: {op.batch.__name__} and {rule.__name__}"
        )
    op.batch = rule


def declare_rules() -> None:
    """Every op's batching rule (NOTE: [batching by kind])."""
    for op in REGISTRY.values():
        if op.broadcasting:
            one_input = op.ufunc is not None and op.ufunc.nin == 1
            declare(op, B.vectorized if one_input else B._pointwise)
    for ops, rule in TABLE:
        for op in ops:
            declare(op, rule)
    missing = [op.name for op in REGISTRY.values() if op.batch is None and not op.loops]
    if missing:
        raise TypeError(
            f"ops without a batching rule: {missing}; give each one (_batching_rules.py) or "
            "declare it loops=True (its output's shape depends on the values)"
        )
