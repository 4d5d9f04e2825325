"""``vg.load`` on files it should not trust: every malformed file is one ValueError naming
it, nothing is converted without a word, and a small file cannot make it allocate much."""
import json
import tracemalloc

import numpy as np
import pytest

import verigrad as vg


@pytest.fixture
def saved(tmp_path):
    model = vg.mlp([4, 5, 3])
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as data:
        record = json.loads(str(data["__architecture__"]))
        arrays = {name: data[name] for name in data.files if name != "__architecture__"}
    return model, record, arrays


def write(path, record, arrays):
    np.savez(path, __architecture__=np.array(json.dumps(record)), **arrays)
    return path


def refused(path, *words):
    with pytest.raises(ValueError) as err:
        vg.load(path)
    message = str(err.value)
    assert str(path) in message and all(w in message for w in words), message


def test_a_saved_model_loads_back_exactly(saved, tmp_path):
    model, _, _ = saved
    loaded = vg.load(tmp_path / "model.npz")
    for name, value in model.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)


@pytest.mark.parametrize("value, words", [
    (np.ones((5, 4), dtype=np.int64), ["W1", "int64"]),
    (np.ones((5, 4), dtype=np.complex64), ["W1", "complex64"]),
    (np.ones((5, 4), dtype=np.float64), ["W1", "float64", "float32"]),
    (np.full((5, 4), np.nan, dtype=np.float32), ["W1", "NaN"]),
    (np.ones((4, 5), dtype=np.float32), ["W1", "(5, 4)", "(4, 5)"]),
])
def test_arrays_are_never_converted_or_trusted(saved, tmp_path, value, words):
    _, record, arrays = saved
    refused(write(tmp_path / "bad.npz", record, {**arrays, "W1": value}), *words)


def test_names_that_do_not_match_the_architecture(saved, tmp_path):
    _, record, arrays = saved
    refused(write(tmp_path / "extra.npz", record, {**arrays, "W9": np.ones(3, np.float32)}),
            "W9")
    refused(write(tmp_path / "missing.npz", record,
                  {k: v for k, v in arrays.items() if k != "W2"}), "W2")


@pytest.mark.parametrize("change, words", [
    (lambda r: r.update(version=3), ["version 3", "upgrade"]),
    (lambda r: r.update(version="1"), ["version"]),
    (lambda r: r.update(format="something.else"), ["something.else"]),
    (lambda r: r.pop("layers"), ["layers"]),
    (lambda r: r["layers"][0]["config"].update(bogus=1), ["bogus"]),
    (lambda r: r["layers"][0].update(type="NoSuchLayer"), ["NoSuchLayer"]),
    (lambda r: r.update(dtype="float16"), ["float16"]),
    (lambda r: r.update(l2="much"), ["l2"]),
    (lambda r: r.update(loss={"type": "NoSuchLoss", "config": {}}), ["NoSuchLoss"]),
])
def test_a_malformed_architecture_record_is_one_clear_error(saved, tmp_path, change, words):
    _, record, arrays = saved
    change(record)
    refused(write(tmp_path / "bad.npz", record, arrays), *words)


@pytest.mark.parametrize("content, words", [
    (b"hello world", ["neither an .npz"]),
    (b"PK\x03\x04 truncated", []),
])
def test_files_that_are_not_archives(tmp_path, content, words):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    refused(path, *words)
    np.savez(tmp_path / "plain.npz", W1=np.ones(2))
    refused(tmp_path / "plain.npz", "no architecture record")
    np.save(tmp_path / "one.npy", np.ones(2))
    refused(tmp_path / "one.npy", "one array")
    np.savez(tmp_path / "json.npz", __architecture__=np.array("{not json"))
    refused(tmp_path / "json.npz")
    np.savez(tmp_path / "objects.npz", __architecture__=np.array("{}"),
             W1=np.array([None], dtype=object))
    refused(tmp_path / "objects.npz", "object")


def test_a_truncated_model_file(saved, tmp_path):
    data = (tmp_path / "model.npz").read_bytes()
    for size in (0, 30, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.npz").write_bytes(data[:size])
        refused(tmp_path / "cut.npz")


def test_a_small_file_declaring_a_huge_layer_allocates_nothing_big(saved, tmp_path):
    """The record is compared with the arrays' headers before any layer is built: a Dense
    layer of 10⁸ × 10⁴ weights (4 TB) is refused without allocating them."""
    _, record, arrays = saved
    record["layers"][0]["config"].update(n_out=10 ** 8, n_in=10 ** 4)
    record["layers"][2]["config"]["n_in"] = 10 ** 8
    path = write(tmp_path / "huge.npz", record, arrays)
    assert path.stat().st_size < 4000
    tracemalloc.start()
    try:
        refused(path, "W1", "(100000000, 10000)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 ** 6


def test_a_header_claiming_more_data_than_the_file_holds(saved, tmp_path):
    _, record, arrays = saved
    path = write(tmp_path / "model.npz", record, arrays)
    data = bytearray(path.read_bytes())
    at = data.find(b"'shape': (5, 4)")
    data[at:at + len(b"'shape': (5, 4)")] = b"'shape': (9, 9)"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as err:  # the zip's CRC or the size check catches it
        vg.load(path)
    assert str(path) in str(err.value)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        vg.load(tmp_path / "nothing.npz")


def learner_layers():
    """A layer named like a built-in, and one with a constructor argument but no
    get_config: defined inside the tests, so importing this module registers nothing."""

    class Sigmoid(vg.Layer):
        def forward(self, A_prev, training=False):
            return A_prev * 0

        def backward(self, dA):
            return dA * 0

    class Scale(vg.Layer):
        def __init__(self, k=1.0):
            super().__init__()
            self.k = k

        def forward(self, A_prev, training=False):
            return self.k * A_prev

        def backward(self, dA):
            return self.k * dA

    return Sigmoid, Scale


def test_a_learners_class_named_like_a_built_in_does_not_replace_it(tmp_path):
    learner_layers()
    model = vg.Sequential([vg.Dense(4, 3), vg.Sigmoid(), vg.Dense(3, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    model.save(tmp_path / "model.npz")
    assert type(vg.load(tmp_path / "model.npz").layers[1]) is vg.Sigmoid


def test_a_custom_layer_with_arguments_and_no_config_refuses_to_save(tmp_path):
    _, Scale = learner_layers()
    model = vg.Sequential([vg.Dense(4, 3), Scale(5.0), vg.Dense(3, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    with pytest.raises((ValueError, TypeError), match="get_config"):
        model.save(tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("layers, grow", [
    ([vg.Conv2D(1, 2, 3), vg.Flatten(), vg.Dense(2 * 4 * 4, 3)],
     lambda r: r["layers"][0]["config"].update(out_channels=10 ** 6, in_channels=10 ** 6)),
    ([vg.Embedding(5, 3), vg.LSTM(3, 4), vg.Dense(4, 5)],
     lambda r: r["layers"][1]["config"].update(n_a=10 ** 6)),
    ([vg.Embedding(5, 3), vg.GRU(3, 4), vg.Dense(4, 5)],
     lambda r: r["layers"][0]["config"].update(vocab_size=10 ** 9)),
    ([vg.Dense(4, 6), vg.BatchNorm(6), vg.ReLU(), vg.Dense(6, 3)],
     lambda r: r["layers"][1]["config"].update(n_features=10 ** 10)),
])
def test_every_parameterised_built_in_is_checked_before_it_is_built(layers, grow, tmp_path):
    loss = (vg.SequenceSoftmaxCrossEntropy() if isinstance(layers[0], vg.Embedding)
            else vg.SoftmaxCrossEntropy())
    input_shape = (1, 6, 6) if isinstance(layers[0], vg.Conv2D) else None
    model = vg.Sequential(layers, loss=loss, input_shape=input_shape)
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as data:
        record = json.loads(str(data["__architecture__"]))
        arrays = {name: data[name] for name in data.files if name != "__architecture__"}
    assert type(vg.load(tmp_path / "model.npz").layers[1]) is type(layers[1])
    grow(record)
    path = write(tmp_path / "huge.npz", record, arrays)
    tracemalloc.start()
    try:
        refused(path, "needs")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 ** 6
