"""The docs that are generated from the code must match it."""

from pathlib import Path

from dualgrad._ops.coverage import markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_op_coverage_table_is_up_to_date():
    committed = (DOCS / "ops.md").read_text()
    assert committed == markdown(), (
        "docs/ops.md is stale: regenerate it with `python -m dualgrad._ops.coverage > docs/ops.md`"
    )


def test_readme_layout_names_every_module():
    """README's layout section is true to the tree: every module of the package (and every
    file of its _ops and autograd folders) is named there, and every name there exists."""
    import re

    root = DOCS.parent
    readme = (root / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    package = root / "dualgrad"
    files = [p.name for p in package.glob("*.py") if p.name != "__init__.py"]
    for folder in ("_ops", "autograd"):
        files += [p.name for p in (package / folder).glob("*.py") if p.name != "__init__.py"]
    missing = [f for f in files if f not in layout]
    assert not missing, f"README's layout does not name {missing}"
    named = set(re.findall(r"\b(_?[a-z][a-z_0-9]*\.py)\b", layout))
    known = (
        {p.name for p in package.rglob("*.py")}
        | {p.name for p in (root / "tests").glob("*.py")}
        | {p.name for p in (root / "examples").glob("*.py")}
        | {p.name for p in (root / "benchmarks").glob("*.py")}
        | {p.name for p in (root / "tools").glob("*.py")}
    )
    stale = sorted(named - known)
    assert not stale, f"README's layout names files that do not exist: {stale}"


def test_ops_recorded_without_a_derivative_are_not_claimed():
    # floor_divide's rules raise torch's errors (NOTE: [recorded without a derivative]): the
    # table must not tick its reverse and forward modes
    rows = {r.split(" | ")[0].strip("| "): r for r in markdown().splitlines() if r.startswith("|")}
    assert rows["floor_divide"] == (
        "| floor_divide | custom | raises, as torch | raises, as torch | raises, as torch | yes |"
    )
    assert rows["add"].count("| yes") == 4
