"""Reading ``.npz`` archives that nobody vouches for: ``vg.load`` and ``CBOW.load`` use it.

An ``.npz`` is a zip of ``.npy`` members. A zip can lie in three ways that cost memory: a
member's ``.npy`` header can declare a shape far larger than the data that follows, a member
can be deflated 1000 to 1 (a 40 KB file that expands to 40 MB of zeros), and several
members can overlap in the file. ``NpzArchive`` therefore checks, before any array is read:

- every member is a plain ``NAME.npy`` (no folder, no path separator, no duplicate), stored
  or deflated, not encrypted;
- the compressed sizes fit in the file, and each member, and the archive as a whole, expands
  at most ``max_ratio`` times (a first ``SMALL_BYTES`` are free: a short run of zeros
  compresses well in any honest file) and to at most ``max_bytes`` in all;
- each member's ``.npy`` header (read from the zip stream: a few hundred bytes decompressed)
  declares exactly as many bytes as the member holds, and a dtype of plain numbers or text:
  object arrays (pickles) and structured dtypes are refused.

``read(name, shape, dtype)`` then reads one array only if its header says that shape and
dtype, so a caller that knows what it expects never reads more than that. Every fault is a
``ValueError`` naming the member; callers add the file's name.
"""
from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._files import PathLike

#: how many times its compressed size a member, or a whole archive, may expand by default.
#: ``np.savez`` stores arrays (1 time); ``np.savez_compressed`` of trained weights expands
#: about 1.1 times; deflate's own maximum, reached by runs of zeros, is about 1000.
MAX_RATIO = 100.0
#: bytes any member, and any archive, may expand to whatever its compressed size
SMALL_BYTES = 1 << 20

_NPY_MAGIC = b"\x93NUMPY"
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
_DAMAGED = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error)


class NpzArchive:
    """An ``.npz`` file opened without trusting it (see the module's docstring).

    path: the file. max_ratio: the largest expansion (uncompressed / compressed size) of a
    member and of the whole archive, beyond its first ``SMALL_BYTES``; raise it only for a
    file you trust. max_bytes: the most bytes the members may expand to in all (None: no
    bound but ``max_ratio``).

    ``headers`` maps each array's name (the member's name without ``.npy``) to its
    ``(shape, dtype)``, read from the headers alone. Use it as a context manager.
    Raises FileNotFoundError for a missing file and ValueError, naming the member, for
    anything else."""

    def __init__(self, path: PathLike, max_ratio: float = MAX_RATIO,
                 max_bytes: int | None = None) -> None:
        if not (isinstance(max_ratio, (int, float)) and not isinstance(max_ratio, bool)
                and max_ratio >= 1 and math.isfinite(max_ratio)):
            raise ValueError(f"max_ratio must be a finite number >= 1, got {max_ratio!r}")
        if max_bytes is not None and (isinstance(max_bytes, bool)
                                      or not isinstance(max_bytes, int) or max_bytes < 0):
            raise ValueError(f"max_bytes must be None or an integer >= 0, got {max_bytes!r}")
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):
            with open(path, "rb") as file:
                one_array = file.read(len(_NPY_MAGIC)) == _NPY_MAGIC
            raise ValueError("it holds one array, not an .npz archive" if one_array else
                             "it is neither an .npz archive nor a .npy array") from None
        try:
            infos = self._check_members(path.stat().st_size, max_ratio, max_bytes)
            self.headers = {name: _read_header(self.zip, info) for name, info in infos.items()}
        except BaseException:
            self.zip.close()
            raise
        self._infos = infos

    def _check_members(self, file_size: int, max_ratio: float,
                       max_bytes: int | None) -> dict[str, zipfile.ZipInfo]:
        infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            label = repr(info.filename)
            stem = info.filename[:-4] if info.filename.endswith(".npy") else ""
            if not stem.isidentifier():
                raise ValueError(f"member {label} is not an array name followed by .npy "
                                 f"(no folders or path separators)")
            if stem in infos:
                raise ValueError(f"member {label} is in the archive twice")
            if info.flag_bits & 1:
                raise ValueError(f"member {label} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"member {label} is compressed with zip method "
                                 f"{info.compress_type}; numpy writes stored or deflated ones")
            _check_expansion(f"member {label}", info.file_size, info.compress_size,
                             max_ratio)
            infos[stem] = info
        compressed = sum(info.compress_size for info in infos.values())
        expanded = sum(info.file_size for info in infos.values())
        if compressed > file_size:
            raise ValueError(f"its members claim {compressed} compressed bytes, the file has "
                             f"{file_size}: they overlap or are damaged")
        _check_expansion("the archive", expanded, compressed, max_ratio)
        if max_bytes is not None and expanded > max_bytes:
            raise ValueError(f"its arrays take {expanded} bytes, more than max_bytes="
                             f"{max_bytes}: pass a larger max_bytes= if you trust the file")
        return infos

    def read(self, name: str, shape: tuple[int, ...], dtype: np.dtype | str) -> np.ndarray:
        """The array ``name``, read only if its header says ``shape`` and ``dtype``."""
        if name not in self.headers:
            raise ValueError(f"it has no array {name!r}")
        found_shape, found_dtype = self.headers[name]
        if found_shape != tuple(shape) or found_dtype != np.dtype(dtype):
            raise ValueError(f"array {name!r} should be {np.dtype(dtype)} of shape "
                             f"{tuple(shape)}, the file holds {found_dtype} of shape "
                             f"{found_shape}")
        try:
            with self.zip.open(self._infos[name]) as member:
                value = np.lib.format.read_array(member, allow_pickle=False)
                if member.read(1):
                    raise ValueError("data after the array")
        except _DAMAGED as err:
            raise ValueError(f"array {name!r} is damaged ({type(err).__name__}: {err})"
                             ) from None
        return value

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_expansion(what: str, expanded: int, compressed: int, max_ratio: float) -> None:
    if expanded > SMALL_BYTES + max_ratio * compressed:
        raise ValueError(f"{what} expands {expanded / max(compressed, 1):.0f} times "
                         f"({compressed} bytes to {expanded}), more than max_ratio="
                         f"{max_ratio:g}: a zip bomb, or pass a larger max_ratio= if you "
                         f"trust the file")


def _read_header(archive: zipfile.ZipFile,
                 info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the ``.npy`` header of member ``info``, which must declare
    exactly the bytes the member holds."""
    label = repr(info.filename)
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            reader = _HEADER_READERS.get(version)
            if reader is None:
                raise ValueError(f"member {label} is in .npy format {version}, not 1.0 or "
                                 f"2.0")
            shape, _, dtype = reader(member)
            header_size = member.tell()
    except _DAMAGED as err:
        if str(err).startswith(f"member {label}"):
            raise
        raise ValueError(f"member {label} is not a readable .npy array "
                         f"({type(err).__name__}: {err})") from None
    if dtype.hasobject or dtype.kind not in "biufcU" or dtype.fields is not None:
        raise ValueError(f"member {label} has dtype {dtype}: not plain numbers or text "
                         f"(object arrays would need unpickling)")
    declared = math.prod(shape) * dtype.itemsize
    if declared != info.file_size - header_size:
        raise ValueError(f"member {label} declares shape {tuple(shape)} of {dtype} "
                         f"({declared} bytes), but holds {info.file_size - header_size} "
                         f"bytes of data")
    return tuple(shape), dtype
