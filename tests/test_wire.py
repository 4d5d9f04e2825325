"""verigrad.wire: what travels between the checking process and the learner's comes back
equal, and what the learner's process could send to make the checking process run
something, allocate without bound or end is refused (WireError), never obeyed."""
import io
import json

import numpy as np
import pytest

from verigrad import wire


def _round_trip(value, codec=wire.Codec):
    packer = codec()
    tree = packer.pack(value)
    stream = io.BytesIO()
    wire.send(stream, {"op": "reply", "value": tree}, packer.arrays)
    stream.seek(0)
    header, arrays = wire.receive(stream)
    return codec(arrays).unpack(header["value"])


def test_values_come_back_equal_with_their_types():
    value = {"W": np.arange(6.0).reshape(2, 3), "n": 3, "ok": True, "lr": 0.5, "name": "x",
             "none": None, 1: (np.float32(1.5), np.int64(2), np.array(3.0)),
             "list": [np.zeros((0, 2)), np.ones(2, dtype=bool), np.float64],
             "nan": float("nan"), "other": (slice(1, None, 2), range(3), {1, 2}, 1 + 2j)}
    back = _round_trip(value)
    assert list(back) == list(value)
    assert back["W"].dtype == np.float64 and np.array_equal(back["W"], value["W"])
    assert type(back[1]) is tuple and type(back[1][0]) is np.float32 and back[1][1] == 2
    assert back[1][2].shape == ()  # a 0-d array stays 0-d
    assert back["list"][0].shape == (0, 2) and back["list"][2] is np.float64
    assert np.isnan(back["nan"]) and back["ok"] is True and back["none"] is None
    assert back["other"] == value["other"]


def test_a_reference_to_an_argument_is_that_argument():
    args = ({"W": np.ones(2)},)
    sending = wire.Codec()
    tree = sending.pack(args)
    receiving = wire.Codec(sending.arrays)
    got = receiving.unpack(tree, (0,))
    reply = wire.Codec(known=receiving.built).pack(got[0])
    assert reply == {wire.TAG: "ref", "path": [0, 0]}
    assert wire.Codec(root=[args]).unpack(reply) is args[0]


@pytest.mark.parametrize("tree", [
    {wire.TAG: "import", "module": "os", "name": "system"},  # nothing is imported
    {wire.TAG: "callback", "id": 0},  # the plain codec keeps no functions
    {wire.TAG: "array", "i": 5},  # an array the message lacks
    {wire.TAG: "dtype", "v": "O"},  # objects: pickle in disguise
    {wire.TAG: "ref", "path": ["x"]},
    {"no": "tag"},
    {wire.TAG: "dict", "k": [1], "v": []},
])
def test_a_tree_that_asks_for_anything_else_is_refused(tree):
    with pytest.raises(wire.WireError):
        wire.Codec().unpack(tree)


def _message(header, payload=b""):
    data = json.dumps(header).encode()
    return io.BytesIO(len(data).to_bytes(8, "little") + data + payload)


@pytest.mark.parametrize(("header", "payload"), [
    ({"arrays": [["|O", [1]]]}, b"\0" * 8),  # an object array
    ({"arrays": [["<f8", [1 << 40]]]}, b""),  # larger than MAX_ARRAY: refused before reading
    ({"arrays": [["<f8", [-1]]]}, b""),
    ({"arrays": [["[('a', '<f8')]", [1]]]}, b"\0" * 8),
    ({"arrays": [["<f8", [2]]]}, b"\0" * 8),  # ends early
    ({"arrays": "many"}, b""),
])
def test_a_malformed_message_is_refused(header, payload):
    with pytest.raises(wire.WireError):
        wire.receive(_message(header, payload))


def test_a_header_over_the_limit_is_refused_before_it_is_read():
    stream = io.BytesIO((wire.MAX_HEADER + 1).to_bytes(8, "little"))
    with pytest.raises(wire.WireError, match="header"):
        wire.receive(stream)


def test_a_rebuilt_exit_is_an_ordinary_exception_with_the_learners_frames():
    try:
        raise SystemExit(0)
    except SystemExit as error:
        described = wire.describe_error(error, lambda filename: True)
    rebuilt = wire.rebuild_error(json.loads(json.dumps(described)))
    assert isinstance(rebuilt, Exception) and not isinstance(rebuilt, SystemExit)
    assert type(rebuilt).__name__ == "SystemExit" and rebuilt.learner_frames
    key = wire.rebuild_error(wire.describe_error(KeyError("W1"), lambda f: False))
    assert isinstance(key, KeyError) and str(key) == "'W1'" and key.learner_frames == []
