"""Optional numba kernels for the convolution's im2col and col2im (``pip install
verigrad[fast]``).

The same copies and sums as the NumPy code in ``conv.py`` (one strided copy or ``+=`` per
kernel offset), for one block of output rows, in one pass: for a small layer the NumPy
version spends most of its time setting up kh·kw short strided loops, once per block, and
in training these kernels make a LeNet-5 step markedly faster (``docs/benchmarks.md``
records the A/B). (A parallel im2col made the step slower: its threads wait for the cores
OpenBLAS's threads hold.) ``conv.py`` is the reference; the tests check both.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _walk_windows(A_pad: np.ndarray, s_h: int, s_w: int, i0: int, X_col: np.ndarray,
                  gather: bool) -> None:
    """For every index of a block of rows i0, i0 + 1, …, X_col[c, p, q, r, j, n] and
    A_pad[c, (i0 + r)·s_h + p, j·s_w + q, n]: the first set to the second (gather, im2col),
    or the first added into the second (col2im)."""
    C, kh, kw, rows, W_out, m = X_col.shape
    for c in range(C):
        for p in range(kh):
            for q in range(kw):
                for r in range(rows):
                    for j in range(W_out):
                        row = A_pad[c, (i0 + r) * s_h + p, j * s_w + q]
                        col = X_col[c, p, q, r, j]
                        # element by element: numba's slice assignment is slower here
                        if gather:
                            for n in range(m):
                                col[n] = row[n]
                        else:
                            for n in range(m):
                                row[n] += col[n]


@numba.njit(nogil=True, cache=True)
def gather_windows(A_pad: np.ndarray, s_h: int, s_w: int, i0: int, X_col: np.ndarray) -> None:
    """X_col[c, p, q, r, j, n] = A_pad[c, (i0 + r)·s_h + p, j·s_w + q, n] for every index."""
    _walk_windows(A_pad, s_h, s_w, i0, X_col, True)


@numba.njit(nogil=True, cache=True)
def add_windows(dX_col: np.ndarray, s_h: int, s_w: int, i0: int, dA_pad: np.ndarray) -> None:
    """dA_pad[c, (i0 + r)·s_h + p, j·s_w + q, n] += dX_col[c, p, q, r, j, n] for every index."""
    _walk_windows(dA_pad, s_h, s_w, i0, dX_col, False)
