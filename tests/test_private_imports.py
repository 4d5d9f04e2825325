"""No module of verigrad imports a ``_private`` name from another module: what another
module needs is a public, documented contract (DEVELOPERS.md)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "verigrad"


def private_imports(root=PACKAGE):
    """(file, line, name) of every ``from module import _name`` under root."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                found += [(str(path.relative_to(root.parent)), node.lineno, alias.name)
                          for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_imports_a_private_name_from_another(tmp_path):
    assert private_imports() == []
    # the scan sees one, in any form of the import
    (tmp_path / "m.py").write_text("from .a import b, _c\nfrom ..d import (\n    _e,\n)\n")
    assert [(line, name) for _, line, name in private_imports(tmp_path)] == [(1, "_c"),
                                                                             (2, "_e")]
