"""How fast ``verigrad check FOLDER`` checks a class, and how many files get a verdict.

Builds a class folder from the project's fixture notebooks and learner files: the fixture
class of the tests (right, wrong, a stub, a file that does not parse, a hanging one), the
notebooks under tests/exercises/fixtures/, and one notebook per learner module of
tests/exercises/ with its correct functions (the course notebooks of
benchmarks/check_notebook.py, one per module), copied --copies times as a class would hand
them in; then checks it with --jobs processes (default: the cores). Prints files/s, the share
of files with a verdict (their check ended with exit 0 or 1), the median seconds per file,
and one JSON line.

    python benchmarks/check_class.py [--copies 2] [--jobs N] [--timeout 20]
"""
import argparse
import inspect
import json
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from check_notebook import MODULES  # noqa: E402 - the learner modules it times
from exercises.classroom import write_class, write_notebook  # noqa: E402

from verigrad.exercises import batch, class_summary  # noqa: E402

FIXTURES = ROOT / "tests" / "exercises" / "fixtures"


def build(folder, copies):
    """The class folder: --copies students, each with the same set of files."""
    for student in range(copies):
        home = folder / f"student{student:02d}"
        write_class(home)
        for notebook in sorted(FIXTURES.glob("*.ipynb")):
            shutil.copy(notebook, home / notebook.name)
        for module in MODULES:
            helpers = getattr(module, "HELPERS", [])
            write_notebook(home / f"{module.__name__.split('.')[-1]}.ipynb",
                           ["import numpy as np\n"] + [
                               textwrap.dedent(inspect.getsource(f))
                               for f in [*helpers, *module.CORRECT.values()]])
    return batch.submissions(folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder, results = Path(scratch) / "class", Path(scratch) / "results"
        paths = build(folder, args.copies)
        start = time.perf_counter()
        keys = batch.check_all(folder, paths, results, timeout=args.timeout, jobs=args.jobs)
        seconds = time.perf_counter() - start
        loaded = class_summary.load(results, keys)
        summary = class_summary.summarize(loaded, str(folder), round(seconds, 3))
    verdicts = sum(r["exit_code"] in (0, 1) for r in loaded)
    per_file = statistics.median(r["seconds"] for r in loaded if r.get("seconds") is not None)
    functions = sum(row["files"] for row in summary["functions"])
    print(class_summary.table(summary))
    print(f"\n{len(paths)} files ({functions} functions) in {seconds:.1f} s with {args.jobs} "
          f"jobs: {len(paths) / seconds:.2f} files/s; {verdicts}/{len(paths)} "
          f"({verdicts / len(paths):.0%}) with a verdict; median {per_file:.2f} s per file")
    print(json.dumps({"benchmark": "check_class", "files": len(paths), "jobs": args.jobs,
                      "seconds": round(seconds, 3),
                      "files_per_s": round(len(paths) / seconds, 3),
                      "verdict_share": round(verdicts / len(paths), 3),
                      "median_file_s": round(per_file, 3), "functions": functions,
                      "timeout": args.timeout}))


if __name__ == "__main__":
    main()
