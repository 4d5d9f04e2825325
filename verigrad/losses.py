"""Costs, computed from the last layer's logits Z (n_out, m) and averaged over the batch.

Each loss fuses its output activation with the cost, which keeps it numerically stable
(log-sum-exp instead of ``log(softmax + 1e-9)``) and makes the gradient simple: dJ/dZ is
(prediction − target)/m for all three. ``forward`` returns the cost and keeps what
``backward`` needs; ``backward()`` returns dJ/dZ with the 1/m already applied.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable

import numpy as np

from .functional import log_softmax, sigmoid, softmax, softplus


class Loss(ABC):
    """Base class: ``forward(Z, Y) -> float``, ``backward() -> dZ``, ``output(Z)``,
    ``predict(Z)``."""

    #: whether predictions are class labels (and so have an accuracy)
    classifier = True
    #: the output function the loss applies to the logits itself (softmax, sigmoid), or
    #: None: a model refuses a last layer that computes it again
    fused_activation: Callable[..., np.ndarray] | None = None

    @abstractmethod
    def forward(self, Z: np.ndarray, Y: np.ndarray) -> float:
        """Mean cost over the batch's m columns."""

    @abstractmethod
    def backward(self) -> np.ndarray:
        """dJ/dZ for the last ``forward``, shape (n_out, m), 1/m included."""

    @abstractmethod
    def output(self, Z: np.ndarray) -> np.ndarray:
        """What the model outputs for logits Z: probabilities, or values for regression."""

    @abstractmethod
    def predict(self, Z: np.ndarray) -> np.ndarray:
        """Predicted labels (classification) or values (regression)."""

    @abstractmethod
    def check_targets(self, Y: np.ndarray, n_out: int, m: int, name: str = "Y") -> None:
        """Raise a clear error unless Y is a valid target for n_out outputs and m examples."""

    def accuracy(self, Z: np.ndarray, Y: np.ndarray) -> float | None:
        """Fraction of examples predicted correctly, or None for regression."""
        if not self.classifier:
            return None
        return _fraction_equal(self.predict(Z), Y)

    def count(self, Y: np.ndarray) -> int:
        """How many terms the mean cost over the targets Y averages: the batch's m examples.
        A slice of a batch weighs count(slice)/count(batch) in the batch's cost
        (``fit(threads=N)``)."""
        return int(Y.shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _fraction_equal(predicted: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of entries where the prediction equals the target (NaN for no entries)."""
    hits = predicted == Y
    return np.count_nonzero(hits) / hits.size if hits.size else float("nan")


def _check_label_vector(Y: np.ndarray, m: int, name: str, n_classes: int, other_form: str,
                        limit_reason: str) -> None:
    """Integer labels (m,) in [0, n_classes); ``other_form`` says how to pass float targets
    instead, ``limit_reason`` why labels stop at n_classes − 1."""
    if Y.shape != (m,):
        raise ValueError(f"{name} has shape {Y.shape}; integer labels must have shape "
                         f"(m,) = ({m},)")
    if Y.dtype.kind not in "iu":
        raise TypeError(f"{name} has dtype {Y.dtype}; integer class labels need an integer dtype "
                        f"(e.g. {name}.astype(int)), or pass {other_form}")
    if m and (Y.min() < 0 or Y.max() >= n_classes):
        raise ValueError(f"{name} holds labels from {Y.min()} to {Y.max()}, but {limit_reason}, "
                         f"so labels must lie in [0, {n_classes - 1}]")


def _check_label_range(labels: np.ndarray, n_classes: int, padding: str = "") -> None:
    """Class labels must index a row of the logits: a negative one would wrap around to
    the last classes (NumPy's indexing) and train the wrong class without a word."""
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels run from {labels.min()} to {labels.max()}, but the logits "
                         f"have {n_classes} classes: labels must lie in [0, {n_classes - 1}]"
                         f"{padding}")


def _check_float_targets(Y: np.ndarray, shape: tuple[int, ...], name: str) -> None:
    if Y.shape != shape:
        raise ValueError(f"{name} has shape {Y.shape}, expected {shape} (n_outputs, m)")
    if Y.dtype.kind != "f":
        raise TypeError(f"{name} has dtype {Y.dtype}, expected a floating dtype")
    if not np.isfinite(Y).all():
        raise ValueError(f"{name} contains NaN or inf")


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy:  J = −(1/m) Σ_j log softmax(Z)[y_j, j].

    Labels are integers (m,) or one-hot columns (n_classes, m). With P = softmax(Z) and Y
    one-hot,  dJ/dZ = (P − Y)/m.  log softmax is computed as Z − max − log Σ exp(Z − max)."""

    fused_activation = staticmethod(softmax)

    def forward(self, Z: np.ndarray, Y: np.ndarray) -> float:
        m = Z.shape[1]
        log_P = log_softmax(Z)
        self.P, self.Y = np.exp(log_P), Y
        if Y.ndim == 1:
            _check_label_range(Y, Z.shape[0])
            return -float(log_P[Y, np.arange(m)].sum()) / m
        self.Y = Y.astype(Z.dtype, copy=False)
        return -float(np.sum(self.Y * log_P)) / m

    def backward(self) -> np.ndarray:
        m = self.P.shape[1]
        dZ = self.P.copy()
        if self.Y.ndim == 1:
            dZ[self.Y, np.arange(m)] -= 1
        else:
            dZ -= self.Y
        dZ /= m
        return dZ

    def output(self, Z: np.ndarray) -> np.ndarray:
        return softmax(Z)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        return Z.argmax(axis=0)

    def accuracy(self, Z: np.ndarray, Y: np.ndarray) -> float | None:
        return super().accuracy(Z, Y if Y.ndim == 1 else Y.argmax(axis=0))

    def check_targets(self, Y: np.ndarray, n_out: int, m: int, name: str = "Y") -> None:
        if Y.ndim == 1:
            return _check_label_vector(Y, m, name, n_out,
                                       f"one-hot labels of shape ({n_out}, {m})",
                                       f"the model has {n_out} outputs")
        _check_float_targets(Y, (n_out, m), name)
        if (Y < 0).any() or not np.allclose(Y.sum(axis=0), 1, atol=1e-3):
            raise ValueError(f"{name} is 2-D, so each column must be a one-hot (or probability) "
                             f"vector over the {n_out} classes: non-negative, summing to 1")


class BinaryCrossEntropy(Loss):
    """Sigmoid + binary cross-entropy, summed over outputs and averaged over examples:

        J = (1/m) Σ_j Σ_k [softplus(z) − z·y],   softplus(z) = log(1 + e^z)

    which equals −(1/m) Σ [y log σ(z) + (1 − y) log(1 − σ(z))] without ever taking log(0).
    dJ/dZ = (σ(Z) − Y)/m. Targets are 0/1 (or probabilities) of shape (n_out, m); with one
    output, integer labels of shape (m,) are accepted too."""

    fused_activation = staticmethod(sigmoid)

    def forward(self, Z: np.ndarray, Y: np.ndarray) -> float:
        # integer labels join the arithmetic in the logits' dtype (else float32 turns float64)
        Y = Y.reshape(Z.shape).astype(Z.dtype, copy=False)
        self.A, self.Y = sigmoid(Z), Y
        m = Z.shape[1]
        return float(np.sum(softplus(Z) - Z * Y) / m)

    def backward(self) -> np.ndarray:
        return (self.A - self.Y) / self.A.shape[1]

    def output(self, Z: np.ndarray) -> np.ndarray:
        return sigmoid(Z)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        labels = (Z > 0).astype(np.int64)
        return labels[0] if labels.shape[0] == 1 else labels

    def check_targets(self, Y: np.ndarray, n_out: int, m: int, name: str = "Y") -> None:
        if Y.ndim == 1:
            if n_out != 1:
                raise ValueError(f"{name} is 1-D, which only fits a model with 1 output; this "
                                 f"model has {n_out}: pass {name} of shape ({n_out}, {m})")
            _check_label_vector(Y, m, name, 2,
                                f"targets in [0, 1] of shape (1, {m}): {name}.reshape(1, -1)",
                                "binary cross-entropy takes 0/1 labels")
            return
        _check_float_targets(Y, (n_out, m), name)
        if (Y < 0).any() or (Y > 1).any():
            raise ValueError(f"{name} must hold targets in [0, 1] for binary cross-entropy")

    def accuracy(self, Z: np.ndarray, Y: np.ndarray) -> float | None:
        return _fraction_equal(self.predict(Z), Y.reshape(-1) if Z.shape[0] == 1 else Y)


class MSE(Loss):
    """Half mean squared error:  J = (1/2m) Σ_j ‖Z[:, j] − Y[:, j]‖²;  dJ/dZ = (Z − Y)/m.

    The ½ cancels the 2 of the derivative. The output layer is linear (the logits are the
    predictions). With one output, targets of shape (m,) are accepted too."""

    classifier = False

    def forward(self, Z: np.ndarray, Y: np.ndarray) -> float:
        self.diff = Z - Y.reshape(Z.shape).astype(Z.dtype, copy=False)
        return float(0.5 * np.sum(self.diff * self.diff) / Z.shape[1])

    def backward(self) -> np.ndarray:
        return self.diff / self.diff.shape[1]

    def output(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def predict(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def check_targets(self, Y: np.ndarray, n_out: int, m: int, name: str = "Y") -> None:
        if Y.ndim == 1 and n_out == 1:
            Y = Y.reshape(1, m) if Y.shape == (m,) else Y
        _check_float_targets(Y, (n_out, m), name)


class SequenceSoftmaxCrossEntropy(SoftmaxCrossEntropy):
    """Softmax cross-entropy at every time step of a sequence: logits Z (n_classes, T, m),
    integer labels Y (T, m), one per step and example.

        J = −(1/N) Σ_(t, j) mask[t, j] · log softmax(Z[:, t, j])[Y[t, j]],   N = Σ mask

    the mean over the N counted (time step, example) pairs: the loss per token (per character
    for a character model), as PyTorch's ``cross_entropy`` with ``ignore_index`` takes it.
    CS231n's temporal softmax loss sums over time and divides by m instead: it equals
    J·N/m. dJ/dZ = mask ⊙ (P − one_hot(Y))/N, zero at the padding.

    Padding: a label of −1 marks a position that is not counted (the mask is Y ≥ 0), or pass
    ``mask`` (T, m) to ``forward``. A batch with nothing to count costs 0, gradient 0.
    Outputs and predictions are the softmax's, at every step: (n_classes, T, m), (T, m)."""

    PAD = -1

    def forward(self, Z: np.ndarray, Y: np.ndarray, mask: np.ndarray | None = None) -> float:
        mask = Y != self.PAD if mask is None else np.asarray(mask, dtype=bool)
        if mask.shape != Y.shape:
            raise ValueError(f"mask has shape {mask.shape}, expected the labels' {Y.shape}")
        _check_label_range(Y[mask], Z.shape[0], padding=f" ({self.PAD} marks padding)")
        log_P = log_softmax(Z)
        self.P, self.Y, self.mask = np.exp(log_P), np.where(mask, Y, 0), mask
        self.N = int(np.count_nonzero(mask))
        log_loss = -np.take_along_axis(log_P, self.Y[None], axis=0)[0]
        return float(np.sum(log_loss, where=mask)) / max(self.N, 1)

    def backward(self) -> np.ndarray:
        dZ = self.P.copy()
        np.put_along_axis(dZ, self.Y[None], np.take_along_axis(dZ, self.Y[None], axis=0) - 1,
                          axis=0)
        dZ *= self.mask / max(self.N, 1)
        return dZ

    def count(self, Y: np.ndarray) -> int:
        """N, the counted (time step, example) pairs of the labels Y (T, m)."""
        return int(np.count_nonzero(Y != self.PAD))

    def accuracy(self, Z: np.ndarray, Y: np.ndarray) -> float | None:
        counted = Y != self.PAD
        return _fraction_equal(self.predict(Z)[counted], Y[counted])

    def check_targets(self, Y: np.ndarray, n_out: int, m: int, name: str = "Y") -> None:
        if Y.ndim != 2:
            raise ValueError(f"{name} must hold one integer label per time step and example, "
                             f"shape (T, m), got shape {Y.shape}")
        if Y.dtype.kind not in "iu":
            raise TypeError(f"{name} has dtype {Y.dtype}; sequence labels must be integers "
                            f"(T, m) in [0, {n_out - 1}], −1 for padding")
        if Y.size and (Y.min() < self.PAD or Y.max() >= n_out):
            raise ValueError(f"{name} holds labels from {Y.min()} to {Y.max()}, but the model "
                             f"has {n_out} outputs: labels must lie in [0, {n_out - 1}] (−1 "
                             f"marks padding)")
