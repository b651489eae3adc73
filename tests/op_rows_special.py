"""Op-table rows for the special ops (issue 3); tests/op_table.py gathers them into ROWS."""

from op_table_base import F, I, B, Const, Row, R  # noqa: F401

ROWS: list = []
