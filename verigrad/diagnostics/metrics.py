"""Where a classifier goes wrong: its confusion matrix and its most confident mistakes."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..validation import check_positive_int


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike,
                     n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = how many examples of class i were predicted as class j (rows: truth)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be label vectors of one shape (m,), got "
                         f"{y_true.shape} and {y_pred.shape}")
    k = (int(max(y_true.max(initial=-1), y_pred.max(initial=-1)) + 1) if n_classes is None
         else check_positive_int(n_classes, "n_classes"))
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        # a negative label would be counted in the last row without a word
        inside = labels.size == 0 or 0 <= labels.min() <= labels.max() < k
        if labels.dtype.kind not in "iu" or not inside:
            raise ValueError(f"{name} must hold integer labels in [0, {k - 1}], got "
                             f"{labels.dtype} from {labels.min(initial=0)} to "
                             f"{labels.max(initial=0)}")
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def most_confident_mistakes(proba: np.ndarray, y_true: np.ndarray, n: int = 25) -> np.ndarray:
    """Indices of the (at most n) misclassified examples whose wrong prediction had the
    highest probability, most confident first. proba: (n_classes, m) class probabilities."""
    predicted = proba.argmax(axis=0)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = proba[predicted[wrong], wrong]
    return wrong[np.argsort(-confidence, kind="stable")[:n]]
