"""'verigrad train shakespeare --model transformer' on a small text of our own, and
'verigrad sample' on its run folder (drawing past the block size)."""
import json

import pytest

import verigrad as vg
from verigrad.cli import main

TEXT = "the cat sat on the mat.\n" * 40


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    (folder / "text.txt").write_text(TEXT)
    out = folder / "run"
    assert main(["train", "shakespeare", "--model", "transformer", "--data",
                 str(folder / "text.txt"), "--embedding", "16", "--seq-len", "12",
                 "--batch-size", "8", "--epochs", "25", "--lr", "0.005", "--val-size", "192",
                 "--out", str(out), "--quiet"]) == 0
    return out


def test_transformer_run_writes_its_files_and_learns_the_text(run_dir):
    for name in ("model.npz", "vocab.json", "history.json", "config.json"):
        assert (run_dir / name).is_file()
    history = vg.History.load(run_dir / "history.json")
    assert history.epochs == 25 and len(history.val_cost) == 25
    assert history.val_cost[-1] < 0.3 * history.val_cost[0]  # it has learnt the pattern
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["model"], config["embedding"], config["seq_len"]) == ("transformer", 16, 12)
    # what the run used, not the recurrent models' defaults
    assert (config["optimizer"], config["schedule"]) == ("adamw", "warmup-cosine")
    assert "hidden" not in config or config["hidden"] is None
    model = vg.load(run_dir / "model.npz")
    names = [type(layer).__name__ for layer in model.layers]
    assert names == ["Embedding", "PositionalEncoding", *["TransformerBlock"] * 4,
                     "LayerNorm", "Dense"]
    assert model.layers[2].causal and model.layers[2].d_model == 16


def test_sample_draws_the_learnt_text_past_the_block_size(run_dir, capsys):
    assert main(["sample", str(run_dir), "--length", "40", "--temperature", "0.2",
                 "--prime", "the cat "]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("the cat ") and len(printed) == len("the cat ") + 40 + 1
    drawn = printed[len("the cat "):]
    assert set(drawn) <= set(TEXT) and "mat" in drawn  # words of the text, past 12 steps


def test_threads_split_each_batch_and_train_the_same_model(tmp_path, monkeypatch):
    # --threads 2 is fit(threads=2): the same steps up to float32 rounding
    import verigrad.train

    made = []

    class Spy(verigrad.train.SlicedSteps):
        def __init__(self, model, threads, rng):
            made.append(threads)
            super().__init__(model, threads, rng)

    monkeypatch.setattr(verigrad.train, "SlicedSteps", Spy)
    (tmp_path / "text.txt").write_text(TEXT)
    costs = []
    for threads in ("1", "2"):
        out = tmp_path / f"run{threads}"
        assert main(["train", "shakespeare", "--model", "transformer", "--data",
                     str(tmp_path / "text.txt"), "--embedding", "16", "--seq-len", "12",
                     "--batch-size", "8", "--epochs", "1", "--val-size", "192",
                     "--threads", threads, "--out", str(out), "--quiet"]) == 0
        costs.append(vg.History.load(out / "history.json").val_cost)
    assert made == [1, 2]
    assert costs[1] == pytest.approx(costs[0], rel=1e-4)
