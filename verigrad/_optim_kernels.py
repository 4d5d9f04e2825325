"""Optional numba kernels for the optimizers (``pip install verigrad[fast]``).

Each kernel is the same update as the NumPy code in ``optim.py``, entry by entry, in one
pass over memory instead of one pass per arithmetic operation. All scalars arrive in the
parameters' dtype, so float32 stays float32. error_model="numpy" lets a division by zero
give inf as NumPy does instead of raising, which is also what lets LLVM vectorise the loops.
``optim.py`` is the reference; the tests check both against ``torch.optim``.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, error_model="numpy")
def adam(p: np.ndarray, g: np.ndarray, v: np.ndarray, s: np.ndarray, c1: np.floating,
         b2: np.floating, c2: np.floating, k_eps: np.floating, step: np.floating) -> None:
    """v ← v + c1·(g − v);  s ← b2·s + c2·g²;  p ← p − step·v/(√s + k_eps)."""
    p, g, v, s = p.reshape(-1), g.reshape(-1), v.reshape(-1), s.reshape(-1)
    for i in range(p.size):
        gi = g[i]
        vi = v[i] + c1 * (gi - v[i])
        si = b2 * s[i] + c2 * (gi * gi)
        v[i] = vi
        s[i] = si
        p[i] -= step * (vi / (np.sqrt(si) + k_eps))


@numba.njit(nogil=True, cache=True, error_model="numpy")
def rmsprop(p: np.ndarray, g: np.ndarray, s: np.ndarray, beta: np.floating, c: np.floating,
            eps: np.floating, lr: np.floating) -> None:
    """s ← β·s + c·g²;  p ← p − lr·g/(√s + eps)."""
    p, g, s = p.reshape(-1), g.reshape(-1), s.reshape(-1)
    for i in range(p.size):
        gi = g[i]
        si = beta * s[i] + c * (gi * gi)
        s[i] = si
        p[i] -= lr * (gi / (np.sqrt(si) + eps))


@numba.njit(nogil=True, cache=True, error_model="numpy")
def momentum(p: np.ndarray, g: np.ndarray, v: np.ndarray, mu: np.floating, lr: np.floating,
             nesterov: bool) -> None:
    """v ← μ·v + g;  p ← p − lr·v, or with Nesterov p ← p − lr·(g + μ·v)."""
    p, g, v = p.reshape(-1), g.reshape(-1), v.reshape(-1)
    for i in range(p.size):
        vi = mu * v[i] + g[i]
        v[i] = vi
        p[i] -= lr * (g[i] + mu * vi if nesterov else vi)
