"""The corpus, read once and streamed: its words become integer ids in a temporary file that
every epoch reads back in chunks, so a corpus larger than memory works."""
from __future__ import annotations

import gzip
import os
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .._files import PathLike
from ..course.tokenize import WORD
from .vectors import check_words

_MAX_SENTENCE = 10000       # longer lines are cut into pieces of this many words (as gensim)
_CHUNK_WORDS = 50000        # words per unit of work handed to a thread
_FLUSH_WORDS = 1 << 22      # ids buffered in memory before they go to the temporary file


class EncodedCorpus:
    """The corpus as ids in a temporary file, with sentence boundaries and word counts.

    ``EncodedCorpus(corpus, directory)`` reads ``corpus`` (a path or an iterable of token
    lists) once and writes its ids into ``directory``, which must outlive it.
    ids are given in order of first appearance (id 0 is the end-of-sentence marker used
    while reading); ``types`` maps word -> id, ``counts[id]`` is the number of times word
    id occurs, ``ids`` (total,) int32 the memory-mapped words of every sentence in order,
    ``starts`` (S+1,) the offsets of the S sentences and ``total`` the number of words;
    ``chunks()`` splits the sentences into units of work for the threads.
    """

    def __init__(self, corpus: PathLike | Iterable[Sequence[str]], directory: PathLike):
        self.types = _Ids({_END: 0})
        ids_path = os.path.join(directory, "ids.int32")
        pieces: list[np.ndarray] = []
        with open(ids_path, "wb") as ids_file:
            for tokens in _token_blocks(corpus):
                ids = np.array(array("i", map(self.types.__getitem__, tokens)), dtype=np.int32)
                ends = np.flatnonzero(ids == 0)
                pieces.append(_cut_long(np.diff(ends, prepend=-1) - 1))
                ids[ids != 0].tofile(ids_file)
        lengths = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(lengths[lengths > 0])])
        self.total = int(self.starts[-1])
        if self.total == 0:
            named = isinstance(corpus, (str, os.PathLike))
            raise ValueError(f"{f'corpus file {corpus}' if named else 'the corpus'} has no "
                             f"words")
        self.ids = np.memmap(ids_path, dtype=np.int32, mode="r", shape=(self.total,))
        self.counts = np.zeros(len(self.types), dtype=np.int64)
        for start in range(0, self.total, _FLUSH_WORDS):
            self.counts += np.bincount(self.ids[start:start + _FLUSH_WORDS],
                                       minlength=len(self.types))

    def chunks(self) -> list[tuple[int, int]]:
        """(first sentence, end sentence) ranges of about _CHUNK_WORDS words."""
        bounds = np.searchsorted(self.starts, np.arange(0, self.total, _CHUNK_WORDS))
        bounds = np.unique(np.concatenate([bounds, [len(self.starts) - 1]]))
        return list(zip(bounds[:-1], bounds[1:]))


_END = "\n"                                 # marks the end of a sentence in a token block
_WORDS_AND_ENDS = re.compile(WORD + "|" + _END)


class _Ids(dict[str, int]):
    """word -> id, giving the next id to a word not seen before."""

    def __missing__(self, word: str) -> int:
        self[word] = len(self)
        return len(self) - 1


def _cut_long(lengths: np.ndarray) -> np.ndarray:
    """Sentence lengths with those over _MAX_SENTENCE cut into pieces."""
    if lengths.max(initial=0) <= _MAX_SENTENCE:
        return lengths
    pieces = []
    for length in lengths:
        while length > _MAX_SENTENCE:
            pieces.append(_MAX_SENTENCE)
            length -= _MAX_SENTENCE
        pieces.append(length)
    return np.array(pieces, dtype=np.int64)


def _token_blocks(corpus: PathLike | Iterable[Sequence[str]]) -> Iterator[list[str]]:
    """Lists of tokens with _END after each sentence, about _FLUSH_WORDS words each.

    A path is read in blocks of lines (one sentence per line, UTF-8, .gz allowed), each
    block lower-cased and split by one regular expression -- the same tokens as
    ``simple_tokenize`` line by line, without a Python step per line.  Otherwise
    `corpus` must be an iterable of token lists.
    """
    if isinstance(corpus, (str, os.PathLike)):
        yield from _file_blocks(Path(corpus))
        return
    try:
        iterator = iter(corpus)
    except TypeError:
        raise TypeError("corpus must be a path or an iterable of token lists, got "
                        f"{type(corpus).__name__}") from None
    block: list[str] = []
    for number, sentence in enumerate(iterator, 1):
        if isinstance(sentence, str) or not all(isinstance(w, str) for w in sentence):
            raise TypeError("corpus must yield lists of str tokens, got "
                            f"{type(sentence).__name__}: {str(sentence)[:60]!r}")
        # refused before training, not when the trained vectors are saved
        check_words(sentence, f"tokens (sentence {number} of the corpus)")
        block.extend(sentence)
        block.append(_END)
        if len(block) >= _FLUSH_WORDS:
            yield block
            block = []
    yield block


def _file_blocks(path: Path) -> Iterator[list[str]]:
    """The token blocks of a text file; bytes that are not UTF-8 are an error, not dropped
    (they would silently split or lose words)."""
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            while True:
                block = "".join(lines.readlines(_FLUSH_WORDS * 4))
                if not block:
                    return
                yield _WORDS_AND_ENDS.findall(block.lower() + _END)
    except UnicodeDecodeError as err:
        bad = err.object[err.start:err.start + 4]
        raise ValueError(f"{path} is not UTF-8 text (bytes {bad!r}): convert it to UTF-8 "
                         f"first, e.g. iconv -f latin1 -t utf-8") from None
    except (EOFError, OSError) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} cannot be read ({err}): a damaged or truncated .gz file? "
                         f"Download or compress it again") from None
