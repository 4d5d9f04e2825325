"""The continuous bag-of-words model of the NLP course, function for function.

Notation (course): V vocabulary size, N embedding size, C context half-width, m batch size.

    x  (V, m)  mean of the one-hot vectors of the 2C context words of each example
    y  (V, m)  one-hot vector of each centre word
    z1 = W1 x + b1          W1 (N, V), b1 (N, 1)
    h  = ReLU(z1)           (N, m)
    z  = W2 h + b2          W2 (V, N), b2 (V, 1)
    yhat = softmax(z)       column-wise, (V, m)
    J  = -(1/m) sum(y * log(yhat))

The word embeddings are the rows of ``(W1.T + W2) / 2``.

The names and signatures match the course so a learner can compare with their own.
``back_prop`` returns the true gradient; ``rule="lecture"`` gives the lecture notebook's
formula instead (see docs/cbow.md for why that one is not the gradient).  The real
trainer for large corpora is :class:`verigrad.CBOW` (``verigrad.word2vec``).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import functional as F
from ..validation import check_matrix, check_positive_int
from .tokenize import tokenize

__all__ = [
    "tokenize", "get_dict", "get_windows", "word_to_one_hot_vector",
    "context_words_to_vector", "get_training_example", "get_batches",
    "initialize_model", "relu", "softmax", "forward_prop", "compute_cost", "back_prop",
    "gradient_descent", "compute_pca", "embeddings",
]

#: W1 (N, V), W2 (V, N), b1 (N, 1), b2 (V, 1), or their gradients in the same order
Four = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def get_dict(words: Iterable[str]) -> tuple[dict[str, int], dict[int, str]]:
    """Map each distinct word to its index in the sorted vocabulary, and back.

    Returns ``(word2Ind, Ind2word)``; e.g. on the course's Shakespeare tokens
    ``word2Ind['king'] == 2745``.
    """
    vocabulary = sorted(set(words))
    word2Ind = {word: i for i, word in enumerate(vocabulary)}
    Ind2word = {i: word for i, word in enumerate(vocabulary)}
    return word2Ind, Ind2word


def get_windows(words: Sequence[str], C: int) -> Iterator[tuple[list[str], str]]:
    """Yield ``(context_words, center_word)`` for every word with C words on each side."""
    check_positive_int(C, "C")
    for i in range(C, len(words) - C):
        yield list(words[i - C:i]) + list(words[i + 1:i + C + 1]), words[i]


def word_to_one_hot_vector(word: str, word2Ind: Mapping[str, int], V: int) -> np.ndarray:
    """One-hot vector of `word`, shape (V,)."""
    if word not in word2Ind:
        raise KeyError(f"word {word!r} is not in word2Ind")
    one_hot = np.zeros(V)
    one_hot[word2Ind[word]] = 1
    return one_hot


def context_words_to_vector(context_words: Sequence[str], word2Ind: Mapping[str, int],
                            V: int) -> np.ndarray:
    """Mean of the one-hot vectors of the context words, shape (V,)."""
    if len(context_words) == 0:
        raise ValueError("context_words must not be empty")
    return np.mean([word_to_one_hot_vector(w, word2Ind, V) for w in context_words], axis=0)


def get_training_example(words: Sequence[str], C: int, word2Ind: Mapping[str, int],
                         V: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x, y)`` vectors of shape (V,) for each window of the corpus."""
    for context_words, center_word in get_windows(words, C):
        yield (context_words_to_vector(context_words, word2Ind, V),
               word_to_one_hot_vector(center_word, word2Ind, V))


def get_batches(data: Sequence[str], word2Ind: Mapping[str, int], V: int, C: int,
                batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield batches ``(x, y)`` of shape (V, batch_size), cycling through `data` forever.

    As in the course, the stream never ends (``gradient_descent`` stops after
    ``num_iters`` batches).  Each column of x is the mean one-hot vector of the 2C
    context words, each column of y the one-hot centre word.  The batch is built with
    index arithmetic instead of one example at a time.
    """
    check_positive_int(C, "C")
    check_positive_int(batch_size, "batch_size")
    if len(data) < 2 * C + 1:
        raise ValueError(f"data must hold at least 2*C+1 = {2 * C + 1} words, got {len(data)}")
    ids = np.array([word2Ind[w] for w in data])
    centres = np.arange(C, len(ids) - C)
    offsets = np.concatenate([np.arange(-C, 0), np.arange(1, C + 1)])
    columns = np.arange(batch_size)
    start = 0
    while True:
        positions = centres[(start + columns) % len(centres)]
        start = (start + batch_size) % len(centres)
        x = np.zeros((V, batch_size))
        np.add.at(x, (ids[positions[:, None] + offsets], columns[:, None]), 1.0 / (2 * C))
        y = np.zeros((V, batch_size))
        y[ids[positions], columns] = 1.0
        yield x, y


def initialize_model(N: int, V: int, random_seed: int = 1) -> Four:
    """W1 (N, V), W2 (V, N), b1 (N, 1), b2 (V, 1), drawn as the course does.

    ``np.random.seed(random_seed)`` then ``np.random.rand`` for W1, W2, b1, b2 in that
    order, so the numbers equal the course notebook's.
    """
    check_positive_int(N, "N")
    check_positive_int(V, "V")
    np.random.seed(random_seed)
    W1 = np.random.rand(N, V)
    W2 = np.random.rand(V, N)
    b1 = np.random.rand(N, 1)
    b2 = np.random.rand(V, 1)
    return W1, W2, b1, b2


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), element-wise."""
    return F.relu(z)


def softmax(z: np.ndarray) -> np.ndarray:
    """Column-wise softmax: ``exp(z) / sum(exp(z), axis=0)``.

    The column maximum is subtracted first; that does not change the result but keeps
    ``exp`` from overflowing.
    """
    return F.softmax(z, axis=0)


def forward_prop(x: np.ndarray, W1: np.ndarray, W2: np.ndarray, b1: np.ndarray,
                 b2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(z, h)``: ``h = ReLU(W1 x + b1)`` (N, m) and ``z = W2 h + b2`` (V, m)."""
    N, V = W1.shape
    check_matrix(x, "x", (V, None))
    check_matrix(W2, "W2", (V, N))
    check_matrix(b1, "b1", (N, 1))
    check_matrix(b2, "b2", (V, 1))
    h = relu(W1 @ x + b1)
    z = W2 @ h + b2
    return z, h


def compute_cost(y: np.ndarray, yhat: np.ndarray, batch_size: int) -> float:
    """Cross-entropy cost ``-(1/batch_size) * sum(y * log(yhat))`` (a float)."""
    check_matrix(yhat, "yhat", y.shape)
    check_positive_int(batch_size, "batch_size")
    return float(-np.sum(y * np.log(yhat)) / batch_size)


def back_prop(x: np.ndarray, yhat: np.ndarray, y: np.ndarray, h: np.ndarray, W1: np.ndarray,
              W2: np.ndarray, b1: np.ndarray, b2: np.ndarray, batch_size: int,
              rule: str = "gradient") -> Four:
    """Gradients of ``compute_cost`` with respect to W1, W2, b1, b2.

    Returns ``(grad_W1, grad_W2, grad_b1, grad_b2)`` with the shapes of W1, W2, b1, b2::

        l1      = step(z1) * W2.T (yhat - y)        (N, m); step(z1) = 1 where h > 0
        grad_W1 = (1/m) l1 x.T
        grad_W2 = (1/m) (yhat - y) h.T
        grad_b1 = (1/m) sum over columns of l1
        grad_b2 = (1/m) sum over columns of (yhat - y)

    with m = `batch_size`.  ``rule="lecture"`` replaces l1 by the lecture notebook's
    ``ReLU(W2.T (yhat - y))``, which reproduces its printed values but is not the
    gradient: it zeroes the negative back-propagated errors instead of the errors of the
    hidden units that were switched off (docs/cbow.md shows the numbers).
    """
    if rule not in ("gradient", "lecture"):
        raise ValueError(f"rule must be 'gradient' or 'lecture', got {rule!r}")
    N, V = W1.shape
    check_matrix(yhat, "yhat", (V, None))
    check_matrix(y, "y", yhat.shape)
    check_matrix(x, "x", yhat.shape)
    check_matrix(h, "h", (N, yhat.shape[1]))
    check_matrix(W2, "W2", (V, N))
    check_positive_int(batch_size, "batch_size")
    error = yhat - y
    l1 = W2.T @ error
    if rule == "lecture":
        l1 = relu(l1)
    else:
        # h = ReLU(z1), so h > 0 exactly where z1 > 0: the ReLU's derivative.
        l1 = l1 * (h > 0)
    grad_W1 = l1 @ x.T / batch_size
    grad_W2 = error @ h.T / batch_size
    grad_b1 = np.sum(l1, axis=1, keepdims=True) / batch_size
    grad_b2 = np.sum(error, axis=1, keepdims=True) / batch_size
    return grad_W1, grad_W2, grad_b1, grad_b2


def gradient_descent(data: Sequence[str], word2Ind: Mapping[str, int], N: int, V: int,
                     num_iters: int, alpha: float = 0.03, random_seed: int = 282,
                     batch_size: int = 128, C: int = 2, rule: str = "gradient",
                     costs: list[float] | None = None, verbose: bool = True) -> Four:
    """Train the course model on the token list `data`; return ``(W1, W2, b1, b2)``.

    As in the course: weights from ``initialize_model(N, V, random_seed)``, batches from
    ``get_batches(data, word2Ind, V, C, batch_size)``, plain gradient descent with
    learning rate `alpha`, multiplied by 0.66 every 100 iterations, stopping after
    `num_iters` batches; the cost is printed every 10 iterations when `verbose`.
    If `costs` is a list, every iteration's cost is appended to it.
    """
    check_positive_int(num_iters, "num_iters")
    W1, W2, b1, b2 = initialize_model(N, V, random_seed=random_seed)
    batches = get_batches(data, word2Ind, V, C, batch_size)
    for iteration in range(1, num_iters + 1):
        x, y = next(batches)
        z, h = forward_prop(x, W1, W2, b1, b2)
        yhat = softmax(z)
        cost = compute_cost(y, yhat, batch_size)
        if costs is not None:
            costs.append(cost)
        if verbose and iteration % 10 == 0:
            print(f"iters: {iteration} cost: {cost:.6f}")
        grad_W1, grad_W2, grad_b1, grad_b2 = back_prop(x, yhat, y, h, W1, W2, b1, b2,
                                                       batch_size, rule=rule)
        W1 = W1 - alpha * grad_W1
        W2 = W2 - alpha * grad_W2
        b1 = b1 - alpha * grad_b1
        b2 = b2 - alpha * grad_b2
        if iteration % 100 == 0:
            alpha *= 0.66
    return W1, W2, b1, b2


def compute_pca(X: ArrayLike, n_components: int = 2) -> np.ndarray:
    """Project the rows of X (m, n) on their first `n_components` principal axes.

    Centre the columns, take the eigenvectors of the covariance matrix with the largest
    eigenvalues, and return ``X_centred @ eigenvectors``, shape (m, n_components).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (m, n), got shape {X.shape}")
    if not 1 <= n_components <= X.shape[1]:
        raise ValueError(f"n_components must be between 1 and {X.shape[1]}, got {n_components}")
    centred = X - X.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    order = np.argsort(eigenvalues)[::-1][:n_components]
    return centred @ eigenvectors[:, order]


def embeddings(W1: np.ndarray, W2: np.ndarray) -> np.ndarray:
    """The course's word embeddings: ``(W1.T + W2) / 2``, one row (N,) per word."""
    N, V = W1.shape
    check_matrix(W2, "W2", (V, N))
    return (W1.T + W2) / 2
