"""No runtime import cycle between verigrad's modules: every import that can run counts, at
load time or inside a function (deferring an import into a function hides a cycle, it does
not remove it); only imports under ``if TYPE_CHECKING:`` are left out."""
import ast
from pathlib import Path

import verigrad

PACKAGE = Path(verigrad.__file__).parent


def module_files():
    """{dotted module name: file} of every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_modules(name, path, modules):
    """The package's modules that ``name`` (in ``path``) imports somewhere in its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def package_cycles(modules):
    edges = {name: set(imported_modules(name, path, modules)) for name, path in modules.items()}
    # A package's __init__ that re-exports its submodules, which import their siblings
    # through it, is the ordinary pattern; a cycle that joins two other modules is not.
    return [c for c in cycles(edges)
            if sum(modules[m].name != "__init__.py" for m in c) >= 2
            or all(modules[m].name == "__init__.py" for m in c)]


def test_no_module_of_verigrad_imports_itself_through_another():
    found = package_cycles(module_files())
    assert not found, "runtime import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import g\n\ndef f():\n    return g()\n")
    (package / "b.py").write_text("def g():\n    from . import a  # dodges the cycle\n"
                                  "    return a\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from .a import f\n")
    (package / "d.py").write_text("from .c import *\n")
    modules = {"pkg": package / "__init__.py", "pkg.a": package / "a.py",
               "pkg.b": package / "b.py", "pkg.c": package / "c.py", "pkg.d": package / "d.py"}
    assert package_cycles(modules) == [["pkg.a", "pkg.b"]]
