"""Text as character ids for a character-level language model.

``CharVocabulary`` maps each character of a text to an integer id and back, and is saved
beside a model (JSON) so that sampling later decodes the same way. ``next_char_windows``
cuts an id sequence into the (T, m) inputs and next-character targets a model trains on;
``next_char_streams`` lays them out for truncated backpropagation through time, each batch
continuing the one before it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .._files import PathLike, write_text
from ..validation import check_positive_int

#: where ``verigrad train shakespeare`` reads the text, below the data folder
SHAKESPEARE = Path("text") / "tinyshakespeare" / "input.txt"


class CharVocabulary:
    """The characters of a text, sorted, with ids 0 … size − 1.

        vocab = CharVocabulary.from_text(text)
        ids = vocab.encode(text)          # int64 array, one id per character
        vocab.decode(ids[:20])            # the first 20 characters again
    """

    def __init__(self, chars: Iterable[str]):
        chars = list(chars)
        if not chars or len(set(chars)) != len(chars):
            raise ValueError("a vocabulary needs at least one character and no repeats")
        self.chars = chars
        self._ids = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> CharVocabulary:
        if not text:
            raise ValueError("the text is empty: a vocabulary needs at least one character")
        return cls(sorted(set(text)))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text`` (int64, shape (len(text),))."""
        unknown = sorted(set(text) - self._ids.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return np.fromiter((self._ids[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: ArrayLike) -> str:
        """The text of a sequence of ids."""
        return "".join(self.chars[i] for i in np.asarray(ids).reshape(-1))

    def save(self, path: PathLike) -> None:
        write_text(path, json.dumps({"chars": "".join(self.chars)}, ensure_ascii=False))

    @classmethod
    def load(cls, path: PathLike) -> CharVocabulary:
        """Read a vocabulary written by ``save``; a file that does not hold one (not UTF-8,
        not JSON, no "chars" string, repeated characters) is a ValueError naming it."""
        try:
            chars = json.loads(Path(path).read_text(encoding="utf-8"))["chars"]
            if not isinstance(chars, str):
                raise TypeError(f'"chars" must be a string, got {type(chars).__name__}')
            return cls(chars)
        except (ValueError, KeyError, TypeError) as err:  # UnicodeDecodeError included
            raise ValueError(f"{path} is not a character vocabulary written by verigrad "
                             f"({type(err).__name__}: {err})") from None

    def __repr__(self) -> str:
        return f"CharVocabulary(size={self.size})"


def next_char_windows(ids: ArrayLike, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y), each (seq_len, m): column j of X is the j-th block of ``seq_len`` ids of the
    text and Y the same block shifted by one, the next character at every step. Blocks do
    not overlap; the ids left over at the end (fewer than a block) are dropped."""
    seq_len = check_positive_int(seq_len, "seq_len")
    ids = np.asarray(ids)
    m = (len(ids) - 1) // seq_len
    if m < 1:
        raise ValueError(f"a text of {len(ids)} characters is too short for windows of "
                         f"{seq_len} characters and their next characters")
    X = ids[:m * seq_len].reshape(m, seq_len).T
    Y = ids[1:m * seq_len + 1].reshape(m, seq_len).T
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


def next_char_streams(ids: ArrayLike, seq_len: int,
                      streams: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y), each (seq_len, k·streams), for truncated BPTT with stateful layers: the text
    is cut into ``streams`` equal parts read side by side, and batch b (columns b·streams …
    (b + 1)·streams − 1) holds the b-th block of ``seq_len`` ids of every part, so column j
    of batch b + 1 continues column j of batch b. Train on it with ``shuffle=False`` and
    ``batch_size=streams``. Y is X shifted by one within each part."""
    seq_len = check_positive_int(seq_len, "seq_len")
    streams = check_positive_int(streams, "streams")
    ids = np.asarray(ids)
    per_stream = (len(ids) - 1) // streams
    k = per_stream // seq_len
    if k < 1:
        raise ValueError(f"a text of {len(ids)} characters is too short for {streams} streams "
                         f"of at least {seq_len} characters and their next characters")

    def blocks(start: int) -> np.ndarray:
        parts = ids[start:start + streams * per_stream].reshape(streams, per_stream)
        chunks = parts[:, :k * seq_len].reshape(streams, k, seq_len)
        return np.ascontiguousarray(chunks.transpose(2, 1, 0).reshape(seq_len, k * streams))

    return blocks(0), blocks(1)


def load_text(path: PathLike | None = None) -> str:
    """The text of ``path``, or of the tiny Shakespeare file in ``$VERIGRAD_DATA`` (or
    ``../shared/data`` beside the working folder) when path is None. A file that is empty
    or not UTF-8 is a ValueError naming it (bytes are never dropped or replaced)."""
    if path is None:
        roots = [Path(os.environ["VERIGRAD_DATA"])] if os.environ.get("VERIGRAD_DATA") else []
        roots.append(Path("..") / "shared" / "data")
        found = [root / SHAKESPEARE for root in roots if (root / SHAKESPEARE).is_file()]
        if not found:
            raise FileNotFoundError(f"no text given and {SHAKESPEARE} not found in "
                                    f"{', '.join(map(str, roots))}: pass --data FILE")
        path = found[0]
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        bad = err.object[err.start:err.start + 4]
        raise ValueError(f"{path} is not UTF-8 text (bytes {bad!r} at byte {err.start}): "
                         f"convert it to UTF-8 first, e.g. iconv -f latin1 -t utf-8") from None
    if not text:
        raise ValueError(f"{path} is empty: a language model needs text to learn from")
    return text
