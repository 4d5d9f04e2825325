"""A class's submissions for the tests of ``verigrad check FOLDER`` (and its docs and
benchmark): small notebooks and files written from the learner fixtures, each with the same
four exercises (DLS course 1 week 4's linear_forward/backward, CS231n's relu pair), right,
wrong, left as the template, not parseable, or hanging."""
import inspect
import json
from pathlib import Path

from exercises import learners_dense

FUNCTIONS = ("linear_forward", "linear_backward", "relu_forward", "relu_backward")

STUB = '''def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    ### START CODE HERE ### (≈ 3 lines of code)
    dW = None
    db = None
    dA_prev = None
    ### END CODE HERE ###
    return dA_prev, dW, db
'''

HANG = "import time\n\nstarted = time.sleep(3600)  # a cell that never ends\n"


def source(function, name=None):
    """A fixture function's code, defined under ``name`` (a mistake under its exercise's)."""
    text = inspect.getsource(function)
    return text if name is None else text.replace(f"def {function.__name__}(", f"def {name}(", 1)


def cells(replaced=None):
    """The four exercises, correct except those in ``replaced`` ({name: code})."""
    replaced = replaced or {}
    return ["import numpy as np\n"] + [
        replaced.get(name) or source(learners_dense.CORRECT[name]) for name in FUNCTIONS]


def write_notebook(path, sources):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": text} for text in sources],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return path


def write_file(path, sources):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(sources), encoding="utf-8")
    return path


def no_m():
    return source(learners_dense.linear_backward_no_m, "linear_backward")


def write_class(folder, hang=True):
    """A class folder: the submissions' paths inside it as keys, and what each one is."""
    folder = Path(folder)
    write_notebook(folder / "correct.ipynb", cells())
    write_file(folder / "wrong.py", cells({
        "linear_backward": no_m(),
        "relu_backward": source(learners_dense.relu_backward_mask_from_dout,
                                "relu_backward")}))
    write_notebook(folder / "alice" / "week4.ipynb", cells({"linear_backward": no_m()}))
    write_notebook(folder / "stub.ipynb", cells({"linear_backward": STUB}))
    write_file(folder / "broken.py", ["import numpy as np\n",
                                      "def linear_forward(A, W, b)\n    return W @ A + b\n"])
    if hang:
        write_notebook(folder / "hangs.ipynb", [HANG] + cells())
    # not submissions: a checkpoint copy and a hidden file
    write_notebook(folder / ".ipynb_checkpoints" / "correct-checkpoint.ipynb", cells())
    write_file(folder / ".hidden.py", ["x = 1\n"])
    return {"correct.ipynb": "right", "wrong.py": "wrong", "alice/week4.ipynb": "wrong",
            "stub.ipynb": "stub", "broken.py": "does not parse",
            **({"hangs.ipynb": "hangs"} if hang else {})}
