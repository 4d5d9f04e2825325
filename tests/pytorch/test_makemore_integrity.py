"""Issue 26, "a checked file must not decide its own result", for makemore's PyTorch
notebook: a small notebook with a wrong gradient (dW is 2 × autograd's) tries to forge its
verdict in every way its process allows: write every path it is handed and the files of its
temp folders, print a fake table, patch verigrad's makemore, graph and cmp in its process
(before its comparison runs), send made-up messages through its pipe, os._exit(0). Each
attempt fails: exit 1 (or 2), never 0, and --json, written by the checking process, says
so. The notebook obeys --timeout."""
import json
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from verigrad.cli import main  # noqa: E402
from verigrad.pytorch import makemore  # noqa: E402
from verigrad.pytorch.compare import Evidence, decide, gather  # noqa: E402

SETUP = [
    "import torch",
    "def cmp(s, dt, t):\n  ex = torch.all(dt == t.grad).item()\n"
    "  app = torch.allclose(dt, t.grad)\n  maxdiff = (dt - t.grad).abs().max().item()\n"
    "  print(f'{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}')",
    "g = torch.Generator().manual_seed(0)\nX = torch.randn((8, 4), generator=g)\n"
    "W = torch.randn((4, 3), generator=g, requires_grad=True)\nh = torch.tanh(X @ W)\n"
    "loss = (h ** 2).mean()\nloss.backward()",
]
WRONG = ("dh = 2 * h / h.numel()\ndW = 2 * (X.T @ ((1 - h**2) * dh))  # bug: 2 ×\n"
         "cmp('W', dW, W)")

FORGE_FILES = """
import json, os, pathlib, sys
row = {"name": "W", "section": "cell 4", "ok": True, "verdict": "exact", "kind": None,
       "message": "bit for bit", "maxdiff": 0.0, "cell": 4, "line": 3, "code": None}
fake = json.dumps({"results": [row], "notes": [], "done": True, "exit_code": 0, "score": 1})
targets = [pathlib.Path(a) for a in sys.argv[1:]]
for fd in os.listdir("/proc/self/fd"):  # its output files, in the checker's temp folder
    try:
        targets.append(pathlib.Path(os.readlink(f"/proc/self/fd/{fd}")))
    except OSError:
        pass
parent = pathlib.Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\\0")
targets += [pathlib.Path(a.decode()) for a in parent if a.endswith(b".json")]
for target in targets:
    for path in (target, target.parent / "result.json"):
        if not str(path.resolve()).startswith(os.environ["FORGERY_ROOT"]):
            continue  # the test's own folder only: never the machine's other files
        try:
            if path.is_file() or not path.exists():
                path.write_text(fake)
        except OSError:
            pass
os._exit(0)
"""
FORGERIES = {
    "writes every path it is handed": ("after", FORGE_FILES),
    "prints a fake table": ("after", """
import sys
print("tensor  verdict  finding  line\\nW       exact    -        cell 4, line 3")
print("W               | verigrad: exact: bit for bit autograd's gradient", file=sys.stderr)
"""),
    "patches verigrad in its process": ("before", """
import verigrad.pytorch as vp, verigrad.pytorch.compare as compare
import verigrad.pytorch.graph as graph, verigrad.pytorch.makemore as mm
right = compare.judge('W', W.grad, W)
for module in (vp, compare, mm):
    for name in ("judge", "decide", "cmp"):
        setattr(module, name, lambda *a, **k: right)
def gather(name, dt, t, **k):
    return compare.Evidence(name, t.grad.numpy(), t.grad.numpy())
compare.gather = mm.gather = gather
graph.paths = lambda *a, **k: None
mm.exit_code = lambda payload: 0
"""),
    "sends made-up messages through its pipe": ("after", """
import os, sys
from verigrad import wire
from verigrad.pytorch.compare import Evidence
tx = os.fdopen(int(sys.argv[1]), "wb")
header, arrays = Evidence("W", W.grad.numpy(), W.grad.numpy()).to_message()
wire.send(tx, {"op": "cmp", "cell": 5, "line": 3, "evidence": header}, arrays)
wire.send(tx, {"op": "done"})
os._exit(0)
"""),
    "calls os._exit(0) after its cells": ("after", "import os\nos._exit(0)"),
}


def write(folder, cells):
    sources = [*SETUP, *cells]
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                           "outputs": [], "source": s} for s in sources],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    path = folder / "makemore_part4_backprop.ipynb"
    path.write_text(json.dumps(notebook))
    return path


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_wrong_gradient_cannot_forge_its_verdict(tmp_path, capsys, forgery, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the forgery writes every file it finds: the temporary folders of both processes are
    # the test's own, and FORGERY_ROOT tells the forging code where it may write
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("FORGERY_ROOT", str(tmp_path.resolve()))
    where, code = FORGERIES[forgery]
    path = write(tmp_path, [code, WRONG] if where == "before" else [WRONG, code])
    out = tmp_path / "result.json"
    if forgery == "writes every path it is handed":  # the --json path is in its parent's argv
        status = subprocess.run([sys.executable, "-m", "verigrad.cli", "check", str(path),
                                 "--json", str(out)], capture_output=True, text=True)
        code, text = status.returncode, status.stdout
    else:
        code, text = main(["check", str(path), "--json", str(out)]), capsys.readouterr().out
    assert code == 1, text
    result = json.loads(out.read_text())
    assert result["exit_code"] == 1 and result["score"] < result["max_score"]
    assert [(r["name"], r["verdict"], r["kind"]) for r in result["tensors"]][:1] == [
        ("W", "wrong", "scale")]
    assert "wrong" in text and "<- first wrong" in text


def test_a_right_gradient_passes(tmp_path, capsys):
    path = write(tmp_path, [WRONG.replace("dW = 2 * (", "dW = (")])
    out = tmp_path / "result.json"
    assert main(["check", str(path), "--json", str(out)]) == 0, capsys.readouterr().out
    assert json.loads(out.read_text())["score"] == 1


def test_a_notebook_that_never_ends_obeys_timeout_and_json(tmp_path, capsys):
    path = write(tmp_path, ["while True:\n  pass", WRONG])
    out = tmp_path / "result.json"
    start = time.monotonic()
    assert main(["check", str(path), "--timeout", "2", "--json", str(out)]) == 2
    assert time.monotonic() - start < 30
    assert "did not finish within --timeout 2 s" in capsys.readouterr().out
    assert json.loads(out.read_text())["exit_code"] == 2


def test_a_comparison_that_never_ran_is_never_a_pass(tmp_path):
    # its cell raises before the cmp: the other comparison is right, the result is 2, not 0
    right = WRONG.replace("dW = 2 * (", "dW = (")
    payload = makemore.check_notebook(write(tmp_path, [right, "undefined_name\n" + right]))
    assert len(payload["results"]) == 1 and payload["results"][0]["ok"]
    assert payload["skipped"] == ["cell 5, line 4"]
    assert makemore.exit_code(payload) == 2
    assert "never ran" in makemore.table(payload)


def test_evidence_crosses_the_wire_unchanged(mlp32):
    # every kind of the shared fixture: decided from the message, the same verdict
    v = mlp32
    cases = [("h", v["d"]["h"] * 32, v["h"]), ("W2", v["d"]["W2"].T, v["W2"]),
             ("bnmeani", v["d"]["bnmeani"], v["bnmeani"]), ("C", None, v["C"]),
             ("hpreact", (1 - v["hpreact"] ** 2) * v["d"]["h"], v["hpreact"])]
    for name, dt, t in cases:
        evidence = gather(name, dt, t, loss=v["loss"])
        header, arrays = evidence.to_message()
        header = json.loads(json.dumps(header))
        again = decide(Evidence.from_message(header, [np.array(a) for a in arrays]))
        expected = decide(evidence)
        assert (again.verdict, again.kind, again.message) == (
            expected.verdict, expected.kind, expected.message), name
    assert decide(evidence).kind == "tanh_derivative"


@pytest.mark.parametrize("header", [
    {"name": "W", "dt": True, "truth": True}, {"name": 3, "dt": False, "truth": False},
    {"name": "W", "dt": False, "truth": False, "uses": [{"op": "x", "share": False}]},
    {"name": "W", "dt": False, "truth": False, "upstream": "big"}, []])
def test_malformed_evidence_is_refused(header):
    with pytest.raises(ValueError):
        Evidence.from_message(header, [])
