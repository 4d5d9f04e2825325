"""Fault injection: saves and runs interrupted half-way (Ctrl-C, a full disk) leave every
file written before them as it was, and no half-written file behind."""
import json

import numpy as np
import pytest

import verigrad as vg
from verigrad._files import atomic_write
from verigrad.cli import main


def interrupt_after(monkeypatch, owner, name, calls=1, error=KeyboardInterrupt):
    """Make ``owner.name`` raise ``error`` on its ``calls``-th call (the earlier ones run)."""
    original, count = getattr(owner, name), [0]

    def wrapper(*args, **kwargs):
        count[0] += 1
        if count[0] == calls:
            raise error("injected")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_write(target, "w") as file:
        file.write("new, half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and leftovers(tmp_path) == []
    with atomic_write(target, "w") as file:
        file.write("new")
    assert target.read_text() == "new" and leftovers(tmp_path) == []


def test_an_interrupted_model_save_keeps_the_previous_model(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    first = vg.mlp([4, 6, 3], seed=1)
    first.save(path)
    saved = path.read_bytes()
    # the second array written raises: the archive is half done when the interrupt comes
    interrupt_after(monkeypatch, np.lib.format, "write_array", calls=2)
    with pytest.raises(KeyboardInterrupt):
        vg.mlp([4, 6, 3], seed=2).save(path)
    assert path.read_bytes() == saved and leftovers(tmp_path) == []
    loaded = vg.load(path)
    np.testing.assert_array_equal(loaded.params["W1"], first.params["W1"])


def test_a_full_disk_during_a_history_save_keeps_the_previous_history(tmp_path, monkeypatch):
    path = tmp_path / "history.json"
    history = vg.History(batch_size=4, steps_per_epoch=1)
    history.cost, history.step_cost = [1.0], [1.0]
    history.save(path)
    before = path.read_text()
    history.cost.append(0.5)
    interrupt_after(monkeypatch, json, "dumps", error=OSError)
    with pytest.raises(OSError):
        history.save(path)
    assert path.read_text() == before and leftovers(tmp_path) == []


def test_an_interrupted_plot_keeps_the_previous_picture(tmp_path, monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    from verigrad.plots import plot_history
    history = vg.History(batch_size=4, steps_per_epoch=1)
    history.cost, history.step_cost, history.lr = [1.0, 0.5], [1.0, 0.5], [0.1, 0.1]
    history.accuracy = [0.5, 0.6]
    path = tmp_path / "curves.png"
    plot_history(history, path)
    before = path.read_bytes()
    interrupt_after(monkeypatch, plt.Figure, "savefig")
    with pytest.raises(KeyboardInterrupt):
        plot_history(history, path, title="second")
    assert path.read_bytes() == before and leftovers(tmp_path) == []


RUN = ["train", "toy", "--samples", "200", "--val-size", "20", "--epochs", "3", "--quiet"]


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("where", ["training", "saving"])
def test_an_interrupted_run_leaves_the_previous_run_whole(where, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main([*RUN, "--out", str(out)]) == 0
    before = snapshot(out)
    if where == "training":
        interrupt_after(monkeypatch, vg.Adam, "step", calls=5)
    else:  # the model and history are written, then the curves are interrupted
        interrupt_after(monkeypatch, json, "dumps", calls=2)
    assert main([*RUN, "--seed", "3", "--overwrite", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    # the new run's files are written aside and only move in once all are there
    assert snapshot(out) == before
