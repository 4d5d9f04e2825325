"""Check every exercise a learner's file or notebook defines (``verigrad check FILE``).

A ``.py`` file is one cell; a notebook's code cells are taken in order. By default only
imports, function and class definitions and simple assignments run (assignments whose calls
go to imported modules, such as ``x = np.random.randn(3, 4)``), so training loops, plots
and the notebook's own tests do not; ``run_all`` runs every statement. IPython lines
(``%matplotlib``, ``!pip``) are skipped, and an import that fails is noted, not fatal (put
the file beside the course's helper modules so that they import).

The learner's code runs in a separate Python process with a time limit, which writes its
results to a file: the learner's ``sys.exit``, crash or endless loop cannot decide the
outcome. The catalogue's functions are found by name and signature; a function the
catalogue does not know is checked with ``vg.check_layer`` when the file declares example
inputs for it in a dict named ``VERIGRAD_CHECKS``:

    VERIGRAD_CHECKS = {
        "my_norm_forward": {"backward": "my_norm_backward",
                            "inputs": (x, gamma, beta), "kwargs": {"eps": 1e-5}},
    }

Exit codes: 0 every function checked is right, 1 one is wrong, 2 nothing could be checked
(no exercise found, a cell that does not parse, a function that cannot be called as its
exercise, the time limit).
"""
import argparse
import ast
import importlib
import json
import linecache
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

#: the dict a file fills to have functions outside the catalogue checked
DECLARED = "VERIGRAD_CHECKS"
_CELL = " [cell "


class CannotCheck(Exception):
    """The file cannot be checked at all (it does not exist, does not parse, or its code
    ran past the time limit); the message says why."""


def read_cells(path):
    """[(filename, source)]: the whole file for .py, each code cell for .ipynb (named
    'path [cell n]', n counting code cells from 1, as a traceback will show them)."""
    path = Path(path)
    if not path.is_file():
        raise CannotCheck(f"{path} does not exist")
    text = path.read_text(encoding="utf-8")
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


def _without_magics(source):
    """IPython's % and ! lines blanked (kept as empty lines, so line numbers stay)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def statements(cells, run_all=False):
    """[(filename, statement node, is_import)] to run, in order; raises CannotCheck for a
    cell that does not parse."""
    chosen, modules = [], set()
    for filename, source in cells:
        try:
            tree = ast.parse(_without_magics(source), filename)
        except SyntaxError as error:
            raise CannotCheck(f"{_place(filename, error.lineno)} does not parse: "
                              f"{error.msg}") from None
        for node in tree.body:
            is_import = isinstance(node, (ast.Import, ast.ImportFrom))
            if is_import:
                modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            if run_all or is_import or _definition_or_simple(node, modules):
                chosen.append((filename, node, is_import))
    return chosen


def _definition_or_simple(node, modules):
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


def defines_cost_and_grads(path):
    """Whether a .py file has the older form of ``verigrad check``: top-level params with
    cost and grads (checked with ``check_backprop``)."""
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        return False
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return False
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return "params" in names and bool(names & {"cost", "grads"})


def _place(filename, line):
    """'notebook.ipynb, cell 3, line 4' or 'file.py, line 4'."""
    if _CELL in filename:
        path, cell = filename.rsplit(_CELL, 1)
        return f"{Path(path).name}, cell {cell.rstrip(']')}, line {line}"
    return f"{Path(filename).name}, line {line}"


# ---- the worker: runs in its own process ---------------------------------------------------


def _execute(cells, run_all):
    """The learner's namespace after running the chosen statements, and notes."""
    namespace, notes = {"__name__": "__learner__"}, []
    for filename, source in cells:  # so that tracebacks and inspect see the cells' lines
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    for filename, node, _is_import in statements(cells, run_all):
        code = compile(ast.Module([node], type_ignores=[]), filename, "exec")
        try:
            exec(code, namespace)  # noqa: S102 - the learner's own code, in this process only
        except ImportError as error:
            notes.append(f"{_place(filename, node.lineno)}: could not import ({error}); run "
                         f"the check in the folder of the course's helper files")
        except SystemExit:
            notes.append(f"{_place(filename, node.lineno)} called sys.exit; the check went on")
        except Exception as error:
            notes.append(f"{_place(filename, node.lineno)} raised {type(error).__name__}: "
                         f"{error}")
    return namespace, notes


def _own_functions(namespace, filenames):
    return {name: value for name, value in namespace.items()
            if callable(value) and getattr(getattr(value, "__code__", None), "co_filename",
                                           None) in filenames}


# ---- classes: their methods are exercises too (CS231n's TwoLayerNet.loss, ...) --------------


def class_members(namespace, filenames):
    """{"Class": class, "Class.method": function} for each class the file defines (a class
    with a method written in one of ``filenames``): the catalogue's method exercises
    (``verigrad.exercises.methods``) find the class and the method under these names."""
    members = {}
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


def package_module(path):
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


def import_in_package(path):
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


def _declared(namespace, functions, seed):
    """Results for the pairs VERIGRAD_CHECKS declares."""
    from ..gradcheck import check_pair
    from .core import Result, where
    results = []
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


def worker(path, out, run_all, seed):
    """Run the learner's file and write the results as JSON to ``out``."""
    from . import check_functions
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    os.chdir(folder)
    try:
        cells = read_cells(path)
        namespace, notes = import_in_package(path) or (None, [])
        if namespace is None:
            namespace, executed = _execute(cells, run_all)
            notes += executed
        filenames = {filename for filename, _ in cells}
        functions = {**_own_functions(namespace, filenames),
                     **class_members(namespace, filenames)}
        results = check_functions(functions, seed) + _declared(namespace, functions, seed)
        payload = as_payload(results, notes)
    except CannotCheck as error:
        payload = {"error": str(error)}
    Path(out).write_text(json.dumps(payload), encoding="utf-8")


def as_payload(results, notes=()):
    """The results as the worker sends them: what ``table``, ``as_json`` and ``exit_code``
    read."""
    return {"results": [_as_dict(r) for r in results], "notes": list(notes)}


def _as_dict(result):
    line = _place(result.file, result.line) if result.file else None
    return {"name": result.name, "exercise": result.exercise, "verdict": result.verdict,
            "ok": result.ok, "config": result.config, "where": line,
            "findings": [{"kind": f.kind, "param": f.param, "message": f.message}
                         for f in result.findings],
            "report": str(result.report) if result.report is not None and not result.ok
            else None}


# ---- the parent: starts the worker, prints the table -----------------------------------------


def check_file(path, run_all=False, timeout=120, seed=0):
    """{'results': [...], 'notes': [...]} for the learner's file, from a worker process."""
    read_cells(path)  # a missing or unreadable file is reported before anything starts
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.json"
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root,
                                                          env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "verigrad.exercises.files", str(Path(path).resolve()),
                   str(out), "--seed", str(seed)] + (["--all"] if run_all else [])
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  env=env)
        except subprocess.TimeoutExpired:
            raise CannotCheck(f"the file's code ran longer than {timeout} s (a training loop? "
                              f"only imports, definitions and simple assignments run unless "
                              f"--all is given; raise the limit with --timeout)") from None
        if not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise CannotCheck("the file's code stopped the check (exit status "
                              f"{done.returncode}) before any result: " + " / ".join(tail))
        payload = json.loads(out.read_text(encoding="utf-8"))
    if "error" in payload:
        raise CannotCheck(payload["error"])
    return payload


def exit_code(payload):
    """0 all right, 1 something wrong, 2 nothing (or not everything) could be checked."""
    results = payload["results"]
    if any(r["ok"] is False for r in results):
        return 1
    if not results or any(r["ok"] is None for r in results):
        return 2
    return 0


def table(payload):
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
    for note in payload["notes"]:
        lines += ["", textwrap.fill("Note: " + note, 100, subsequent_indent="  ")]
    if not payload["results"]:
        lines += ["", "No exercise of the catalogue and no VERIGRAD_CHECKS entry found."]
    return "\n".join(lines)


def as_json(payload, path):
    """Per-function results with points, in the results format of Gradescope and
    Otter-Grader ("tests": name, score, max_score, output), which nbgrader tests can read."""
    tests = [{"name": r["name"], "score": 1 if r["ok"] else 0, "max_score": 1,
              "status": "passed" if r["ok"] else "failed",
              "output": "; ".join(f"[{f['kind']}] {f['message']}" for f in r["findings"])}
             for r in payload["results"]]
    return {"file": str(path), "exit_code": exit_code(payload),
            "score": sum(t["score"] for t in tests), "max_score": len(tests),
            "functions": payload["results"], "notes": payload["notes"], "tests": tests}


def _main():
    parser = argparse.ArgumentParser(description="the worker of verigrad check (internal)")
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    worker(args.path, args.out, args.all, args.seed)


if __name__ == "__main__":
    _main()

