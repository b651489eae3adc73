"""The shape of the code itself: the op modules' import order (NOTE: [layered op modules] in
dualgrad/_ops/__init__.py)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import dualgrad

PACKAGE = Path(dualgrad.__file__).parent
OPS = PACKAGE / "_ops"

# Lowest first; each module may import only modules before it (coverage, a script that imports
# the whole package, is above them all).
LAYERS = (
    "_methods",
    "args",
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
    "joins",
    "products",
    "numeric",
    "embed",
    "statistics",
    "integrate",
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


# ---- the Tensor methods, declared with the ops (dualgrad/_ops/_methods.py)
def test_every_declared_method_is_bound_to_its_function():
    from dualgrad._ops._methods import INPLACE, METHODS

    assert len(METHODS) > 200 and len(INPLACE) > 100
    # (an operator may be wrapped to decline NumPy arrays: NOTE: [NumPy arrays as operands])
    for name, fn in METHODS.items():
        assert inspect.unwrap(dualgrad.Tensor.__dict__[name]) is fn, name
    for name, fn in INPLACE.items():
        bound = inspect.unwrap(dualgrad.Tensor.__dict__[name])
        # the in-place wrapper (_inplace) of the declared function, under the declared name
        cells = [c.cell_contents for c in bound.__closure__]
        assert fn in cells and name in cells, name


def test_op_functions_become_methods_only_through_the_table():
    from dualgrad._ops._methods import METHODS
    from dualgrad._tensor_methods import _OPERATORS  # (the operators' own table)

    for name, value in vars(dualgrad.Tensor).items():
        if name in _OPERATORS:
            continue
        if getattr(value, "__module__", "").startswith("dualgrad._ops."):
            assert METHODS.get(name) is inspect.unwrap(value), (
                f"Tensor.{name} is bound outside @tensor_method"
            )


def test_a_method_declared_twice_is_refused():
    import pytest

    from dualgrad._ops import _methods

    def exp(x):
        return x

    with pytest.raises(ValueError, match=r"Tensor\.exp is declared twice.*elementwise\.exp"):
        _methods.tensor_method(exp)
    exp = dualgrad.exp.__wrapped__  # (dualgrad.exp is wrapped for out=: NOTE: [out= by table])
    assert _methods.METHODS["exp"] is exp
    # the same function again (an alias kept in two places) is no conflict
    assert _methods.tensor_method(exp) is exp


def test_every_device_parameter_is_read():
    """A function that accepts ``device=`` reads it (checks it or passes it on): a device
    accepted and ignored would let ``device='cuda'`` pass silently (issue 15). Methods that
    refuse every device by themselves (Tensor.cuda, pin_memory, is_pinned, Module.cuda) are
    listed."""
    refusing = {("_tensor.py", "cuda"), ("_tensor.py", "pin_memory"), ("_tensor.py", "is_pinned")}
    refusing |= {("module.py", "cuda")}
    ignored = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            params = [a.arg for a in node.args.args + node.args.kwonlyargs]
            if "device" not in params or (path.name, node.name) in refusing:
                continue
            if not any(isinstance(n, ast.Name) and n.id == "device" for n in ast.walk(node)):
                ignored.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not ignored, f"device= accepted and ignored: {ignored}"


def _imports_of(path, module, modules):
    """The package's modules that ``module`` (at ``path``) imports, inside functions too."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m in modules and m != module and not m.startswith(module + ".")}


def test_no_import_cycle_in_the_package():
    """The modules import one another in one order (docs/architecture.md): no cycle, counting
    imports inside functions (issue 13 measured the largest cycle: 18 modules before)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {m: _imports_of(p, m, modules) for m, p in modules.items()}
    # a module on a cycle reaches itself
    cyclic = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                cyclic.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
    assert not cyclic, f"modules on an import cycle: {sorted(cyclic)}"
