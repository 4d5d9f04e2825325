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
numba kernel of ``verigrad._cbow_kernels`` when numba is installed, else with the
batched NumPy code below (the readable reference).
"""
import gzip
import json
import os
import re
import sys
import tempfile
import time
from array import array
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .cbow import compute_pca, relu, softmax
from .validation import check_positive_int

_MAX_SENTENCE = 10000       # longer lines are cut into pieces of this many words (as gensim)
_CHUNK_WORDS = 50000        # words per unit of work handed to a thread
_FLUSH_WORDS = 1 << 22      # ids buffered in memory before they go to the temporary file


# --- word vectors ----------------------------------------------------------------------

class WordVectors:
    """Word vectors with look-up, cosine similarity and the standard evaluations.

    ``words`` (list of str) and ``vectors`` (V, N) float32, row i for words[i].
    """

    def __init__(self, words, vectors):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"vectors must have shape ({len(words)}, N) for {len(words)} "
                             f"words, got {vectors.shape}")
        self.words = list(words)
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words must be distinct")
        self.vectors = vectors
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._unit = vectors / np.where(norms > 0, norms, 1)

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    def __getitem__(self, word):
        return self.vectors[self._row(word)]

    def _row(self, word):
        if word not in self.index:
            raise KeyError(f"word {word!r} is not in the vocabulary ({len(self.words)} words)")
        return self.index[word]

    def similarity(self, a, b):
        """Cosine similarity of the vectors of words `a` and `b`."""
        return float(self._unit[self._row(a)] @ self._unit[self._row(b)])

    def most_similar(self, word, topn=10):
        """The `topn` words nearest to `word` by cosine, as ``[(word, cosine), ...]``."""
        return self._nearest([self._row(word)], [], topn)

    def analogy(self, a, b, c, topn=1):
        """Words d with a : b :: c : d, i.e. nearest to ``b - a + c`` (unit vectors)."""
        return self._nearest([self._row(b), self._row(c)], [self._row(a)], topn)

    def _nearest(self, positive, negative, topn):
        query = self._unit[positive].sum(axis=0) - self._unit[negative].sum(axis=0)
        scores = self._unit @ (query / max(np.linalg.norm(query), 1e-12))
        scores[positive + negative] = -np.inf
        best = np.argsort(-scores)[:topn]
        return [(self.words[i], float(scores[i])) for i in best]

    def evaluate_word_pairs(self, path):
        """Correlation with human similarity judgements, e.g. WordSim-353 or SimLex-999.

        The file has ``word1<TAB>word2<TAB>score`` lines ('#' lines are comments); words
        are looked up in lower case and pairs with an unknown word are skipped, as
        gensim's ``evaluate_word_pairs`` does.  Returns a dict with ``pearson``,
        ``spearman``, ``oov_ratio`` (percent of pairs skipped) and ``pairs`` (used).
        """
        human, model, skipped = [], [], 0
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3:
                raise ValueError(f"{path}: expected 'word1<TAB>word2<TAB>score', got {line!r}")
            a, b = parts[0].lower(), parts[1].lower()
            if a not in self.index or b not in self.index:
                skipped += 1
                continue
            human.append(float(parts[2]))
            model.append(self.similarity(a, b))
        if len(human) < 2:
            raise ValueError(f"{path}: fewer than 2 pairs are in the vocabulary")
        human, model = np.array(human), np.array(model)
        return {"pearson": float(np.corrcoef(human, model)[0, 1]),
                "spearman": float(np.corrcoef(_ranks(human), _ranks(model))[0, 1]),
                "oov_ratio": 100.0 * skipped / (skipped + len(human)),
                "pairs": len(human)}

    def evaluate_word_analogies(self, path):
        """Accuracy on analogy questions ``a b c d`` (``: section`` headers), as gensim.

        A question counts when its four words are in the vocabulary (lower case); it is
        right when d is the nearest word to ``b - a + c`` other than a, b, c.  Returns a
        dict with ``accuracy``, ``correct``, ``questions`` (answered), ``skipped`` and
        ``sections`` (name -> accuracy).
        """
        sections, questions, skipped, section = {}, [], 0, "(none)"
        for line in Path(path).read_text(encoding="utf-8").splitlines():
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

    def save_word2vec_format(self, path):
        """Write the word2vec text format: ``V N`` then ``word v1 ... vN`` per line."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"{len(self.words)} {self.vectors.shape[1]}\n")
            for word, vector in zip(self.words, self.vectors):
                # 9 significant digits give back every float32 exactly.
                out.write(word + " " + " ".join(f"{v:.9g}" for v in vector) + "\n")

    @classmethod
    def load_word2vec_format(cls, path):
        """Read the word2vec text format written by this class or by gensim."""
        with open(path, encoding="utf-8") as source:
            header = source.readline().split()
            if len(header) != 2:
                raise ValueError(f"{path}: first line must be 'V N', got {' '.join(header)!r}")
            count, dim = int(header[0]), int(header[1])
            words, vectors = [], np.zeros((count, dim), dtype=np.float32)
            for i, line in enumerate(source):
                parts = line.rstrip("\n").rstrip(" ").split(" ")
                if i >= count or len(parts) != dim + 1:
                    raise ValueError(f"{path}: line {i + 2} should be a word and {dim} "
                                     f"numbers ({count} lines), got {len(parts)} fields")
                words.append(parts[0])
                vectors[i] = np.array(parts[1:], dtype=np.float32)
        if len(words) != count:
            raise ValueError(f"{path}: header announces {count} words, found {len(words)}")
        return cls(words, vectors)

    def plot(self, words, path, title=None):
        """Save a PNG scatter plot of `words` on their first two principal components."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        points = compute_pca(self.vectors[[self._row(w) for w in words]], 2)
        figure, axes = plt.subplots(figsize=(7, 6))
        axes.scatter(points[:, 0], points[:, 1], s=12)
        for word, (x, y) in zip(words, points):
            axes.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points")
        axes.set_title(title or "word vectors, first two principal components")
        figure.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(figure)


def _ranks(values):
    """Ranks 1..n with ties given their mean rank (for Spearman's correlation)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


# --- the corpus, read once ---------------------------------------------------------------

class _EncodedCorpus:
    """The corpus as ids in a temporary file, with sentence boundaries and word counts.

    ids are given in order of first appearance (id 0 is the end-of-sentence marker used
    while reading); ``counts[id]`` is the number of times word ``types[id]`` occurs and
    ``starts`` (S+1,) the offsets of the S sentences.
    """

    def __init__(self, corpus, directory):
        self.types = _Ids({_END: 0})
        ids_path = os.path.join(directory, "ids.int32")
        lengths = []
        with open(ids_path, "wb") as ids_file:
            for tokens in _token_blocks(corpus):
                ids = np.array(array("i", map(self.types.__getitem__, tokens)), dtype=np.int32)
                ends = np.flatnonzero(ids == 0)
                lengths.append(_cut_long(np.diff(ends, prepend=-1) - 1))
                ids[ids != 0].tofile(ids_file)
        lengths = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(lengths[lengths > 0])])
        self.total = int(self.starts[-1])
        if self.total == 0:
            raise ValueError("corpus has no words")
        self.ids = np.memmap(ids_path, dtype=np.int32, mode="r", shape=(self.total,))
        self.counts = np.zeros(len(self.types), dtype=np.int64)
        for start in range(0, self.total, _FLUSH_WORDS):
            self.counts += np.bincount(self.ids[start:start + _FLUSH_WORDS],
                                       minlength=len(self.types))

    def chunks(self):
        """(first sentence, end sentence) ranges of about _CHUNK_WORDS words."""
        bounds = np.searchsorted(self.starts, np.arange(0, self.total, _CHUNK_WORDS))
        bounds = np.unique(np.concatenate([bounds, [len(self.starts) - 1]]))
        return list(zip(bounds[:-1], bounds[1:]))


_END = "\n"                                 # marks the end of a sentence in a token block
_WORDS_AND_ENDS = re.compile(r"[^\W\d_]+|\n")


class _Ids(dict):
    """word -> id, giving the next id to a word not seen before."""

    def __missing__(self, word):
        self[word] = len(self)
        return len(self) - 1


def _cut_long(lengths):
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


def _token_blocks(corpus):
    """Lists of tokens with _END after each sentence, about _FLUSH_WORDS words each.

    A path is read in blocks of lines (one sentence per line, .gz allowed), each block
    lower-cased and split by one regular expression -- the same tokens as
    ``simple_tokenize`` line by line, without a Python step per line.  Otherwise
    `corpus` must be an iterable of token lists.
    """
    if isinstance(corpus, (str, os.PathLike)):
        path = Path(corpus)
        if not path.is_file():
            raise FileNotFoundError(f"corpus file not found: {path}")
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as lines:
            while True:
                block = "".join(lines.readlines(_FLUSH_WORDS * 4))
                if not block:
                    return
                yield _WORDS_AND_ENDS.findall(block.lower() + _END)
    try:
        iterator = iter(corpus)
    except TypeError:
        raise TypeError("corpus must be a path or an iterable of token lists, got "
                        f"{type(corpus).__name__}") from None
    block = []
    for sentence in iterator:
        if isinstance(sentence, str) or not all(isinstance(w, str) for w in sentence):
            raise TypeError("corpus must yield lists of str tokens, got "
                            f"{type(sentence).__name__}: {str(sentence)[:60]!r}")
        block.extend(sentence)
        block.append(_END)
        if len(block) >= _FLUSH_WORDS:
            yield block
            block = []
    yield block


def _alias_table(probabilities):
    """Walker's alias table: draw i uniform, keep it with prob[i], else take alias[i]."""
    n = len(probabilities)
    prob = np.asarray(probabilities, dtype=np.float64) * n
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g
        prob[g] -= 1.0 - prob[s]
        (small if prob[g] < 1.0 else large).append(g)
    prob[small + large] = 1.0
    return prob, alias


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

    def __init__(self, vector_size=100, window=5, loss="negative", negative=5, min_count=5,
                 sample=1e-3, alpha=0.025, min_alpha=1e-4, epochs=5, batch_size=1024,
                 workers=2, seed=1, backend="auto", progress=True):
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
        if not 0 < min_alpha <= alpha:
            raise ValueError(f"need 0 < min_alpha <= alpha, got min_alpha={min_alpha!r}, "
                             f"alpha={alpha!r}")
        if backend not in ("auto", "numba", "numpy"):
            raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
        self.vector_size, self.window, self.loss = int(vector_size), int(window), loss
        self.negative, self.min_count, self.sample = int(negative), int(min_count), sample
        self.alpha, self.min_alpha, self.epochs = alpha, min_alpha, int(epochs)
        self.batch_size, self.workers, self.seed = int(batch_size), int(workers), seed
        self.backend, self.progress = backend, progress
        self.wv = None
        self.stats = {}

    def config(self):
        """The hyperparameters, as keyword arguments for the constructor."""
        return {"vector_size": self.vector_size, "window": self.window, "loss": self.loss,
                "negative": self.negative, "min_count": self.min_count,
                "sample": self.sample, "alpha": self.alpha, "min_alpha": self.min_alpha,
                "epochs": self.epochs, "batch_size": self.batch_size,
                "workers": self.workers, "seed": self.seed, "backend": self.backend}

    # -- training --

    def fit(self, corpus):
        """Train on `corpus`: a path (one sentence per line, optionally .gz) whose lines
        are split by ``verigrad.text.simple_tokenize``, or an iterable of token lists."""
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="verigrad-cbow-") as directory:
            encoded = _EncodedCorpus(corpus, directory)
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

    def _build_vocabulary(self, encoded):
        types = np.array(list(encoded.types), dtype=object)
        frequent = np.flatnonzero(encoded.counts >= self.min_count)
        if len(frequent) < 2:
            raise ValueError(f"fewer than 2 words occur min_count={self.min_count} times")
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

    def _make_trainer(self):
        rng = np.random.default_rng(self.seed)
        if self.loss == "softmax":
            return _NumpySoftmax(self, rng)
        if self.backend in ("auto", "numba"):
            try:
                from . import _cbow_kernels
            except ImportError:
                if self.backend == "numba":
                    raise ImportError("backend='numba' needs numba: "
                                      "pip install 'verigrad[fast]'") from None
                print("verigrad.CBOW: numba is not installed, training with the NumPy "
                      "reference (several times slower); pip install 'verigrad[fast]' for "
                      "the compiled kernel", file=sys.stderr)
            else:
                return _NumbaNegativeSampling(self, rng, _cbow_kernels)
        return _NumpyNegativeSampling(self, rng)

    def _train(self, encoded, trainer):
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

        def run(job):
            first, end, alpha_start, alpha_end, seed = job
            tokens = encoded.ids[encoded.starts[first]:encoded.starts[end]]
            starts = encoded.starts[first:end + 1] - encoded.starts[first]
            return trainer.train_chunk(tokens, starts, alpha_start, alpha_end, seed)

        bar = tqdm(total=self.epochs * self._trained_per_epoch, unit="word", unit_scale=True,
                   desc=f"CBOW {trainer.name}", disable=not self.progress, smoothing=0.1)
        trained = 0
        with bar, ThreadPoolExecutor(max_workers=self.workers) as pool:
            for count in pool.map(run, jobs):
                trained += count
                bar.update(count)
        return trained

    # -- using the vectors --

    def _vectors(self):
        if self.wv is None:
            raise RuntimeError("the model is not trained: call fit(corpus) first")
        return self.wv

    def most_similar(self, word, topn=10):
        """The `topn` nearest words to `word` by cosine similarity."""
        return self._vectors().most_similar(word, topn)

    def similarity(self, a, b):
        """Cosine similarity of words `a` and `b`."""
        return self._vectors().similarity(a, b)

    def analogy(self, a, b, c, topn=1):
        """a : b :: c : ? -- the words nearest to b - a + c."""
        return self._vectors().analogy(a, b, c, topn)

    def evaluate_word_pairs(self, path):
        """Pearson, Spearman and OOV ratio on a word-pair file (see WordVectors)."""
        return self._vectors().evaluate_word_pairs(path)

    def evaluate_word_analogies(self, path):
        """Accuracy on an analogy file (see WordVectors)."""
        return self._vectors().evaluate_word_analogies(path)

    def plot(self, words, path, title=None):
        """PNG scatter plot of `words` on their first two principal components."""
        self._vectors().plot(words, path, title)

    def save_word2vec_format(self, path):
        """Export the embeddings in word2vec text format (gensim reads it)."""
        self._vectors().save_word2vec_format(path)

    @classmethod
    def load_word2vec_format(cls, path):
        """A model holding the vectors of a word2vec text file (e.g. gensim's export),
        ready for look-ups and evaluation; ``fit`` would train anew."""
        model = cls(progress=False)
        model.wv = WordVectors.load_word2vec_format(path)
        model.words = model.wv.words
        return model

    def save(self, directory):
        """Save to `directory`: config.json, weights.npz and vectors.txt (word2vec)."""
        wv = self._vectors()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(json.dumps(
            {"config": self.config(), "stats": self.stats, "words": wv.words}))
        np.savez(directory / "weights.npz", vectors=wv.vectors, counts=self.counts)
        wv.save_word2vec_format(directory / "vectors.txt")

    @classmethod
    def load(cls, directory):
        """Load a model saved with :meth:`save`."""
        directory = Path(directory)
        if not (directory / "config.json").is_file():
            raise FileNotFoundError(f"no saved CBOW model in {directory} (config.json missing)")
        saved = json.loads((directory / "config.json").read_text())
        model = cls(**saved["config"], progress=False)
        with np.load(directory / "weights.npz") as weights:
            model.wv = WordVectors(saved["words"], weights["vectors"])
            model.counts = weights["counts"]
        model.words, model.stats = saved["words"], saved["stats"]
        return model


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

    def __init__(self, model, rng):
        self.model = model
        vocabulary, dim = len(model.words), model.vector_size
        self.w_in = ((rng.random((vocabulary, dim)) - 0.5) / dim).astype(np.float32)
        self.w_out = np.zeros((vocabulary, dim), dtype=np.float32)
        noise = model.counts ** 0.75
        self.noise_cdf = np.cumsum(noise / noise.sum())

    def embeddings(self):
        return self.w_in

    def _windows(self, tokens, starts, rng):
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

    def _batches(self, tokens, starts, alpha_start, alpha_end, seed):
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

    def train_chunk(self, tokens, starts, alpha_start, alpha_end, seed):
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


def negative_sampling_gradients(w_in, w_out, context, mask, rows):
    """Loss of a batch of CBOW examples under negative sampling, and its gradient.

    context (B, C) rows of w_in with mask (B, C) marking the real context words;
    rows (B, K+1): the centre word's row of w_out, then K noise rows (a noise row equal
    to the centre row is ignored, as in word2vec).  With h = mean of the context
    vectors (B, N), s = h . w_out[rows] (B, K+1) and labels (1, 0, ..., 0)::

        loss    = -sum log sigmoid(s[:, 0]) - sum log sigmoid(-s[:, 1:])
        dL/ds   = sigmoid(s) - labels
        dL/dw_out[rows[b, k]] += dL/ds[b, k] h[b]
        dL/dw_in[context[b, c]] += sum_k dL/ds[b, k] w_out[rows[b, k]] / count[b]

    Returns ``loss, (in_rows, in_grads), (out_rows, out_grads)``: the gradient as rows
    and values to add up (rows repeat).
    """
    count = mask.sum(axis=1)
    if not count.all():
        raise ValueError("mask: every example needs at least one context word")
    example, slot = np.nonzero(mask)               # grouped by example, in order
    in_rows = context[example, slot]
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    h = np.add.reduceat(w_in[in_rows], first, axis=0) / count[:, None].astype(w_in.dtype)
    out = w_out[rows]                                                   # (B, K+1, N)
    score = np.einsum("bn,bkn->bk", h, out)
    labels = np.zeros(rows.shape[1], dtype=score.dtype)
    labels[0] = 1
    used = np.ones(rows.shape, dtype=bool)
    used[:, 1:] = rows[:, 1:] != rows[:, :1]
    sigmoid = 1 / (1 + np.exp(-np.clip(score, -30, 30)))
    loss = -np.sum(np.log(np.where(labels == 1, sigmoid, 1 - sigmoid) + 1e-30)[used])
    d_score = (sigmoid - labels) * used
    d_h = np.einsum("bk,bkn->bn", d_score, out)
    in_grads = d_h[example] / count[example, None].astype(w_in.dtype)
    out_grads = (d_score[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1])
    return float(loss), (in_rows, in_grads), (rows.ravel(), out_grads)


def _scatter_add(matrix, rows, values):
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

    def __init__(self, model, rng, kernels):
        super().__init__(model, rng)
        noise = model.counts ** 0.75
        self.alias_prob, self.alias_index = _alias_table(noise / noise.sum())
        self.kernel = kernels.train_negative_chunk

    def train_chunk(self, tokens, starts, alpha_start, alpha_end, seed):
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

    def __init__(self, model, rng):
        self.model = model
        vocabulary, dim = len(model.words), model.vector_size
        # W1 (N, V) is kept as its transpose so that a word's column is contiguous.
        self.W1_t = ((rng.random((vocabulary, dim)) - 0.5) / dim).astype(np.float32)
        self.W2 = ((rng.random((vocabulary, dim)) - 0.5) / dim).astype(np.float32)
        self.b1 = np.zeros((dim, 1), dtype=np.float32)
        self.b2 = np.zeros((vocabulary, 1), dtype=np.float32)

    def embeddings(self):
        return (self.W1_t + self.W2) / 2

    def train_chunk(self, tokens, starts, alpha_start, alpha_end, seed):
        trained = 0
        for _, alpha, y, ctx, mask in self._batches(tokens, starts, alpha_start, alpha_end,
                                                    seed):
            weight = mask.astype(np.float32)
            weight /= weight.sum(axis=1, keepdims=True)                # x: mean one-hot
            z1 = np.einsum("bc,bcn->nb", weight, self.W1_t[ctx]) + self.b1     # (N, B)
            h = relu(z1)
            yhat = softmax(self.W2 @ h + self.b2)                              # (V, B)
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
