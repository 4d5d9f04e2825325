"""MNIST and Fashion-MNIST from the four standard IDX files.

Files are looked for, in order, in ``path``, ``$VERIGRAD_DATA/<name>/`` and
``~/.cache/verigrad/<name>/``. Nothing is fetched unless ``download=True`` is passed; a
download goes to the cache folder (or ``path``). Every file is checked against the SHA-256
below each time it is loaded, wherever it was found: a damaged, truncated or altered file
is an error naming it, and ``download=True`` fetches it again instead.
"""
from __future__ import annotations

import gzip
import io
import math
import os
import shutil
import tempfile
import urllib.request
import zlib
from pathlib import Path
from typing import TypedDict

import numpy as np
from numpy.typing import DTypeLike

from .._files import PathLike, sha256

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")



class DatasetSpec(TypedDict):
    """Where a data set's four files are published, and the SHA-256 digest of each."""

    urls: tuple[str, ...]
    sha256: dict[str, str]


DATASETS: dict[str, DatasetSpec] = {
    "mnist": {
        "urls": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        "sha256": {
            "train-images-idx3-ubyte.gz":
                "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
            "train-labels-idx1-ubyte.gz":
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz":
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz":
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    },
    "fashion-mnist": {
        "urls": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "sha256": {
            "train-images-idx3-ubyte.gz":
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz":
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz":
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz":
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    },
}

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")

_IDX_TYPES: dict[int, DTypeLike] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
                                    0x0D: ">f4", 0x0E: ">f8"}


#: X_train, Y_train, X_test, Y_test
Splits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array of its stored shape and type.

    Layout: two zero bytes, a type code, the number of dimensions d, then d big-endian
    uint32 sizes, then the data in row-major order. A file that is not that (a damaged or
    truncated gzip stream, a header whose sizes do not match the data) is a ValueError
    naming it; memory is only allocated for data actually in the file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            magic = f.read(4)
            if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_TYPES:
                raise ValueError(f"{path} is not an IDX file (bad magic number {magic.hex()})")
            ndim = magic[3]
            sizes = f.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise ValueError(f"{path}: the IDX header is cut short")
            shape = tuple(int.from_bytes(sizes[i:i + 4], "big") for i in range(0, 4 * ndim, 4))
            dtype = np.dtype(_IDX_TYPES[magic[2]])
            expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
            raw = _read_at_most(f, expected + 1)
    except (EOFError, OSError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} cannot be read ({err}): the file is damaged or truncated; "
                         f"delete it and download it again (command line: --download)"
                         ) from None
    if len(raw) != expected:
        raise ValueError(f"{path}: the IDX header promises {shape} = {expected} bytes of "
                         f"data, the file holds {len(raw) if len(raw) <= expected else 'more'}"
                         f"; delete it and download it again (command line: --download)")
    return np.frombuffer(raw, dtype).reshape(shape)


def _read_at_most(f: io.BufferedIOBase, n: int, block: int = 1 << 22) -> bytes:
    """Up to ``n`` bytes of ``f``, read in blocks (a header's claim is not allocated)."""
    parts: list[bytes] = []
    size = 0
    while size < n:
        part = f.read(min(block, n - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def candidate_dirs(name: str, path: PathLike | None = None) -> list[Path]:
    """Folders searched for data set ``name``, in order."""
    dirs = []
    if path is not None:
        dirs.append(Path(path).expanduser())
    if os.environ.get("VERIGRAD_DATA"):
        dirs.append(Path(os.environ["VERIGRAD_DATA"]).expanduser() / name)
    dirs.append(Path.home() / ".cache" / "verigrad" / name)
    return dirs


def find_files(name: str, path: PathLike | None = None, download: bool = False) -> Path:
    """The folder holding all four files of ``name``, each checked against its SHA-256;
    with ``download``, files that are missing or fail the check are fetched again."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; known: {sorted(DATASETS)}")
    dirs = candidate_dirs(name, path)
    for folder in dirs:
        if all((folder / f).is_file() for f in FILES):
            bad = [f for f in FILES if sha256(folder / f) != DATASETS[name]["sha256"][f]]
            if bad and download:
                _download(name, folder)
            elif bad:
                raise ValueError(
                    f"{folder / bad[0]} is not the published {name} file (its SHA-256 "
                    f"differs: damaged, truncated or altered). Delete it, or pass "
                    f"download=True (command line: --download) to fetch it again")
            return folder
    if download:
        target = dirs[0] if path is not None else dirs[-1]
        _download(name, target)
        return target
    searched = "\n".join(f"  {d}" for d in dirs)
    raise FileNotFoundError(
        f"{name} not found. verigrad looked for {', '.join(FILES)} in:\n{searched}\n"
        f"Put the four files in one of these folders (or set VERIGRAD_DATA to a folder "
        f"holding {name}/), or pass download=True (command line: --download) to fetch them "
        f"into {dirs[-1] if path is None else dirs[0]} with checksum verification.")


def _download(name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    spec = DATASETS[name]
    for file in FILES:
        target = folder / file
        if target.is_file() and sha256(target) == spec["sha256"][file]:
            continue
        errors = []
        for base in spec["urls"]:
            try:
                _fetch_verified(base + file, target, spec["sha256"][file])
                break
            except (OSError, ValueError) as err:
                errors.append(f"{base + file}: {err}")
        else:
            raise OSError(f"could not download {file}:\n  " + "\n  ".join(errors))


def _fetch_verified(url: str, target: Path, expected_sha256: str) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, tmp)
            tmp.close()
            actual = sha256(tmp.name)
            if actual != expected_sha256:
                raise ValueError(f"checksum mismatch: expected {expected_sha256}, got {actual}")
            os.replace(tmp.name, target)
        finally:
            if os.path.exists(tmp.name):
                os.unlink(tmp.name)


def load_idx_dataset(name: str, path: PathLike | None = None, download: bool = False,
                     images: bool = False) -> Splits:
    """(X_train, Y_train, X_test, Y_test) for an MNIST-format data set.

    X: float32 (784, m) with values in [0, 1], one image per column (stored column-contiguous,
    so mini-batches are cheap to gather), or with ``images=True`` the same numbers as
    images (1, 28, 28, m) for convolutional layers; Y: int64 labels (m,)."""
    folder = find_files(name, path, download)
    out: list[np.ndarray] = []
    for image_file, labels in ((FILES[0], FILES[1]), (FILES[2], FILES[3])):
        pixels = read_idx(folder / image_file)
        if pixels.ndim != 3:
            raise ValueError(f"{folder / image_file}: expected (m, rows, cols) images, "
                             f"got {pixels.shape}")
        m = pixels.shape[0]
        X = (pixels.reshape(m, -1).astype(np.float32) / np.float32(255)).T
        if images:
            X = X.reshape(1, *pixels.shape[1:], m)
        Y = read_idx(folder / labels).astype(np.int64)
        if Y.shape != (m,):
            raise ValueError(f"{folder / labels}: {Y.shape} labels for {m} images")
        out += [X, Y]
    X_train, Y_train, X_test, Y_test = out
    return X_train, Y_train, X_test, Y_test


def load_mnist(path: PathLike | None = None, download: bool = False,
               images: bool = False) -> Splits:
    """MNIST digits: X_train (784, 60000), Y_train (60000,), X_test (784, 10000), Y_test (10000,).

    X is float32 in [0, 1]; Y holds integer labels 0-9. ``images=True`` gives X_train as
    (1, 28, 28, 60000) and X_test as (1, 28, 28, 10000), the layout of ``Conv2D``. See the
    module docstring for where the files are looked for."""
    return load_idx_dataset("mnist", path, download, images)


def load_fashion_mnist(path: PathLike | None = None, download: bool = False,
                       images: bool = False) -> Splits:
    """Fashion-MNIST (10 clothing classes, ``FASHION_CLASSES``), same format as MNIST."""
    return load_idx_dataset("fashion-mnist", path, download, images)
