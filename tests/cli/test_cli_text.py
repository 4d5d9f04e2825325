"""'verigrad train shakespeare' (a character-level language model, here on a small text of
our own) and 'verigrad sample RUN_DIR'."""
import json

import numpy as np
import pytest

import verigrad as vg
from verigrad.cli import main
from verigrad.sampling import sample_ids

TEXT = "the cat sat on the mat.\n" * 60


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    (folder / "text.txt").write_text(TEXT)
    out = folder / "run"
    assert main(["train", "shakespeare", "--data", str(folder / "text.txt"), "--hidden", "24",
                 "--embedding", "8", "--seq-len", "24", "--batch-size", "8", "--epochs", "30",
                 "--lr", "0.02", "--val-size", "240", "--diagnose", "--threads", "2",
                 "--out", str(out), "--quiet"]) == 0
    return out


def test_train_writes_the_run_and_learns_the_text(run_dir, capsys):
    for name in ("model.npz", "vocab.json", "history.json", "config.json"):
        assert (run_dir / name).is_file()
    diagnostics = (run_dir / "diagnostics.txt").read_text()
    assert "layer 2 (LSTM Wf2, " in diagnostics and "‖dJ/da⟨1⟩‖" in diagnostics
    history = vg.History.load(run_dir / "history.json")
    assert history.epochs == 30 and len(history.val_cost) == 30
    assert history.val_cost[-1] < 0.25 * history.val_cost[0]  # it has learnt the pattern
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["model"], config["hidden"], config["clip_norm"], config["threads"]) == (
        "lstm", [24], 5.0, 2)
    model = vg.load(run_dir / "model.npz")
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", "LSTM", "Dense"]


def test_sample_prints_the_prime_and_the_drawn_text(run_dir, capsys):
    assert main(["sample", str(run_dir), "--length", "46", "--temperature", "0.2",
                 "--prime", "the cat", "--seed", "0"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("the cat sat on the mat.\nthe cat sat on the mat.")
    assert len(printed) == len("the cat") + 46 + 1  # print's newline
    assert main(["sample", str(run_dir), "--length", "46", "--temperature", "0.2",
                 "--prime", "the cat", "--seed", "0"]) == 0
    assert capsys.readouterr().out == printed  # the seed fixes the draws


def test_train_errors(tmp_path, capsys):
    (tmp_path / "text.txt").write_text(TEXT)
    common = ["train", "shakespeare", "--data", str(tmp_path / "text.txt"), "--quiet"]
    assert main([*common, "--val-size", "1000"]) == 2
    assert "--val-size 1000 must be below half the text" in capsys.readouterr().err
    assert main([*common, "--val-size", "50", "--seq-len", "100"]) == 2
    assert "too short for windows of 100 characters" in capsys.readouterr().err
    assert main([*common, "--model", "cnn"]) == 2
    assert "--model cnn is for image data sets" in capsys.readouterr().err
    assert main([*common[:3], str(tmp_path / "missing.txt")]) == 2


def test_sample_errors(run_dir, capsys):
    assert main(["sample", str(run_dir), "--prime", "XYZ"]) == 2
    assert "not in the vocabulary" in capsys.readouterr().err
    assert main(["sample", str(run_dir.parent / "nothing")]) == 2
    model = vg.load(run_dir / "model.npz")
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sample_ids(model, [0], 5, temperature=0)
    with pytest.raises(ValueError, match="at least one token"):
        sample_ids(model, [], 5)


def test_sampling_one_step_at_a_time_equals_the_whole_sequence(run_dir):
    """Carrying the states step by step gives the logits of one pass over the sequence."""
    model = vg.load(run_dir / "model.npz")
    drawn = sample_ids(model, [1, 2], 10, temperature=1.0, seed=3)
    ids = np.concatenate([[1, 2], drawn])[:, None]
    logits = model.forward(ids).astype(np.float64)  # (V, T, 1)
    rng = np.random.default_rng(3)
    for t, token in enumerate(drawn):
        p = vg.functional.softmax(logits[:, t + 1, 0])
        assert token == rng.choice(p.size, p=p)


def test_stateful_training_reads_the_text_in_order(tmp_path):
    """Truncated BPTT: 4 streams read in order, each batch continuing the one before."""
    (tmp_path / "text.txt").write_text(TEXT)
    out = tmp_path / "run"
    assert main(["train", "shakespeare", "--data", str(tmp_path / "text.txt"), "--stateful",
                 "--hidden", "16", "--embedding", "8", "--seq-len", "12", "--batch-size", "4",
                 "--epochs", "15", "--lr", "0.02", "--val-size", "240", "--model", "gru",
                 "--out", str(out), "--quiet"]) == 0
    history = vg.History.load(out / "history.json")
    assert history.steps_per_epoch == (len(TEXT) - 240 - 1) // 4 // 12
    assert history.val_cost[-1] < 0.5 * history.val_cost[0]
    model = vg.load(out / "model.npz")
    assert model.layers[1].stateful
