"""Python 2's print statement, as CS231n's 2016 files (written for Python 2.7) have it
(``print 'iteration %d' % it``): ``with_print_calls`` rewrites each into the call Python 3
needs, so that the rest of the file can be checked, and says on which lines. Nothing
else of Python 2's syntax is rewritten; its names (``xrange``) are supplied apart
(``environment``)."""
from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import io
import sys
import tokenize
from typing import Any

_LINE_ENDS = (tokenize.NEWLINE, tokenize.ENDMARKER)
_STARTS = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
           tokenize.COMMENT, tokenize.ENCODING)


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def with_print_calls(source: str) -> tuple[str, list[int]]:
    """(source, lines): ``source`` with each print statement written as a call, and the
    lines where one was; ``(source, [])`` unchanged when it parses already, has none, or
    still does not parse after the rewrite. A trailing comma (no newline in Python 2)
    becomes ``end=' '``; ``print >>f, x`` is left as it is."""
    if _parses(source):
        return source, []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source, []
    edits: list[tuple[tuple[int, int], str]] = []  # (row, col) -> text to insert
    previous = tokens[0]
    for index, token in enumerate(tokens):
        starts_line = previous.type in _STARTS or previous.string in (":", ";")
        previous = token
        if not (starts_line and token.type == tokenize.NAME and token.string == "print"):
            continue
        following = tokens[index + 1]
        if following.type == tokenize.OP and following.string != "-":
            continue  # a call already, an assignment (print = ...), or print >> f
        last = None
        for other in tokens[index + 1:]:
            if other.type in _LINE_ENDS:
                break
            if other.type not in (tokenize.COMMENT, tokenize.NL):
                last = other
        if last is None:
            edits.append((token.end, "()"))
        elif last.type == tokenize.OP and last.string == ",":
            edits += [(token.end, "("), (last.end, " end=' ')")]
        else:
            edits += [(token.end, "("), (last.end, ")")]
    if not edits:
        return source, []
    lines = source.splitlines(keepends=True)
    for (row, col), text in sorted(edits, reverse=True):
        lines[row - 1] = lines[row - 1][:col] + text + lines[row - 1][col:]
    rewritten = "".join(lines)
    if not _parses(rewritten):
        return source, []
    return rewritten, sorted({row for (row, _), text in edits if text in ("(", "()")})


class _PrintCallsLoader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data: Any, path: Any = "<string>") -> Any:  # type: ignore[override]
        source = importlib.util.decode_source(data)
        return compile(with_print_calls(source)[0], path, "exec", dont_inherit=True)

    def set_data(self, path: Any, data: Any, *, _mode: int = 0o666) -> None:
        """No bytecode is written for the rewritten source: the learner's own Python
        must still see the file as it is."""


class PrintCallsFinder(importlib.abc.MetaPathFinder):
    """Imports the modules of ``package`` (CS231n's ``cs231n``) whose Python 2 print
    statements keep them from compiling with ``with_print_calls``; first in
    ``sys.meta_path``, it leaves every other module to the usual finders. ``used``: the
    modules so imported, with the lines rewritten."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.used: dict[str, list[int]] = {}

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] != self.package:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        origin = spec.origin if spec is not None else None
        if spec is None or origin is None or not origin.endswith(".py"):
            return None
        try:
            with open(origin, "rb") as file:
                source = importlib.util.decode_source(file.read())
        except (OSError, SyntaxError, UnicodeDecodeError):
            return None
        lines = with_print_calls(source)[1]
        if not lines:
            return None
        self.used[fullname] = lines
        return importlib.util.spec_from_file_location(
            fullname, origin, loader=_PrintCallsLoader(fullname, origin),
            submodule_search_locations=spec.submodule_search_locations)

    def notes(self) -> list[str]:
        return [f"{module} has Python 2's print statement (line{'s' if len(lines) > 1 else ''} "
                f"{', '.join(map(str, lines[:5]))}): the check ran it as print(...), as "
                f"Python 3 needs it written. This is not a mistake in the exercise."
                for module, lines in self.used.items()]
