"""Optional numba kernel for the convolution's col2im (``pip install verigrad[fast]``).

The same sums as the NumPy code in ``conv.py`` (one strided ``+=`` per kernel offset), in
one pass over dX_col: for a small layer the NumPy version spends most of its time setting up
kh·kw short strided loops. ``conv.py`` is the reference; the tests check both.
"""
import numba


@numba.njit(nogil=True, cache=True)
def add_windows(dX_col, s_h, s_w, dA_pad):
    """dA_pad[c, i·s_h + p, j·s_w + q, n] += dX_col[c, p, q, i, j, n] for every index."""
    C, kh, kw, H_out, W_out, m = dX_col.shape
    for c in range(C):
        for p in range(kh):
            for q in range(kw):
                for i in range(H_out):
                    for j in range(W_out):
                        row = dA_pad[c, i * s_h + p, j * s_w + q]
                        col = dX_col[c, p, q, i, j]
                        for n in range(m):
                            row[n] += col[n]
