"""``vg.load`` on files it should not trust: every malformed file is one ValueError naming
it, nothing is converted without a word, and a small file cannot make it allocate much."""
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- archives built by hand: zip bombs, lying headers, odd members ---------------------------

BOMB_BYTES = 40 * 10 ** 6  # what the bombs below would make the loader allocate
BOUND = 4 * 10 ** 6  # what a refusal may allocate at most (tracemalloc peak)


def npy_header(shape, dtype="<f4"):
    """The .npy header numpy writes for an array of ``shape`` and ``dtype``."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": dtype, "fortran_order": False,
                                                  "shape": tuple(shape)})
    return stream.getvalue()


def write_members(path, members, compression=zipfile.ZIP_DEFLATED):
    """An .npz of ``members`` ({name in the zip: bytes, or (header, n zero bytes)}): a member
    given as a count of zeros is deflated chunk by chunk, so a 40 MB bomb costs little."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                if isinstance(content, bytes):
                    member.write(content)
                    continue
                header, zeros = content
                member.write(header)
                chunk = bytes(min(zeros, 1 << 20))
                for start in range(0, zeros, len(chunk)):
                    member.write(chunk[:zeros - start])
    return path


def npy(value):
    stream = io.BytesIO()
    np.lib.format.write_array(stream, np.asarray(value), allow_pickle=False)
    return stream.getvalue()


def members_of(record, arrays):
    return {"__architecture__.npy": npy(np.array(json.dumps(record))),
            **{f"{name}.npy": npy(value) for name, value in arrays.items()}}


def refused_within(path, bound=BOUND, *words, **limits):
    """``vg.load(path)`` raises one ValueError naming the file (and ``words``) while
    allocating less than ``bound`` bytes."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            vg.load(path, **limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert str(path) in message and all(w in message for w in words), message
    assert "\n" not in message and peak < bound, (peak, message)
    return message


@pytest.fixture
def batch_norm(tmp_path):
    model = vg.Sequential([vg.Dense(4, 6), vg.BatchNorm(6), vg.ReLU(), vg.Dense(6, 3)],
                          loss=vg.SoftmaxCrossEntropy())
    model.save(tmp_path / "bn.npz")
    with np.load(tmp_path / "bn.npz") as data:
        record = json.loads(str(data["__architecture__"]))
        arrays = {name: data[name] for name in data.files if name != "__architecture__"}
    return record, arrays


def test_a_state_array_is_checked_before_it_is_read(batch_norm, tmp_path):
    """A batch norm's running mean declared 10⁷ long, deflated to 40 KB: its shape is
    compared with the architecture's before a byte of it is read."""
    record, arrays = batch_norm
    members = members_of(record, arrays)
    members["running_mean2.npy"] = (npy_header((BOMB_BYTES // 4, 1)), BOMB_BYTES)
    path = write_members(tmp_path / "bomb.npz", members)
    assert path.stat().st_size < 100_000
    refused_within(path, BOUND, "running_mean2")


def test_a_layer_as_large_as_its_bomb_is_refused_for_its_expansion(saved, tmp_path):
    """The record and the header agree on a 10⁴ × 10³ Dense layer (40 MB), but the file is
    40 KB: an expansion out of proportion is refused unless the caller raises the limit."""
    _, record, arrays = saved
    record["layers"][0]["config"].update(n_in=1000, n_out=10 ** 4)
    record["layers"][2]["config"]["n_in"] = 10 ** 4
    record["input_shape"] = [1000]
    arrays["W2"] = np.ones((3, 10 ** 4), np.float32)
    arrays["b1"] = np.zeros((10 ** 4, 1), np.float32)
    members = members_of(record, arrays)
    members["W1.npy"] = (npy_header((10 ** 4, 1000)), BOMB_BYTES)
    path = write_members(tmp_path / "bomb.npz", members)
    assert path.stat().st_size < 200_000
    message = refused_within(path, BOUND, "W1", "max_ratio")
    assert "expands" in message
    model = vg.load(path, max_ratio=10 ** 4)  # the caller who trusts it raises the limit
    assert model.params["W1"].shape == (10 ** 4, 1000) and not model.params["W1"].any()
    refused_within(path, BOUND, "max_bytes", max_ratio=10 ** 4, max_bytes=10 ** 6)


def test_an_architecture_record_bomb_is_refused_unread(saved, tmp_path):
    _, record, arrays = saved
    members = members_of(record, arrays)
    members["__architecture__.npy"] = (npy_header((), f"<U{BOMB_BYTES // 4}"), BOMB_BYTES)
    path = write_members(tmp_path / "bomb.npz", members)
    refused_within(path, BOUND, "__architecture__")


def test_a_deeply_nested_record_is_one_clear_error(saved, tmp_path):
    _, _, arrays = saved
    path = write(tmp_path / "deep.npz", None, arrays)
    np.savez(path, __architecture__=np.array("[" * 100_000 + "]" * 100_000), **arrays)
    refused_within(path, BOUND, "nested")


@pytest.mark.parametrize("name", ["../W1.npy", "sub/W1.npy", "sub\\W1.npy", "W1", "W1.npy "])
def test_member_names_that_are_not_plain_array_names(saved, tmp_path, name):
    _, record, arrays = saved
    members = members_of(record, arrays)
    members[name] = members.pop("W1.npy")
    refused_within(write_members(tmp_path / "odd.npz", members), BOUND, repr(name))


def test_a_member_twice_is_refused(saved, tmp_path):
    _, record, arrays = saved
    path = tmp_path / "twice.npz"
    members = members_of(record, arrays)
    with pytest.warns(UserWarning, match="Duplicate"):
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in [*members.items(), ("W1.npy", members["W1.npy"])]:
                archive.writestr(name, content)
    refused_within(path, BOUND, "W1.npy", "twice")


def _hostile_member(data, record, arrays):
    """One member of a model file made hostile in a way Hypothesis draws."""
    name = data.draw(st.sampled_from(sorted(arrays)), label="member")
    shape = arrays[name].shape
    kind = data.draw(st.sampled_from(
        ["bomb", "huge header", "short", "long", "dtype", "truncated", "object", "name",
         "fortran bomb", "record"]), label="kind")
    huge = data.draw(st.integers(10 ** 6, 10 ** 7), label="elements")
    members = members_of(record, arrays)
    if kind == "bomb":  # a header that matches its data, but 1000:1 deflated
        members[f"{name}.npy"] = (npy_header((huge,) + shape[1:]), 4 * huge * shape[1])
    elif kind == "fortran bomb":
        header = npy_header((huge, 1)).replace(b"False", b"True ")
        members[f"{name}.npy"] = (header, 4 * huge)
    elif kind == "huge header":  # declares far more than it holds
        members[f"{name}.npy"] = npy_header((huge, 10 ** 6)) + bytes(64)
    elif kind in ("short", "long"):  # the architecture's shape, one row more or less
        delta = 1 if kind == "long" else -1
        members[f"{name}.npy"] = npy(np.ones((shape[0] + delta,) + shape[1:], np.float32))
    elif kind == "dtype":
        dtype = data.draw(st.sampled_from(["<f8", "<f2", ">f4", "<i4", "<c8", "|b1", "<U3"]))
        members[f"{name}.npy"] = npy(np.ones(shape).astype(dtype))
    elif kind == "truncated":
        content = members[f"{name}.npy"]
        members[f"{name}.npy"] = content[:data.draw(st.integers(0, len(content) - 1))]
    elif kind == "object":
        members[f"{name}.npy"] = npy_header(shape, "|O") + b"\x80\x04N."
    elif kind == "name":
        odd = data.draw(st.sampled_from([f"../{name}.npy", f"a/{name}.npy", f"/{name}.npy",
                                         f"{name}", f"{name}.npy/", f"C:\\{name}.npy"]))
        members[odd] = members.pop(f"{name}.npy")
    else:  # a huge, or deeply nested, architecture record
        depth = data.draw(st.integers(1000, 50_000))
        text = data.draw(st.sampled_from(["[" * depth + "]" * depth,
                                          '{"a": ' * depth + "1" + "}" * depth,
                                          " " * ((1 << 20) + huge % 1000)]))
        members["__architecture__.npy"] = npy(np.array(text))
    return members


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_archives_are_one_clear_error_in_bounded_memory(saved, tmp_path, data):
    """Zip bombs, headers claiming more than their data, shapes one row off, wrong dtypes,
    truncated or pickled members, odd member names, huge or deeply nested records: each is
    one ValueError naming the file, never MemoryError or a traceback from inside numpy or
    zipfile, and the refusal allocates a fraction of what the file would make it take."""
    _, record, arrays = saved
    members = _hostile_member(data, record, arrays)
    deflate = data.draw(st.booleans(), label="deflated")
    path = write_members(tmp_path / "hostile.npz", members,
                         zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
    refused_within(path, BOUND)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10 ** 6), flip=st.integers(0, 255))
def test_damaged_bytes_anywhere_are_one_clear_error(saved, tmp_path, cut, flip):
    """A byte changed anywhere in a model file: it loads identically (a byte the format
    does not read) or is one ValueError naming the file."""
    model = saved[0]
    data = bytearray((tmp_path / "model.npz").read_bytes())
    data[cut % len(data)] ^= flip or 1
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    try:
        loaded = vg.load(path)
    except ValueError as err:
        assert str(path) in str(err) and "\n" not in str(err)
    else:
        for name, value in model.params.items():
            np.testing.assert_array_equal(loaded.params[name], value)
