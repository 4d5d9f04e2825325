"""``verigrad check FOLDER`` gives each file the verdict of a real result, the same on every
run: a crash or a kill of a file's check is "could not be run", never "wrong"; the
params/cost/grads form is read from its JSON; the time limits count CPU time, so that a
busy machine does not change a verdict."""
import contextlib
import io
import json
import time

import pytest

from verigrad.cli import main
from verigrad.exercises import batch, class_summary
from verigrad.exercises.isolation import TimeLimitExceeded, time_limit

from .classroom import write_class

TIMEOUT = "8"

#: the params/cost/grads form of ``verigrad check``, with the gradient's sign wrong
BACKPROP = """import numpy as np

params = {"W1": np.arange(6.0).reshape(2, 3) / 5, "b1": np.ones((2, 1))}

def cost(p):
    return 0.5 * np.sum(p["W1"] ** 2) + np.sum(p["b1"])

def grads(p):
    return {"dW1": -p["W1"], "db1": np.ones((2, 1))}
"""


def check_class(folder, results, *options):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", str(folder), "--json-dir", str(results), "--timeout", TIMEOUT,
                     *options])
    return code


def test_a_crash_of_the_checker_is_could_not_be_run_never_wrong(tmp_path, monkeypatch):
    # every check's process crashes with a traceback (exit status 1, as "wrong" exits),
    # injected at its start through sitecustomize
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "from verigrad.exercises import files\n\n"
        "def crash(*args, **kwargs):\n"
        "    raise KeyError('notes')\n\n"
        "files.check_file = crash\n")
    monkeypatch.setenv("PYTHONPATH", str(hooks))
    write_class(tmp_path / "class", hang=False)
    assert check_class(tmp_path / "class", tmp_path / "results", "--pattern", "wrong.py") == 1
    result = json.loads((tmp_path / "results" / "wrong.py.json").read_text())
    assert result["exit_code"] == 2 and "functions" not in result
    assert result["error"] == ("the check of wrong.py ended with exit status 1 without writing "
                               "its result: KeyError: 'notes'")
    summary = json.loads((tmp_path / "results" / "summary.json").read_text())
    assert summary["functions"] == [] and summary["not_run"][0]["file"] == "wrong.py"


def test_a_killed_check_is_could_not_be_run(tmp_path):
    result = batch._without_json(tmp_path / "a.py", -9, "", "")
    assert result["exit_code"] == 2 and "killed by signal 9" in result["error"]


def test_the_params_cost_grads_form_is_read_from_its_json(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "my_backprop.py").write_text(BACKPROP)
    assert check_class(folder, tmp_path / "results", "--pattern", "my_*") == 1
    result = json.loads((tmp_path / "results" / "my_backprop.py.json").read_text())
    (grads,) = result["functions"]
    assert (grads["name"], grads["verdict"], result["score"], result["exit_code"]) == (
        "grads", "WRONG", 0, 1)
    assert class_summary.finding_label(grads) == "sign (W1)" and "Result: WRONG" in grads[
        "report"]


def busy(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_statement_is_limited_in_cpu_time_and_waiting_code_in_wall_time():
    # an endless computation is stopped at its CPU time, however busy the machine is
    with pytest.raises(TimeLimitExceeded, match="ran longer than 0.2 s"):
        with time_limit(0.2):
            busy(5)
    with pytest.raises(TimeLimitExceeded, match="waited longer than 0.1 s without computing"):
        with time_limit(0.1):
            time.sleep(5)
    # 0.1 s of CPU time over 0.5 s, as a machine giving it a fifth of a core runs it
    with time_limit(0.2):
        for _ in range(5):
            busy(0.02)
            time.sleep(0.08)
    busy(0.3)  # no timer is left running after the block
