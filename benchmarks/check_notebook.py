"""How long ``verigrad check`` takes on a whole course notebook's functions.

Builds a notebook with every exercise of the catalogue that the test fixtures implement
(course 1 week 4, course 2 week 1, course 4 week 1, course 5 week 1 and CS231n's dense,
normalization, dropout, convolution and recurrent layers, written as learners write them,
loops included), then times ``verigrad check`` on it: the worker process, running the cells and
every exercise's configurations. Prints the median of --repeats runs and one JSON line.

    python benchmarks/check_notebook.py [--repeats 3]
"""
import argparse
import inspect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from exercises import (  # noqa: E402
    learners_conv,
    learners_dense,
    learners_normalization,
    learners_recurrent,
    learners_regularization,
)

from verigrad.exercises import files  # noqa: E402

MODULES = (learners_dense, learners_regularization, learners_normalization, learners_conv,
           learners_recurrent)


def notebook(path):
    cells = ["import numpy as np\n"]
    for module in MODULES:
        helpers = getattr(module, "HELPERS", [])
        cells += [inspect.getsource(f) for f in [*helpers, *module.CORRECT.values()]]
    content = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                          "execution_count": None, "source": source} for source in cells],
               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(content), encoding="utf-8")
    return sum(len(module.CORRECT) for module in MODULES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "course.ipynb"
        functions = notebook(path)
        times, payload = [], None
        for _ in range(args.repeats):
            start = time.perf_counter()
            payload = files.check_file(path)
            times.append(time.perf_counter() - start)
    checked = len(payload["results"])
    wrong = [r["name"] for r in payload["results"] if not r["ok"]]
    median = statistics.median(times)
    print(f"{functions} functions in the notebook, {checked} exercises checked "
          f"({len(wrong)} not ok: {wrong}); verigrad check: median {median:.2f} s over "
          f"{args.repeats} runs (min {min(times):.2f} s)")
    print(json.dumps({"benchmark": "check_notebook", "functions": functions,
                      "exercises": checked, "median_s": round(median, 3),
                      "min_s": round(min(times), 3), "repeats": args.repeats}))


if __name__ == "__main__":
    main()
