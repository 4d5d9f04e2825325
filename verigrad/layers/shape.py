"""Layers that only rearrange entries."""
from __future__ import annotations

import math
from typing import cast

import numpy as np

from ..validation import describe_shape
from .base import Layer, Shape, UnknownSize


class Flatten(Layer):
    """Each example's entries in one column: A_prev (C, H, W, m) -> A (C·H·W, m).

    A reshape, in row-major order: row c·H·W + i·W + j of A holds A_prev[c, i, j, :], the
    order of PyTorch's ``flatten`` of an (m, C, H, W) batch, so the first Dense layer's
    weights carry over between the two. Backward reshapes dA back. Any rank works:
    (n_x, T, m) becomes (n_x·T, m)."""

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        self.A_shape = A_prev.shape
        return A_prev.reshape(-1, A_prev.shape[-1])

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA.reshape(self.A_shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        if any(size is None for size in input_shape):
            raise UnknownSize(f"{self!r} needs every size of its input to be known, got "
                             f"{describe_shape(input_shape)}: pass the image size, "
                             f"Sequential(..., input_shape=(C, H, W))")
        return (math.prod(cast("tuple[int, ...]", input_shape)),)
