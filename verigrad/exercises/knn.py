"""CS231n assignment 1's k-nearest-neighbour classifier: the methods
``compute_distances_two_loops``, ``compute_distances_one_loop``,
``compute_distances_no_loops`` and ``predict_labels`` of ``KNearestNeighbor``.

Each is run on an instance of the learner's class, trained (``train(X, y)``, which stores
the training set) on generated points. dists[i, j] is the Euclidean distance between the
i-th test point and the j-th training point; predict_labels takes the labels of the k
nearest training points and returns the most common, a tie going to the smaller label (as
the assignment's docstring asks).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import EXCEPTION
from .core import Config, Exercise, Mistake, Result, check_forward, register_mistakes, where
from .methods import method_exercise

KINDS = register_mistakes({
    "distance": ("k-NN distances equal the squared distances, or an expansion with the sign "
                 "of the cross term flipped", "the square root, and ‖x‖² + ‖y‖² − 2·x·y"),
    "knn_vote": ("predict_labels ignores k (takes the nearest label only), or breaks a tie "
                 "otherwise than by the smaller label", "how the k nearest labels vote"),
})


CS231N = "CS231n assignment 1 (k_nearest_neighbor.py)"


def _trained(cls: type[Any], X_train: np.ndarray, y_train: np.ndarray) -> Any:
    model = cls()
    model.train(X_train, y_train)
    return model


def _distance_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config(label, (rng.standard_normal((n_train, D)), rng.integers(0, 3, n_train),
                           rng.standard_normal((n_test, D))))
            for label, n_train, n_test, D in (("5 test and 7 training points, D=4", 7, 5, 4),
                                              ("1 test and 3 training points, D=6", 3, 1, 6))]


def _distances(X_train: np.ndarray, y_train: np.ndarray, X: np.ndarray) -> tuple[np.ndarray]:
    """Every test point's distance to every training point, from the differences."""
    return (np.sqrt(((X[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2)),)


_DISTANCE_MISTAKES = [
    Mistake("distance", "the squared distances: the square root is missing",
            lambda X_train, y_train, X: (_distances(X_train, y_train, X)[0] ** 2,)),
    Mistake("distance", "‖x‖² + ‖y‖² + 2·x·y under the square root: the cross term's sign "
            "is flipped",
            lambda X_train, y_train, X: (np.sqrt(np.maximum(
                _distances(X_train, y_train, X)[0] ** 2 + 4 * X @ X_train.T, 0)),)),
    Mistake("distance", "the distances transposed, (num_train, num_test): dists[i, j] pairs "
            "the i-th test point with the j-th training point",
            lambda X_train, y_train, X: (_distances(X_train, y_train, X)[0].T,)),
]


def _distance_exercise(method: str) -> Exercise:
    name = f"KNearestNeighbor.{method}"

    def check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
        cases = _distance_configs(seed)

        def call(X_train: np.ndarray, y_train: np.ndarray, X: np.ndarray) -> np.ndarray:
            return getattr(_trained(cls, X_train, y_train), method)(X)

        with np.errstate(all="ignore"):
            findings, label, error = check_forward(name, call, cases, _distances,
                                                   _DISTANCE_MISTAKES, 1, ("dists",))
        ok = (None if findings[0].kind == EXCEPTION else False) if findings else True
        return Result(name, CS231N, ok, findings, label, where(function, error, findings),
                      configs=len(cases))

    return method_exercise(name, CS231N, ("self", "X"), check)


# ---- predict_labels ------------------------------------------------------------------------


def _vote_configs(seed: int) -> list[Config]:
    """Distances to 6 training points of labels 0-2; k = 1, 3, and k = 4 with a tie between
    labels 2 and 0 among the nearest of the first test point."""
    rng = np.random.default_rng(seed)
    y_train = np.array([2, 0, 2, 0, 1, 1])
    dists = rng.random((4, 6)) + 0.1
    dists[0] = [0.1, 0.2, 0.3, 0.4, 0.9, 0.8]
    return [Config(f"k={k}" + (", a tie between labels 0 and 2" if k == 4 else ""),
                   (y_train, dists, k)) for k in (1, 3, 4)]


def _labels(y_train: np.ndarray, dists: np.ndarray, k: int,
            tie: Callable[..., Any] = min) -> tuple[np.ndarray]:
    """The vote of the k nearest labels; ``tie`` picks among the labels with most votes
    (the docstring's rule: the smallest)."""
    out = np.zeros(dists.shape[0])
    for i, row in enumerate(dists):
        nearest = list(y_train[np.argsort(row, kind="stable")[:k]])
        most = max(nearest.count(label) for label in nearest)
        out[i] = tie([label for label in nearest if nearest.count(label) == most])
    return (out,)


def _first_among(labels: list[int]) -> int:
    return labels[0]


_VOTE_MISTAKES = [
    Mistake("knn_vote", "the label of the nearest point alone: k is not used",
            lambda y_train, dists, k: _labels(y_train, dists, 1) if k > 1 else None),
    Mistake("knn_vote", "a tie won by the nearest of the tied labels (Counter.most_common's "
            "order): the docstring breaks ties by choosing the smaller label",
            lambda y_train, dists, k: _labels(y_train, dists, k, _first_among)),
]


def _vote_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    name = "KNearestNeighbor.predict_labels"
    cases = _vote_configs(seed)

    def call(y_train: np.ndarray, dists: np.ndarray, k: int) -> np.ndarray:
        return _trained(cls, np.zeros((len(y_train), 2)), y_train).predict_labels(dists, k=k)

    findings, label, error = check_forward(name, call, cases, _labels, _VOTE_MISTAKES, 1,
                                           ("y_pred",))
    ok = (None if findings[0].kind == EXCEPTION else False) if findings else True
    return Result(name, CS231N, ok, findings, label, where(function, error, findings),
                  configs=len(cases))


EXERCISES = [
    *(_distance_exercise(method) for method in ("compute_distances_two_loops",
                                                "compute_distances_one_loop",
                                                "compute_distances_no_loops")),
    method_exercise("KNearestNeighbor.predict_labels", CS231N, ("self", "dists", "k"),
                    _vote_check),
]
