"""The batching rules are declared per op, by its kind or by op object (NOTE: [batching by kind]
in _batching_rules.py): every op has exactly one, or says it loops."""

import pytest

from dualgrad import _batching_generic, _batching_rules
from dualgrad._ops.registry import REGISTRY, Op


def test_every_op_has_a_batching_rule_or_says_it_loops():
    assert [op.name for op in REGISTRY.values() if op.batch is None and not op.loops] == []
    # only the ops whose output's shape depends on the values loop
    assert sorted(op.name for op in REGISTRY.values() if op.loops) == [
        "bincount",
        "bincount_weighted",
        "nonzero",
        "repeat_interleave_counts",
        "unique",
        "unique_consecutive",
    ]


def test_a_second_batching_rule_for_an_op_is_refused():
    op = REGISTRY["argmax"]
    with pytest.raises(ValueError, match="two batching rules"):
        _batching_rules.declare(op, _batching_generic._pointwise)
    _batching_rules.declare(op, op.batch)  # the same rule again changes nothing
    assert op.batch is not _batching_generic._pointwise


def test_hand_rules_are_keyed_by_op_objects_not_names():
    for ops, rule in _batching_rules.TABLE:
        assert ops and all(isinstance(op, Op) for op in ops), rule
        assert all(op.batch is rule for op in ops)


def test_broadcasting_ops_batch_element_wise_whatever_their_differentiability():
    broadcasting = [op for op in REGISTRY.values() if op.broadcasting]
    assert {op.name for op in broadcasting} >= {"eq", "isnan", "bitwise_and", "where", "sin"}
    for op in broadcasting:  # one input: vectorized (the batch dim stays: NOTE: [vectorized ops])
        one_input = op.ufunc is not None and op.ufunc.nin == 1
        want = _batching_generic.vectorized if one_input else _batching_generic._pointwise
        assert op.batch is want, op.name
    assert REGISTRY["sin"].batch is _batching_generic.vectorized
    assert any(not op.differentiable for op in broadcasting)
