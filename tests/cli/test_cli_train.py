"""The diagnostics of the command line: 'verigrad train toy', --diagnose, the leakage and
overfitting warnings, the pictures of an MNIST run and 'verigrad plot RUN_DIR'."""
import json

import numpy as np
import pytest

import verigrad as vg
from verigrad.cli import main
from verigrad.cli import train as train_command

plt = pytest.importorskip("matplotlib.pyplot")


def size(path):
    return plt.imread(path).shape[:2]


def test_train_toy_spirals_saves_the_boundary_and_diagnoses(tmp_path, capsys):
    out = tmp_path / "spirals"
    assert main(["train", "toy", "--dataset", "spirals", "--epochs", "60", "--lr", "0.01",
                 "--diagnose",
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr()
    config = json.loads((out / "config.json").read_text())
    assert (config["hidden"], config["batch_size"], config["val_size"]) == ([16, 16], 32, 400)
    assert config["test"]["accuracy"] > 0.9
    assert "leakage check: no test example is a copy" not in printed.out  # --quiet
    assert "warning" not in printed.err
    assert size(out / "boundary.png") == (480, 1100)
    assert size(out / "diagnostics.png") == (750, 1400)
    assert size(out / "curves.png") == (400, 1100)
    table = (out / "diagnostics.txt").read_text().splitlines()
    assert table[0].split()[:2] == ["epoch", "layer"] and len(table) == 1 + 60 * 3
    history = vg.History.load(out / "history.json")
    assert history.epochs == 60 and history.steps_per_epoch == 50


def test_toy_options_and_their_errors(tmp_path, capsys):
    out = tmp_path / "blobs"
    assert main(["train", "toy", "--dataset", "blobs", "--classes", "4", "--samples", "400",
                 "--epochs", "5", "--val-size", "0", "--out", str(out), "--quiet"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["toy"] == "blobs" and config["classes"] == 4
    assert vg.load(out / "model.npz").n_out == 4
    assert main(["train", "toy", "--dataset", "moons", "--classes", "3", "--quiet",
                 "--out", str(out)]) == 2
    assert "--classes applies to spirals and blobs, not moons" in capsys.readouterr().err


def fake_loader(X_train, y_train, X_test, y_test):
    return lambda path, download, images=False: (X_train, y_train, X_test, y_test)


def test_train_warns_of_leakage_and_overfitting(tmp_path, capsys, monkeypatch):
    """Random labels can only be memorised: the network fits its 300 training examples and
    is at chance on validation. Four test columns are copies of training columns."""
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.random((20, 400), dtype=np.float32))
    y = rng.integers(0, 2, 400)
    X_test = np.asfortranarray(rng.random((20, 100), dtype=np.float32))
    X_test[:, :4] = X[:, [7, 8, 9, 10]]
    monkeypatch.setitem(train_command.DATASETS, "mnist",
                        fake_loader(X, y, X_test, rng.integers(0, 2, 100)))
    assert main(["train", "mnist", "--val-size", "100", "--hidden", "256", "--dropout", "0",
                 "--epochs", "60", "--batch-size", "50", "--lr", "0.01",
                 "--out", str(tmp_path / "run"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: leakage check of 100 test examples against 400 training examples" in err
    assert "exact duplicates: 4 test examples (4 pairs)" in err and "train 7 = test 0" in err
    assert "warning: overfitting: training accuracy 100.00% is" in err


def test_train_reports_divergence_with_the_layer(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.random((20, 300), dtype=np.float32) * 1000)
    y = rng.integers(0, 3, 300)
    monkeypatch.setitem(train_command.DATASETS, "mnist", fake_loader(X, y, X[:, :50], y[:50]))
    assert main(["train", "mnist", "--val-size", "50", "--optimizer", "sgd", "--lr", "10",
                 "--out", str(tmp_path / "run"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "warning: the inputs are not scaled" in err
    assert "error: training diverged at step" in err and "layer" in err


def test_train_mnist_saves_confusion_matrix_and_most_wrong_images(data_dir, tmp_path, capsys,
                                                                   monkeypatch):
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    monkeypatch.setenv("VERIGRAD_DATA", str(data_dir))
    out = tmp_path / "mnist"
    assert main(["train", "mnist", "--train-size", "3000", "--val-size", "500", "--epochs", "2",
                 "--hidden", "32", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "leakage check: no test example is a copy or near copy of a training example" in printed
    assert size(out / "confusion.png") == (650, 750)
    assert size(out / "most_wrong.png") == (1125, 1000)
    assert "wrote model.npz, history.json, config.json, curves.png, confusion.png, " \
           "most_wrong.png" in printed


def test_plot_redraws_a_run_and_explains_its_spikes(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    history = vg.History(batch_size=500, steps_per_epoch=1)
    cost = list(np.linspace(2, 0.2, 60))
    cost[30] *= 2
    history.step_cost, history.cost = cost, cost
    history.accuracy, history.lr = [0.5] * 60, [0.5] * 60
    history.save(run / "history.json")
    (run / "config.json").write_text(json.dumps({"dataset": "mnist", "test": {"accuracy": 0.9}}))
    assert main(["plot", str(run)]) == 0
    printed = capsys.readouterr().out
    assert "1 spike in the cost curve:" in printed and "1 from learning rate" in printed
    assert "epoch 31: cost" in printed and f"wrote {run / 'curves.png'}" in printed
    assert size(run / "curves.png") == (400, 1100)
    assert main(["plot", str(run), "--out", str(tmp_path / "other.png")]) == 0
    assert size(tmp_path / "other.png") == (400, 1100)
    assert main(["plot", str(tmp_path)]) == 2
    assert "history.json not found" in capsys.readouterr().err


def test_train_with_batch_norm_saves_the_running_statistics(tmp_path, capsys):
    out = tmp_path / "bn"
    assert main(["train", "toy", "--dataset", "moons", "--samples", "400", "--val-size", "100",
                 "--epochs", "3", "--batch-norm", "--out", str(out), "--quiet"]) == 0
    model = vg.load(out / "model.npz")
    assert [type(layer).__name__ for layer in model.layers[:3]] == ["Dense", "BatchNorm", "ReLU"]
    assert not np.array_equal(model.state["running_mean2"], 0)
    # 33 training points in batches of 32 leave a last batch of one example
    assert main(["train", "toy", "--samples", "33", "--val-size", "0", "--batch-norm",
                 "--out", str(tmp_path / "one"), "--quiet"]) == 2
    assert "batch of 1 example" in capsys.readouterr().err


def test_train_mnist_cnn_saves_filters_and_feature_maps(data_dir, tmp_path, capsys, monkeypatch):
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    monkeypatch.setenv("VERIGRAD_DATA", str(data_dir))
    out = tmp_path / "cnn"
    assert main(["train", "mnist", "--model", "cnn", "--train-size", "1200", "--val-size",
                 "200", "--epochs", "1", "--shift", "1", "--diagnose", "--threads", "2",
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "wrote model.npz, history.json, config.json, curves.png, diagnostics.txt, " \
           "diagnostics.png, confusion.png, filters.png, feature_maps.png, most_wrong.png" \
           in printed
    model = vg.load(out / "model.npz")
    assert model.input_shape == (1, 28, 28)
    assert [type(layer).__name__ for layer in model.layers[:3]] == ["Conv2D", "ReLU", "MaxPool2D"]
    config = json.loads((out / "config.json").read_text())
    assert (config["model"], config["epochs"], config["dropout"], config["shift"],
            config["threads"]) == ("cnn", 1, 0.2, 1, 2)
    assert [layer.rate for layer in model.layers if isinstance(layer, vg.Dropout)] == [0.2, 0.2]
    assert size(out / "filters.png") == (220, 900)
    assert size(out / "feature_maps.png") == (220, 1050)
    assert size(out / "most_wrong.png") == (1125, 1000)


@pytest.mark.parametrize("argv, message", [
    (["mnist", "--model", "lstm"], "--model lstm does not train on mnist"),
    (["toy", "--model", "cnn"], "--model cnn does not train on toy (it takes mlp)"),
    (["mnist", "--model", "cnn", "--batch-norm"], "--batch-norm does not apply to --model cnn"),
    (["shakespeare", "--model", "two-conv"], "--model two-conv is for image data sets"),
    (["mnist", "--shift", "2"], "--shift applies only to the convolutional models"),
    (["toy", "--shift", "1"], "--shift applies only to the convolutional models"),
    (["shakespeare", "--shift", "1"], "--shift applies only to the convolutional models"),
    (["toy", "--batch-norm", "--threads", "2"],
     "--threads 2 splits each batch into slices, but --batch-norm needs the whole batch"),
    (["shakespeare", "--stateful", "--threads", "3"],
     "--threads 3 splits each batch into slices, but --stateful needs the whole batch"),
])
def test_train_model_choices_that_do_not_fit_the_data(argv, message, tmp_path, capsys):
    assert main(["train", *argv, "--out", str(tmp_path), "--quiet"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("dataset, model, batch_size, dropout, schedule, shift", [
    ("mnist", "cnn", 128, 0.2, "none", 1), ("fashion-mnist", "cnn", 64, 0.2, "none", 1),
    ("fashion-mnist", "mlp", 128, 0.2, "none", 0), ("mnist", "two-conv", 128, None, "cosine", 2)])
def test_defaults_of_the_image_models(dataset, model, batch_size, dropout, schedule, shift):
    import argparse
    args = argparse.Namespace(dataset=dataset, model=model)
    train_command.fill_train_defaults(args)
    assert (args.batch_size, args.dropout, args.schedule, args.shift) == (
        batch_size, dropout, schedule, shift)


def test_train_help_says_what_it_trains_and_shows_the_defaults_table(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "dense" in text and "convolutional" in text and "recurrent" in text
    for kind, settings in train_command.TRAIN_DEFAULTS.items():
        if kind != "images" and settings["epochs"] != 10:
            assert f"{kind}: {settings['epochs']}" in text
    assert f"default: {train_command.train_defaults('images')['epochs']};" in text
