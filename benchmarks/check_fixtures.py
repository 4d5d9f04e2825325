"""How many of the project's learner-style fixture files ``verigrad check`` gives a verdict
on, and how fast.

Checks every notebook and Python file in tests/exercises/fixtures (stubs, missing helper
modules, NumPy 1 idioms, failing cells, IPython syntax, a function that hangs) as the command
does, each in its worker process, and the course notebook of benchmarks/check_notebook.py
(every exercise the fixtures implement, correct). A verdict is exit 0 or 1; exit 2 means the
file could not be checked. Prints files/s, the share with a verdict, the functions by verdict
and the course notebook's median time (the target: under 10 s), then one JSON line.

    python benchmarks/check_fixtures.py [--repeats 3] [--timeout 20]
"""
import argparse
import collections
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import check_notebook  # noqa: E402

from verigrad.exercises import files  # noqa: E402

FIXTURES = ROOT / "tests" / "exercises" / "fixtures"
NOT_LEARNERS = {"make_notebooks.py"}  # the script that writes the fixture notebooks


def check(path, timeout):
    """(exit code, verdict of each function) of ``verigrad check path``."""
    try:
        payload = files.check_file(path, timeout=timeout)
    except files.CannotCheck:
        return 2, []
    return files.exit_code(payload), [_verdict(r) for r in payload["results"]]


def _verdict(result):
    if result["ok"] is False and result["findings"] and \
            result["findings"][0]["kind"] == "not_implemented":
        return "not done"
    return {True: "ok", False: "wrong", None: "cannot check"}[result["ok"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of the course notebook (the fixtures run once)")
    parser.add_argument("--timeout", type=int, default=20,
                        help="seconds per file, as verigrad check --timeout")
    args = parser.parse_args()
    paths = sorted(p for p in FIXTURES.iterdir()
                   if p.suffix in (".py", ".ipynb") and p.name not in NOT_LEARNERS)
    codes, verdicts = {}, collections.Counter()
    start = time.perf_counter()
    for path in paths:
        codes[path.name], found = check(path, args.timeout)
        verdicts.update(found)
    elapsed = time.perf_counter() - start
    with_verdict = sum(code in (0, 1) for code in codes.values())
    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder) / "course.ipynb"
        check_notebook.notebook(course)
        times = []
        for _ in range(args.repeats):
            begin = time.perf_counter()
            files.check_file(course)
            times.append(time.perf_counter() - begin)
    for name, code in codes.items():
        print(f"  exit {code}  {name}")
    print(f"{len(paths)} fixture files in {elapsed:.1f} s ({len(paths) / elapsed:.2f} files/s); "
          f"{with_verdict} of {len(paths)} got a verdict ({with_verdict / len(paths):.0%}); "
          f"functions: {dict(verdicts)}")
    print(f"the course notebook: median {statistics.median(times):.2f} s over {args.repeats} "
          f"runs (target: under 10 s)")
    print(json.dumps({"benchmark": "check_fixtures", "files": len(paths),
                      "files_per_s": round(len(paths) / elapsed, 3),
                      "verdict_share": round(with_verdict / len(paths), 3),
                      "functions": dict(verdicts),
                      "course_notebook_median_s": round(statistics.median(times), 3)}))


if __name__ == "__main__":
    main()
