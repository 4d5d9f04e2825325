"""Positional encodings: where in the sequence each vector stands, added to the vector.

Attention treats its input as a set (permute the time steps of X and the output is permuted
alike), so a transformer adds to the vector at step t something that depends on t.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_positive_int, describe_shape
from .base import Layer, Shape


def sinusoidal_angles(d_model: int, max_len: int) -> np.ndarray:
    """The angles of the sinusoidal table, (⌈d_model/2⌉, max_len): row i, shared by the
    features 2i (sine) and 2i + 1 (cosine), is t / 10000^(2i/d_model) for t = 0 … max_len − 1."""
    t = np.arange(max_len)[None, :]
    two_i = np.arange(0, d_model, 2)[:, None]
    return t / 10000 ** (two_i / d_model)


def sinusoidal_table(d_model: int, max_len: int) -> np.ndarray:
    """The table of "Attention Is All You Need" (Vaswani et al., 2017), (d_model, max_len):

        PE[2i, t]     = sin(t / 10000^(2i/d_model))
        PE[2i + 1, t] = cos(t / 10000^(2i/d_model))

    for t = 0 … max_len − 1: feature pair (2i, 2i + 1) turns at one frequency, the
    frequencies falling geometrically from 1 to 1/10000 along the features. The exponent is
    2i/d_model, the pair's even index, for both features of a pair."""
    angles = sinusoidal_angles(d_model, max_len)      # (⌈d/2⌉, max_len)
    table = np.empty((d_model, max_len))
    table[0::2] = np.sin(angles)
    table[1::2] = np.cos(angles[:d_model // 2])
    return table


class PositionalEncoding(Layer):
    """Adds a position vector to each time step: A[:, t, j] = X[:, t, j] + PE[:, t], on
    sequences (d_model, T, m) with T ≤ max_len; dX = dA.

    learned=False: PE is the fixed sinusoidal table (``sinusoidal_table``), no parameters.
    learned=True: PE is a trained parameter W (d_model, max_len), drawn N(0, 0.02²) as GPT-2's;
    its gradient is dW[:, t] = Σ_j dA[:, t, j] for t < T, 0 for the positions not seen.
    """

    def __init__(self, d_model: int, max_len: int, learned: bool = False,
                 seed: int | None = None):
        super().__init__()
        self.d_model = check_positive_int(d_model, "PositionalEncoding d_model")
        self.max_len = check_positive_int(max_len, "PositionalEncoding max_len")
        self.learned, self.seed = bool(learned), seed
        self.input_shape = (self.d_model, None)
        if self.learned:
            self.params = {"W": np.empty((self.d_model, self.max_len))}
            self.grads = {"W": np.zeros_like(self.params["W"])}
            self.initialize(np.random.default_rng(seed))
        else:
            self.table = sinusoidal_table(self.d_model, self.max_len)

    def initialize(self, rng: np.random.Generator) -> None:
        if self.learned:
            self.params["W"][...] = 0.02 * rng.standard_normal(self.params["W"].shape)

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        if not isinstance(X, np.ndarray) or X.ndim != 3 or X.shape[0] != self.d_model:
            raise ValueError(f"{self!r} takes sequences (d_model, T, m) = ({self.d_model}, "
                             f"T, m), got {getattr(X, 'shape', type(X).__name__)}")
        T = X.shape[1]
        if T > self.max_len:
            raise ValueError(f"{self!r} got a sequence of T = {T} steps, longer than its "
                             f"max_len = {self.max_len}: feed at most {self.max_len} steps "
                             f"(crop the context), or build it with a larger max_len")
        table = self.params["W"] if self.learned else self.table
        self.T = T
        return X + table[:, :T, None].astype(X.dtype, copy=False)

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        if self.learned:
            dW = self.grads["W"]
            dW[...] = 0
            np.sum(dA, axis=2, out=dW[:, :self.T])
        return dA if self.needs_input_grad else None

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != 2 or shape[0] != self.d_model:
            raise ValueError(f"{self!r} takes sequences (d_model, T, m) = ({self.d_model}, T, "
                             f"m), but the layer before it gives {describe_shape(shape)}")
        if shape[1] is not None and shape[1] > self.max_len:
            raise ValueError(f"{self!r} takes at most max_len = {self.max_len} steps, got "
                             f"T = {shape[1]}")
        return shape

    @classmethod
    def parameter_shapes(cls, d_model: int, max_len: int, learned: bool = False,
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        if not learned:
            return {}
        return {"W": (check_positive_int(d_model, "PositionalEncoding d_model"),
                      check_positive_int(max_len, "PositionalEncoding max_len"))}

    def get_config(self) -> dict[str, Any]:
        return {"d_model": self.d_model, "max_len": self.max_len, "learned": self.learned}
