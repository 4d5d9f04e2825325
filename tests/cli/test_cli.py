"""The command line, run as a user would."""
import json
import subprocess
import sys

import numpy as np
import pytest

import verigrad as vg
from verigrad.cli import main


def test_help_documents_the_commands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "train" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for flag in ("--hidden", "--activation", "--epochs", "--batch-size", "--optimizer", "--lr",
                 "--schedule", "--dropout", "--l2", "--seed", "--dtype", "--out", "--download"):
        assert flag in text


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "verigrad.cli", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "verigrad" in result.stdout


def test_train_mnist_writes_model_history_and_plot(data_dir, tmp_path, capsys, monkeypatch):
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    monkeypatch.setenv("VERIGRAD_DATA", str(data_dir))
    out = tmp_path / "run"
    code = main(["train", "mnist", "--train-size", "3000", "--val-size", "500", "--epochs", "2",
                 "--hidden", "32", "--optimizer", "momentum", "--schedule", "cosine",
                 "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    accuracy = config["test"]["accuracy"]
    assert f"test accuracy: {accuracy:.2%}" in printed
    assert accuracy > 0.8
    history = vg.History.load(out / "history.json")
    assert history.epochs == 2 and len(history.val_cost) == 2
    assert history.lr[1] == pytest.approx(0.05 * (1 + np.cos(np.pi / 2)) / 2)
    model = vg.load(out / "model.npz")
    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(data_dir / "mnist")
    assert model.evaluate(X_test, Y_test)["accuracy"] == pytest.approx(accuracy)
    plt = pytest.importorskip("matplotlib.pyplot")
    assert plt.imread(out / "curves.png").shape[:2] == (400, 1100)


def test_missing_data_explains_and_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VERIGRAD_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["train", "fashion-mnist", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "fashion-mnist not found" in err and "--download" in err
