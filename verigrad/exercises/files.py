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

The learner's code runs in a separate Python process with a time limit, which writes its
results to a file: the learner's ``sys.exit``, crash or endless loop cannot decide the
outcome. The catalogue's functions are found by name and signature; a function the
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

import argparse
import ast
import builtins
import codecs
import importlib
import inspect
import io
import json
import linecache
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import tokenize
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..gradcheck.findings import Finding
from .environment import Numpy1, is_course_module, missing_module_note, provided_helpers
from .isolation import TimeLimitExceeded, time_limit
from .notebook_globals import globals_read

if TYPE_CHECKING:
    from .core import Result

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
    return "\n".join(kept)


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
            message = f"{_place(filename, error.lineno)} does not parse: {error.msg}"
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


def _place(filename: str, line: int | None) -> str:
    """'notebook.ipynb, cell 3, line 4' or 'file.py, line 4'."""
    if _CELL in filename:
        path, cell = filename.rsplit(_CELL, 1)
        return f"{Path(path).name}, cell {cell.rstrip(']')}, line {line}"
    return f"{Path(filename).name}, line {line}"


# ---- the worker: runs in its own process ---------------------------------------------------


def _execute(cells: list[tuple[str, str]], run_all: bool, limit: float | None = None,
             notebook: bool = False
             ) -> tuple[dict[str, Any], list[str], dict[str, set[str]], Numpy1]:
    """The learner's namespace after running the chosen statements one by one, the notes,
    and the imports that failed ({module: the names it was to give, or {'*'}}). Whatever
    one statement does (raise, exit, run past ``limit`` seconds) is noted, and the next one
    runs."""
    numpy_1 = Numpy1()
    namespace: dict[str, Any]
    notes: list[str]
    failed: dict[str, set[str]]  # module -> the names it was to give
    places: dict[str, tuple[str, list[str]]]  # top-level module -> (module, where imported)
    namespace, notes, failed, places = {"__name__": "__learner__"}, [], {}, {}
    source: str | None
    for filename, source in cells:  # so that tracebacks and inspect see the cells' lines
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    chosen = statements(cells, run_all, notes if notebook else None)
    for filename, node, is_import in chosen:
        code = compile(ast.Module([node], type_ignores=[]), filename, "exec")
        place = _place(filename, node.lineno)
        try:
            with time_limit(limit):
                exec(code, namespace)  # noqa: S102 - the learner's own code, in this process
        except ImportError as error:
            module = getattr(error, "name", None) or _imported(node) or str(error)
            names = {a.asname or a.name for a in node.names} if isinstance(
                node, ast.ImportFrom) else {"*"}
            failed.setdefault(module, set()).update(names)
            places.setdefault(module.split(".")[0], (module, []))[1].append(place)
        except SystemExit:
            notes.append(f"{place} called sys.exit; the check went on")
        except TimeLimitExceeded as error:
            notes.append(f"{place} {error} and was stopped; the check went on")
        except NameError as error:
            source = next((m for m, names in failed.items() if error.name in names), None)
            notes.append(f"{place} was skipped: it uses {error.name}, from {source}, which "
                         f"did not import" if source else
                         f"{place} raised NameError: {error}; the check went on")
        except Exception as error:
            notes.append(f"{place} raised {type(error).__name__}: {error}; the check went on")
        if is_import:
            numpy_1.install(namespace)
    numpy_1.install(namespace)
    missing = [missing_module_note(module, where[0] + (
        f" (and {len(where) - 1} more import{'s' if len(where) > 2 else ''} of it)"
        if len(where) > 1 else "")) for module, where in places.values()]
    return namespace, missing + notes, failed, numpy_1


def _imported(node: ast.stmt) -> str | None:
    if isinstance(node, ast.ImportFrom):
        return node.module
    if isinstance(node, ast.Import) and node.names:
        return node.names[0].name
    return None  # another statement raised the ImportError (a call into an imported module)


def _supply(namespace: dict[str, Any], functions: Mapping[str, Any],
            failed: Mapping[str, set[str]], numpy_1: Numpy1) -> list[str]:
    """What the learner's functions use but the file lacks, supplied, with the notes that
    say so: NumPy as ``np``, and the courses' provided helpers."""
    notes: list[str] = []
    used: set[str] = set().union(*(globals_read(f) for f in functions.values()
                         if hasattr(f, "__code__"))) if functions else set()
    absent = {n for n in used if n not in namespace and not hasattr(builtins, n)}
    if "np" in absent:
        namespace["np"] = numpy_1.module
        notes.append("the file uses np but never imports NumPy: add `import numpy as np` "
                     "at its top. The check supplied it, to check the functions.")
    unpacked: set[str] = set()
    for function in functions.values():
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        unpacked.update(re.findall(r"\w+\s*,\s*\w+\s*=\s*(\w+)\s*\(", source))
    helpers = provided_helpers(failed, absent, unpacked)
    if helpers:
        namespace.update(helpers)
        sources = {m for m, names in failed.items() if names & set(helpers)} or {
            m for m, names in failed.items() if "*" in names and is_course_module(m)}
        source = ", ".join(sorted(sources)) or "the course's helper module"
        notes.append(f"the file uses {', '.join(sorted(helpers))} from {source}, which is "
                     f"not here: the check supplied verigrad's equivalents (the course's "
                     f"provided code, not an exercise).")
    return notes


_UNDEFINED = re.compile(r"NameError: name '(\w+)' is not defined")


def _not_the_learners(result: Result, failed: Mapping[str, set[str]],
                      namespace: Mapping[str, Any]) -> None:
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


def _own_functions(namespace: Mapping[str, Any], filenames: Collection[str]) -> dict[str, Any]:
    return {name: value for name, value in namespace.items()
            if callable(value) and getattr(getattr(value, "__code__", None), "co_filename",
                                           None) in filenames}


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


def _declared(namespace: Mapping[str, Any], functions: Mapping[str, Any],
              seed: int) -> list[Result]:
    """Results for the pairs VERIGRAD_CHECKS declares."""
    from ..gradcheck import check_pair
    from .core import Result, where
    results: list[Result] = []
    declared = namespace.get(DECLARED, {})
    if not isinstance(declared, dict):
        raise CannotCheck(f"{DECLARED} must be a dict: forward name -> {{'backward': name, "
                          f"'inputs': (...), 'kwargs': {{...}}}}")
    for forward_name, spec in declared.items():
        forward = functions.get(forward_name, namespace.get(forward_name))
        backward = spec.get("backward") if isinstance(spec, dict) else None
        backward = functions.get(backward, namespace.get(backward)) if isinstance(
            backward, str) else backward
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


def worker(path: str | os.PathLike[str], out: str | os.PathLike[str], run_all: bool, seed: int,
           limit: float | None = None) -> None:
    """Run the learner's file and write the results as JSON to ``out``: after each
    function's verdict (``"complete": false`` until the last), so that a check stopped at
    the time limit still reports what it found."""
    from . import check_functions
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    os.chdir(folder)
    try:
        cells = read_cells(path)
        packaged, notes = import_in_package(path) or (None, [])
        if packaged is None:
            namespace, executed, failed, numpy_1 = _execute(
                cells, run_all, limit, notebook=Path(path).suffix == ".ipynb")
            notes += executed
        else:  # imported as a module of its package: its imports all worked
            namespace, failed, numpy_1 = packaged, {}, Numpy1()
            numpy_1.install(namespace)
        filenames = {filename for filename, _ in cells}
        functions = {**_own_functions(namespace, filenames),
                     **class_members(namespace, filenames)}
        notes += _supply(namespace, functions, failed, numpy_1)
        found: list[Result] = []

        def progress(result: Result) -> None:
            found.append(result)
            _write(out, {**as_payload(found, notes), "complete": False})

        results = check_functions(functions, seed, limit, progress)
        results += _declared(namespace, functions, seed)
        for result in results:
            _not_the_learners(result, failed, namespace)
        payload = as_payload(results, notes + list(filter(None, [numpy_1.note()])))
    except CannotCheck as error:
        payload = {"error": str(error)}
    _write(out, payload)


def _write(out: str | os.PathLike[str], payload: Mapping[str, Any]) -> None:
    """Write atomically: the parent never reads half a file."""
    part = Path(f"{out}.part")
    part.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(part, out)


def as_payload(results: Iterable[Result], notes: Iterable[str] = ()) -> dict[str, Any]:
    """The results as the worker sends them: what ``table``, ``as_json`` and ``exit_code``
    read."""
    return {"results": [_as_dict(r) for r in results], "notes": list(notes)}


def _as_dict(result: Result) -> dict[str, Any]:
    line = _place(result.file, result.line) if result.file else None
    return {"name": result.name, "exercise": result.exercise, "verdict": result.verdict,
            "ok": result.ok, "config": result.config, "where": line,
            "assumed": getattr(result, "assumed", None),
            "findings": [{"kind": f.kind, "param": f.param, "message": f.message}
                         for f in result.findings],
            "report": str(result.report) if result.report is not None and not result.ok
            else None}


# ---- the parent: starts the worker, prints the table -----------------------------------------


def check_file(path: str | os.PathLike[str], run_all: bool = False, timeout: float = 120,
               seed: int = 0) -> dict[str, Any]:
    """{'results': [...], 'notes': [...]} for the learner's file, from a worker process.

    ``timeout`` counts the worker's CPU time (``cpu_limit``), and each statement or
    function check gets ``function_limit(timeout)`` of CPU time (see
    ``isolation.time_limit`` for why CPU time); ``wall_limit(timeout)`` stops a worker that
    waits rather than computes."""
    read_cells(path)  # a missing or unreadable file is reported before anything starts
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.json"
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root,
                                                          env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "verigrad.exercises.files", str(Path(path).resolve()),
                   str(out), "--seed", str(seed), "--limit", str(function_limit(timeout)),
                   "--cpu-limit", str(timeout)] + (["--all"] if run_all else [])
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=wall_limit(timeout), env=env)
            status, tail = done.returncode, (done.stderr or done.stdout).strip()
        except subprocess.TimeoutExpired:
            status, tail = None, ""
        payload = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    over = status is None or status == -getattr(signal, "SIGXCPU", -1)
    if payload is not None and "error" in payload:
        raise CannotCheck(payload["error"])
    if payload is None and over:
        raise CannotCheck(f"the file's code ran longer than {timeout} s (a training loop? "
                          f"only imports, definitions and simple assignments run unless "
                          f"--all is given; raise the limit with --timeout)")
    if payload is None:
        raise CannotCheck(f"the file's code stopped the check (exit status {status}) before "
                          f"any result: " + " / ".join(tail.splitlines()[-5:]))
    if payload.pop("complete", True) is False:
        payload["notes"].append(
            f"the check reached its time limit of {timeout} s after "
            f"{len(payload['results'])} function(s); the others were not checked (raise the "
            f"limit with --timeout)" if over else
            f"the check's process ended (exit status {status}) after "
            f"{len(payload['results'])} function(s); the others were not checked")
    return payload


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


#: how many times its CPU-time limit a file's whole check may take in wall-clock time
WALL_FACTOR = 4
#: wall-clock seconds, beyond that, for starting Python and the imports
START_SECONDS = 20


def wall_limit(timeout: float) -> float:
    """Wall-clock seconds the worker of a check with ``timeout`` seconds of CPU time may
    take before it is stopped: ``WALL_FACTOR`` times its CPU time, so that a file whose
    statements keep waiting (each stopped after its own limit) is stopped as a whole, while
    on a machine busy enough to give the worker a quarter of a core a correct file still
    finishes; plus the start. A worker stopped here keeps the verdicts it wrote."""
    return WALL_FACTOR * timeout + START_SECONDS


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
        if r["ok"] is True:
            continue
        lines += ["", f"{r['name']} ({r['exercise']})" +
                  (f", on {r['config']}" if r["config"] else "") + ":"]
        for f in r["findings"]:
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


def _main() -> None:
    parser = argparse.ArgumentParser(description="the worker of verigrad check (internal)")
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=None)
    parser.add_argument("--cpu-limit", type=float, default=None)
    args = parser.parse_args()
    if args.cpu_limit:
        cpu_limit(args.cpu_limit)
    worker(args.path, args.out, args.all, args.seed, args.limit)


if __name__ == "__main__":
    _main()

