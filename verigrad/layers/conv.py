"""The 2-D convolutional layer."""
import functools
from typing import Optional

import numpy as np

from .._backend import load_kernels
from ..validation import check_positive_int
from . import windows
from .base import Layer, Size2D
from .init import INITS, check_init, draw_weights

#: im2col matrices larger than this many entries are built a slice of examples at a time
#: when no backward pass follows (evaluation of a large batch).
_MAX_COLS = 1 << 22
#: The matrix products run over blocks of about this many columns of X_col: a block of
#: X_col stays in cache while it is used, and OpenBLAS is up to three times faster on
#: these short, wide products in blocks than in one call (measured for LeNet-5's first
#: layer, (6, 25) · (25, 100352)).
_BLOCK = 4096


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
    input whose innermost axis (the examples) is contiguous.

    kernel_size, stride, padding: an int or a pair (rows, columns); padding="same" keeps
    H and W (stride 1, odd kernel). init: as for ``Dense``, with fan-in C·kh·kw.
    """

    INITS = INITS
    #: "auto": im2col and col2im run as numba kernels when numba is installed ("numba"
    #: insists on it), else as NumPy ("numpy" always).
    backend = "auto"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size2D,
                 stride: Size2D = 1, padding: Size2D = 0, init: str = "he",
                 seed: Optional[int] = None):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "Conv2D in_channels")
        self.out_channels = check_positive_int(out_channels, "Conv2D out_channels")
        self.kernel_size = windows.pair(kernel_size, "Conv2D kernel_size")
        self.stride = windows.pair(stride, "Conv2D stride")
        if padding == "same":
            if self.stride != (1, 1) or not all(k % 2 for k in self.kernel_size):
                raise ValueError(f"Conv2D padding='same' needs stride 1 and an odd kernel, "
                                 f"got stride {stride!r} and kernel_size {kernel_size!r}")
            self.padding = tuple(k // 2 for k in self.kernel_size)
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
        self.A_shape = self.X_col = self.A_prev = None

    @property
    def fan_in(self):
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    def initialize(self, rng):
        """Draw W afresh from ``rng`` by the layer's init rule and zero b (in place)."""
        draw_weights(self.params["W"], self.fan_in, self.init, rng)
        self.params["b"][...] = 0

    def output_shape(self, input_shape):
        size = windows.output_size(self, input_shape, self.in_channels, self.kernel_size,
                                   self.stride, self.padding)
        return (self.out_channels, *size)

    def forward(self, A_prev, training=False):
        out_hw = windows.check_batch(self, A_prev)
        m = A_prev.shape[-1]
        self.A_prev, self.A_shape = A_prev, A_prev.shape
        Z = np.empty((self.out_channels, *out_hw, m), A_prev.dtype)
        if training or self.fan_in * out_hw[0] * out_hw[1] * m <= _MAX_COLS:
            self.X_col = self._im2col(A_prev, out_hw)
            self._linear(self.X_col, Z.reshape(self.out_channels, -1))
            return Z
        # A large batch with no backward to follow: keep only one slice's X_col at a time.
        self.X_col = None
        step = max(1, _MAX_COLS // (self.fan_in * out_hw[0] * out_hw[1]))
        for start in range(0, m, step):
            X_col = self._im2col(A_prev[..., start:start + step], out_hw)
            part = np.empty((self.out_channels, X_col.shape[1]), A_prev.dtype)
            self._linear(X_col, part)
            Z[..., start:start + step] = part.reshape(self.out_channels, *out_hw, -1)
        return Z

    def _linear(self, X_col, Z_row):
        """Z_row = W_row · X_col + b, block by block of columns."""
        W_row = self.params["W"].reshape(self.out_channels, -1)
        for block in blocks(X_col.shape[1]):
            np.matmul(W_row, X_col[:, block], out=Z_row[:, block])
        Z_row += self.params["b"]

    def _im2col(self, A_prev, out_hw):
        """X_col (C·kh·kw, H_out·W_out·m): row (c, p, q) holds A_pad[c, i·s_h + p, j·s_w + q, n]
        for every (i, j, n)."""
        A_pad = windows.pad(A_prev, self.padding)
        C, (kh, kw), m = self.in_channels, self.kernel_size, A_prev.shape[-1]
        X_col = _scratch(self, "_X_col", (C, kh, kw, *out_hw, m), A_prev.dtype)
        kernels = load_kernels("layers._conv_kernels", self.backend)
        if kernels is not None:
            kernels.gather_windows(A_pad, *self.stride, X_col)
        else:
            for p, q in windows.offsets(self.kernel_size):
                X_col[:, p, q] = windows.offset_view(A_pad, p, q, out_hw, self.stride)
        return X_col.reshape(C * kh * kw, -1)

    def backward(self, dZ):
        F = self.out_channels
        dZ_row = dZ.reshape(F, -1)
        if self.X_col is None:
            self.X_col = self._im2col(self.A_prev, dZ.shape[1:3])
        # dW_rowᵀ = X_col · dZ_rowᵀ, summed over the blocks: OpenBLAS is faster on this
        # orientation of the product than on dZ_row · X_colᵀ (1.2 against 1.8 ms for
        # LeNet-5's second layer).
        dW_col, part = np.zeros((self.fan_in, F), dZ.dtype), None
        for block in blocks(dZ_row.shape[1]):
            part = np.matmul(self.X_col[:, block], dZ_row[:, block].T, out=part)
            dW_col += part
        self.grads["W"].reshape(F, -1)[...] = dW_col.T
        np.sum(dZ_row, axis=1, keepdims=True, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        W_row = self.params["W"].reshape(F, -1)
        dX_col = _scratch(self, "_dX_col", self.X_col.shape, dZ.dtype)
        for block in blocks(dZ_row.shape[1]):
            np.matmul(W_row.T, dZ_row[:, block], out=dX_col[:, block])
        return self._col2im(dX_col, dZ.shape[1:3])

    def _col2im(self, dX_col, out_hw):
        """dA_prev: each entry of dX_col added back into the input pixel it was copied from."""
        C, H, W, m = self.A_shape
        (kh, kw), (p_h, p_w) = self.kernel_size, self.padding
        dA_pad = np.zeros((C, H + 2 * p_h, W + 2 * p_w, m), dX_col.dtype)
        dX_col = dX_col.reshape(C, kh, kw, *out_hw, m)
        kernels = load_kernels("layers._conv_kernels", self.backend)
        if kernels is not None:
            kernels.add_windows(dX_col, *self.stride, dA_pad)
        else:
            for p, q in windows.offsets(self.kernel_size):
                windows.offset_view(dA_pad, p, q, out_hw, self.stride)[...] += dX_col[:, p, q]
        return windows.unpad(dA_pad, self.padding)

    @classmethod
    def parameter_shapes(cls, in_channels, out_channels, kernel_size, stride=1, padding=0,
                         init="he", seed=None):
        F = check_positive_int(out_channels, "Conv2D out_channels")
        C = check_positive_int(in_channels, "Conv2D in_channels")
        return {"W": (F, C, *windows.pair(kernel_size, "Conv2D kernel_size")), "b": (F, 1)}

    def get_config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": windows.compact(self.kernel_size),
                "stride": windows.compact(self.stride),
                "padding": "same" if self._padding_arg == "same" else
                windows.compact(self.padding), "init": self.init}


@functools.cache  # five calls a layer each step, always with the same few n
def blocks(n):
    """Slices of about ``_BLOCK`` columns that cover n columns (the matrix products of a
    convolution run block by block)."""
    count = max(1, round(n / _BLOCK))
    edges = np.linspace(0, n, count + 1).astype(int)
    return tuple(slice(a, b) for a, b in zip(edges[:-1], edges[1:]))


def _scratch(layer, name, shape, dtype):
    """layer.<name>, an array of ``shape`` and ``dtype`` kept from call to call (its contents
    are overwritten): fresh multi-megabyte arrays cost a page fault per 4 kB on first use."""
    array = layer.__dict__.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = np.empty(shape, dtype)
        setattr(layer, name, array)
    return array
