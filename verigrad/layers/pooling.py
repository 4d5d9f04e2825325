"""Pooling layers: the max or the mean of each window, channel by channel."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._backend import load_kernels
from ..validation import describe_shape
from . import windows
from .base import Layer, Shape, Size2D


class _Pool2D(Layer):
    """What max and average pooling share: the window geometry (no parameters, no padding).

    A_prev (C, H, W, m) -> A (C, H_out, W_out, m), H_out = ⌊(H − kh)/s_h⌋ + 1; the stride
    defaults to the kernel (windows side by side), and a smaller one makes them overlap."""

    def __init__(self, kernel_size: Size2D, stride: Size2D | None = None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = windows.pair(kernel_size, f"{name} kernel_size")
        self.stride = (self.kernel_size if stride is None
                       else windows.pair(stride, f"{name} stride"))

    def output_shape(self, input_shape: Shape) -> Shape:
        size = windows.output_size(self, input_shape, None, self.kernel_size, self.stride,
                                   (0, 0))
        return (input_shape[0], *size)

    def _views(self, A: np.ndarray,
               out_hw: Sequence[int]) -> list[tuple[tuple[int, int], np.ndarray]]:
        """((p, q), view) for each kernel offset: what that offset sees in every window."""
        return [((p, q), windows.offset_view(A, p, q, out_hw, self.stride))
                for p, q in windows.offsets(self.kernel_size)]

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": windows.compact(self.kernel_size),
                "stride": windows.compact(self.stride)}


class MaxPool2D(_Pool2D):
    """Max pooling: each output is the largest entry of its window.

    The course's loop, for each example n, channel c and output pixel (i, j):

        a_slice = A_prev[c, i·s_h : i·s_h + kh, j·s_w : j·s_w + kw, n]
        A[c, i, j, n] = max(a_slice)

    and backward sends dA[c, i, j, n] to the one entry of the window that was the max
    (mask = a_slice == max(a_slice)), adding (+=) where windows overlap. When several
    entries tie for the max, the first in row-major order of the window gets all of it,
    as in PyTorch: the derivative has a kink there, which ``kink_distance`` reports.
    """

    #: "auto": backward runs as a numba kernel when numba is installed ("numba" insists on
    #: it), else as NumPy ("numpy" always).
    backend = "auto"
    #: the last forward pass's input and output, kept for backward
    A_prev: np.ndarray
    A: np.ndarray

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        out_hw = windows.check_batch(self, A_prev)
        self.A_prev = A_prev
        views = self._views(A_prev, out_hw)
        A = views[0][1].copy()
        for _, view in views[1:]:
            np.maximum(A, view, out=A)
        self.A = A
        return A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        out_hw = self.A.shape[1:3]
        dA_prev = np.zeros_like(self.A_prev, dtype=dA.dtype)
        kernels = load_kernels("layers._pool_kernels", self.backend)
        if kernels is not None:
            kernels.scatter_to_max(self.A_prev, self.A, dA, *self.stride, *self.kernel_size,
                                   dA_prev)
            return dA_prev
        # Each window's gradient goes to the first entry equal to its max: ``free`` marks
        # the windows whose max has not been found yet.
        free = np.ones(self.A.shape, bool)
        hit = np.empty(self.A.shape, bool)
        for (p, q), view in self._views(self.A_prev, out_hw):
            np.equal(view, self.A, out=hit)
            hit &= free
            free ^= hit
            target = windows.offset_view(dA_prev, p, q, out_hw, self.stride)
            if self._overlapping:
                target += dA * hit
            else:
                np.multiply(dA, hit, out=target)
        return dA_prev

    @property
    def _overlapping(self) -> bool:
        return any(s < k for s, k in zip(self.stride, self.kernel_size))

    def kink_distance(self, A_prev: np.ndarray) -> np.ndarray | None:
        """How far each entry is from changing which entry of a window is its max: the
        window's max minus the entry for the others, max minus runner-up for the max itself
        (0 at a tie); the smallest over the windows that hold the entry."""
        out_hw = windows.check_batch(self, A_prev)
        views = self._views(A_prev, out_hw)
        stacked = np.stack([view for _, view in views])
        order = np.sort(stacked, axis=0)
        top = order[-1]
        runner_up = order[-2] if len(views) > 1 else np.full_like(top, -np.inf)
        winner = np.argmax(stacked, axis=0)
        distance = np.full(A_prev.shape, np.inf)
        for k, ((p, q), view) in enumerate(views):
            gap = np.where(winner == k, top - runner_up, top - view)
            target = windows.offset_view(distance, p, q, out_hw, self.stride)
            np.minimum(target, gap, out=target)
        return distance


class AvgPool2D(_Pool2D):
    """Average pooling: each output is the mean of its kh·kw window.

        A[c, i, j, n] = mean(A_prev[c, i·s_h : i·s_h + kh, j·s_w : j·s_w + kw, n])

    Backward shares dA[c, i, j, n] equally: each entry of the window gets dA/(kh·kw),
    added (+=) where windows overlap."""

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        out_hw = windows.check_batch(self, A_prev)
        self.A_shape = A_prev.shape
        views = self._views(A_prev, out_hw)
        A = views[0][1].copy()
        for _, view in views[1:]:
            A += view
        A *= A.dtype.type(1 / len(views))
        return A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        dA_prev = np.zeros(self.A_shape, dA.dtype)
        share = dA * dA.dtype.type(1 / (self.kernel_size[0] * self.kernel_size[1]))
        for _, target in self._views(dA_prev, dA.shape[1:3]):
            target += share
        return dA_prev


class GlobalAvgPool2D(Layer):
    """The mean of each channel over the whole image: A_prev (C, H, W, m) -> A (C, m).

        A[c, n] = (1/(H·W)) Σ_ij A_prev[c, i, j, n];   dA_prev[c, i, j, n] = dA[c, n]/(H·W)
    """

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        if A_prev.ndim != 4:
            raise ValueError(f"{self!r} expects a batch of images (C, H, W, m), got an array "
                             f"of shape {A_prev.shape}")
        self.A_shape = A_prev.shape
        return A_prev.mean(axis=(1, 2))

    def backward(self, dA: np.ndarray) -> np.ndarray:
        H, W = self.A_shape[1:3]
        share = dA * dA.dtype.type(1 / (H * W))
        return np.broadcast_to(share[:, None, None, :], self.A_shape).copy()

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(f"{self!r} expects images (C, H, W, m), but its input has shape "
                             f"{describe_shape(input_shape)}")
        return (input_shape[0],)
