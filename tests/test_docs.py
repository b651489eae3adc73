"""The docs that are generated from the code must match it."""

from pathlib import Path

from dualgrad._ops.coverage import markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_op_coverage_table_is_up_to_date():
    committed = (DOCS / "ops.md").read_text()
    assert committed == markdown(), (
        "docs/ops.md is stale: regenerate it with `python -m dualgrad._ops.coverage > docs/ops.md`"
    )
