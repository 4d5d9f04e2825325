"""Word (or character) embeddings: integer token ids to vectors."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_positive_int
from .base import Layer, Shape


class Embedding(Layer):
    """Looks up the column of W for each token id: ids (T, m) → vectors (n, T, m).

    W has shape (n, vocab_size), the course's embedding matrix E: column j is the vector of
    token j, so e_j = W·o_j for the one-hot o_j, and the lookup W[:, ids] is that product
    without the one-hots. Backward, for dA = dJ/d(output) (n, T, m):

        dW[:, j] = Σ over the positions (t, example) holding token j of dA[:, t, example]

    A token that occurs several times in the batch collects the sum of all its gradients;
    ``np.add.at`` accumulates repeated indices (plain ``dW[:, ids] += dA`` would keep only one
    of them). The ids have no gradient, so backward returns None.

    Takes token ids of any integer dtype in [0, vocab_size). init: "normal" draws N(0, 1) as
    PyTorch does, "uniform" U(−0.05, 0.05). In a model W is named ``W`` + the layer's number
    and, like every weight, gets the L2 penalty.
    """

    INITS = ("normal", "uniform")
    input_kind = "index"
    #: the last forward pass's token ids, kept for backward
    ids: np.ndarray

    def __init__(self, vocab_size: int, n: int, init: str = "normal",
                 seed: int | None = None):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "Embedding vocab_size")
        self.n = check_positive_int(n, "Embedding n")
        if init not in self.INITS:
            raise ValueError(f"Embedding init must be one of {self.INITS}, got {init!r}")
        self.init, self.seed = init, seed
        self.input_shape = (None,)
        self.params = {"W": np.empty((self.n, self.vocab_size))}
        self.grads = {"W": np.zeros_like(self.params["W"])}
        self.initialize(np.random.default_rng(seed))

    def initialize(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        W[...] = (rng.standard_normal(W.shape) if self.init == "normal" else
                  rng.uniform(-0.05, 0.05, size=W.shape))

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        self.ids = self._check_ids(A_prev)
        return self.params["W"][:, self.ids]

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        dW = self.grads["W"]
        dW[...] = 0
        ids = self.ids.reshape(-1)
        # dW[r, j] += dA[r, k] for every position k holding token j, repeats accumulated; one
        # row at a time, since add.at on 1-D arrays is many times faster than on rows of 2-D
        # (both have n rows: dW is (n, V), and the reshape raises unless dA has n·T·m entries)
        for dW_row, dA_row in zip(dW, dA.reshape(self.n, -1)):
            np.add.at(dW_row, ids, dA_row)
        return None

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1:
            raise ValueError(f"{self!r} takes token ids (T, m), one sequence per column; the "
                             f"input has one-example shape {tuple(input_shape)}")
        return (self.n, input_shape[0])

    @classmethod
    def parameter_shapes(cls, vocab_size: int, n: int, init: str = "normal",
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        return {"W": (check_positive_int(n, "Embedding n"),
                      check_positive_int(vocab_size, "Embedding vocab_size"))}

    def get_config(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size, "n": self.n, "init": self.init}

    def _check_ids(self, ids: np.ndarray) -> np.ndarray:
        if not isinstance(ids, np.ndarray):
            raise TypeError(f"Embedding input must be a NumPy array of token ids (T, m), got "
                            f"{type(ids).__name__}")
        if ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding input has dtype {ids.dtype}; it takes integer token ids "
                            f"(T, m): pass ids.astype(np.int64)")
        if ids.ndim != 2:
            raise ValueError(f"Embedding input must be token ids of shape (T, m), one sequence "
                             f"per column, got shape {ids.shape}")
        if ids.shape[0] == 0:
            raise ValueError(f"Embedding input has T = 0 time steps (shape {ids.shape}); a "
                             f"sequence needs at least one token")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            bad = ids.max() if ids.max() >= self.vocab_size else ids.min()
            where = tuple(int(i) for i in np.argwhere(ids == bad)[0])
            raise IndexError(f"Embedding input holds token id {bad} at {list(where)}, outside "
                             f"the vocabulary [0, {self.vocab_size - 1}] (vocab_size="
                             f"{self.vocab_size})")
        return ids
