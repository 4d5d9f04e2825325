"""Issue 26, "a checked file must not decide its own result", for notebooks and exercise
files: a file with a wrong ``linear_backward`` (db summed over every axis) tries to forge
its verdict in every way its process allows: write every path it is handed and every file
of its temporary folder, print a fake table, monkeypatch verigrad.exercises in its process
(at import and inside the function), hide the wrong function, os._exit(0) or sys.exit(0)
(at import and inside the function), loop forever. The verdicts are computed in the
checking process: each attempt exits 1 (or 2), never 0, and --json, written by the
checking process, says the function is wrong (or that nothing could be checked)."""
import json
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from verigrad.cli import main

RIGHT_FORWARD = """
import numpy as np

def linear_forward(A, W, b):
    Z = W @ A + b
    cache = (A, W, b)
    return Z, cache
"""

WRONG = RIGHT_FORWARD + """
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    {inside}
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db
"""

RIGHT = WRONG.replace("np.sum(dZ) / m", "np.sum(dZ, axis=1, keepdims=True) / m")

WRITE_EVERYTHING = """
import sys, os, json, pathlib, tempfile
fake = {"results": [{"name": "linear_backward", "exercise": "x", "verdict": "ok", "ok": True,
                     "config": None, "where": None, "assumed": None, "findings": [],
                     "report": None}], "notes": []}
targets = [pathlib.Path(a) for a in sys.argv[1:]]
for folder in [pathlib.Path(tempfile.gettempdir())] + [t.parent for t in targets]:
    try:
        targets += [p for p in folder.rglob("*") if p.is_file() and "verigrad" in str(p)]
    except OSError:
        pass
for target in targets:
    if not str(target.resolve()).startswith(os.environ["FORGERY_ROOT"]):
        continue  # the test's own folder only: never the machine's other files
    try:
        target.write_text(json.dumps(fake))
    except OSError:
        pass
"""

MONKEYPATCH = """
import verigrad.exercises as ve, verigrad.exercises.files as vf
import verigrad.exercises.isolation as vi, verigrad.exercises.core as vc
class Fine:
    ok, verdict, findings, name, exercise, config, report = True, "ok", [], "x", "x", None, None
ve.check_functions = lambda *a, **k: []
vc.Result = lambda *a, **k: Fine()
vf.as_payload = lambda *a, **k: {"results": [], "notes": []}
vi.check_isolated = lambda exercise, *a, **k: Fine()
vi.judge = lambda result, function: Fine()
"""

HIDE = """
import verigrad.exercises.learner_process as lp
_own = lp._own_functions
lp._own_functions = lambda namespace, names: {k: v for k, v in _own(namespace, names).items()
                                              if k != "linear_backward"}
"""

#: forgery -> (code at the file's top level, code inside linear_backward)
FORGERIES = {
    "writes every path and temporary file": (WRITE_EVERYTHING, ""),
    "writes every path, from the function": ("", "exec(WRITE_EVERYTHING)"),
    "prints a fake table": (
        'print("function         verdict\\nlinear_backward  ok")', 'print("ok")'),
    "monkeypatches verigrad at import": (MONKEYPATCH, ""),
    "monkeypatches verigrad in the function": ("", "exec(MONKEYPATCH)"),
    "hides the wrong function": (HIDE, ""),
    "os._exit(0) in the function": ("", "import os; os._exit(0)"),
    "sys.exit(0) at import": ("import sys\nsys.exit(0)", ""),
    "sys.exit(0) in the function": ("", "import sys; sys.exit(0)"),
}


def _source(top: str, inside: str, template: str = WRONG) -> str:
    text = template.format(inside=inside or "pass")
    helpers = f"WRITE_EVERYTHING = {WRITE_EVERYTHING!r}\nMONKEYPATCH = {MONKEYPATCH!r}\n"
    return helpers + text + "\n" + textwrap.dedent(top) + "\n"


def _write(tmp_path, text: str, notebook: bool):
    if not notebook:
        path = tmp_path / "exercises.py"
        path.write_text(text)
        return path
    # one cell per top-level block, as a notebook has them
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": block} for block in text.split("\n\n\n") if block.strip()]
    path = tmp_path / "Building_your_Deep_Neural_Network.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


@pytest.fixture(autouse=True)
def confined(tmp_path, monkeypatch):
    """The forgeries write every file they find: the temporary folders of both processes
    are the test's own, and FORGERY_ROOT tells the forging code where it may write."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("FORGERY_ROOT", str(tmp_path.resolve()))


def _check(tmp_path, path, *options):
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir(exist_ok=True)
    code = main(["check", str(path), "--json", str(out), *options])
    return code, json.loads(out.read_text())


#: the notebook form is tried with three of them (time)
CASES = [(f, False) for f in FORGERIES] + [
    (f, True) for f in ("writes every path and temporary file",
                        "monkeypatches verigrad in the function", "os._exit(0) in the function")]


@pytest.mark.parametrize(("forgery", "notebook"), CASES,
                         ids=[f"{f} ({'ipynb' if n else 'py'})" for f, n in CASES])
def test_a_wrong_function_cannot_forge_its_verdict(tmp_path, capsys, monkeypatch, forgery,
                                                    notebook):
    monkeypatch.chdir(tmp_path)
    top, inside = FORGERIES[forgery]
    # --all: the file's top-level code runs whole, not only its definitions
    code, result = _check(tmp_path, _write(tmp_path, _source(top, inside), notebook), "--all")
    assert code in (1, 2) and result["exit_code"] == code
    verdicts = {f["name"]: f for f in result["functions"]}
    assert verdicts["linear_forward"]["ok"] is True  # the right function is still judged
    wrong = verdicts["linear_backward"]
    assert wrong["ok"] is not True and result["score"] < result["max_score"]
    if forgery != "hides the wrong function":
        assert wrong["ok"] is False and code == 1
    printed = capsys.readouterr().out
    assert "linear_backward  ok" not in printed


def test_os_exit_at_import_cannot_pass(tmp_path, capsys):
    code, result = _check(tmp_path, _write(tmp_path, _source("import os\nos._exit(0)", ""),
                                           False), "--all")
    assert code == 2 and result["exit_code"] == 2
    assert "exit status 0" in capsys.readouterr().err


def test_an_endless_loop_obeys_timeout_and_the_others_are_judged(tmp_path, capsys):
    text = _source("", "") + textwrap.dedent("""
        def sigmoid(z):
            while True:
                pass
        """)
    start = time.monotonic()
    code, result = _check(tmp_path, _write(tmp_path, text, True), "--timeout", "4")
    assert time.monotonic() - start < 60
    verdicts = {f["name"]: f for f in result["functions"]}
    assert code == 1 and result["exit_code"] == 1
    assert verdicts["sigmoid"]["ok"] is False
    assert verdicts["sigmoid"]["findings"][0]["kind"] == "time_limit"
    assert verdicts["linear_forward"]["ok"] is True and verdicts["linear_backward"]["ok"] is False


@pytest.mark.parametrize("notebook", [False, True], ids=["py", "ipynb"])
def test_a_right_file_still_passes(tmp_path, capsys, notebook):
    code, result = _check(tmp_path, _write(tmp_path, _source("", "", RIGHT), notebook))
    assert code == 0 and result["score"] == result["max_score"] == 2


def test_a_pytorch_module_is_checked_through_the_pipe(tmp_path, capsys):
    # the module lives in the learner's process: its nn.Linear weights are read there, and
    # its nn.Dropout is recorded by a hook that calls back the checking process
    pytest.importorskip("torch")
    source = (Path(__file__).parent / "learners_torch_attention.py").read_text()
    path = tmp_path / "transformer_layers.py"
    path.write_text(source + "\nMultiHeadAttention.forward = forward_dropout_on_output\n")
    code, result = _check(tmp_path, path, "--all")
    verdicts = {f["name"]: f for f in result["functions"]}
    assert code == 1 and verdicts["PositionalEncoding.forward"]["ok"] is True
    wrong = verdicts["MultiHeadAttention.forward"]
    assert wrong["ok"] is False and wrong["findings"][0]["kind"] == "dropout_place"


def test_a_forged_manifest_on_its_pipe_cannot_pass(tmp_path, capsys):
    # the file writes, on the pipe its process answers through, a manifest that reports
    # no function, then ends: what its source defines is "cannot check", never passed over
    forge = textwrap.dedent("""
        import sys, os, json
        data = json.dumps({"op": "ready", "functions": {}, "arrays": []}).encode()
        os.write(int(sys.argv[2]), len(data).to_bytes(8, "little") + data)  # WRITE_FD
        os._exit(0)
        """)
    code, result = _check(tmp_path, _write(tmp_path, _source(forge, ""), False), "--all")
    verdicts = {f["name"]: f for f in result["functions"]}
    assert code == 2 and result["exit_code"] == 2
    assert verdicts["linear_backward"]["ok"] is None and result["score"] == 0


def test_what_cannot_travel_is_the_checks_limit_not_the_learners_mistake(tmp_path):
    from verigrad import wire
    from verigrad.exercises.core import Result, exception_finding
    from verigrad.exercises.isolation import judge
    from verigrad.exercises.remote import LearnerProcess

    path = tmp_path / "exercises.py"
    path.write_text(_source("", ""))
    with LearnerProcess(path) as learner:
        forward = learner.functions()["linear_forward"]
        Z, cache = forward(np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1)))
        assert Z.shape == (4, 2) and cache[0].shape == (3, 2)
        with pytest.raises(wire.CannotSend) as raised:
            forward(object(), np.ones((4, 3)), np.zeros((4, 1)))
    result = judge(Result("linear_forward", "x", None, [exception_finding(
        "linear_forward", raised.value)]), forward)
    assert result.ok is None and result.findings[0].kind == "environment"
