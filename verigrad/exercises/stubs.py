"""Whether a learner's function is still the notebook's template: "not done", which is a
failing verdict but not a mistake to diagnose.

The courses hand out each exercise as a function whose body is to be completed: the Deep
Learning Specialization's ``Z = None`` between ``### START CODE HERE ###`` and
``### END CODE HERE ###`` (newer versions: an empty block between ``# YOUR CODE STARTS
HERE`` and ``# YOUR CODE ENDS HERE``), CS231n's ``pass`` under a ``# TODO`` with ``out =
None`` or ``loss = 0.0``, and ``raise NotImplementedError`` elsewhere. The check reads the
function's source only after it failed, so a finished function that still carries a
harmless ``cache = None`` is never called unfinished.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Sequence
from types import CodeType
from typing import Any

import numpy as np

#: comments that mark the block the learner fills in, in the courses' versions
MARKERS = ("START CODE HERE", "YOUR CODE STARTS HERE", "YOUR CODE HERE", "TODO")
_END_MARKERS = ("END CODE HERE", "YOUR CODE ENDS HERE", "END OF YOUR CODE")


def source_lines(function: Any) -> tuple[list[str], int]:
    """``inspect.getsourcelines(function)``; for a function of another process (a proxy
    with a ``__code__`` that has the learner's file and first line, ``remote``), the lines
    of that code, read from this process's ``linecache``. Raises OSError or TypeError when
    there is no source."""
    code = getattr(function, "__code__", None)
    if not inspect.isfunction(function) and not inspect.ismethod(function) and \
            isinstance(code, CodeType):
        return inspect.getsourcelines(code)
    return inspect.getsourcelines(function)


def _function_node(function: Any
                   ) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, int, list[str]] | None:
    """(the def's node, its first line number in the file, its source lines), or None when
    the source cannot be read (a function defined by exec, a builtin)."""
    try:
        lines, first = source_lines(function)
    except (OSError, TypeError, SyntaxError):
        return None
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef,
                                                        ast.AsyncFunctionDef))), None)
    return (node, first, lines) if node is not None else None


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    return body


def _is_none(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant) and value.value is None:
        return True
    return isinstance(value, ast.Tuple) and bool(value.elts) and all(
        isinstance(e, ast.Constant) and e.value is None for e in value.elts)


def _raises_not_implemented(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            exc = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def _placeholders(node: ast.AST, first: int) -> list[str]:
    """['`Z = None` (line 12)', ...]: names (or entries such as parameters['W1']) assigned
    None and nothing else anywhere in the function (the template puts one in each branch)."""
    assigned: dict[str, bool] = {}
    to_none: list[tuple[str, int]] = []
    targets: list[ast.expr]
    value: ast.expr | None
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign):
            targets, value = sub.targets, sub.value
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [sub.target], sub.value
        elif isinstance(sub, (ast.For, ast.comprehension)):
            targets, value = [sub.target], None
        else:
            continue
        for target in targets:
            names = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            values: Sequence[ast.expr | None] = [value] * len(names)
            if isinstance(value, ast.Tuple) and len(value.elts) == len(names):
                values = value.elts  # dx, x = None, cache: only dx is a placeholder
            for name, item in zip(names, values):
                key = ast.unparse(name)
                placeholder = isinstance(sub, ast.Assign) and _is_none(item)
                assigned[key] = assigned.get(key, True) and placeholder
                if placeholder and key not in {k for k, _ in to_none}:
                    to_none.append((key, sub.lineno))  # type: ignore[union-attr]  # an Assign
    return [f"`{key} = None` (line {first + line - 1})" for key, line in to_none
            if assigned[key]]


def _empty_marked_block(lines: list[str]) -> bool:
    """Whether a START/END CODE block of the source holds no code."""
    inside, code = False, False
    for line in lines:
        text = line.strip()
        if any(m in text for m in _END_MARKERS) and inside:
            if not code:
                return True
            inside = False
        elif any(m in text for m in MARKERS[:3]):
            inside, code = True, False
        elif inside and text and not text.startswith("#"):
            code = True
    return False


def template_reason(function: Any) -> str | None:
    """Why ``function`` looks like the template left as it was ("`Z = None` (line 12) is
    still the template's placeholder"), or None. Read after a failed check only: a
    finished function may keep a stray placeholder without harm."""
    found = _function_node(function)
    if found is None:
        return None
    node, first, lines = found
    body = _body(node)
    if all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(
            s.value, ast.Constant)) for s in body):
        return "its body is empty (only `pass`)"
    if _raises_not_implemented(node):
        return "it still raises NotImplementedError, as the template does"
    placeholders = _placeholders(node, first)
    if placeholders:
        more = len(placeholders) - 2
        listed = ", ".join(placeholders[:2]) + (f" and {more} more" if more > 0 else "")
        return f"{listed} {'is' if len(placeholders) == 1 else 'are'} still the template's " \
               f"placeholder{'s' if len(placeholders) > 1 else ''}"
    if _empty_marked_block(lines):
        return "the block between the template's START and END CODE HERE comments is empty"
    return None


def all_zero(values: Any) -> bool:
    """Whether every number in ``values`` (arrays, numbers, tuples or dicts of them) is 0,
    as a template's ``loss = 0.0; dW = np.zeros_like(W)`` returns."""
    if isinstance(values, dict):
        values = list(values.values())
    if isinstance(values, (tuple, list)):
        return bool(values) and all(all_zero(v) for v in values)
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    return array.size > 0 and not np.any(array)
