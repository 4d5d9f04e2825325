"""The messages between ``verigrad check`` and the process that runs a learner's file: a
JSON header and NumPy arrays, written without pickle so that the checking process can read
what the learner's process sends without running anything it chose.

    send(stream, {"op": "cost"}, [array, ...])
    header, arrays = receive(stream)        # WireError on anything malformed or too large

A message is 8 bytes (the header's length, little-endian), the header (a JSON object that
says how many arrays follow, under "arrays"), then each array in NumPy's ``.npy`` format.
The reader refuses object arrays, headers over ``MAX_HEADER`` bytes and arrays over
``MAX_ARRAY`` bytes before allocating them.
"""
from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np

MAX_HEADER = 1 << 20
MAX_ARRAY = 1 << 30  # bytes
_KINDS = "biuf"  # booleans, integers and floats: no objects, strings or records


class WireError(Exception):
    """A message that ended early, is malformed, or is larger than the limits."""


def send(stream: BinaryIO, header: dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> None:
    """Write one message (header and arrays) and flush it."""
    contiguous = [np.ascontiguousarray(a) for a in arrays]
    data = json.dumps({**header, "arrays": len(contiguous)}).encode("utf-8")
    stream.write(len(data).to_bytes(8, "little"))
    stream.write(data)
    for array in contiguous:
        # through memory: NumPy writes a real file with tofile, which a pipe cannot take
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        stream.write(buffer.getvalue())
    stream.flush()


def _exactly(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise WireError("the message ended early (the process ended?)")
    return data


def receive(stream: BinaryIO) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Read one message: (header, arrays)."""
    size = int.from_bytes(_exactly(stream, 8), "little")
    if size > MAX_HEADER:
        raise WireError(f"a message header of {size} bytes (at most {MAX_HEADER})")
    try:
        header = json.loads(_exactly(stream, size).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WireError("a message header that is not JSON") from None
    count = header.get("arrays") if isinstance(header, dict) else None
    if not isinstance(count, int) or not 0 <= count <= 100_000:
        raise WireError("a message header without a valid array count")
    return header, [_read_array(stream) for _ in range(count)]


def _read_array(stream: BinaryIO) -> np.ndarray:
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except ValueError as err:
        raise WireError(f"a malformed array: {err}") from None
    if dtype.kind not in _KINDS or dtype.hasobject:
        raise WireError(f"an array of dtype {dtype} (numbers only)")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count < 0 or count * dtype.itemsize > MAX_ARRAY:
        raise WireError(f"an array of shape {shape} larger than {MAX_ARRAY} bytes")
    data = _exactly(stream, count * dtype.itemsize)
    array = np.frombuffer(data, dtype=dtype).copy()
    return array.reshape(shape, order="F" if fortran else "C")
