"""The small networks of the Deep Learning Specialization's notebooks, built from verigrad's
layers: the references that the exercises of course 1 week 3 and course 2 week 1 are
compared with, in the notebooks' layouts (examples in columns, the caches as the notebooks
build them)."""
from __future__ import annotations

import numpy as np

from ..layers import Dense, ReLU, Sigmoid, Tanh
from ..losses import BinaryCrossEntropy

ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}


def linear(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Z = W·A + b with verigrad's Dense layer: A (n_prev, m), W (n, n_prev), b (n, 1) or
    (n,); Z (n, m)."""
    layer = Dense(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.params["b"][...] = np.reshape(b, (-1, 1))
    return layer.forward(A)


def activate(Z: np.ndarray, activation: str) -> np.ndarray:
    """g(Z) with verigrad's layer for ``activation``: "tanh", "relu" or "sigmoid"."""
    return ACTIVATIONS[activation]().forward(Z)


def two_layer_forward(X: np.ndarray, parameters: dict[str, np.ndarray], hidden: str = "tanh",
                      output: str = "sigmoid",
                      bias: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A2 and the cache {"Z1", "A1", "Z2", "A2"} of course 1 week 3's LINEAR → TANH → LINEAR
    → SIGMOID (the keywords give the wrong networks learners write)."""
    def b(key: str) -> np.ndarray:
        return parameters[key] if bias else np.zeros_like(parameters[key])

    Z1 = linear(X, parameters["W1"], b("b1"))
    A1 = activate(Z1, hidden)
    Z2 = linear(A1, parameters["W2"], b("b2"))
    A2 = activate(Z2, output)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def three_layer_forward(X: np.ndarray,
                        parameters: dict[str, np.ndarray]) -> tuple[np.ndarray,
                                                                    tuple[np.ndarray, ...]]:
    """A3 and the cache (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) of course 2 week 1's
    LINEAR → RELU → LINEAR → RELU → LINEAR → SIGMOID (the gradient-checking notebook's
    forward_propagation_n and the helper files' forward_propagation)."""
    cache, A = [], X
    for k, activation in ((1, "relu"), (2, "relu"), (3, "sigmoid")):
        W, b = parameters[f"W{k}"], parameters[f"b{k}"]
        Z = linear(A, W, b)
        A = activate(Z, activation)
        cache += [Z, A, W, b]
    return A, tuple(cache)


def logit_cross_entropy(Z: np.ndarray, Y: np.ndarray) -> float:
    """The mean cross-entropy of sigmoid(Z) against the 0/1 labels Y (verigrad's loss)."""
    return BinaryCrossEntropy().forward(np.asarray(Z, dtype=float), np.asarray(Y))


def mean_cross_entropy(A: np.ndarray, Y: np.ndarray) -> float:
    """The course's cost −(1/m)·Σ(y·log a + (1 − y)·log(1 − a)) of probabilities A."""
    A = np.asarray(A, dtype=float)
    return logit_cross_entropy(np.log(A) - np.log1p(-A), Y)
