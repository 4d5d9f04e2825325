"""Check every exercise a learner's file or notebook defines (``verigrad check FILE``).

A ``.py`` file is one cell; a notebook's code cells are taken in order. By default only
imports, function and class definitions and simple assignments run (assignments whose calls
go to imported modules, such as ``x = np.random.randn(3, 4)``), so training loops, plots
and the notebook's own tests do not; ``run_all`` runs every statement. Each statement runs
on its own, with a time limit: one that raises (or a notebook cell that does not parse) is
noted and the rest go on. IPython syntax (``%matplotlib``, ``%%bash`` cells, ``x = !ls``,
``obj?``) is skipped. An import that fails is noted, not fatal: a course helper module
(``dnn_utils``, ``testCases``) that is not beside the file, or a package that is not
installed (named with its ``pip install``); the helpers the learner's functions use from
such a module (``sigmoid``, ``relu_backward``, ...) are supplied from verigrad, and said so.
The file's NumPy is NumPy with the aliases NumPy 1.x had (``np.float``, ``np.asscalar``)
and ``float``/``int`` that take a one-element array, in its namespace only (see
``environment``).

The learner's code runs in a process of its own (``learner_process``), with a time limit;
the checks run in this one (``check_file``), on proxies of the learner's functions and
classes (``remote``) that send each call's arguments to that process and get back its
values (``wire``: JSON and NumPy arrays, never pickle). That process only runs the
learner's code and returns values; every verdict is computed here, and the table and the
JSON are written here: nothing the file does in its process (write files, print, change
verigrad there, ``sys.exit``, ``os._exit``, crash, loop forever) can decide them. This
module holds what both sides use (reading the file, choosing its statements) and the
checking side. The catalogue's functions are found by name and signature; a function the
catalogue does not know is checked with ``vg.check_layer`` when the file declares example
inputs for it in a dict named ``VERIGRAD_CHECKS``:

    VERIGRAD_CHECKS = {
        "my_norm_forward": {"backward": "my_norm_backward",
                            "inputs": (x, gamma, beta), "kwargs": {"eps": 1e-5}},
    }

Each exercise is checked on its own (``isolation``): a function that raises, returns None
or hangs is that function's verdict, and a template left as it was is "not done".

Exit codes: 0 every function checked is right, 1 one is wrong or not done, 2 nothing could
be checked (no exercise found, a .py file that does not parse, a function that cannot be
called as its exercise, what the environment lacks, the time limit).
"""
from __future__ import annotations

import ast
import codecs
import importlib
import io
import json
import linecache
import math
import os
import re
import sys
import textwrap
import tokenize
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from types import CodeType
from typing import Any

from ..gradcheck import check_pair
from ..gradcheck.findings import Finding
from . import EXERCISES, check_functions
from .core import RIGHT_CALLEE, Result, where
from .environment import is_course_module
from .python2 import with_print_calls
from .remote import CannotStart, LearnerProcess, OutOfTime

#: the dict a file fills to have functions outside the catalogue checked
DECLARED = "VERIGRAD_CHECKS"
_CELL = " [cell "


class CannotCheck(Exception):
    """The file cannot be checked at all (it does not exist, does not parse, or its code
    ran past the time limit); the message says why."""


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a learner's file, decoded as Python decodes it: UTF-8 unless a .py file
    declares its encoding (``# -*- coding: latin-1 -*-``). Raises ``CannotCheck`` with one
    line naming the byte and what to do when it is not."""
    path = Path(path)
    data = path.read_bytes()
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    if path.suffix == ".py":
        try:
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        except SyntaxError as error:  # a first line that is not UTF-8, or a bad cookie
            if b"coding" in data.split(b"\n", 2)[-1:][0] or _is_utf8(data):
                raise CannotCheck(f"{path}: {error}") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        where = (f" (byte 0x{data[error.start]:02x} at position {error.start})"
                 if isinstance(error, UnicodeDecodeError) else "")
        raise CannotCheck(f"{path} is not {encoding} text{where}: save it as UTF-8"
                          + (", or declare its encoding in its first line, such as "
                             "# -*- coding: latin-1 -*-" if path.suffix == ".py" else "")
                          ) from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_cells(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """[(filename, source)]: the whole file for .py, each code cell for .ipynb (named
    'path [cell n]', n counting code cells from 1, as a traceback will show them)."""
    path = Path(path)
    if not path.is_file():
        raise CannotCheck(f"{path} does not exist")
    text = read_text(path)
    if path.suffix != ".ipynb":
        return [(str(path), text)]
    try:
        cells = json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError) as error:
        raise CannotCheck(f"{path} is not a Jupyter notebook (no JSON list of cells: "
                          f"{error})") from None
    code = [c for c in cells if c.get("cell_type") == "code"]
    return [(f"{path}{_CELL}{n}]", "".join(c.get("source", "")))
            for n, c in enumerate(code, 1)]


#: cell magics whose body is Python (run it); any other %% cell is another language
_PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun", "%%debug")
_SHELL_ASSIGNMENT = re.compile(r"^\s*[\w.,\s\[\]]+=\s*[!%]")
_HELP = re.compile(r"^\s*\??[\w.\[\]()]+\?\??\s*$")


def _without_magics(source: str) -> str:
    """The cell with IPython's syntax blanked (as empty lines, so line numbers stay): line
    magics and shell commands (``%matplotlib``, ``!pip``, ``x = !ls``, ``y = %timeit f()``),
    help (``obj?``, ``??obj``), and a whole cell of another language (``%%bash``)."""
    lines = source.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        if not first.startswith(_PYTHON_CELL_MAGICS):
            return ""
        lines = ["" if line.strip() == first else line for line in lines]
    kept, continued = [], False
    for line in lines:
        stripped = line.lstrip()
        magic = continued or stripped.startswith(("%", "!")) or bool(
            _SHELL_ASSIGNMENT.match(line)) or bool(_HELP.match(line)) or (
            stripped.startswith("?"))
        continued = magic and line.rstrip().endswith("\\")
        kept.append("" if magic else line)
    return with_print_calls("\n".join(kept))[0]


def python2_notes(cells: Iterable[tuple[str, str]]) -> list[str]:
    """A note for each cell whose Python 2 print statements ran as calls
    (``_without_magics`` rewrites them)."""
    notes = []
    for filename, source in cells:
        lines = with_print_calls(source)[1]
        if lines:
            at = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
            notes.append(f"{place(filename, lines[0])}: Python 2's print statement (line"
                         f"{'s' if len(lines) > 1 else ''} {at}): the check ran it as "
                         f"print(...), as Python 3 needs it written. This is not a mistake "
                         f"in the exercise.")
    return notes


def statements(cells: Iterable[tuple[str, str]], run_all: bool = False,
               notes: list[str] | None = None) -> list[tuple[str, ast.stmt, bool]]:
    """[(filename, statement node, is_import)] to run, in order. A cell that does not parse
    raises CannotCheck, or, when a ``notes`` list is given, is noted there and skipped."""
    chosen: list[tuple[str, ast.stmt, bool]]
    modules: set[str]
    chosen, modules = [], set()
    for filename, source in cells:
        try:
            tree = ast.parse(_without_magics(source), filename)
        except SyntaxError as error:
            message = f"{place(filename, error.lineno)} does not parse: {error.msg}"
            if notes is None:
                raise CannotCheck(message) from None
            notes.append(message + "; the cell was skipped (a function it defines is not "
                                   "checked)")
            continue
        for node in tree.body:
            is_import = isinstance(node, (ast.Import, ast.ImportFrom))
            if isinstance(node, (ast.Import, ast.ImportFrom)):  # is_import, for mypy
                modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            if run_all or is_import or _definition_or_simple(node, modules):
                chosen.append((filename, node, is_import))
    return chosen


def _definition_or_simple(node: ast.stmt, modules: Collection[str]) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    for sub in ast.walk(node.value):
        if isinstance(sub, ast.Call):
            root = sub.func
            while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
                root = root.func if isinstance(root, ast.Call) else root.value
            if not (isinstance(root, ast.Name) and root.id in modules) and not (
                    isinstance(root, ast.Name) and root.id in ("dict", "tuple", "list",
                                                               "range", "len", "float",
                                                               "int")):
                return False
    return True


def defines_cost_and_grads(path: str | os.PathLike[str]) -> bool:
    """Whether a .py file has the older form of ``verigrad check``: top-level params with
    cost and grads (checked with ``check_backprop``)."""
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        return False
    try:
        tree = ast.parse(read_text(path))
    except (SyntaxError, CannotCheck):
        return False
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return "params" in names and bool(names & {"cost", "grads"})


def place(filename: str, line: int | None) -> str:
    """'notebook.ipynb, cell 3, line 4' or 'file.py, line 4'."""
    if _CELL in filename:
        path, cell = filename.rsplit(_CELL, 1)
        return f"{Path(path).name}, cell {cell.rstrip(']')}, line {line}"
    return f"{Path(filename).name}, line {line}"


_UNDEFINED = re.compile(r"NameError: name '(\w+)' is not defined")


def _not_the_learners(result: Result, failed: Mapping[str, set[str]],
                      namespace: Collection[str]) -> None:
    """A function that failed on a name its file meant to import from a module that is not
    here (a course helper the check has no equivalent for) cannot be checked: the
    environment's doing, not the learner's."""
    first = result.findings[0] if result.findings else None
    found = _UNDEFINED.search(first.message) if first is not None and first.kind in (
        "exception", "missing") and result.ok is not True else None
    if found is None or found.group(1) in namespace:
        return
    name = found.group(1)
    module = next((m for m, names in failed.items() if name in names), None) or next(
        (m for m, names in failed.items() if "*" in names and is_course_module(m)), None)
    if module is None:
        return
    result.ok = None
    result.findings.insert(0, Finding("environment", None, (
        f"{result.name} uses {name}, which the file imports from {module}; {module} is not "
        f"beside the file, and the check has no equivalent of {name}. Put the file in the "
        f"course's folder to check it. This is not a mistake in your code.")))


# ---- classes: their methods are exercises too (CS231n's TwoLayerNet.loss, ...) --------------


def class_members(namespace: Mapping[str, Any], filenames: Collection[str]) -> dict[str, Any]:
    """{"Class": class, "Class.method": function} for each class the file defines (a class
    with a method written in one of ``filenames``): the catalogue's method exercises
    (``verigrad.exercises.methods``) find the class and the method under these names."""
    members: dict[str, Any] = {}
    for name, value in namespace.items():
        if not isinstance(value, type):
            continue
        methods = {key: f for key, f in vars(value).items()
                   if getattr(getattr(f, "__code__", None), "co_filename", None) in filenames}
        if methods:
            members[name] = value
            members.update({f"{name}.{key}": f for key, f in methods.items()})
    return members


# ---- a file inside CS231n's package tree runs as a module of that package -------------------

#: the package whose files import their siblings (``from ..layers import *``,
#: ``from cs231n.layers import *``)
PACKAGE = "cs231n"


def package_module(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """(root, module name) when ``path`` is a .py file inside a ``cs231n/`` folder tree (the
    innermost one: a course folder may be called cs231n too), e.g. (".../assignment2",
    "cs231n.classifiers.fc_net"); else None."""
    path = Path(path).resolve()
    if path.suffix != ".py":
        return None
    parts = path.parent.parts
    if PACKAGE not in parts:
        return None
    top = len(parts) - 1 - parts[::-1].index(PACKAGE)
    root = Path(*parts[:top])
    module = ".".join([*parts[top:], path.stem])
    return str(root), module.removesuffix(".__init__")


def import_in_package(path: str | os.PathLike[str]
                      ) -> tuple[dict[str, Any] | None, list[str]] | None:
    """(namespace, notes) of the file imported as a module of its package, with the tree's
    root on sys.path (as the assignment's notebooks import it), or None when the file is not
    in a package tree or the package's own modules it imports are missing (the notes then
    say which, and the file runs cell by cell instead)."""
    found = package_module(path)
    if found is None:
        return None
    root, module = found
    sys.path.insert(0, root)
    try:
        return vars(importlib.import_module(module)), [
            f"{Path(path).name} ran as the module {module} of its package (root {root})"]
    except ImportError as error:
        missing = error.name or str(error)
        if missing.split(".")[0] == PACKAGE:
            return None, [f"{Path(path).name} imports {missing}, which is not in the "
                          f"{PACKAGE} folder beside it: the course's own module is missing, "
                          f"not a mistake of yours; checked without it (put the assignment's "
                          f"whole {PACKAGE} folder in place to check what needs it)"]
        return None, [f"{Path(path).name} could not be imported as {module} ({error}); "
                      f"checked cell by cell instead"]
    except Exception:  # the learner's module-level code: running it cell by cell says where
        return None
    finally:
        sys.path.remove(root)


def _declared(declared: Any, functions: Mapping[str, Any], seed: int) -> list[Result]:
    """Results for the pairs VERIGRAD_CHECKS (``declared``, or None) declares."""
    results: list[Result] = []
    if declared is None:
        return results
    if not isinstance(declared, dict):
        raise CannotCheck(f"{DECLARED} must be a dict: forward name -> {{'backward': name, "
                          f"'inputs': (...), 'kwargs': {{...}}}}")
    for forward_name, spec in declared.items():
        forward = functions.get(forward_name)
        backward = spec.get("backward") if isinstance(spec, dict) else None
        backward = functions.get(backward) if isinstance(backward, str) else backward
        if not callable(forward) or not callable(backward) or "inputs" not in spec:
            raise CannotCheck(f"{DECLARED}[{forward_name!r}] must name a forward defined in "
                              f"the file and give 'backward' (a function or its name) and "
                              f"'inputs' (a tuple)")
        name = getattr(backward, "__name__", str(spec["backward"]))
        try:
            report, _ = check_pair(forward, backward, tuple(spec["inputs"]),
                                   dict(spec.get("kwargs", {})), seed=seed)
        except (TypeError, ValueError) as error:
            raise CannotCheck(f"{DECLARED}[{forward_name!r}]: {error}") from None
        blocked = all(p.note == "not checked" for p in report.params)
        results.append(Result(name, f"declared with {forward_name}",
                              None if blocked else report.ok, report.findings,
                              "the inputs declared", where(backward), report, configs=1))
    return results


def as_payload(results: Iterable[Result], notes: Iterable[str] = ()) -> dict[str, Any]:
    """The results as the worker sends them: what ``table``, ``as_json`` and ``exit_code``
    read."""
    return {"results": [_as_dict(r) for r in results], "notes": list(notes)}


def _as_dict(result: Result) -> dict[str, Any]:
    line = place(result.file, result.line) if result.file else None
    return {"name": result.name, "exercise": result.exercise, "verdict": result.verdict,
            "ok": result.ok, "config": result.config, "where": line,
            "assumed": getattr(result, "assumed", None),
            "findings": [{"kind": f.kind, "param": f.param, "message": f.message}
                         for f in result.findings],
            "report": str(result.report) if result.report is not None and not result.ok
            else None}


# ---- the checking process: runs the catalogue on the learner's functions ------------------


def check_file(path: str | os.PathLike[str], run_all: bool = False, timeout: float = 120,
               seed: int = 0) -> dict[str, Any]:
    """{'results': [...], 'notes': [...]} for the learner's file.

    The file runs in a process of its own (``learner_process``); the catalogue runs here,
    on proxies of the learner's functions (``remote``), so that every verdict is computed
    in this process from the values the learner's returns. ``timeout`` counts the learner's
    process's CPU time (``cpu_limit``), and each statement or function check gets
    ``function_limit(timeout)`` of CPU time (see ``isolation.time_limit`` for why CPU
    time); ``remote.wall_limit(timeout)`` stops a check that waits rather than computes."""
    read_cells(path)  # a missing or unreadable file is reported before anything starts
    cells = read_cells(Path(path).resolve())  # named as the learner's process names them
    for filename, source in cells:  # inspect reads the functions' source from here
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    results: list[Result] = []
    over = False
    try:
        with LearnerProcess(path, run_all, timeout, function_limit(timeout),
                            codes=compiled(cells)) as learner:
            first = learner.first
            notes = [str(n) for n in first.get("notes") or []]
            failed = {str(m): set(map(str, names)) for m, names in
                      (first.get("failed") or {}).items() if isinstance(names, list)}
            names = set(map(str, first.get("names") or []))

            def progress(result: Result) -> None:  # the verdicts so far, should time run out
                _not_the_learners(result, failed, names)  # before a backward reads it
                results.append(result)
                learner.new_exercise()

            learner_functions = set(learner.functions())
            try:
                results = check_functions(learner.functions(), seed, None, progress)
                learner.new_exercise()
                results += _declared(learner.declared(), learner.functions(), seed)
                notes += learner.finish()
            except OutOfTime:
                over = True
    except CannotStart as error:
        raise CannotCheck(str(error)) from None
    except OutOfTime:
        raise CannotCheck(f"the file's code ran longer than {timeout} s (a training loop? "
                          f"only imports, definitions and simple assignments run unless "
                          f"--all is given; raise the limit with --timeout)") from None
    results += _unreported(cells, learner_functions, results)
    for result in results:
        _not_the_learners(result, failed, names)
    if over:
        notes.append(f"the check reached its time limit of {timeout} s after {len(results)} "
                     f"function(s); the others were not checked (raise the limit with "
                     f"--timeout)")
    return as_payload(results, notes)


def compiled(cells: Iterable[tuple[str, str]]) -> dict[tuple[str, int, str], CodeType]:
    """(file, first line, name) -> the code object of each function and class the cells
    define (nested ones too), compiled from their source as the learner's process compiles
    it, without running it; a cell that does not parse gives none."""
    codes: dict[tuple[str, int, str], CodeType] = {}
    for filename, source in cells:
        try:
            found = [compile(_without_magics(source), filename, "exec")]
        except (SyntaxError, ValueError):
            continue
        while found:
            code = found.pop()
            codes[(code.co_filename, code.co_firstlineno, code.co_name)] = code
            found += [c for c in code.co_consts if isinstance(c, CodeType)]
    return codes


def defined_names(cells: Iterable[tuple[str, str]]) -> set[str]:
    """The functions, classes and "Class.method"s the cells define at their top level, read
    from their source (nothing runs)."""
    names: set[str] = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for _, node, _ in statements(cells, run_all=True, notes=[]):
        if isinstance(node, (*functions, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(f"{node.name}.{n.name}" for n in node.body if isinstance(n, functions))
    return names


def _unreported(cells: list[tuple[str, str]], reported: Collection[str],
                results: Iterable[Result]) -> list[Result]:
    """A "cannot check" Result for each exercise the file defines (by its source) that its
    process did not report: the file's own code removed or replaced it, and it is not
    passed over in silence."""
    judged = {r.name for r in results}
    missing = (defined_names(cells) - set(reported) - judged) & {e.name for e in EXERCISES}
    return [Result(name, next(e.course for e in EXERCISES if e.name == name), None, [Finding(
        "missing", None, f"{name} is defined in the file, but the file's own code removed or "
        f"replaced it as it ran, so it could not be checked")]) for name in sorted(missing)]


def function_limit(timeout: float) -> float:
    """Seconds of CPU time one statement of the file or one function's check may take: a
    quarter of the whole check's, between 1 and 30."""
    return max(1.0, min(30.0, timeout / 4))


def cpu_limit(seconds: float) -> None:
    """Limit this process's CPU time to ``seconds`` (the worker's whole check): the kernel
    ends it with SIGXCPU past them (SIGKILL a second later, should the learner's code catch
    SIGXCPU). No limit where the platform has none."""
    try:
        import resource
    except ImportError:
        return
    soft = max(1, math.ceil(seconds))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1 if hard == resource.RLIM_INFINITY
                                             else hard))


def exit_code(payload: Mapping[str, Any]) -> int:
    """0 all right, 1 something wrong, 2 nothing (or not everything) could be checked."""
    results = payload["results"]
    if any(r["ok"] is False for r in results):
        return 1
    if not results or any(r["ok"] is None for r in results):
        return 2
    return 0


def table(payload: Mapping[str, Any]) -> str:
    """The table (function, verdict, finding, line to look at), then each finding in full."""
    rows = [("function", "verdict", "finding", "look at")]
    for r in payload["results"]:
        first = r["findings"][0] if r["findings"] else None
        finding = "" if first is None else f"{first['kind']}" + (
            f" ({first['param']})" if first["param"] else "")
        if len(r["findings"]) > 1:
            finding += f" +{len(r['findings']) - 1}"
        rows.append((r["name"], r["verdict"], finding or "-", r["where"] or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    for r in payload["results"]:
        # an ok verdict says no more, unless it was given with a right callee in place
        shown = [f for f in r["findings"] if r["ok"] is not True or f["kind"] == RIGHT_CALLEE]
        if not shown:
            continue
        lines += ["", f"{r['name']} ({r['exercise']})" +
                  (f", on {r['config']}" if r["config"] and r["ok"] is not True else "") + ":"]
        for f in shown:
            lines.append(textwrap.fill(f"[{f['kind']}]" + (f" {f['param']}" if f["param"] else
                                                           "") + f": {f['message']}", 100,
                                       initial_indent="- ", subsequent_indent="  "))
    for r in payload["results"]:
        if r.get("assumed"):
            lines += ["", textwrap.fill(f"Note: {r['name']}: {r['assumed']}", 100,
                                        subsequent_indent="  ")]
    for note in payload["notes"]:
        lines += ["", textwrap.fill("Note: " + note, 100, subsequent_indent="  ")]
    if not payload["results"]:
        lines += ["", "No exercise of the catalogue and no VERIGRAD_CHECKS entry found."]
    return "\n".join(lines)


def as_json(payload: Mapping[str, Any], path: str | os.PathLike[str]) -> dict[str, Any]:
    """Per-function results with points, in the results format of Gradescope and
    Otter-Grader ("tests": name, score, max_score, output), which nbgrader tests can read."""
    tests = [{"name": r["name"], "score": 1 if r["ok"] else 0, "max_score": 1,
              "status": "passed" if r["ok"] else "failed",
              "output": "; ".join(f"[{f['kind']}] {f['message']}" for f in r["findings"])}
             for r in payload["results"]]
    return {"file": str(path), "exit_code": exit_code(payload),
            "score": sum(t["score"] for t in tests), "max_score": len(tests),
            "functions": payload["results"], "notes": payload["notes"], "tests": tests}
