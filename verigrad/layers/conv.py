"""The 2-D convolutional layer."""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._backend import load_kernels
from ..validation import check_positive_int
from . import windows
from .base import Layer, Shape, Size2D
from .init import INITS, check_init, draw_weights

#: The products run block by block of whole output rows, each block's X_col at most about
#: _BLOCK columns and _BLOCK_ENTRIES entries (1 MB in float32, within a core's L2 cache): a
#: block's X_col is built, used by its products while it is still in cache, and
#: overwritten by the next block's, so no whole X_col is kept. Backward builds each block
#: again, which is faster than reading a whole X_col back from memory, and the entries
#: limit speeds up the two-conv net too. OpenBLAS is also faster on these short, wide
#: products in blocks than in one call (docs/benchmarks.md has the figures).
_BLOCK = 4096
_BLOCK_ENTRIES = 1 << 18


class Conv2D(Layer):
    """2-D convolution: F filters of shape (C, kh, kw) slide over the padded input.

    Shapes (example axis last): A_prev (C, H, W, m), W (F, C, kh, kw), b (F, 1),
    Z (F, H_out, W_out, m) with H_out = ⌊(H + 2·p_h − kh)/s_h⌋ + 1 (W_out alike). For each
    example n, filter f and output pixel (i, j), the course's loop computes

        a_slice = A_pad[:, i·s_h : i·s_h + kh, j·s_w : j·s_w + kw, n]       (C, kh, kw)
        Z[f, i, j, n] = Σ (a_slice ⊙ W[f]) + b[f]

    (a cross-correlation: the kernel is not flipped, as in every framework). Backward, with
    dZ = dJ/dZ, every window gives back what it took:

        dA_pad[:, i·s_h : i·s_h + kh, j·s_w : j·s_w + kw, n] += W[f] · dZ[f, i, j, n]
        dW[f] += a_slice · dZ[f, i, j, n]
        db[f] += dZ[f, i, j, n]

    and dA_prev is dA_pad without its padding. ``verigrad.layers.loops`` spells these loops
    out; this layer computes the same sums as matrix products (im2col): the window pixels
    go into the columns of X_col (C·kh·kw, H_out·W_out·m), so that

        Z = W_row · X_col + b,   dW_row = dZ_row · X_colᵀ,   dX_col = W_rowᵀ · dZ_row

    with W_row = W reshaped to (F, C·kh·kw) and dZ_row = dZ reshaped to (F, H_out·W_out·m);
    dX_col is added back into the windows it came from (col2im). With the example axis last
    both reshapes are free, and each kernel offset's row of X_col is a strided view of the
    input whose innermost axis (the examples) is contiguous. X_col is built and used a
    block of output rows at a time (the columns of rows i₀ … i₁ − 1 are consecutive), and
    dW_row is the sum of the blocks' products.

    kernel_size, stride, padding: an int or a pair (rows, columns); padding="same" keeps
    H and W (stride 1, odd kernel). init: as for ``Dense``, with fan-in C·kh·kw.
    """

    INITS = INITS
    #: "auto": im2col and col2im run as numba kernels when numba is installed ("numba"
    #: insists on it), else as NumPy ("numpy" always).
    backend = "auto"
    #: the padded input of the last forward pass, kept for backward
    A_pad: np.ndarray

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size2D,
                 stride: Size2D = 1, padding: Size2D | str = 0, init: str = "he",
                 seed: int | None = None):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "Conv2D in_channels")
        self.out_channels = check_positive_int(out_channels, "Conv2D out_channels")
        self.kernel_size = windows.pair(kernel_size, "Conv2D kernel_size")
        self.stride = windows.pair(stride, "Conv2D stride")
        if padding == "same":
            if self.stride != (1, 1) or not all(k % 2 for k in self.kernel_size):
                raise ValueError(f"Conv2D padding='same' needs stride 1 and an odd kernel, "
                                 f"got stride {stride!r} and kernel_size {kernel_size!r}")
            self.padding = (self.kernel_size[0] // 2, self.kernel_size[1] // 2)
        else:
            self.padding = windows.pair(padding, "Conv2D padding", minimum=0)
        self._padding_arg = padding
        self.init, self.seed = check_init(init, "Conv2D"), seed
        self.input_shape = (self.in_channels, None, None)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        # float64 on its own; a Sequential casts its layers to the model's dtype.
        self.params = {"W": np.empty(shape), "b": np.zeros((self.out_channels, 1))}
        self.grads = {"W": np.zeros_like(self.params["W"]), "b": np.zeros_like(self.params["b"])}
        self.initialize(np.random.default_rng(seed))

    @property
    def fan_in(self) -> int:
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    def initialize(self, rng: np.random.Generator) -> None:
        """Draw W afresh from ``rng`` by the layer's init rule and zero b (in place)."""
        draw_weights(self.params["W"], self.fan_in, self.init, rng)
        self.params["b"][...] = 0

    def output_shape(self, input_shape: Shape) -> Shape:
        size = windows.output_size(self, input_shape, self.in_channels, self.kernel_size,
                                   self.stride, self.padding)
        return (self.out_channels, *size)

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        out_hw = windows.check_batch(self, A_prev)
        F, m = self.out_channels, A_prev.shape[-1]
        self.A_pad = windows.pad(A_prev, self.padding)  # kept for backward
        Z = np.empty((F, *out_hw, m), A_prev.dtype)
        Z_row, W_row = Z.reshape(F, -1), self.params["W"].reshape(F, -1)
        for rows, columns in self._blocks(out_hw, m):
            np.matmul(W_row, self._im2col(rows, out_hw, m), out=Z_row[:, columns])
        Z_row += self.params["b"]
        return Z

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        F, (*out_hw, m) = self.out_channels, dZ.shape[1:]
        dZ_row, W_row = dZ.reshape(F, -1), self.params["W"].reshape(F, -1)
        dA_pad = np.zeros(self.A_pad.shape, dZ.dtype) if self.needs_input_grad else None
        dW_col = np.zeros((self.fan_in, F), dZ.dtype)
        part: np.ndarray | None = None
        for rows, columns in self._blocks(out_hw, m):
            # dW_rowᵀ = X_col · dZ_rowᵀ: OpenBLAS is faster on this orientation of the
            # product than on dZ_row · X_colᵀ (docs/benchmarks.md, LeNet-5's second layer)
            part = np.matmul(self._im2col(rows, out_hw, m), dZ_row[:, columns].T, out=part)
            dW_col += part
            if dA_pad is not None:
                dX_col = self._block_buffer("_dX_col", rows, out_hw, m, dZ.dtype)
                np.matmul(W_row.T, dZ_row[:, columns], out=dX_col.reshape(self.fan_in, -1))
                self._col2im(dX_col, rows, out_hw, dA_pad)
        self.grads["W"].reshape(F, -1)[...] = dW_col.T
        np.sum(dZ_row, axis=1, keepdims=True, out=self.grads["b"])
        return None if dA_pad is None else windows.unpad(dA_pad, self.padding)

    def _blocks(self, out_hw: Sequence[int], m: int) -> list[tuple[slice, slice]]:
        """(rows, columns) of each block: a range of output rows and its columns of X_col."""
        per_row = out_hw[1] * m
        return [(rows, slice(rows.start * per_row, rows.stop * per_row))
                for rows in row_blocks(out_hw[0], per_row, self.fan_in)]

    def _block_buffer(self, name: str, rows: slice, out_hw: Sequence[int], m: int,
                      dtype: np.dtype) -> np.ndarray:
        """A (C, kh, kw, rows, W_out, m) array for one block, over memory the layer keeps
        (under ``name``) from call to call: fresh multi-megabyte arrays cost a page fault
        per 4 kB on first use."""
        shape = (self.in_channels, *self.kernel_size, rows.stop - rows.start, out_hw[1], m)
        first = row_blocks(out_hw[0], out_hw[1] * m, self.fan_in)[0]  # the largest block
        size = self.fan_in * (first.stop - first.start) * out_hw[1] * m
        memory = self.__dict__.get(name)
        if memory is None or memory.size != size or memory.dtype != dtype:
            memory = np.empty(size, dtype)
            setattr(self, name, memory)
        return memory[:math.prod(shape)].reshape(shape)

    def _im2col(self, rows: slice, out_hw: Sequence[int], m: int) -> np.ndarray:
        """The block of X_col for output rows ``rows``, (C·kh·kw, (i₁ − i₀)·W_out·m): row
        (c, p, q) holds A_pad[c, i·s_h + p, j·s_w + q, n] for i in rows and every j, n."""
        X_col = self._block_buffer("_X_col", rows, out_hw, m, self.A_pad.dtype)
        kernels = load_kernels("layers._conv_kernels", self.backend)
        if kernels is not None:
            kernels.gather_windows(self.A_pad, *self.stride, rows.start, X_col)
        else:
            for p, q in windows.offsets(self.kernel_size):
                X_col[:, p, q] = windows.offset_view(self.A_pad, p, q, out_hw, self.stride)[:, rows]
        return X_col.reshape(self.fan_in, -1)

    def _col2im(self, dX_col: np.ndarray, rows: slice, out_hw: Sequence[int],
                dA_pad: np.ndarray) -> None:
        """Add each entry of a block of dX_col (C, kh, kw, rows, W_out, m) into the pixel of
        dA_pad it was copied from."""
        kernels = load_kernels("layers._conv_kernels", self.backend)
        if kernels is not None:
            kernels.add_windows(dX_col, *self.stride, rows.start, dA_pad)
        else:
            for p, q in windows.offsets(self.kernel_size):
                windows.offset_view(dA_pad, p, q, out_hw, self.stride)[:, rows] += dX_col[:, p, q]

    @classmethod
    def parameter_shapes(cls, in_channels: int, out_channels: int, kernel_size: Size2D,
                         stride: Size2D = 1, padding: Size2D | str = 0, init: str = "he",
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        F = check_positive_int(out_channels, "Conv2D out_channels")
        C = check_positive_int(in_channels, "Conv2D in_channels")
        return {"W": (F, C, *windows.pair(kernel_size, "Conv2D kernel_size")), "b": (F, 1)}

    def get_config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": windows.compact(self.kernel_size),
                "stride": windows.compact(self.stride),
                "padding": "same" if self._padding_arg == "same" else
                windows.compact(self.padding), "init": self.init}


@functools.cache  # a few calls a layer each step, always with the same few sizes
def row_blocks(n_rows: int, per_row: int, inner: int) -> tuple[slice, ...]:
    """Ranges of rows that cover n_rows rows of ``per_row`` columns of ``inner`` entries
    each, a range holding about ``_BLOCK`` columns but not many more than ``_BLOCK_ENTRIES``
    entries (and at least one row): the blocks a convolution's products run over."""
    step = max(1, round(min(_BLOCK, _BLOCK_ENTRIES / inner) / per_row))
    return tuple(slice(a, min(a + step, n_rows)) for a in range(0, n_rows, step))
