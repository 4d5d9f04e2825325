"""``WordVectors``: trained word vectors with look-up, cosine similarity, the standard
evaluations (word pairs, analogies), the word2vec text format and a PCA plot."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._files import PathLike, atomic_write
from ..course.cbow import compute_pca
from ..validation import check_positive_int

#: what the word2vec text format cannot hold inside a word: it separates a row's fields by
#: spaces and rows by line ends (a lone \r is one when the file is read back)
_SEPARATOR = re.compile("[ \n\r]")


def check_words(words: Sequence[str], what: str = "words") -> None:
    """Raise ValueError naming the first of ``words`` that is empty or holds a space or a
    line break: such a word cannot be written to the word2vec text format and read back.
    TypeError for a word that is not a str."""
    if not all(isinstance(word, str) for word in words):
        bad = next(word for word in words if not isinstance(word, str))
        raise TypeError(f"{what} must be strings, got {type(bad).__name__}: {bad!r:.60}")
    if "" in words or _SEPARATOR.search("\0".join(words)):
        bad = next(word for word in words if not word or _SEPARATOR.search(word))
        raise ValueError(f"{what} must be non-empty and hold no space or line break (the "
                         f"word2vec text format could not read them back), got {bad!r:.60}")


class WordVectors:
    """Word vectors with look-up, cosine similarity and the standard evaluations.

    ``words`` (list of str) and ``vectors`` (V, N) float32, row i for words[i].
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors)
        if vectors.dtype.kind not in "fiu":
            raise TypeError(f"vectors must hold real numbers, got dtype {vectors.dtype}")
        vectors = vectors.astype(np.float32, copy=False)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"vectors must have shape ({len(words)}, N) for {len(words)} "
                             f"words, got {vectors.shape}")
        if not np.isfinite(vectors).all():
            row = int(np.argwhere(~np.isfinite(vectors))[0, 0])
            raise ValueError(f"vectors hold NaN or inf (first in the row of {words[row]!r}): "
                             f"similarities would be meaningless")
        check_words(words)
        self.words = list(words)
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words must be distinct")
        self.vectors = vectors
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._unit = vectors / np.where(norms > 0, norms, 1)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._row(word)]

    def _row(self, word: str) -> int:
        if word not in self.index:
            raise KeyError(f"word {word!r} is not in the vocabulary ({len(self.words)} words)")
        return self.index[word]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of the vectors of words `a` and `b`."""
        return float(self._unit[self._row(a)] @ self._unit[self._row(b)])

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The `topn` words nearest to `word` by cosine, as ``[(word, cosine), ...]``."""
        return self._nearest([self._row(word)], [], topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
        """Words d with a : b :: c : d, i.e. nearest to ``b - a + c`` (unit vectors)."""
        return self._nearest([self._row(b), self._row(c)], [self._row(a)], topn)

    def _nearest(self, positive: list[int], negative: list[int],
                 topn: int) -> list[tuple[str, float]]:
        topn = check_positive_int(topn, "topn")
        query = self._unit[positive].sum(axis=0) - self._unit[negative].sum(axis=0)
        scores = self._unit @ (query / max(np.linalg.norm(query), 1e-12))
        asked = sorted(set(positive + negative))
        scores[asked] = -np.inf
        # the query words are never answers, even when topn asks for every word
        best = np.argsort(-scores)[:min(topn, len(self.words) - len(asked))]
        return [(self.words[i], float(scores[i])) for i in best]

    def evaluate_word_pairs(self, path: PathLike) -> dict[str, Any]:
        """Correlation with human similarity judgements, e.g. WordSim-353 or SimLex-999.

        The file has ``word1<TAB>word2<TAB>score`` lines ('#' lines are comments); words
        are looked up in lower case and pairs with an unknown word are skipped, as
        gensim's ``evaluate_word_pairs`` does.  Returns a dict with ``pearson``,
        ``spearman``, ``oov_ratio`` (percent of pairs skipped) and ``pairs`` (used).
        """
        human, model, skipped = [], [], 0
        for number, line in enumerate(_lines(path), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3:
                raise ValueError(f"{path}: expected 'word1<TAB>word2<TAB>score', got {line!r}")
            try:
                score = float(parts[2])
            except ValueError:
                score = math.nan
            if not math.isfinite(score):  # one NaN would make both correlations NaN
                raise ValueError(f"{path}: line {number}: the score {parts[2]!r} is not a "
                                 f"finite number")
            a, b = parts[0].lower(), parts[1].lower()
            if a not in self.index or b not in self.index:
                skipped += 1
                continue
            human.append(score)
            model.append(self.similarity(a, b))
        if len(human) < 2:
            raise ValueError(f"{path}: fewer than 2 pairs are in the vocabulary")
        judged, found = np.array(human), np.array(model)
        return {"pearson": float(np.corrcoef(judged, found)[0, 1]),
                "spearman": float(np.corrcoef(_ranks(judged), _ranks(found))[0, 1]),
                "oov_ratio": 100.0 * skipped / (skipped + len(human)),
                "pairs": len(human)}

    def evaluate_word_analogies(self, path: PathLike) -> dict[str, Any]:
        """Accuracy on analogy questions ``a b c d`` (``: section`` headers), as gensim.

        A question counts when its four words are in the vocabulary (lower case); it is
        right when d is the nearest word to ``b - a + c`` other than a, b, c.  Returns a
        dict with ``accuracy``, ``correct``, ``questions`` (answered), ``skipped`` and
        ``sections`` (name -> accuracy).
        """
        sections, questions, skipped, section = {}, [], 0, "(none)"
        for line in _lines(path):
            if line.startswith(":"):
                section = line[1:].strip()
                continue
            parts = line.lower().split()
            if not parts:
                continue
            if len(parts) != 4:
                raise ValueError(f"{path}: expected 4 words per question, got {line!r}")
            if all(w in self.index for w in parts):
                questions.append((section, [self.index[w] for w in parts]))
            else:
                skipped += 1
        if not questions:
            raise ValueError(f"{path}: no question has all four words in the vocabulary")
        rows = np.array([q for _, q in questions])
        correct = np.zeros(len(rows), dtype=bool)
        for start in range(0, len(rows), 1000):
            a, b, c, d = rows[start:start + 1000].T
            query = self._unit[b] - self._unit[a] + self._unit[c]
            scores = query @ self._unit.T
            for column in (a, b, c):
                scores[np.arange(len(a)), column] = -np.inf
            correct[start:start + 1000] = scores.argmax(axis=1) == d
        for name in dict.fromkeys(name for name, _ in questions):
            mask = np.array([name == s for s, _ in questions])
            sections[name] = float(correct[mask].mean())
        return {"accuracy": float(correct.mean()), "correct": int(correct.sum()),
                "questions": len(rows), "skipped": skipped, "sections": sections}

    def save_word2vec_format(self, path: PathLike) -> None:
        """Write the word2vec text format: ``V N`` then ``word v1 ... vN`` per line
        (atomically: the file is written whole or not at all)."""
        with atomic_write(path, "w", encoding="utf-8") as out:
            out.write(f"{len(self.words)} {self.vectors.shape[1]}\n")
            for word, vector in zip(self.words, self.vectors):
                # 9 significant digits give back every float32 exactly.
                out.write(word + " " + " ".join(f"{v:.9g}" for v in vector) + "\n")

    @classmethod
    def load_word2vec_format(cls, path: PathLike) -> WordVectors:
        """Read the word2vec text format written by this class or by gensim."""
        with open(path, encoding="utf-8") as source:
            header = source.readline().split()
            if len(header) != 2:
                raise ValueError(f"{path}: first line must be 'V N', got {' '.join(header)!r}")
            try:
                count, dim = int(header[0]), int(header[1])
            except ValueError:
                raise ValueError(f"{path}: first line must be 'V N' (two integers), got "
                                 f"{' '.join(header)!r}") from None
            # Rows are read one by one (nothing allocated from the header's claim).
            words, rows = [], []
            for i, line in enumerate(source):
                parts = line.rstrip("\n").rstrip(" ").split(" ")
                if i >= count or len(parts) != dim + 1:
                    raise ValueError(f"{path}: line {i + 2} should be a word and {dim} "
                                     f"numbers ({count} lines), got {len(parts)} fields")
                words.append(parts[0])
                try:
                    rows.append(np.array(parts[1:], dtype=np.float32))
                except ValueError:
                    raise ValueError(f"{path}: line {i + 2} holds something that is not a "
                                     f"number") from None
        if len(words) != count:
            raise ValueError(f"{path}: header announces {count} words, found {len(words)}")
        try:
            return cls(words, np.array(rows).reshape(count, dim))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path}: {err}") from None

    def plot(self, words: Sequence[str], path: PathLike, title: str | None = None) -> None:
        """Save a PNG scatter plot of `words` on their first two principal components."""
        from ..plots import figure as new_figure
        points = compute_pca(self.vectors[[self._row(w) for w in words]], 2)
        figure = new_figure(figsize=(7, 6))
        axes = figure.subplots()
        axes.scatter(points[:, 0], points[:, 1], s=12)
        for word, (x, y) in zip(words, points):
            axes.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points")
        axes.set_title(title or "word vectors, first two principal components")
        with atomic_write(path) as file:
            figure.savefig(file, format="png", dpi=120, bbox_inches="tight")


def _lines(path: PathLike) -> list[str]:
    """The lines of the UTF-8 text file ``path``; ValueError naming it when it is not
    UTF-8 (OSError when it cannot be read)."""
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (byte {err.start}): convert it to UTF-8 "
                         f"first") from None


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their mean rank (for Spearman's correlation)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]
