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
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

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


# ---- the child: running the notebook ----------------------------------------------------------


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


class _Run:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        # name -> (cell, line, text) of its last assignment
        self.assignments: dict[str, tuple[int, int, str]] = {}
        self.sources: dict[int, str] = {}
        # the names in "parameters = [C, W1, ...]"
        self.parameters: list[str | None] | None = None

    def record_assignments(self, cell: int, tree: ast.Module, source: str) -> None:
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
                where = (cell, node.lineno, lines[node.lineno - 1].strip())
                old = self.assignments.get(name)
                if old is None or (old[0], old[1]) <= (cell, node.lineno):
                    self.assignments[name] = where
                if (name == "parameters" and isinstance(node, ast.Assign)
                        and isinstance(node.value, (ast.List, ast.Tuple))):
                    self.parameters = [e.id if isinstance(e, ast.Name) else None
                                       for e in node.value.elts]

    def compare(self, name: object, dt: Any, t: Any, dt_name: str | None = None,
                cell: int | None = None, line: int | None = None,
                section: str | None = None) -> None:
        from .compare import judge
        result = judge(str(name), dt, t)
        print(result)
        where = self.assignments.get(dt_name) if dt_name else None
        self.rows.append({
            "name": str(name), "section": section, "ok": result.ok,
            "verdict": result.verdict, "kind": result.kind, "message": result.message,
            "maxdiff": result.maxdiff, "cell": where[0] if where else cell,
            "line": where[1] if where else line, "code": where[2] if where else None})


def _cmp_for(run: _Run, cells: dict[int, ast.Module]) -> Callable[..., None]:
    def cmp(s: object, dt: Any, t: Any, *args: Any, **kwargs: Any) -> None:
        frame = sys._getframe(1)
        cell = int(frame.f_code.co_filename[6:-1]) if frame.f_code.co_filename.startswith(
            "<cell ") else None
        dt_name = None
        if cell in cells:
            for node in ast.walk(cells[cell]):
                if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "cmp"
                        and node.lineno == frame.f_lineno and len(node.args) >= 2):
                    dt_name = _assigned(node.args[1])
        run.compare(s, dt, t, dt_name, cell, frame.f_lineno, f"cell {cell}")
    return cmp


def _step_for(run: _Run, namespace: dict[str, Any]) -> Callable[[], None]:
    def step() -> None:
        import torch
        loss, grads = namespace.get("loss"), namespace.get("grads")
        parameters = namespace.get("parameters")
        if loss is None or grads is None or parameters is None or loss.grad_fn is None:
            run.notes.append("the training loop's step could not be checked: it needs loss, "
                             "parameters and grads")
            return
        for p in parameters:
            p.grad = None
        loss.backward(retain_graph=True)
        names = run.parameters or []
        for k, (p, g) in enumerate(zip(parameters, grads)):
            name = names[k] if k < len(names) and names[k] else str(tuple(p.shape))
            run.compare(name, g, p, f"d{name}", section="training step")
        del torch
    return step


def run_notebook(path: str | Path, out: str | Path) -> None:
    """The child's work: run every cell, write the payload to ``out`` after each cell."""
    import torch

    from . import graph
    path = Path(path).resolve()
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    run = _Run()
    trees: dict[int, ast.Module] = {}
    namespace: dict[str, Any] = {"__name__": "__main__", "__verigrad_torch__": torch}
    namespace["__verigrad_step__"] = _step_for(run, namespace)
    loop_seen = False
    for cell, source in _cells(path):
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            run.notes.append(f"cell {cell} does not parse ({error.msg}, line {error.lineno}); "
                             f"skipped")
            continue
        trees[cell] = tree
        run.sources[cell] = source
        run.record_assignments(cell, tree, source)
        loop = _Loop()
        tree = loop.visit(tree)
        loop_seen |= loop.found
        try:
            with graph.recording():
                exec(compile(tree, f"<cell {cell}>", "exec"), namespace)
        except Exception as error:
            run.notes.append(f"cell {cell} raised {type(error).__name__}: {error}")
        if "cmp" in namespace:
            namespace["cmp"] = _cmp_for(run, trees)
        _write(out, run, done=False)
    if not loop_seen:
        run.notes.append("no training loop with 'grads = [...]' found (exercise 4)")
    _write(out, run, done=True)


def _write(out: str | Path, run: _Run, done: bool) -> None:
    Path(out).write_text(json.dumps({"results": run.rows, "notes": run.notes, "done": done},
                                    default=str))


# ---- the parent: table, exit code, JSON ------------------------------------------------------


def check_notebook(path: str | Path, timeout: float = 60) -> dict[str, Any]:
    """Run the notebook in a child process; the payload (rows, notes, error)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="verigrad-makemore-") as folder:
        out = Path(folder) / "result.json"
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg",
               "PYTHONPATH": os.pathsep.join([package_root, *filter(
                   None, [os.environ.get("PYTHONPATH")])])}
        try:
            child = subprocess.run([sys.executable, "-m", "verigrad.pytorch.makemore",
                                    str(Path(path).resolve()), str(out)], env=env,
                                   capture_output=True, encoding="utf-8", errors="replace",
                                   timeout=timeout, check=False)
            error = None if child.returncode == 0 else (
                f"the notebook's process ended with status {child.returncode}: "
                f"{child.stderr.strip().splitlines()[-1] if child.stderr.strip() else ''}")
        except subprocess.TimeoutExpired:
            error = f"the notebook did not finish within {timeout} s"
        try:
            payload = json.loads(out.read_text())
        except (OSError, ValueError):
            payload = {"results": [], "notes": [], "done": False}
    if error:
        payload["notes"].append(error)
    payload["error"] = error
    return payload


def first_wrong(payload: dict[str, Any]) -> int | None:
    """The index of the first wrong gradient going back from the loss, or None."""
    return next((i for i, r in enumerate(payload["results"]) if r["ok"] is False), None)


def exit_code(payload: dict[str, Any]) -> int:
    """0 every comparison right, 1 one wrong, 2 nothing compared or a comparison unchecked
    or the notebook stopped early."""
    rows = payload["results"]
    if any(r["verdict"] == "wrong" for r in rows):
        return 1
    if not rows or payload.get("error") or any(r["verdict"] == "unchecked" for r in rows):
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
            "notes": payload["notes"], "tests": tests}


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
    run_notebook(sys.argv[1], sys.argv[2])
