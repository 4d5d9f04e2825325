"""Issue 26, "a checked file must not decide its own result": a params/cost/grads file with
a wrong gradient tries to forge its verdict in every way its process allows (write the
result file, print a verdict, os._exit(0), monkeypatch verigrad in its own process). Each
attempt fails: exit 1 (or 2), never 0, and --json, written by the checking process, says
so. Every file form obeys --timeout and --json."""
import json
import textwrap
import time

import pytest

from verigrad.cli import main

WRONG = """
import numpy as np
params = {"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([[0.1], [-0.2]])}
X = np.array([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0]])

def cost(p):
    return float(np.sum(np.tanh(p["W"] @ X + p["b"]) ** 2)) / 3

def grads(p):
    A = np.tanh(p["W"] @ X + p["b"])
    dZ = 2 * A * (1 - A ** 2) / 3
    return {"dW": 2 * dZ @ X.T, "db": dZ.sum(axis=1, keepdims=True)}  # bug: 2 ×
"""

FORGERIES = {
    "writes every path it is handed": """
import sys, json, pathlib
for arg in sys.argv[1:]:
    for target in (pathlib.Path(arg), pathlib.Path(arg).parent / "result.json"):
        try:
            target.write_text(json.dumps({"ok": True}))
        except OSError:
            pass
""",
    "prints a fake verdict": """
print("Result: OK, every gradient matches.")
""",
    "monkeypatches verigrad in its process": """
import verigrad, verigrad.gradcheck, verigrad.cli._learner as learner
class Fake:
    ok = True
    def __str__(self):
        return "Result: OK, every gradient matches."
verigrad.check_backprop = verigrad.gradcheck.check_backprop = lambda *a, **k: Fake()
learner.describe = lambda err, path: "fine"
""",
}


def write(tmp_path, text):
    path = tmp_path / "my_backprop.py"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_wrong_gradient_cannot_forge_its_verdict(tmp_path, capsys, forgery, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the forgery writes every path it is handed, relative ones too
    path = write(tmp_path, WRONG + FORGERIES[forgery])
    out = tmp_path / "result.json"
    assert main(["check", str(path), "--json", str(out)]) == 1
    result = json.loads(out.read_text())
    grads = result["functions"][0]
    assert result["exit_code"] == 1 and grads["ok"] is False and result["score"] == 0
    assert {(f["kind"], f["param"]) for f in grads["findings"]} >= {("scale", "W")}
    assert "WRONG" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["at import", "in grads"])
def test_os_exit_0_is_never_a_pass(tmp_path, capsys, where):
    text = WRONG + ("import os\nos._exit(0)\n" if where == "at import" else
                    "_grads = grads\ndef grads(p):\n    import os\n    os._exit(0)\n")
    out = tmp_path / "result.json"
    assert main(["check", str(write(tmp_path, text)), "--json", str(out)]) == 2
    assert "ended the check before it finished" in capsys.readouterr().err
    assert json.loads(out.read_text())["exit_code"] == 2


def test_a_cost_that_never_returns_obeys_timeout_and_json(tmp_path, capsys):
    text = WRONG + "def cost(p):\n    while True:\n        pass\n"
    out = tmp_path / "result.json"
    start = time.monotonic()
    assert main(["check", str(write(tmp_path, text)), "--timeout", "3", "--json",
                 str(out)]) == 2
    assert time.monotonic() - start < 30
    assert "did not finish within --timeout 3 s" in capsys.readouterr().err
    assert json.loads(out.read_text())["exit_code"] == 2


def test_a_right_file_passes_and_its_json_is_written_by_the_checker(tmp_path, capsys):
    text = WRONG.replace('"dW": 2 * dZ @ X.T', '"dW": dZ @ X.T')
    out = tmp_path / "result.json"
    assert main(["check", str(write(tmp_path, text)), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["functions"][0]["ok"] is True and result["score"] == result["max_score"] == 1
    assert "Result: OK" in capsys.readouterr().out


def test_mutation_dropout_and_floating_errors_still_reach_the_verdict(tmp_path, capsys):
    # the child's in-place changes and its random draws are seen by the checking process
    text = WRONG.replace('"dW": 2 * dZ @ X.T', '"dW": dZ @ X.T') + textwrap.dedent("""
    _cost = cost
    def cost(p):
        p["W"] += 0.0 * np.random.rand()  # in place, and a random draw: no effect on J
        p["b"] -= 1.0
        p["b"] += 1.0
        return _cost(p)
    """)
    assert main(["check", str(write(tmp_path, text))]) in (0, 1)
    assert "Result:" in capsys.readouterr().out


def test_a_cost_returning_none_is_one_clear_error(tmp_path, capsys):
    text = WRONG + "def cost(p):\n    np.sum(p['W'])\n"
    assert main(["check", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert "returned None" in err and "exp" not in err and "Traceback" not in err


BATCH_CASES = {
    "right": WRONG.replace('"dW": 2 * dZ @ X.T', '"dW": dZ @ X.T'),
    "wrong": WRONG,
    "dropout left on in cost": WRONG + textwrap.dedent("""
    _cost = cost
    def cost(p):
        return _cost(p) * (1 + 0.1 * (np.random.rand() > 0.5))
    """),
    "a perturbed cost changes its params": WRONG + textwrap.dedent("""
    _cost = cost
    def cost(p):
        if abs(p["W"][0, 0] - 1.0) > 1e-12:
            p["b"][0, 0] += 1e-3
        return _cost(p)
    """),
    "a perturbed cost raises": WRONG + textwrap.dedent("""
    _cost = cost
    def cost(p):
        if p["W"][1, 1] > 3.0:
            raise ValueError("too large")
        return _cost(p)
    """),
}


@pytest.mark.parametrize("case", list(BATCH_CASES))
def test_batched_costs_give_the_report_of_one_call_each(tmp_path, case):
    # the child asked for many costs per message (cost.many) says what one call each says:
    # the same seeds in the same order, in-place changes and errors found as before
    from verigrad.cli.backprop_file import LearnerCost, LearnerFailed, LearnerProcess
    from verigrad.gradcheck import check_backprop

    path = write(tmp_path, BATCH_CASES[case])
    said = []
    for batched in (True, False):
        with LearnerProcess(path, timeout=60) as learner:
            learner.start()
            cost = LearnerCost(learner) if batched else learner.cost
            try:
                said.append(str(check_backprop(cost, learner.grads, learner.params,
                                               mode="full", seed=3)))
            except LearnerFailed as err:
                said.append(f"failed: {err}")
        learner.output()
    assert said[0] == said[1]
    assert ("too large" in said[0]) == (case == "a perturbed cost raises")
