"""A real CBOW embedding trainer (word2vec's continuous bag of words) and word vectors.

    model = CBOW(vector_size=100, window=5, epochs=5).fit("corpus.txt.gz")
    model.most_similar("king"); model.wv["queen"]; model.save("out/")

Training, as in word2vec.c and gensim (Mikolov et al. 2013):

* the vocabulary keeps words seen at least `min_count` times, most frequent first;
* each occurrence of word w is kept with probability
  ``(sqrt(f/t) + 1) * t/f`` (f its count, t = sample x total words) -- frequent words
  are subsampled;
* for each kept word the context is up to `window` words on each side (shrunk at random
  by 0..window-1), ``h`` the mean of their input vectors;
* ``loss="negative"``: logistic loss of the centre word (label 1) against `negative`
  words drawn from the unigram distribution raised to 3/4 (label 0); the input vectors
  are the embeddings;
* ``loss="softmax"``: the course model (ReLU hidden layer with biases, full softmax over
  the vocabulary, embeddings ``(W1.T + W2) / 2``), trained in vectorised batches;
* the learning rate falls linearly from `alpha` to `min_alpha` over all words trained.

The corpus is read once, streamed: its words become integer ids in a temporary file
that every epoch reads back in chunks, so a corpus larger than memory works.  Chunks go
to `workers` threads that update the shared weights without locks (Hogwild), with the
numba kernel of ``verigrad.word2vec._kernels`` when numba is installed, else with the
batched NumPy code below (the readable reference).
"""
from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .. import functional as F
from .._backend import check_backend, load_kernels
from .._files import PathLike, atomic_write, sha256, write_text
from ..diagnostics.guard import TrainingDiverged
from ..npzfile import MAX_RATIO, NpzArchive
from ..validation import check_number, check_positive_int
from .corpus import EncodedCorpus
from .sampling import alias_table, negative_sampling_gradients
from .vectors import WordVectors

# --- the trainer ----------------------------------------------------------------------------

class CBOW:
    """Continuous bag-of-words word embeddings (word2vec CBOW).

    vector_size: N, the embedding size.  window: context words on each side.
    loss: "negative" (negative sampling) or "softmax" (the course model, full softmax).
    negative: noise words per example.  min_count: rarer words are dropped.
    sample: subsampling threshold t (0 turns subsampling off).
    alpha, min_alpha: learning rate at the start and the end (linear decay).
    epochs: passes over the corpus.  batch_size: examples per vectorised NumPy step.
    workers: training threads.  seed: random seed.
    backend: "auto" (numba if installed, else NumPy), "numba" or "numpy".
    progress: show a progress bar with words/second.
    """

    def __init__(self, vector_size: int = 100, window: int = 5, loss: str = "negative",
                 negative: int = 5, min_count: int = 5, sample: float = 1e-3,
                 alpha: float = 0.025, min_alpha: float = 1e-4, epochs: int = 5,
                 batch_size: int = 1024, workers: int = 2, seed: int = 1,
                 backend: str = "auto", progress: bool = True) -> None:
        for name, value in [("vector_size", vector_size), ("window", window),
                            ("min_count", min_count), ("epochs", epochs),
                            ("batch_size", batch_size), ("workers", workers)]:
            check_positive_int(value, name)
        if loss not in ("negative", "softmax"):
            raise ValueError(f"loss must be 'negative' or 'softmax', got {loss!r}")
        if loss == "negative":
            check_positive_int(negative, "negative")
        if not 0 <= sample < 1:
            raise ValueError(f"sample must be in [0, 1), got {sample!r}")
        check_number(alpha, "alpha", lambda a: a > 0, "a finite number > 0")
        check_number(min_alpha, "min_alpha", lambda a: 0 < a <= alpha,
                     f"a number in (0, alpha] = (0, {alpha}]")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be an integer ≥ 0, got {seed!r}")
        check_backend(backend)
        self.vector_size, self.window, self.loss = int(vector_size), int(window), loss
        self.negative, self.min_count, self.sample = int(negative), int(min_count), sample
        self.alpha, self.min_alpha, self.epochs = alpha, min_alpha, int(epochs)
        self.batch_size, self.workers, self.seed = int(batch_size), int(workers), seed
        self.backend, self.progress = backend, progress
        self.wv: WordVectors | None = None
        self.stats: dict[str, Any] = {}
        # set by fit (or load): the vocabulary, most frequent first, and its counts
        self.words: list[str]
        self.counts: np.ndarray

    def config(self) -> dict[str, Any]:
        """The hyperparameters, as keyword arguments for the constructor."""
        return {"vector_size": self.vector_size, "window": self.window, "loss": self.loss,
                "negative": self.negative, "min_count": self.min_count,
                "sample": self.sample, "alpha": self.alpha, "min_alpha": self.min_alpha,
                "epochs": self.epochs, "batch_size": self.batch_size,
                "workers": self.workers, "seed": self.seed, "backend": self.backend}

    # -- training --

    def fit(self, corpus: PathLike | Iterable[Sequence[str]]) -> CBOW:
        """Train on `corpus`: a path (one sentence per line, optionally .gz) whose lines
        are split by ``verigrad.course.tokenize.simple_tokenize``, or an iterable of token lists."""
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="verigrad-cbow-") as directory:
            encoded = EncodedCorpus(corpus, directory)
            scanned = time.perf_counter()
            self._build_vocabulary(encoded)
            trainer = self._make_trainer()
            trained = self._train(encoded, trainer)
            del encoded.ids     # release the memory map before the directory goes
        finished = time.perf_counter()
        self._trainer = trainer
        self.wv = WordVectors(self.words, trainer.embeddings())
        self.stats = {"corpus_words": encoded.total, "vocabulary": len(self.words),
                      "trained_words": trained, "backend": trainer.name,
                      "scan_seconds": scanned - started, "train_seconds": finished - scanned,
                      "words_per_second": trained / (finished - started)}
        return self

    def _build_vocabulary(self, encoded: EncodedCorpus) -> None:
        types = np.array(list(encoded.types), dtype=object)
        frequent = np.flatnonzero(encoded.counts >= self.min_count)
        if len(frequent) < 2:
            raise ValueError(f"fewer than 2 words of the corpus occur min_count="
                             f"{self.min_count} times or more: lower min_count")
        frequent = frequent[np.argsort(-encoded.counts[frequent], kind="stable")]
        self.words = list(types[frequent])
        self.counts = encoded.counts[frequent]
        self._remap = np.full(len(types), -1, dtype=np.int32)
        self._remap[frequent] = np.arange(len(frequent), dtype=np.int32)
        total = self.counts.sum()
        if self.sample > 0:
            threshold = self.sample * total
            keep = (np.sqrt(self.counts / threshold) + 1) * threshold / self.counts
            self._keep = np.minimum(keep, 1.0).astype(np.float32)
        else:
            self._keep = np.ones(len(frequent), dtype=np.float32)
        self._trained_per_epoch = int(np.sum(self.counts * self._keep))

    def _make_trainer(self) -> _NumpyNegativeSampling:
        rng = np.random.default_rng(self.seed)
        if self.loss == "softmax":
            return _NumpySoftmax(self, rng)
        kernels = load_kernels("word2vec._kernels", self.backend)
        if kernels is not None:
            return _NumbaNegativeSampling(self, rng, kernels)
        return _NumpyNegativeSampling(self, rng)

    def _train(self, encoded: EncodedCorpus, trainer: _NumpyNegativeSampling) -> int:
        chunks = encoded.chunks()
        total = self.epochs * encoded.total
        seeds = np.random.default_rng(self.seed).integers(1, 2 ** 62, len(chunks) * self.epochs)
        jobs = []
        for epoch in range(self.epochs):
            for i, (first, end) in enumerate(chunks):
                done = epoch * encoded.total + encoded.starts[first]
                upto = epoch * encoded.total + encoded.starts[end]
                alpha_start = self.alpha - (self.alpha - self.min_alpha) * done / total
                alpha_end = self.alpha - (self.alpha - self.min_alpha) * upto / total
                jobs.append((first, end, float(alpha_start), float(alpha_end),
                             int(seeds[epoch * len(chunks) + i])))

        def run(job: tuple[int, int, float, float, int]) -> int:
            first, end, alpha_start, alpha_end, seed = job
            tokens = encoded.ids[encoded.starts[first]:encoded.starts[end]]
            starts = encoded.starts[first:end + 1] - encoded.starts[first]
            return trainer.train_chunk(tokens, starts, alpha_start, alpha_end, seed)

        bar = tqdm(total=self.epochs * self._trained_per_epoch, unit="word", unit_scale=True,
                   desc=f"CBOW {trainer.name}", disable=not self.progress, smoothing=0.1)
        trained = 0
        with bar, ThreadPoolExecutor(max_workers=self.workers) as pool:
            for done, count in enumerate(pool.map(run, jobs), 1):
                trained += count
                bar.update(count)
                if done % len(chunks) == 0 and not np.isfinite(trainer.embeddings()).all():
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise TrainingDiverged(
                        f"CBOW training diverged in epoch {done // len(chunks)}: the word "
                        f"vectors hold NaN or inf. The learning rate alpha={self.alpha!r} is "
                        f"too large: try 10x smaller (word2vec uses 0.025)")
        return trained

    # -- using the vectors --

    def _vectors(self) -> WordVectors:
        if self.wv is None:
            raise RuntimeError("the model is not trained: call fit(corpus) first")
        return self.wv

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The `topn` nearest words to `word` by cosine similarity."""
        return self._vectors().most_similar(word, topn)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of words `a` and `b`."""
        return self._vectors().similarity(a, b)

    def analogy(self, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
        """a : b :: c : ? -- the words nearest to b - a + c."""
        return self._vectors().analogy(a, b, c, topn)

    def evaluate_word_pairs(self, path: PathLike) -> dict[str, Any]:
        """Pearson, Spearman and OOV ratio on a word-pair file (see WordVectors)."""
        return self._vectors().evaluate_word_pairs(path)

    def evaluate_word_analogies(self, path: PathLike) -> dict[str, Any]:
        """Accuracy on an analogy file (see WordVectors)."""
        return self._vectors().evaluate_word_analogies(path)

    def plot(self, words: Sequence[str], path: PathLike, title: str | None = None) -> None:
        """PNG scatter plot of `words` on their first two principal components."""
        self._vectors().plot(words, path, title)

    def save_word2vec_format(self, path: PathLike) -> None:
        """Export the embeddings in word2vec text format (gensim reads it)."""
        self._vectors().save_word2vec_format(path)

    @classmethod
    def load_word2vec_format(cls, path: PathLike) -> CBOW:
        """A model holding the vectors of a word2vec text file (e.g. gensim's export),
        ready for look-ups and evaluation; ``fit`` would train anew."""
        model = cls(progress=False)
        model.wv = wv = WordVectors.load_word2vec_format(path)
        model.words = wv.words
        return model

    #: the files ``save`` writes besides config.json, each checked by ``load``
    SAVED_FILES = ("weights.npz", "vectors.txt")

    def save(self, directory: PathLike) -> None:
        """Save to `directory`: weights.npz, vectors.txt (word2vec) and config.json.

        Each file is written atomically, and config.json, which ``load`` starts from, comes
        last and holds the SHA-256 of the other two: a save interrupted half-way leaves new
        weights beside the old word list, and ``load`` refuses that pair instead of
        matching vectors to the wrong words."""
        wv = self._vectors()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with atomic_write(directory / "weights.npz") as file:
            np.savez(file, vectors=wv.vectors, counts=self.counts)
        wv.save_word2vec_format(directory / "vectors.txt")
        checksums = {name: sha256(directory / name) for name in self.SAVED_FILES}
        write_text(directory / "config.json", json.dumps(
            {"config": self.config(), "stats": self.stats, "words": wv.words,
             "sha256": checksums}))

    @classmethod
    def load(cls, directory: PathLike, *, max_ratio: float = MAX_RATIO,
             max_bytes: int | None = None) -> CBOW:
        """Load a model saved with :meth:`save`. A damaged or foreign folder, or files that
        config.json's checksums do not match, is a ``ValueError`` naming the file.

        weights.npz is not trusted for having the checksum config.json records (whoever
        wrote one could write both): it must hold exactly ``vectors``, float of shape
        (words, vector_size), finite, and ``counts``, integers >= 0 of shape (words,), and
        each is read only after its header says so. max_ratio, max_bytes: the load limits
        on its expansion, as for ``vg.load`` (by default an array may take at most 100
        times its compressed size beyond a first MiB)."""
        directory = Path(directory)
        config_file, weights_file = directory / "config.json", directory / "weights.npz"
        if not config_file.is_file():
            raise FileNotFoundError(f"no saved CBOW model in {directory} (config.json missing)")
        try:
            saved = json.loads(config_file.read_text(encoding="utf-8"))
            model = cls(**saved["config"], progress=False)
            words, stats, checksums = saved["words"], saved["stats"], saved["sha256"]
            expected = {name: checksums[name] for name in cls.SAVED_FILES}
            if not isinstance(words, list):
                raise TypeError(f"'words' is a {type(words).__name__}, not a list")
        except (ValueError, TypeError, KeyError, RecursionError) as err:
            raise ValueError(f"{config_file} is not the config of a saved CBOW model "
                             f"({type(err).__name__}: {err})") from None
        for name, digest in expected.items():
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory / name} is missing")
            if sha256(directory / name) != digest:
                raise ValueError(f"{directory / name} is not the file {config_file} was "
                                 f"saved with (its SHA-256 differs): a save interrupted "
                                 f"half-way, or a file changed since; save the model again")
        try:
            with NpzArchive(weights_file, max_ratio=max_ratio, max_bytes=max_bytes) as weights:
                vectors, counts = _read_weights(weights, len(words), model.vector_size)
            model.wv = WordVectors(words, vectors)
            model.counts = counts
        except (ValueError, TypeError) as err:
            raise ValueError(f"{weights_file} does not hold the vectors of {config_file} "
                             f"({err})") from None
        model.words, model.stats = words, stats
        return model


def _read_weights(archive: NpzArchive, n_words: int,
                  vector_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``vectors`` and ``counts`` of a saved model's weights.npz (an ``NpzArchive``), each
    checked from its header before it is read."""
    if sorted(archive.headers) != ["counts", "vectors"]:
        raise ValueError(f"it must hold exactly the arrays counts and vectors, it holds "
                         f"{', '.join(sorted(archive.headers)) or 'none'}"
                         + (": extra arrays" if len(archive.headers) > 2 else ""))
    kinds = {"vectors": "f", "counts": "iu"}
    for name, kind in kinds.items():
        dtype = archive.headers[name][1]
        if dtype.kind not in kind:
            raise ValueError(f"array {name!r} is {dtype}, not "
                             f"{'floats' if kind == 'f' else 'integers'}")
    vectors = archive.read("vectors", (n_words, vector_size), archive.headers["vectors"][1])
    counts = archive.read("counts", (n_words,), archive.headers["counts"][1])
    if not np.isfinite(vectors).all():
        raise ValueError("array 'vectors' holds NaN or inf")
    if (counts < 0).any():
        raise ValueError("array 'counts' holds a negative count")
    return vectors, counts


# --- the per-chunk trainers -----------------------------------------------------------------
#
# Each has ``train_chunk(tokens, starts, alpha_start, alpha_end, seed)`` -> words trained,
# called from several threads at once on different chunks, and ``embeddings()``.

class _NumpyNegativeSampling:
    """Negative sampling in vectorised batches of `batch_size` examples (the reference).

    Each batch of `batch_size` examples takes one step of size alpha along
    ``negative_sampling_gradients``; updates of the same row within a batch add up.
    As in word2vec.c and gensim, the step of each context vector is the gradient with
    respect to their mean h, not divided by the number of context words: count times
    the true gradient, a larger learning rate for the input vectors.
    Noise words are drawn by inverting the cumulative unigram^0.75 distribution.
    """
    name = "numpy"

    def __init__(self, model: CBOW, rng: np.random.Generator):
        self.model = model
        vocabulary, dim = len(model.words), model.vector_size
        self.w_in = ((rng.random((vocabulary, dim)) - 0.5) / dim).astype(np.float32)
        self.w_out = np.zeros((vocabulary, dim), dtype=np.float32)
        noise = model.counts ** 0.75
        self.noise_cdf = np.cumsum(noise / noise.sum())

    def embeddings(self) -> np.ndarray:
        return self.w_in

    def _windows(self, tokens: np.ndarray, starts: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Kept words and their context rows: centres (B,), context (B, 2w), mask (B, 2w)."""
        m = self.model
        rows = m._remap[tokens]
        sentence = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        keep = rows >= 0
        keep[keep] = rng.random(keep.sum(), dtype=np.float32) < m._keep[rows[keep]]
        rows, sentence = rows[keep], sentence[keep]
        if len(rows) == 0:
            empty = np.zeros((0, 2 * m.window), dtype=rows.dtype)
            return rows, empty, empty.astype(bool)
        offsets = np.concatenate([np.arange(-m.window, 0), np.arange(1, m.window + 1)])
        position = np.arange(len(rows))[:, None] + offsets
        inside = (position >= 0) & (position < len(rows))
        position = np.clip(position, 0, max(len(rows) - 1, 0))
        reach = m.window - rng.integers(0, m.window, len(rows))
        mask = inside & (sentence[position] == sentence[:, None]) \
            & (np.abs(offsets) <= reach[:, None])
        return rows, rows[position], mask

    def _batches(self, tokens: np.ndarray, starts: np.ndarray, alpha_start: float,
                 alpha_end: float, seed: int
                 ) -> Iterator[tuple[np.random.Generator, float, np.ndarray, np.ndarray,
                                     np.ndarray]]:
        """The chunk's examples that have context, in mini-batches: yields (rng, alpha,
        centres, context, mask), alpha decaying linearly across the chunk."""
        m = self.model
        rng = np.random.default_rng(seed)
        centres, context, mask = self._windows(tokens, starts, rng)
        has_context = mask.any(axis=1)
        centres, context, mask = centres[has_context], context[has_context], mask[has_context]
        for start in range(0, len(centres), m.batch_size):
            batch = slice(start, start + m.batch_size)
            alpha = alpha_start + (alpha_end - alpha_start) * start / len(centres)
            yield rng, alpha, centres[batch], context[batch], mask[batch]

    def train_chunk(self, tokens: np.ndarray, starts: np.ndarray, alpha_start: float,
                    alpha_end: float, seed: int) -> int:
        trained = 0
        for rng, alpha, centres, context, mask in self._batches(tokens, starts, alpha_start,
                                                                 alpha_end, seed):
            noise = np.searchsorted(self.noise_cdf, rng.random((len(centres), self.model.negative)))
            rows = np.concatenate([centres[:, None],
                                   np.minimum(noise, len(self.noise_cdf) - 1)], axis=1)
            _, (in_rows, in_grads), (out_rows, out_grads) = negative_sampling_gradients(
                self.w_in, self.w_out, context, mask, rows)
            _scatter_add(self.w_out, out_rows, -alpha * out_grads)
            # word2vec's convention: each context vector moves by the gradient with
            # respect to h, i.e. `count` times its own gradient (see the class doc).
            count = mask.sum(axis=1, dtype=in_grads.dtype)
            example = np.nonzero(mask)[0]
            _scatter_add(self.w_in, in_rows, -alpha * count[example, None] * in_grads)
            trained += len(centres)
        return trained


def _scatter_add(matrix: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """matrix[rows] += values, adding up repeated rows (np.add.at on the flat matrix,
    which NumPy runs much faster than on rows).  `matrix` must be C-contiguous."""
    columns = matrix.shape[1]
    index_type = np.int32 if matrix.size < 2 ** 31 else np.int64     # less to move
    flat = (rows.astype(index_type)[:, None] * columns
            + np.arange(columns, dtype=index_type)).ravel()
    # Values of another dtype would send np.add.at down its slow, casting path.
    np.add.at(matrix.reshape(-1), flat, values.astype(matrix.dtype, copy=False).reshape(-1))


class _NumbaNegativeSampling(_NumpyNegativeSampling):
    """The same model, trained one example at a time by the compiled kernel."""
    name = "numba"

    def __init__(self, model: CBOW, rng: np.random.Generator, kernels: Any):
        super().__init__(model, rng)
        noise = model.counts ** 0.75
        self.alias_prob, self.alias_index = alias_table(noise / noise.sum())
        self.kernel = kernels.train_negative_chunk

    def train_chunk(self, tokens: np.ndarray, starts: np.ndarray, alpha_start: float,
                    alpha_end: float, seed: int) -> int:
        m = self.model
        longest = int(np.diff(starts).max())
        kept = np.empty(longest, dtype=np.int64)
        hidden = np.empty(m.vector_size, dtype=np.float32)
        error = np.empty(m.vector_size, dtype=np.float32)
        return self.kernel(np.asarray(tokens), starts, m._remap, m._keep, self.w_in, self.w_out,
                           self.alias_prob, self.alias_index, m.window, m.negative,
                           alpha_start, alpha_end, seed, kept, hidden, error)


class _NumpySoftmax(_NumpyNegativeSampling):
    """The course model (ReLU hidden layer, biases, full softmax) in vectorised batches.

    The course's ``back_prop`` with x, the mean one-hot context, replaced by a gather
    of columns of W1 and a scatter of the W1 gradient into them; the update uses the
    summed (not averaged) gradient of the batch, i.e. a per-example learning rate.
    """
    name = "numpy-softmax"

    def __init__(self, model: CBOW, rng: np.random.Generator):
        self.model = model
        vocabulary, dim = len(model.words), model.vector_size
        # W1 (N, V) is kept as its transpose so that a word's column is contiguous.
        self.W1_t = ((rng.random((vocabulary, dim)) - 0.5) / dim).astype(np.float32)
        self.W2 = ((rng.random((vocabulary, dim)) - 0.5) / dim).astype(np.float32)
        self.b1 = np.zeros((dim, 1), dtype=np.float32)
        self.b2 = np.zeros((vocabulary, 1), dtype=np.float32)

    def embeddings(self) -> np.ndarray:
        return (self.W1_t + self.W2) / 2

    def train_chunk(self, tokens: np.ndarray, starts: np.ndarray, alpha_start: float,
                    alpha_end: float, seed: int) -> int:
        trained = 0
        for _, alpha, y, ctx, mask in self._batches(tokens, starts, alpha_start, alpha_end,
                                                    seed):
            weight = mask.astype(np.float32)
            weight /= weight.sum(axis=1, keepdims=True)                # x: mean one-hot
            z1 = np.einsum("bc,bcn->nb", weight, self.W1_t[ctx]) + self.b1     # (N, B)
            h = F.relu(z1)
            yhat = F.softmax(self.W2 @ h + self.b2)                              # (V, B)
            yhat[y, np.arange(len(y))] -= 1                                    # yhat - y
            l1 = (self.W2.T @ yhat) * (h > 0)
            self.W2 -= alpha * (yhat @ h.T)
            self.b2 -= alpha * yhat.sum(axis=1, keepdims=True)
            self.b1 -= alpha * l1.sum(axis=1, keepdims=True)
            example, slot = np.nonzero(weight)
            grad_columns = l1.T[example] * weight[example, slot, None]
            _scatter_add(self.W1_t, ctx[example, slot], -alpha * grad_columns)
            trained += len(y)
        return trained
