"""The messages between ``verigrad check`` and the process that runs a learner's file: a
JSON header and NumPy arrays, written without pickle so that the checking process can read
what the learner's process sends without running anything it chose.

    send(stream, {"op": "cost"}, [array, ...])
    header, arrays = receive(stream)        # WireError on anything malformed or too large

A message is 8 bytes (the header's length, little-endian), the header (a JSON object whose
"arrays" lists the dtype and shape of each array that follows), then each array's bytes in
C order. The reader refuses object and record dtypes, headers over ``MAX_HEADER`` bytes and
arrays over ``MAX_ARRAY`` bytes before allocating them.

Values (the arguments and results of a learner's functions) travel as trees: ``Codec``
packs None, bools, ints, floats, complex numbers, strings, slices, ranges, NumPy arrays,
scalars and dtypes, and tuples, lists, sets and dicts of them into a JSON tree (arrays
beside it), and unpacks that tree again. What cannot
travel (a function, an instance of the learner's class) is left to the two sides: each
packs it as a tagged reference to an object it keeps (``Codec.pack_other``) and resolves
the references the other side sends (``Codec.unpack_other``). Unpacking builds only the
plain types above and what ``unpack_other`` allows: it never imports or calls anything the
tree names. ``describe_error`` and ``rebuild_error`` do the same for an exception.
"""
from __future__ import annotations

import builtins
import json
import traceback
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

import numpy as np

MAX_HEADER = 1 << 24  # a call with many arguments (a batch of central differences)
MAX_ARRAY = 1 << 30  # bytes
_KINDS = "biufc"  # booleans, integers, floats, complex: no objects, strings or records


class WireError(Exception):
    """A message that ended early, is malformed, or is larger than the limits."""


class CannotSend(TypeError):
    """A value of the checking process that cannot travel to the learner's (an object that
    is neither data nor a function): the check cannot call the learner's function with it,
    which says nothing about the learner's code."""


def send(stream: BinaryIO, header: dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> None:
    """Write one message (header and arrays) and flush it."""
    # (not np.ascontiguousarray, which makes a 0-d array 1-d)
    contiguous = [a if a.flags.c_contiguous else a.copy(order="C") for a in arrays]
    layout = [[a.dtype.str, list(a.shape)] for a in contiguous]
    data = json.dumps({**header, "arrays": layout}).encode("utf-8")
    stream.write(b"".join([len(data).to_bytes(8, "little"), data,
                           *(a.tobytes() for a in contiguous)]))
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
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WireError("a message header that is not JSON") from None
    layout = header.get("arrays") if isinstance(header, dict) else None
    if not isinstance(layout, list) or len(layout) > 100_000:
        raise WireError("a message header without a valid list of arrays")
    return header, [_read_array(stream, described) for described in layout]


def _read_array(stream: BinaryIO, described: Any) -> np.ndarray:
    """The array the header describes as [dtype, shape], read from the stream."""
    try:
        kind, shape = described
        dtype = np.dtype(str(kind))
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise WireError(f"a malformed array description {described!r:.80}") from None
    if dtype.kind not in _KINDS or dtype.hasobject or dtype.fields is not None:
        raise WireError(f"an array of dtype {dtype} (numbers only)")
    if len(shape) > 32 or any(n < 0 for n in shape):
        raise WireError(f"an array of shape {shape}")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize > MAX_ARRAY:
        raise WireError(f"an array of shape {shape} larger than {MAX_ARRAY} bytes")
    data = _exactly(stream, count * dtype.itemsize)
    return np.frombuffer(data, dtype=dtype).copy().reshape(shape)


# ---- values: trees of containers, numbers and arrays ----------------------------------------

#: the tag of a packed container or array (a JSON object is always a tagged value)
TAG = "$"
#: how deep a tree may nest
MAX_DEPTH = 64


class Codec:
    """Packs a value into (a JSON tree, arrays) and unpacks it again; one per message.

    ``known`` (id of an object -> a path of keys from ``root``): an object this side
    received in the same exchange is packed as a reference to where it was (a function that
    returns the very dict it was given returns that dict, not a copy). ``unpack`` records
    the containers and arrays it builds under their paths in ``built``, for the next reply's
    ``known``."""

    def __init__(self, arrays: Sequence[np.ndarray] = (),
                 known: dict[int, list[Any]] | None = None, root: Any = None) -> None:
        self.arrays: list[np.ndarray] = list(arrays)
        self.known = known or {}
        self.root = root
        self.built: dict[int, list[Any]] = {}

    # -- packing --
    def pack(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"a value nested deeper than {MAX_DEPTH} levels")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        path = self.known.get(id(value))
        if path is not None:
            return {TAG: "ref", "path": path}
        if isinstance(value, np.ndarray) and value.dtype.kind in _KINDS:
            self.arrays.append(np.asarray(value))
            return {TAG: "array", "i": len(self.arrays) - 1}
        if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
            self.arrays.append(np.asarray(value))
            return {TAG: "scalar", "i": len(self.arrays) - 1}
        if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(
                value, np.generic)):  # dtype=np.float64, a setting
            dtype = np.dtype(value)
            if dtype.kind in _KINDS:
                return {TAG: "dtype", "v": dtype.str, "type": isinstance(value, type)}
        if type(value) in (tuple, list, set, frozenset):
            return {TAG: type(value).__name__, "v": [self.pack(v, depth + 1) for v in value]}
        if type(value) is complex:
            return {TAG: "complex", "v": [value.real, value.imag]}
        if type(value) in (slice, range):
            return {TAG: type(value).__name__,
                    "v": [self.pack(v, depth + 1) for v in (value.start, value.stop, value.step)]}
        if type(value) is dict:
            return {TAG: "dict", "k": [self.pack(k, depth + 1) for k in value],
                    "v": [self.pack(v, depth + 1) for v in value.values()]}
        return self.pack_other(value, depth)

    def pack_other(self, value: Any, depth: int) -> Any:
        """A value that is not plain data: this side's reference to it (overridden)."""
        raise WireError(f"a {type(value).__name__} cannot be sent")

    # -- unpacking --
    def unpack(self, tree: Any, path: tuple[Any, ...] = ()) -> Any:
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        if not isinstance(tree, dict) or not isinstance(tree.get(TAG), str):
            raise WireError("a value that is neither plain data nor tagged")
        tag = tree[TAG]
        if tag in ("array", "scalar"):
            index = tree.get("i")
            if not isinstance(index, int) or not 0 <= index < len(self.arrays):
                raise WireError("a value that names an array the message lacks")
            array = self.arrays[index]
            value: Any = array[()] if tag == "scalar" and array.ndim == 0 else array
        elif tag in ("tuple", "list"):
            items = [self.unpack(v, (*path, i)) for i, v in enumerate(_listed(tree, "v"))]
            value = tuple(items) if tag == "tuple" else items
        elif tag in ("set", "frozenset", "complex", "slice", "range"):
            parts = [self.unpack(v) for v in _listed(tree, "v")]
            try:
                return {"set": set, "frozenset": frozenset}[tag](parts) if "set" in tag else \
                    complex(*parts) if tag == "complex" else slice(*parts) if tag == "slice" \
                    else range(*parts)
            except (TypeError, ValueError):
                raise WireError(f"a {tag} that cannot be made from {tree['v']!r:.80}") from None
        elif tag == "dict":
            keys, values = _listed(tree, "k"), _listed(tree, "v")
            if len(keys) != len(values):
                raise WireError("a dict whose keys and values differ in number")
            value = {}
            for k, v in zip(keys, values):
                key = self.unpack(k)
                if isinstance(key, (list, dict, np.ndarray)):
                    raise WireError("a dict key that cannot be a key")
                value[key] = self.unpack(v, (*path, key))
        elif tag == "dtype":
            try:
                dtype = np.dtype(str(tree.get("v")))
            except TypeError:
                raise WireError("a dtype NumPy does not know") from None
            if dtype.kind not in _KINDS:
                raise WireError(f"a dtype {dtype} (numbers only)")
            return dtype.type if tree.get("type") else dtype
        elif tag == "ref":
            return self.resolve(_listed(tree, "path"))
        else:
            return self.unpack_other(tree)
        if isinstance(value, (list, dict, np.ndarray)):
            self.built[id(value)] = list(path)
        return value

    def resolve(self, path: Sequence[Any]) -> Any:
        """The object at ``path`` (keys and indices) inside ``root``."""
        value = self.root
        try:
            for key in path:
                value = value[key if not isinstance(key, list) else tuple(key)]
        except (KeyError, IndexError, TypeError):
            raise WireError("a reference to an argument that does not exist") from None
        return value

    def unpack_other(self, tree: dict[str, Any]) -> Any:
        """A tagged reference to an object the other side keeps (overridden)."""
        raise WireError(f"a value tagged {tree[TAG]!r}, which this side does not take")


def _listed(tree: dict[str, Any], key: str) -> list[Any]:
    value = tree.get(key)
    if not isinstance(value, list):
        raise WireError(f"a tagged value without its list {key!r}")
    return value


# ---- exceptions -------------------------------------------------------------------------------


def describe_error(error: BaseException,
                   mine: Callable[[str], bool]) -> dict[str, Any]:
    """An exception as a message: its type's name, the builtin exception types it derives
    from, its arguments (when they are plain), its text, and the frames of its traceback in
    files ``mine(filename)`` accepts ([file, line, function, source line]), and the name a
    NameError or an ImportError missed."""
    bases = [t.__name__ for t in type(error).__mro__
             if getattr(builtins, t.__name__, None) is t and issubclass(t, BaseException)]
    plain = all(isinstance(a, (str, int, float, type(None))) and not isinstance(a, bool)
                for a in error.args)
    frames = [[f.filename, f.lineno, f.name, f.line or ""]
              for f in traceback.extract_tb(error.__traceback__) if mine(f.filename)]
    name = getattr(error, "name", None)  # NameError's, ImportError's missing name
    return {"type": type(error).__name__, "bases": bases, "text": str(error),
            "args": list(error.args) if plain else None, "frames": frames,
            "name": name if isinstance(name, str) else None}


def rebuild_error(described: Any) -> Exception:
    """The exception ``describe_error`` described, as an instance of the same builtin type
    (or of a new class of the same name derived from the nearest builtin one), carrying
    ``learner_frames``: a list of ``traceback.FrameSummary``. Never a BaseException that is
    not an Exception (SystemExit, KeyboardInterrupt): those become a RuntimeError, so that
    the learner's exit cannot end the process that rebuilds it."""
    if not isinstance(described, dict):
        raise WireError("an exception that is not described")
    name, text = str(described.get("type", "Exception")), str(described.get("text", ""))
    bases = [getattr(builtins, b) for b in described.get("bases") or []
             if isinstance(b, str) and isinstance(getattr(builtins, b, None), type)
             and issubclass(getattr(builtins, b), Exception)]
    base: type[Exception] = bases[0] if bases else RuntimeError
    kind = base if base.__name__ == name else type(name if name.isidentifier() else "Error",
                                                     (base,), {})
    args = described.get("args")
    try:
        error = kind(*args) if isinstance(args, list) and args is not None else kind(text)
    except Exception:  # noqa: BLE001 -- a builtin type that wants other arguments
        error = kind(text)
    if isinstance(described.get("name"), str) and isinstance(
            error, (NameError, ImportError, AttributeError)):
        error.name = described["name"]
    frames = described.get("frames") or []
    error.learner_frames = [  # type: ignore[attr-defined,unused-ignore]
        traceback.FrameSummary(str(f[0]), int(f[1]), str(f[2]), line=str(f[3]))
        for f in frames if isinstance(f, list) and len(f) == 4 and isinstance(f[1], int)]
    error.learner_compared = str(  # type: ignore[attr-defined,unused-ignore]
        described.get("compared", ""))
    return error
