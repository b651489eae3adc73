"""The shape of the code itself: the op modules' import order (NOTE: [layered op modules] in
dualgrad/_ops/__init__.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import dualgrad

OPS = Path(dualgrad.__file__).parent / "_ops"

# Lowest first; each module may import only modules before it (coverage, a script that imports
# the whole package, is above them all).
LAYERS = (
    "kernels",
    "registry",
    "elementwise",
    "indexing",
    "reduction",
    "shape",
    "view_scatter",
    "scatter",
    "special",
    "linalg",
    "softmax",
    "composite",
    "sorting",
    "linalg_decomp",
    "reindex",
    "pad",
    "conv",
    "coverage",
)


def _op_imports(path: Path) -> set[str]:
    """The modules of dualgrad._ops that ``path`` imports, at the top or in a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from .x import ..., from . import x
                found |= {node.module} if node.module else {a.name for a in node.names}
            elif node.module and node.module.startswith("dualgrad._ops."):
                found.add(node.module.split(".")[2])
            elif node.module == "dualgrad._ops":
                found |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                a.name.split(".")[2] for a in node.names if a.name.startswith("dualgrad._ops.")
            }
    return {m.split(".")[0] for m in found}


def test_every_op_module_has_a_layer():
    modules = {p.stem for p in OPS.glob("*.py")} - {"__init__"}
    assert modules == set(LAYERS), "place a new module of dualgrad/_ops in LAYERS"


def test_op_modules_import_only_lower_layers():
    upward = []
    for i, name in enumerate(LAYERS):
        for target in sorted(_op_imports(OPS / f"{name}.py")):
            if target not in LAYERS[:i]:
                upward.append(f"{name} -> {target}")
    assert not upward, f"imports against the layer order (NOTE: [layered op modules]): {upward}"


def test_the_layer_check_sees_imports_inside_functions(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("from .a import x\n\ndef f():\n    from . import b\n    from .c.d import e\n")
    assert _op_imports(src) == {"a", "b", "c"}
