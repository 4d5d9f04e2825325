"""The IDX reader on the real MNIST files, and the file look-up and download rules."""
import gzip
import hashlib

import numpy as np
import pytest

import verigrad as vg
from verigrad.data import mnist

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(scope="module")
def mnist_arrays(data_dir):
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    return vg.data.load_mnist(data_dir / "mnist")


def test_mnist_shapes_labels_and_pixel_statistics(mnist_arrays):
    X_train, Y_train, X_test, Y_test = mnist_arrays
    assert X_train.shape == (784, 60000) and X_test.shape == (784, 10000)
    assert X_train.dtype == np.float32 and Y_train.dtype == np.int64
    assert np.bincount(Y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(Y_test).sum() == 10000 and Y_test.max() == 9
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    # Published statistics of the training pixels after /255: mean 0.1307, std 0.3081.
    assert X_train.mean(dtype=np.float64) == pytest.approx(0.1307, abs=5e-5)
    assert X_train.std(dtype=np.float64) == pytest.approx(0.3081, abs=5e-5)
    assert X_train.flags.f_contiguous  # one image per contiguous column


def test_fashion_mnist_is_balanced(data_dir):
    if not (data_dir / "fashion-mnist").is_dir():
        pytest.skip(f"Fashion-MNIST not found in {data_dir}")
    X_train, Y_train, X_test, Y_test = vg.data.load_fashion_mnist(data_dir / "fashion-mnist")
    assert X_train.shape == (784, 60000) and X_test.shape == (784, 10000)
    assert np.bincount(Y_train).tolist() == [6000] * 10
    assert np.bincount(Y_test).tolist() == [1000] * 10


def test_data_files_match_their_published_checksums(data_dir):
    folder = data_dir / "mnist"
    if not folder.is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    for name, digest in mnist.DATASETS["mnist"]["sha256"].items():
        assert mnist.sha256(folder / name) == digest


def write_idx(path, array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def fake_dataset(folder, m_train=5, m_test=3):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, m in (("train", m_train), ("t10k", m_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (m, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, m, dtype=np.uint8))


def test_idx_round_trip_and_bad_files(tmp_path):
    values = np.arange(24, dtype=">i4").reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", values, type_code=0x0C)
    np.testing.assert_array_equal(vg.data.read_idx(tmp_path / "a.gz"), values)
    (tmp_path / "b").write_bytes(b"\x00\x01\x08\x01\x00\x00\x00\x02ab")
    with pytest.raises(ValueError, match="not an IDX file"):
        vg.data.read_idx(tmp_path / "b")
    (tmp_path / "c").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05ab")
    with pytest.raises(ValueError, match="promises"):
        vg.data.read_idx(tmp_path / "c")


def test_lookup_order_path_then_env_then_cache(tmp_path, monkeypatch):
    # three different stand-ins, each accepted as the published files
    monkeypatch.setattr(mnist, "sha256", lambda path: mnist.DATASETS["mnist"]["sha256"][path.name])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    fake_dataset(tmp_path / "env" / "mnist", m_train=4)
    fake_dataset(tmp_path / "home" / ".cache" / "verigrad" / "mnist", m_train=6)
    fake_dataset(tmp_path / "explicit", m_train=2)
    monkeypatch.setenv("VERIGRAD_DATA", str(tmp_path / "env"))
    assert vg.data.load_mnist(tmp_path / "explicit")[0].shape == (784, 2)
    assert vg.data.load_mnist()[0].shape == (784, 4)
    monkeypatch.delenv("VERIGRAD_DATA")
    X, Y, X_test, Y_test = vg.data.load_mnist()
    assert X.shape == (784, 6) and Y.shape == (6,) and X_test.shape == (784, 3)


def test_missing_files_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("VERIGRAD_DATA", str(tmp_path / "data"))
    with pytest.raises(FileNotFoundError) as err:
        vg.data.load_mnist()
    message = str(err.value)
    assert str(tmp_path / "data" / "mnist") in message
    assert str(tmp_path / ".cache" / "verigrad" / "mnist") in message
    assert "train-images-idx3-ubyte.gz" in message and "download=True" in message


def test_download_verifies_checksums(tmp_path, monkeypatch):
    source = tmp_path / "server"
    fake_dataset(source)
    digests = {f: hashlib.sha256((source / f).read_bytes()).hexdigest() for f in mnist.FILES}
    spec = {"urls": (source.as_uri() + "/",), "sha256": digests}
    monkeypatch.setitem(mnist.DATASETS, "mnist", spec)
    # Only the download may supply the files, not a copy found in the usual places.
    monkeypatch.delenv("VERIGRAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    target = tmp_path / "target"
    X, *_ = vg.data.load_mnist(target, download=True)
    assert X.shape == (784, 5) and all((target / f).is_file() for f in mnist.FILES)

    corrupt = dict(spec, sha256=dict(digests, **{mnist.FILES[0]: "0" * 64}))
    monkeypatch.setitem(mnist.DATASETS, "mnist", corrupt)
    with pytest.raises(OSError, match="checksum mismatch"):
        vg.data.load_mnist(tmp_path / "other", download=True)
    assert not (tmp_path / "other" / mnist.FILES[0]).exists()  # nothing unverified is kept


def published_fake(tmp_path, monkeypatch):
    """A stand-in MNIST on a local 'server' whose checksums are the published ones, with
    nothing else to find in the usual places."""
    source = tmp_path / "server"
    fake_dataset(source)
    digests = {f: hashlib.sha256((source / f).read_bytes()).hexdigest() for f in mnist.FILES}
    monkeypatch.setitem(mnist.DATASETS, "mnist", {"urls": (source.as_uri() + "/",),
                                                  "sha256": digests})
    monkeypatch.delenv("VERIGRAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return source


def damage(path, how):
    data = path.read_bytes()
    raw = gzip.decompress(data)
    path.write_bytes({"truncated": data[:len(data) // 2],
                      "bad crc": data[:-8] + bytes(8),
                      "not gzip": b"these are not gzip bytes",
                      "altered": gzip.compress(raw[:8] + bytes([(raw[8] + 1) % 10]) + raw[9:]),
                      "empty": b""}[how])


@pytest.mark.parametrize("how", ["truncated", "bad crc", "not gzip", "altered", "empty"])
def test_a_damaged_or_altered_file_is_refused_and_download_fetches_it_again(how, tmp_path,
                                                                             monkeypatch):
    source = published_fake(tmp_path, monkeypatch)
    folder = tmp_path / "data"
    vg.data.load_mnist(folder, download=True)
    labels = folder / "train-labels-idx1-ubyte.gz"
    damage(labels, how)
    with pytest.raises(ValueError) as err:
        vg.data.load_mnist(folder)
    assert str(labels) in str(err.value) and "--download" in str(err.value)
    X, Y, *_ = vg.data.load_mnist(folder, download=True)   # fetched again, verified
    assert labels.read_bytes() == (source / labels.name).read_bytes()
    assert Y.shape == (5,)


@pytest.mark.parametrize("content, says", [
    (b"\x00\x00\x08\x03" + (2 ** 31).to_bytes(4, "big") * 3, "promises"),
    (b"\x00\x00\x08\xff", "cut short"),
    (b"\x00\x00\x08", "not an IDX file"),
])
def test_a_nonsense_idx_header_names_the_file_and_allocates_nothing(content, says, tmp_path):
    for name, data in (("x.idx", content), ("x.idx.gz", gzip.compress(content))):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError) as err:
            vg.data.read_idx(tmp_path / name)
        assert str(tmp_path / name) in str(err.value) and says in str(err.value)


def test_damaged_gzip_streams_name_the_file(tmp_path):
    for how in ("truncated", "bad crc", "not gzip"):
        write_idx(tmp_path / "a.gz", np.arange(100, dtype=np.uint8))
        damage(tmp_path / "a.gz", how)
        with pytest.raises(ValueError) as err:
            vg.data.read_idx(tmp_path / "a.gz")
        assert str(tmp_path / "a.gz") in str(err.value) and "download" in str(err.value)
