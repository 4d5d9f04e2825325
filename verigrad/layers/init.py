"""Initial weights, shared by every layer that draws them."""
from __future__ import annotations

import numpy as np

INITS = ("he", "xavier", "normal", "uniform")


def check_init(init: str, layer: str) -> str:
    if init not in INITS:
        raise ValueError(f"{layer} init must be one of {INITS}, got {init!r}")
    return init


def draw_weights(W: np.ndarray, fan_in: int, init: str, rng: np.random.Generator) -> None:
    """Fill W in place by the rule ``init`` for a unit that sums ``fan_in`` inputs.

    "he": N(0, 2/fan_in), for ReLU; "xavier": N(0, 1/fan_in), Glorot/LeCun-style for
    tanh/sigmoid; "normal": N(0, 0.01²), the course's ``randn * 0.01``; "uniform":
    U(-1/√fan_in, 1/√fan_in). A Dense layer's fan_in is n_in, a convolution's C·kh·kw."""
    if init == "uniform":
        limit = 1.0 / np.sqrt(fan_in)
        W[...] = rng.uniform(-limit, limit, size=W.shape)
    else:
        std = {"he": np.sqrt(2.0 / fan_in), "xavier": np.sqrt(1.0 / fan_in), "normal": 0.01}
        W[...] = rng.standard_normal(W.shape) * std[init]
