"""Optional numba kernel for the max-pool's backward (``pip install verigrad[fast]``).

The same rule as the NumPy code in ``pooling.py`` -- each window's gradient goes to the
first entry, in row-major order, equal to the window's max -- in one pass over the windows,
where NumPy makes a comparison and a strided write over the whole batch for each kernel
offset. ``pooling.py`` is the reference; the tests check both.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def scatter_to_max(A_prev: np.ndarray, A: np.ndarray, dA: np.ndarray, s_h: int, s_w: int,
                   kh: int, kw: int, dA_prev: np.ndarray) -> None:
    """dA_prev[c, i·s_h + p, j·s_w + q, n] += dA[c, i, j, n] for the first (p, q) of each
    window where A_prev equals its max A[c, i, j, n]; dA_prev holds zeros on entry."""
    C, H_out, W_out, m = A.shape
    free = np.empty(m, np.bool_)
    for c in range(C):
        for i in range(H_out):
            for j in range(W_out):
                free[:] = True
                top, grad = A[c, i, j], dA[c, i, j]
                for p in range(kh):
                    for q in range(kw):
                        seen = A_prev[c, i * s_h + p, j * s_w + q]
                        target = dA_prev[c, i * s_h + p, j * s_w + q]
                        for n in range(m):
                            if free[n] and seen[n] == top[n]:
                                target[n] += grad[n]
                                free[n] = False
