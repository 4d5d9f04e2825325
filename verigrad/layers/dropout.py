"""Inverted dropout."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import Layer


class Dropout(Layer):
    """Inverted dropout: in training, A = X ⊙ mask, mask = (u ≥ rate)/(1 − rate), u ~ U[0, 1).

    Each unit is kept with probability 1 − rate and scaled by 1/(1 − rate), so the expected
    activation is unchanged and evaluation is the identity. dX = dA ⊙ mask (the same mask).

    ``keep_random_draws()`` keeps the current mask for every later training forward pass of
    the same shape (gradient checks need the cost to be a deterministic function of the
    parameters); ``draw_afresh()`` draws fresh masks again.
    """

    def __init__(self, rate: float = 0.5):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng = np.random.default_rng()
        self.mask: np.ndarray | None = None
        self.active = False
        self.keeps_draws = False

    def set_rng(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def keep_random_draws(self) -> bool:
        self.keeps_draws = True
        return True

    def draw_afresh(self) -> None:
        self.keeps_draws = False

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        self.active = training and self.rate > 0
        if not self.active:
            return X
        if not (self.keeps_draws and self.mask is not None and self.mask.shape == X.shape):
            self.mask = np.multiply(self._keep(X.shape), 1 / (1 - self.rate), dtype=X.dtype)
        return X * self.mask

    def _keep(self, shape: tuple[int, ...]) -> np.ndarray:
        """Boolean keep-mask, True with probability 1 − rate.

        u ≥ rate for u ~ U[0, 1) is drawn as bits ≥ rate·2³² for 32 uniform random bits: the
        same event (to 2⁻³²), and raw bits come about twice as fast as floats."""
        size = math.prod(shape)
        bits = self.rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
        threshold = min(math.ceil(self.rate * 2**32), 2**32 - 1)
        return (bits >= np.uint32(threshold)).reshape(shape)

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * self.mask if self.active and self.mask is not None else dA

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
