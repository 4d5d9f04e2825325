"""What the commands write: output folders checked before training, one run per folder,
the curves and last good weights of a diverged run, and what ``check`` trusts."""
import json
import os

import numpy as np
import pytest

import verigrad as vg
from verigrad.cli import main

TOY = ["train", "toy", "--samples", "200", "--val-size", "20", "--epochs", "2", "--quiet"]


def test_an_output_folder_that_cannot_be_written_stops_the_run_before_training(tmp_path,
                                                                               capsys):
    (tmp_path / "file").write_text("not a folder")
    for out in (tmp_path / "file", tmp_path / "file" / "run"):
        assert main([*TOY, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"--out {out}" in err and "epoch" not in err
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main([*TOY, "--out", str(locked / "run")]) == 2
        assert "cannot be written" in capsys.readouterr().err


def test_a_second_run_into_the_same_folder_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TOY, "--out", str(out), "--diagnose"]) == 0
    first = (out / "model.npz").read_bytes()
    assert (out / "diagnostics.txt").is_file()
    assert main([*TOY, "--out", str(out), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "holds an earlier run" in err and "--overwrite" in err
    assert (out / "model.npz").read_bytes() == first
    assert main([*TOY, "--out", str(out), "--seed", "1", "--overwrite"]) == 0
    assert (out / "model.npz").read_bytes() != first
    # files of the first run that the second did not write are gone: no mixed folder
    assert not (out / "diagnostics.txt").exists() and not (out / "diagnostics.png").exists()
    assert json.loads((out / "config.json").read_text())["seed"] == 1


def test_test_labels_always_fit_the_network(tmp_path, capsys):
    """A --train-size too small to hold every class still builds one output per class of
    the data set, so the test set can be evaluated."""
    out = tmp_path / "run"
    assert main(["train", "toy", "--dataset", "blobs", "--classes", "5", "--samples", "100",
                 "--train-size", "4", "--val-size", "0", "--epochs", "1", "--quiet",
                 "--out", str(out)]) == 0
    assert vg.load(out / "model.npz").n_out == 5


def test_a_diverged_run_keeps_its_curves_and_last_good_weights(tmp_path, capsys,
                                                               monkeypatch):
    """The update of step 20 (in epoch 3 of 7-step epochs) blows W1 up; the run folder then
    holds the two finished epochs: their curves, history and weights."""
    step = vg.Adam.step
    kept = {}

    def blow_up(self, params, grads):
        step(self, params, grads)
        if self.t == 14:
            kept.update({k: v.copy() for k, v in params.items()})
        if self.t == 20:
            params["W1"][0, 0] = np.inf

    monkeypatch.setattr(vg.Adam, "step", blow_up)
    out = tmp_path / "run"
    assert main(["train", "toy", "--samples", "220", "--val-size", "20", "--batch-size", "32",
                 "--epochs", "5", "--quiet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "training diverged at step 20" in err and "wrote" in err and "Traceback" not in err
    history = vg.History.load(out / "history.json")
    assert history.epochs == 2 and len(history.step_cost) == 20
    assert "diverged" in json.loads((out / "config.json").read_text())
    model = vg.load(out / "model.npz")
    for name, value in kept.items():
        np.testing.assert_array_equal(model.params[name], value)
    assert (out / "curves.png").is_file()


def test_a_diverged_overwrite_run_keeps_the_earlier_good_run(tmp_path, capsys,
                                                             monkeypatch):
    """--overwrite replaces a run with one that finished; a diverged run goes into
    OUT/diverged instead, leaving the earlier model and its pictures as they were. The next
    run that finishes removes that record."""
    out = tmp_path / "run"
    assert main([*TOY, "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"model.npz", "curves.png", "boundary.png"} <= set(before)
    step = vg.Adam.step

    def blow_up(self, params, grads):
        step(self, params, grads)
        if self.t == 9:
            params["W1"][0, 0] = np.inf

    with monkeypatch.context() as patch:
        patch.setattr(vg.Adam, "step", blow_up)
        assert main([*TOY, "--out", str(out), "--seed", "1", "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert f"the earlier run in {out} is kept" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert "diverged" in json.loads((out / "diverged" / "config.json").read_text())
    assert vg.History.load(out / "diverged" / "history.json").epochs == 1
    assert main([*TOY, "--out", str(out), "--seed", "2", "--overwrite"]) == 0
    assert not (out / "diverged").exists()


CHECKED = """
import numpy as np
params = {"W": np.ones((2, 2))}
def cost(p):
    BODY
    return float((p["W"] ** 2).sum())
def grads(p):
    return {"dW": 2 * p["W"]}
"""


@pytest.mark.parametrize("body, says", [
    ("", None),
    ("import sys; sys.exit(0)", "called sys.exit(0)"),
    ("import os; os._exit(0)", "ended the check before it finished"),
    ("raise RuntimeError('my bug')", "raised RuntimeError: my bug (line 5"),
    ("raise KeyboardInterrupt", "raised KeyboardInterrupt"),
    ("return 'one'", "must return one number"),
])
def test_check_takes_its_verdict_from_the_report_never_from_the_files_exit(body, says,
                                                                            tmp_path, capsys):
    learner = tmp_path / "learner.py"
    learner.write_text(CHECKED.replace("BODY", body or "pass"))
    status = main(["check", str(learner)])
    captured = capsys.readouterr()
    if says is None:
        assert status == 0 and "Result: OK" in captured.out
        return
    assert status == 2, captured
    err = captured.err
    assert err.count("\n") == 1 and says in err and "Traceback" not in err


def test_check_at_import_time_exit_and_syntax_errors(tmp_path, capsys):
    learner = tmp_path / "learner.py"
    learner.write_text(CHECKED.replace("BODY", "pass") + "import sys\nsys.exit(0)\n")
    assert main(["check", str(learner)]) == 2
    err = capsys.readouterr().err
    assert "called sys.exit(0) (line 10" in err and err.count("\n") == 1, err
    for text in ("import sys\nsys.exit(0)\n", "def broken(:\n", "params = {}\n",
                 "import os\nos._exit(0)\n"):
        learner.write_text(text)
        assert main(["check", str(learner)]) == 2
        assert "Traceback" not in capsys.readouterr().err


def test_check_says_it_runs_the_file():
    from verigrad.cli import build_parser
    parser = build_parser()
    check = next(a for a in parser._actions if a.dest == "command").choices["check"]
    assert "executes the Python code" in check.format_help().replace("\n", " ")
