"""The process in which ``verigrad check`` runs a learner's notebook or exercise file.

    python -m verigrad.exercises.learner_process READ_FD WRITE_FD FILE [--all] [--limit S]
                                                 [--cpu-limit S]

It runs the file as ``files`` describes (the chosen statements one by one, each under a
time limit; a package's module imported; NumPy 1's aliases; the courses' helpers supplied),
sends the checking process a manifest of the learner's functions and classes (name,
signature, file and line, docstring: what the catalogue reads of them), then answers that
process's requests through the pipes READ_FD and WRITE_FD: call a function, make an
instance, read or set an attribute, put reference functions in a function's namespace.

This process only runs the learner's code and returns values: it never judges them. Every
verdict is computed by the checking process (``remote``) from the values sent here, so
what the file does in this process (write files, print a verdict, change verigrad here,
os._exit) cannot decide it. Messages are ``wire``'s: JSON and NumPy arrays, never pickle;
what cannot travel as values (an instance of the learner's class, a function) stays here
behind a numbered handle.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import inspect
import linecache
import os
import re
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .. import wire
from ..gradcheck.pairs import compared, learner_frame
from . import EXERCISES, versions
from .core import RIGHT_CALLEES
from .environment import (
    Numpy1,
    StandIns,
    is_course_module,
    missing_module_note,
    provided_helpers,
    python2_builtins,
)
from .files import (
    DECLARED,
    PACKAGE,
    CannotCheck,
    class_members,
    cpu_limit,
    import_in_package,
    place,
    python2_notes,
    read_cells,
    statements,
)
from .isolation import TimeLimitExceeded, time_limit
from .notebook_globals import globals_read, is_data
from .peer import CallFailed, Peer
from .python2 import PrintCallsFinder

_PACKAGE = str(Path(__file__).resolve().parent.parent)


# ---- running the file -----------------------------------------------------------------------


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
    # a name a skipped statement was to set -> (that statement, why it was skipped)
    undefined: dict[str, tuple[str, str]] = {}
    namespace, notes, failed, places = {"__name__": "__learner__"}, [], {}, {}
    source: str | None
    for filename, source in cells:  # so that tracebacks and inspect see the cells' lines
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    chosen = statements(cells, run_all, notes if notebook else None)
    notes += python2_notes(cells)
    for filename, node, is_import in chosen:
        code = compile(ast.Module([node], type_ignores=[]), filename, "exec")
        location = place(filename, node.lineno)
        try:
            with time_limit(limit):
                exec(code, namespace)  # noqa: S102 - the learner's own code, in this process
        except ImportError as error:
            module = getattr(error, "name", None) or _imported(node) or str(error)
            names = {a.asname or a.name for a in node.names} if isinstance(
                node, ast.ImportFrom) else {"*"}
            failed.setdefault(module, set()).update(names)
            places.setdefault(module.split(".")[0], (module, []))[1].append(location)
        except SystemExit:
            notes.append(f"{location} called sys.exit; the check went on")
        except TimeLimitExceeded as error:
            notes.append(f"{location} {error} and was stopped; the check went on")
        except NameError as error:
            source = next((m for m, names in failed.items() if error.name in names), None)
            if source is not None:
                notes.append(f"{location} was skipped: it uses {error.name}, from {source}, "
                             f"which did not import")
                why = f"{error.name}, from {source}, did not import"
            elif error.name in undefined:  # a name a statement skipped above was to set
                setter, why = undefined[error.name]
                notes.append(f"{location} was skipped: it uses {error.name}, which {setter} "
                             f"was to set ({why})")
            else:
                notes.append(f"{location} raised NameError: {error}; the check went on")
                why = None
            if why is not None:  # what this statement was to set is missing too
                undefined.update(dict.fromkeys(assigned_names(node), (location, why)))
        except Exception as error:
            notes.append(f"{location} raised {type(error).__name__}: {error}; the check went on")
        if is_import:
            numpy_1.install(namespace)
    numpy_1.install(namespace)
    missing = [missing_module_note(module, where[0] + (
        f" (and {len(where) - 1} more import{'s' if len(where) > 2 else ''} of it)"
        if len(where) > 1 else "")) for module, where in places.values()]
    return namespace, missing + notes, failed, numpy_1


def assigned_names(node: ast.stmt) -> list[str]:
    """The plain names an assignment statement sets (``a, b = ...``, ``x: int = ...``)."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
        node, (ast.AnnAssign, ast.AugAssign)) else []
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


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
    older = python2_builtins(absent)
    if older:
        namespace.update(older)
        notes.append(f"the file uses {', '.join(older)}, which Python 2 had and Python 3 "
                     f"does not: the check gave {'them' if len(older) > 1 else 'it'} as "
                     f"Python 2 did (xrange is range in Python 3). This is not a mistake "
                     f"in the exercise.")
    unpacked: set[str] = set()
    for function in functions.values():
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError, SyntaxError):  # inspect parses a class's whole file
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



def _own_functions(namespace: Mapping[str, Any], filenames: Collection[str]) -> dict[str, Any]:
    """The functions of ``namespace`` written in one of ``filenames``."""
    return {name: value for name, value in namespace.items()
            if callable(value) and getattr(getattr(value, "__code__", None), "co_filename",
                                           None) in filenames}



class LearnerFile:
    """The learner's file, run: ``namespace``, the ``functions`` to check (name ->
    function, class or "Class.method"), the ``notes`` on running it, the imports that
    ``failed`` ({module: names}), ``numpy_1`` (its NumPy), and what was ``assumed`` of an
    older notebook version's function (``versions``), by name."""

    def __init__(self, path: str | os.PathLike[str], run_all: bool,
                 limit: float | None) -> None:
        cells = read_cells(path)
        stand_ins, prints = StandIns(), PrintCallsFinder(PACKAGE)
        stand_ins.install()
        prints.install()
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
        notes += stand_ins.notes() + prints.notes()
        self.namespace, self.functions, self.notes = namespace, functions, notes
        self.failed, self.numpy_1 = failed, numpy_1
        self.assumed = _adapt_versions(functions)


def _adapt_versions(functions: dict[str, Any]) -> dict[str, str]:
    """Replace each function of an older notebook version by the function as its version
    meant it (``versions.adapt``), in ``functions`` and in the learner's namespace (their
    other functions call it); what was assumed, by name."""
    assumed: dict[str, str] = {}
    for name in {e.name for e in EXERCISES} & set(functions):
        original = functions[name]
        found = versions.adapt(original)
        if found is None:
            continue
        functions[name], assumed[name] = found
        scope = getattr(original, "__globals__", {})
        if scope.get(name) is original:
            scope[name] = found[0]
    return assumed


def _is_learners(filename: str) -> bool:
    """Whether a traceback's file is the learner's (not verigrad's, not NumPy's)."""
    return not filename.startswith(_PACKAGE) and "/numpy/" not in filename


def describe(error: BaseException) -> dict[str, Any]:
    """``wire.describe_error`` of what the learner's code raised, with the values a failed
    ``assert`` compared (evaluated here, in the learner's frame)."""
    described = wire.describe_error(error, _is_learners)
    frame = learner_frame(error)
    if isinstance(error, AssertionError) and frame is not None and frame.line:
        described["compared"] = compared(error, frame.line)
    return described


# ---- the learner's end of the pipe ----------------------------------------------------------


class LearnerEnd(Peer):
    """Answers the checking process's requests on the learner's objects, which stay here
    behind handles (their numbers in ``objects``)."""

    def __init__(self, rx: BinaryIO, tx: BinaryIO) -> None:
        super().__init__(rx, tx)
        self.objects: list[Any] = []
        self.handles: dict[int, int] = {}  # id(object) -> its handle
        self.saved: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []
        self.finished: str | None = None

    def ask(self, op: str, values: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        return super().ask(op, values, cpu=time.process_time(), **fields)

    def reply(self, value: Any, known: dict[int, list[Any]] | None = None,
              changes: Iterable[tuple[list[Any], Any]] = (), **fields: Any) -> None:
        super().reply(value, known, changes, cpu=time.process_time(), **fields)

    def raised(self, **fields: Any) -> None:
        wire.send(self.tx, {"op": "raised", "cpu": time.process_time(), **fields})

    def handle(self, value: Any) -> int:
        """The handle of ``value``, kept here from now on."""
        if id(value) not in self.handles:
            self.handles[id(value)] = len(self.objects)
            self.objects.append(value)
        return self.handles[id(value)]

    def target(self, header: Mapping[str, Any]) -> Any:
        number = header.get("target")
        if not isinstance(number, int) or not 0 <= number < len(self.objects):
            raise wire.WireError("a request for an object this process does not have")
        return self.objects[number]

    def codec(self, arrays: Any = (), known: dict[int, list[Any]] | None = None,
              root: Any = None) -> wire.Codec:
        return _LearnerCodec(self, arrays, known, root)

    def serve(self, op: str, header: dict[str, Any], arrays: list[np.ndarray]) -> None:
        try:
            super().serve(op, header, arrays)
        except TimeLimitExceeded as error:
            self.raised(time_limit=error.seconds, waited="waited" in str(error),
                        error={"type": "TimeLimitExceeded", "text": str(error)})
        except wire.WireError:
            raise
        except BaseException as error:  # noqa: BLE001 -- whatever the learner's code does
            self.raised(error=describe(error))

    def _limited(self, header: Mapping[str, Any]) -> Callable[[], Any]:
        budget = header.get("budget")
        seconds = float(budget) if isinstance(budget, (int, float)) and budget > 0 else None
        return lambda: time_limit(seconds)

    def handle_call(self, header: dict[str, Any], values: dict[str, Any],
                    codec: wire.Codec) -> None:
        errstate = header.get("errstate")
        self.run_call(self.target(header), values, codec,
                      errstate if isinstance(errstate, dict) else None, self._limited(header))

    def handle_map(self, header: dict[str, Any], values: dict[str, Any],
                   codec: wire.Codec) -> None:
        calls, seed = values.get("calls"), header.get("seed")
        if not isinstance(calls, list) or not all(
                isinstance(c, list) and len(c) == 2 and isinstance(c[0], tuple)
                and isinstance(c[1], dict) for c in calls):
            raise wire.WireError("a map without its list of calls")
        function, trim = self.target(header), bool(header.get("outputs_only"))

        def each() -> list[Any]:
            results = []
            for args, kwargs in calls:
                if isinstance(seed, int):
                    np.random.seed(seed)
                result = function(*args, **kwargs)
                if trim and isinstance(result, tuple) and len(result) >= 2:
                    result = (*result[:-1], None)
                results.append(result)
            return results

        errstate = header.get("errstate")
        self.run_call(each, {"args": (), "kwargs": {}, **{
            k: v for k, v in values.items() if k == "random"}}, codec,
                      errstate if isinstance(errstate, dict) else None, self._limited(header))

    def handle_iterate(self, header: dict[str, Any], values: dict[str, Any],
                       codec: wire.Codec) -> None:
        with self._limited(header)():
            items = list(self.target(header))
        self.reply(items)

    def handle_getattr(self, header: dict[str, Any], values: dict[str, Any],
                       codec: wire.Codec) -> None:
        with self._limited(header)():
            value = getattr(self.target(header), str(header.get("name")))
        self.reply(value)

    def handle_setattr(self, header: dict[str, Any], values: dict[str, Any],
                       codec: wire.Codec) -> None:
        with self._limited(header)():
            setattr(self.target(header), str(header.get("name")), values.get("value"))
        self.reply(None)

    def handle_subclass(self, header: dict[str, Any], values: dict[str, Any],
                        codec: wire.Codec) -> None:
        cls = self.target(header)
        members = values.get("members")
        if not isinstance(cls, type) or not isinstance(members, dict):
            raise TypeError("a subclass of something that is not a class")
        self.reply(type(cls.__name__, (cls,), {**members, "__module__": cls.__module__}))

    def handle_substitute(self, header: dict[str, Any], values: dict[str, Any],
                          codec: wire.Codec) -> None:
        namespace = getattr(self.target(header), "__globals__", {})
        replacements, defaults = values.get("replacements"), values.get("defaults")
        if not isinstance(replacements, dict) or not isinstance(defaults, dict):
            raise wire.WireError("a substitution without its dicts")
        added = {**{k: v for k, v in defaults.items() if k not in namespace}, **replacements}
        self.saved.append((namespace, {k: namespace[k] for k in added if k in namespace},
                           list(added)))
        namespace.update(added)
        self.reply(len(self.saved) - 1)

    def handle_restore(self, header: dict[str, Any], values: dict[str, Any],
                       codec: wire.Codec) -> None:
        token = header.get("token")
        if not isinstance(token, int) or not 0 <= token < len(self.saved):
            raise wire.WireError("a restore of a substitution that was not made")
        namespace, saved, added = self.saved[token]
        for name in added:
            namespace.pop(name, None)
        namespace.update(saved)
        self.reply(None)

    def handle_global_is(self, header: dict[str, Any], values: dict[str, Any],
                         codec: wire.Codec) -> None:
        namespace = getattr(self.target(header), "__globals__", {})
        self.reply(namespace.get(str(header.get("name"))) is values.get("value"))

    def handle_finish(self, header: dict[str, Any], values: dict[str, Any],
                      codec: wire.Codec) -> None:
        self.finished = ""
        self.reply(None)

    def serve_until_finished(self) -> None:
        while self.finished is None:
            header, arrays = wire.receive(self.rx)
            op = header.get("op")
            if not isinstance(op, str):
                raise wire.WireError("a message without an op")
            self.serve(op, header, arrays)


class _LearnerCodec(wire.Codec):
    """Values as this process sends them: what cannot travel goes as a handle; the
    checking process's functions come as callbacks."""

    def __init__(self, end: LearnerEnd, arrays: Any, known: dict[int, list[Any]] | None,
                 root: Any) -> None:
        super().__init__(arrays, known, root)
        self.end = end

    def pack_other(self, value: Any, depth: int) -> Any:
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            self.arrays.append(np.asarray(value.detach().cpu().numpy()))
            return {wire.TAG: "tensor", "i": len(self.arrays) - 1}
        kind = "class" if isinstance(value, type) else "function" if callable(value) else \
            "object"
        return {wire.TAG: "handle", "id": self.end.handle(value), "kind": kind,
                "name": str(getattr(value, "__name__", type(value).__name__)),
                "types": [f"{c.__module__}.{c.__qualname__}" for c in type(value).__mro__]}

    def unpack_other(self, tree: dict[str, Any]) -> Any:
        tag = tree[wire.TAG]
        if tag == "handle":
            return self.end.target({"target": tree.get("id")})
        if tag == "callback" and isinstance(tree.get("id"), int):
            return _callback(self.end, tree["id"], str(tree.get("name", "callback")))
        right = RIGHT_CALLEES.get((str(tree.get("course")), str(tree.get("name"))))
        if tag == "right_callee" and right is not None:
            return right
        if tag == "tensor":
            import torch  # a tensor came: the learner's code uses PyTorch
            return torch.from_numpy(self.unpack({wire.TAG: "array", "i": tree.get("i")}))
        return super().unpack_other(tree)


def _callback(end: LearnerEnd, number: int, name: str) -> Callable[..., Any]:
    """A function that calls the checking process's function ``number`` (a reference put
    in the learner's namespace, a method the check records with)."""

    def callback(*args: Any, **kwargs: Any) -> Any:
        try:
            header = end.ask("call", end.call_values(args, kwargs), callback=number)
        except CallFailed as failed:
            if failed.time_limit is not None:
                raise TimeLimitExceeded(failed.time_limit) from None
            raise wire.rebuild_error(failed.described) from None
        return header["value"]

    callback.__name__ = callback.__qualname__ = name
    return callback


# ---- the manifest: what the checking process learns of the file -----------------------------


def _entry(name: str, value: Any, codec: wire.Codec, end: LearnerEnd,
           assumed: str | None) -> dict[str, Any]:
    """What the catalogue reads of a function or class: its handle, name, parameters
    ([name, kind, has a default, the default]), file and first line, docstring."""
    try:
        parameters: list[list[Any]] | None = [
            [p.name, int(p.kind), p.default is not p.empty,
             codec.pack(p.default) if p.default is not p.empty else None]
            for p in inspect.signature(value).parameters.values()]
    except (TypeError, ValueError):
        parameters = None
    code = getattr(value, "__code__", None)
    if code is None and isinstance(value, type):
        code = next((getattr(f, "__code__", None) for f in vars(value).values()
                     if hasattr(f, "__code__")), None)
    doc = getattr(value, "__doc__", None)
    return {"handle": end.handle(value), "kind": "class" if isinstance(value, type) else
            "function", "name": str(getattr(value, "__name__", name)),
            "qualname": str(getattr(value, "__qualname__", name)), "parameters": parameters,
            "file": code.co_filename if code is not None else None,
            "line": code.co_firstlineno if code is not None else None,
            "doc": doc if isinstance(doc, str) else None, "assumed": assumed}


def manifest(learner: LearnerFile, end: LearnerEnd) -> tuple[dict[str, Any], list[np.ndarray]]:
    codec = end.codec()
    functions = {name: _entry(name, value, codec, end, learner.assumed.get(name))
                 for name, value in learner.functions.items()}
    declared = learner.namespace.get(DECLARED)
    try:
        packed_declared = codec.pack(declared) if declared is not None else None
    except wire.WireError as error:
        packed_declared, learner.notes = None, [*learner.notes, f"{DECLARED}: {error}"]
    return {"op": "ready", "functions": functions, "declared": packed_declared,
            "names": sorted(k for k in learner.namespace if isinstance(k, str)),
            "data": sorted(k for k, v in learner.namespace.items()
                           if isinstance(k, str) and is_data(v)),
            "failed": {m: sorted(names) for m, names in learner.failed.items()},
            "notes": learner.notes}, codec.arrays


@contextlib.contextmanager
def _protocol_streams(read_fd: int, write_fd: int) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    with os.fdopen(read_fd, "rb") as rx, os.fdopen(write_fd, "wb") as tx:
        yield rx, tx


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the learner's process of verigrad check "
                                                 "(internal)")
    parser.add_argument("read_fd", type=int)
    parser.add_argument("write_fd", type=int)
    parser.add_argument("path")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--limit", type=float, default=None)
    parser.add_argument("--cpu-limit", type=float, default=None)
    args = parser.parse_args(argv)
    if args.cpu_limit:
        cpu_limit(args.cpu_limit)
    folder = str(Path(args.path).resolve().parent)
    sys.path.insert(0, folder)
    os.chdir(folder)
    with _protocol_streams(args.read_fd, args.write_fd) as (rx, tx):
        end = LearnerEnd(rx, tx)
        try:
            learner = LearnerFile(args.path, args.all, args.limit)
        except CannotCheck as error:
            wire.send(tx, {"op": "cannot", "error": str(error)})
            return
        header, arrays = manifest(learner, end)
        wire.send(tx, {**header, "cpu": time.process_time()}, arrays)
        end.serve_until_finished()
        wire.send(tx, {"op": "notes", "notes": list(filter(None, [learner.numpy_1.note()]))})


if __name__ == "__main__":
    main()
