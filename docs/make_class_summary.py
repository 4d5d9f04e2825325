"""The "For teachers: a class at once" section of docs/checking-your-layers.md, with the
summary ``verigrad check FOLDER`` prints for a small class built from the test fixtures
(written into the page by docs/make_layers_walkthrough.py, which imports this)."""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from exercises.classroom import write_class  # noqa: E402

from verigrad.exercises import batch, class_summary  # noqa: E402

#: the submissions of the example: a right one, two wrong ones, one that does not parse
SHOWN = ("correct.ipynb", "wrong.py", "alice/week4.ipynb", "broken.py")

SECTION = """## For teachers: a class at once

`verigrad check` on a folder checks every notebook and `.py` file in it (sub-folders
included; checkpoints and hidden files left out) and prints one summary for the class:

```
verigrad check submissions/ --json-dir results/          # --jobs N: N files at once
verigrad check submissions/ --json-dir results/ --dask tcp://scheduler:8786
```

Each file is checked by a `verigrad check FILE --json` process of its own, with its time
limit (`--timeout`), as many at once as the machine has cores (`--jobs`), so a learner's
file that crashes, exits or never ends costs its own result and nothing else. With
`--dask ADDRESS` the files are tasks of a Dask cluster (the `dask` extra), each task running
that process on its worker, for a course whose submissions do not fit one machine; the
folder must be at the same path on the workers. `results/` gets one result per file, keyed
by its path (`results/alice/week4.ipynb.json` for `submissions/alice/week4.ipynb`: the JSON
of `--json`, each written whole as its check ends, so that a task a cluster runs again
replaces it), then, read back from them, `summary.json`, `summary.csv` (one row per
function) and `scores.csv` (one row per submission, a column per function: a grade sheet).
On a class of four -- one right, two with a missing 1/m (one of them with a ReLU backward
that masks on the gradient), one that does not parse -- it prints:

```text
CLASS_OUTPUT
```

and exits with 1. The exit status is 0 only when every file was checked and every function
in it is right, 1 otherwise (a function wrong, not done or not checkable, a file that could
not be run), 2 when the command cannot run as asked (no such folder, no submission in it, an
unreachable scheduler).
"""


def class_output():
    """What ``verigrad check submissions/`` prints for the example class."""
    with tempfile.TemporaryDirectory() as scratch:
        folder, results = Path(scratch) / "submissions", Path(scratch) / "results"
        write_class(folder, hang=False)
        paths = [folder / key for key in sorted(SHOWN)]
        keys = batch.check_all(folder, paths, results, timeout=60, jobs=2)
        summary = class_summary.summarize(class_summary.load(results, keys), "submissions/")
    return class_summary.table(summary)


def section():
    return SECTION.replace("CLASS_OUTPUT", class_output())


if __name__ == "__main__":
    print(section())
