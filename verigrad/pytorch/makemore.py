"""``verigrad check`` on makemore part 4 ("becoming a backprop ninja"): the notebook's cells
run in order, in a child process, with its ``cmp`` replaced by verigrad's.

    payload = check_notebook("makemore_part4_backprop.ipynb", timeout=60)
    print(table(payload)); exit_code(payload)      # 0 right, 1 wrong, 2 cannot check

Each comparison becomes a row: the tensor, its verdict and finding, and the line of the
notebook that last assigned the gradient compared. Going back from the loss (the order of
the cmp calls), the first wrong gradient is marked: every later one that builds on it
inherits it. Exercise 4's training loop is run for one step only: its forward and manual
backward run with autograd on, ``loss.backward()`` is called after ``grads = [...]``, and
each of the learner's gradients is compared with the parameter's ``.grad``; then the loop
stops. The later cells (calibration, sampling) run as written.

The notebook's code runs in a child process, which only sends values (``wire``'s messages:
JSON and NumPy arrays, never pickle): for each cmp, its cell and line and the ``Evidence``
that ``compare.gather`` read (the learner's gradient, autograd's, and what the graph says),
each cell's error, and "done" after the last cell. This process reads the notebook itself
(the lines that assign each gradient, the cmp calls it must see), decides every verdict
(``compare.decide``), and writes the table and --json. So nothing the notebook does in its
own process (write files, print a table, patch verigrad there, os._exit) decides a verdict;
a cmp call that never ran, or a process that ends before "done", makes the exit status 2,
never 0. The child is killed at --timeout.
"""
from __future__ import annotations

import ast
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np

from .. import wire
from ..child import ChildEnded, ChildProcess
from .compare import Evidence, decide, gather, one_line

NAMES_FILE = "names.txt"


def is_makemore(path: Path) -> bool:
    """A notebook that defines makemore's ``cmp`` and uses PyTorch."""
    if Path(path).suffix != ".ipynb":
        return False
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "def cmp(" in text and "torch" in text and ".grad" in text


def missing_data(path: Path) -> str | None:
    """The one-line message for a notebook that reads names.txt without one beside it."""
    path = Path(path)
    if NAMES_FILE in path.read_text(encoding="utf-8", errors="replace") and not (
            path.parent / NAMES_FILE).is_file():
        return (f"put {NAMES_FILE} (the names data set the notebook reads, one name a line) "
                f"in {path.parent.resolve()}, beside {path.name}")
    return None


def _cells(path: Path) -> Iterator[tuple[int, str]]:
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for number, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        # IPython's magics and shell lines are not Python
        lines = ["" if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        yield number, "\n".join(lines)


def _assigned(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return _assigned(target.value)
    return None


class _Loop(ast.NodeTransformer):
    """The training loop (a for whose body assigns ``grads``): autograd on up to ``grads =``,
    then the check of that step, then the rest of the body and a break."""

    def __init__(self) -> None:
        self.found = False

    def visit_For(self, node: ast.For) -> ast.For:
        self.generic_visit(node)
        split = next((i for i, s in enumerate(node.body) if isinstance(s, ast.Assign) and
                      any(_assigned(t) == "grads" for t in s.targets)), None)
        if split is None:
            return node
        self.found = True
        enable = cast(ast.With, ast.parse("with __verigrad_torch__.enable_grad(): pass").body[0])
        enable.body = node.body[:split + 1]
        check = ast.parse("__verigrad_step__()").body[0]
        node.body = [enable, check, *node.body[split + 1:], ast.Break()]
        return ast.fix_missing_locations(node)


# ---- the child: running the notebook, sending values ------------------------------------------


def _cmp_for(tx: BinaryIO) -> Callable[..., None]:
    # bound now: the notebook's code may replace the module's names later (it runs here)
    collect, send = gather, wire.send

    def cmp(s: object, dt: Any, t: Any, *args: Any, **kwargs: Any) -> None:
        frame = sys._getframe(1)
        cell = int(frame.f_code.co_filename[6:-1]) if frame.f_code.co_filename.startswith(
            "<cell ") else None
        try:
            name = str(s)
        except Exception:  # noqa: BLE001 -- whatever the learner passed
            name = type(s).__name__
        header, arrays = collect(name, dt, t).to_message()
        send(tx, {"op": "cmp", "cell": cell, "line": frame.f_lineno, "evidence": header},
             arrays)
    return cmp


def _step_for(tx: BinaryIO, namespace: dict[str, Any]) -> Callable[[], None]:
    collect, send = gather, wire.send

    def step() -> None:
        loss, grads = namespace.get("loss"), namespace.get("grads")
        parameters = namespace.get("parameters")
        if loss is None or grads is None or parameters is None or loss.grad_fn is None:
            send(tx, {"op": "unstepped"})
            return
        for p in parameters:
            p.grad = None
        loss.backward(retain_graph=True)
        for k, (p, g) in enumerate(zip(parameters, grads)):
            header, arrays = collect(f"parameter {k}", g, p).to_message()
            send(tx, {"op": "cmp", "step": k, "shape": [int(s) for s in p.shape],
                      "evidence": header}, arrays)
    return step


def run_notebook(path: str | Path, write_fd: int) -> None:
    """The child's work: run every cell, and send through the pipe ``write_fd`` (``wire``'s
    messages) the evidence of each comparison, each cell's error, then "done". It judges
    nothing: the checking process decides every verdict from these values."""
    import torch

    from . import graph
    tx, send = os.fdopen(write_fd, "wb"), wire.send
    path = Path(path).resolve()
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    namespace: dict[str, Any] = {"__name__": "__main__", "__verigrad_torch__": torch}
    namespace["__verigrad_step__"] = _step_for(tx, namespace)
    cmp = _cmp_for(tx)
    for cell, source in _cells(path):
        try:
            tree = _Loop().visit(ast.parse(source))
        except SyntaxError:
            continue  # the checking process reads the notebook and says so
        try:
            with graph.recording():
                exec(compile(tree, f"<cell {cell}>", "exec"), namespace)
        except Exception as error:
            send(tx, {"op": "raised", "cell": cell, "error": type(error).__name__,
                      "text": _text_of(error)})
        if "cmp" in namespace:
            namespace["cmp"] = cmp
    send(tx, {"op": "done"})


def _text_of(error: Exception) -> str:
    try:
        return str(error)
    except Exception:  # noqa: BLE001 -- a learner's exception whose str raises
        return ""


# ---- the parent: the notebook read, the verdicts decided -------------------------------------


class _Notebook:
    """What the checking process reads in the notebook itself (it runs none of it): the
    cells, the line that last assigns each name, the names in ``parameters = [...]``, the
    cmp(...) calls, whether a training loop assigns ``grads``."""

    def __init__(self, path: Path) -> None:
        self.notes: list[str] = []
        self.trees: dict[int, ast.Module] = {}
        # name -> [(cell, line, text)] of its assignments
        self.assignments: dict[str, list[tuple[int, int, str]]] = {}
        self.parameters: list[str | None] | None = None
        self.loop: int | None = None  # the cell of the training loop
        for cell, source in _cells(path):
            try:
                tree = ast.parse(source)
            except SyntaxError as error:
                self.notes.append(f"cell {cell} does not parse ({error.msg}, line "
                                  f"{error.lineno}); skipped")
                continue
            self.trees[cell] = tree
            self._record_assignments(cell, tree, source)
            loop = _Loop()
            loop.visit(ast.parse(source))
            if loop.found and self.loop is None:
                self.loop = cell
        self.calls = {(cell, node.lineno): node for cell, tree in self.trees.items()
                      for node in ast.walk(tree) if isinstance(node, ast.Call)
                      and isinstance(node.func, ast.Name) and node.func.id == "cmp"}

    def _record_assignments(self, cell: int, tree: ast.Module, source: str) -> None:
        lines = source.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            else:
                continue
            for target in targets:
                name = _assigned(target)
                if name is None:
                    continue
                self.assignments.setdefault(name, []).append(
                    (cell, node.lineno, lines[node.lineno - 1].strip()))
                if (name == "parameters" and isinstance(node, ast.Assign)
                        and isinstance(node.value, (ast.List, ast.Tuple))):
                    self.parameters = [e.id if isinstance(e, ast.Name) else None
                                       for e in node.value.elts]

    def assigned(self, name: str, cell: int | None) -> tuple[int, int, str] | None:
        """(cell, line, text) of the last assignment to ``name`` in the cells up to
        ``cell``: the line that made the gradient a cmp in that cell compares."""
        found = [a for a in self.assignments.get(name, []) if cell is None or a[0] <= cell]
        return max(found) if found else None

    def row(self, header: dict[str, Any], arrays: list[np.ndarray]) -> dict[str, Any]:
        """The row of one comparison, its verdict decided here from the values sent."""
        evidence = Evidence.from_message(header.get("evidence"), arrays)
        step, cell, line = (_whole(header.get(k)) for k in ("step", "cell", "line"))
        if step is not None:
            shape = header.get("shape")
            names = self.parameters or []
            name = names[step] if step < len(names) and names[step] else (
                str(tuple(shape)) if isinstance(shape, list) and all(
                    isinstance(s, int) for s in shape) else f"parameter {step}")
            evidence.name = one_line(name)
            dt_name: str | None = f"d{name}"
            cell, line = self.loop, None
        else:
            call = self.calls.get((cell, line)) if cell is not None and line else None
            dt_name = _assigned(call.args[1]) if call is not None and len(call.args) >= 2 \
                else None
        result = decide(evidence)
        where = self.assigned(dt_name, cell) if dt_name else None
        row = {
            "name": result.name, "section": "training step" if step is not None else
            f"cell {cell}", "ok": result.ok, "verdict": result.verdict, "kind": result.kind,
            "message": result.message, "maxdiff": result.maxdiff,
            "cell": where[0] if where else cell, "line": where[1] if where else line,
            "code": where[2] if where else None, "at": [cell, line]}
        if step is not None:
            row["cell"], row["line"] = where[:2] if where else (None, None)
        return row


def _whole(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"a cell, line or step {value!r}")
    return value


def check_notebook(path: str | Path, timeout: float = 60) -> dict[str, Any]:
    """Run the notebook in a child process and decide each comparison's verdict here, from
    the values it sends; the payload (rows, notes, error). Nothing the notebook's code does
    in its process (write files, print, patch verigrad there, exit) decides a verdict."""
    path = Path(path).resolve()
    try:
        notebook = _Notebook(path)
    except (OSError, ValueError, AttributeError, TypeError) as err:
        unread = f"{path.name} is not a notebook that can be read ({type(err).__name__}: {err})"
        return {"results": [], "notes": [unread], "error": unread, "skipped": []}
    rows: list[dict[str, Any]] = []
    notes = list(notebook.notes)
    error: str | None = None
    done = False
    child = ChildProcess("verigrad.pytorch.makemore", [str(path)], timeout,
                         env={"MPLBACKEND": "Agg"})
    try:
        while not done:
            header, arrays = child.receive()
            op = header.get("op")
            if op == "cmp":
                rows.append(notebook.row(header, arrays))
            elif op == "raised":
                notes.append(f"cell {_whole(header.get('cell'))} raised "
                             f"{one_line(header.get('error'), 80)}: "
                             f"{one_line(header.get('text'), 300)}")
            elif op == "unstepped":
                notes.append("the training loop's step could not be checked: it needs loss, "
                             "parameters and grads")
            elif op == "done":
                done = True
            else:
                raise ValueError(f"a message {one_line(repr(op), 80)}")
    except ChildEnded as ended:
        error = (f"the notebook did not finish within --timeout {timeout:g} s"
                 if ended.timed_out else f"the notebook's process sent a malformed message: "
                 f"{ended.malformed}" if ended.malformed else None)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
        error = f"the notebook's process sent a malformed message: {err}"
        child.kill()
    status = child.close()
    _, stderr = child.output()
    if error is None and status != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        how = " (killed by a signal: a crash or a kill)" if status is not None and status < 0 \
            else ""
        error = (f"the notebook's process ended with status {status}{how}"
                 f"{' before its check finished' if not done else ''}"
                 f"{': ' + one_line(last, 300) if last else ''}")
    elif error is None and not done:
        error = ("the notebook's process ended with status 0 before its check finished "
                 "(os._exit?)")
    if done and notebook.loop is None:
        notes.append("no training loop with 'grads = [...]' found (exercise 4)")
    ran = {tuple(r.pop("at")) for r in rows}
    skipped = [f"cell {cell}, line {line}" for cell, line in sorted(notebook.calls)
               if (cell, line) not in ran]
    if skipped and not error:
        notes.append(f"{len(skipped)} cmp(...) call{'s' if len(skipped) > 1 else ''} of the "
                     f"notebook never ran ({', '.join(skipped[:5])}"
                     f"{', ...' if len(skipped) > 5 else ''}): an earlier error in its cell, "
                     f"or code that does not reach it; those gradients are not checked")
    if error:
        notes.append(error)
    return {"results": rows, "notes": notes, "error": error, "skipped": skipped}


def first_wrong(payload: dict[str, Any]) -> int | None:
    """The index of the first wrong gradient going back from the loss, or None."""
    return next((i for i, r in enumerate(payload["results"]) if r["ok"] is False), None)


def exit_code(payload: dict[str, Any]) -> int:
    """0 every comparison right, 1 one wrong, 2 nothing compared, a comparison unchecked
    or never run, or the notebook stopped early."""
    rows = payload["results"]
    if any(r["verdict"] == "wrong" for r in rows):
        return 1
    if not rows or payload.get("error") or payload.get("skipped") or any(
            r["verdict"] == "unchecked" for r in rows):
        return 2
    return 0


def table(payload: dict[str, Any]) -> str:
    """One row per comparison (tensor, verdict, finding, line), the first wrong gradient
    marked, then each finding in full."""
    rows = [("tensor", "verdict", "finding", "line")]
    first = first_wrong(payload)
    section = None
    for i, r in enumerate(payload["results"]):
        if r["section"] != section and r["section"] == "training step":
            rows.append(("-- training step (exercise 4, one step against autograd)", "", "",
                         ""))
        section = r["section"]
        where = f"cell {r['cell']}, line {r['line']}" if r["cell"] else "-"
        if r["code"]:
            where += f": {r['code']}"
        mark = " <- first wrong" if i == first else ""
        rows.append((r["name"], r["verdict"] + mark, r["kind"] or "-", where))
    widths = [max(len(row[i]) for row in rows if row[1] or row is rows[0]) for i in range(3)]
    lines = []
    for row in rows:
        if not row[1] and row is not rows[0]:
            lines.append(row[0])
            continue
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
    lines = [line.rstrip() for line in lines]
    if first is not None:
        r = payload["results"][first]
        lines += ["", textwrap.fill(
            f"The first wrong gradient, going back from the loss, is d{r['name']}: every later "
            f"gradient that builds on it inherits it, so fix it first.", 100)]
    for i, r in enumerate(payload["results"]):
        # a later mismatch is most likely inherited: the table lists it, the text does not
        if r["verdict"] == "unchecked" or (r["verdict"] == "wrong" and (
                i == first or r["kind"] != "mismatch")):
            lines.append(textwrap.fill(f"[{r['kind'] or r['verdict']}] {r['name']}: "
                                       f"{r['message']}", 100, initial_indent="- ",
                                       subsequent_indent="  "))
    for note in payload["notes"]:
        lines += ["", textwrap.fill("Note: " + note, 100, subsequent_indent="  ")]
    if not payload["results"]:
        lines += ["", "No cmp(...) comparison ran."]
    return "\n".join(lines)


def as_json(payload: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """The results in the format of ``verigrad check --json`` for NumPy notebooks."""
    tests = [{"name": r["name"], "score": 1 if r["ok"] else 0, "max_score": 1,
              "status": "passed" if r["ok"] else "failed",
              "output": f"[{r['kind'] or r['verdict']}] {r['message']}"}
             for r in payload["results"]]
    return {"file": str(path), "exit_code": exit_code(payload),
            "score": sum(t["score"] for t in tests), "max_score": len(tests),
            "tensors": payload["results"], "first_wrong": first_wrong(payload),
            "notes": payload["notes"], "skipped": payload.get("skipped", []), "tests": tests}


def run_command(path: Path, json_out: str | Path | None = None, timeout: float = 60) -> int:
    """``verigrad check NOTEBOOK`` for makemore's notebook: the table (or the one-line
    message about names.txt), --json, and the exit code."""
    from .._files import write_text
    missing = missing_data(path)
    payload = ({"results": [], "notes": [], "error": missing} if missing else
               check_notebook(path, timeout))
    if missing:
        print(f"error: cannot check {path}: {missing}", file=sys.stderr)
    else:
        print(table(payload))
    if json_out:
        write_text(json_out, json.dumps(as_json(payload, path), indent=1, default=str))
    return 2 if missing else exit_code(payload)


if __name__ == "__main__":
    run_notebook(sys.argv[2], int(sys.argv[1]))
