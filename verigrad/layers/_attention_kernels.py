"""Optional numba kernels for the attention layers' element-wise work (``pip install
verigrad[fast]``): the softmax over the keys and its backward, row by row, reading only the
keys a causal query may see, and GELU's derivative (and the erf form of GELU), each in one
pass over memory instead of one NumPy pass per arithmetic operation. numba's exp and tanh
are scalar calls while NumPy's are vectorised: where that matters (the softmax's exp, the
tanh form of GELU), NumPy computes them between two kernels.

The readable references are the NumPy code beside them (``MultiHeadAttention`` with
backend "numpy", ``functional.gelu_cdf`` and ``functional.gelu_derivative``); the tests check
both equal. Each kernel computes in its arrays' dtype (constants arrive in it), so float32
stays float32. ``fastmath`` allows only the reassociation of sums (so that LLVM vectorises
them) and keeps IEEE infinities: a padded key's score is −∞.
"""
import math

import numba
import numpy as np

_FLAGS = {"reassoc", "nsz", "contract"}


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def softmax_shift(S: np.ndarray, causal: bool, scale: float) -> None:
    """S (B, T, K) ← (S − each row's max)·scale, in place, the first step of a stable
    softmax of scale·S over the last axis (scale > 0 keeps the max where it is). causal: row
    i sees keys 0 … i only; the others become −∞ unread (so that ``np.exp``, vectorised
    where numba's exp is not, makes them 0)."""
    B, T, K = S.shape
    if causal:
        # the masked keys first, all rows, then each row's visible keys: writing them
        # after the max and the shift of the same row keeps LLVM from vectorising well
        for b in range(B):
            for i in range(T):
                S[b, i, i + 1:] = -np.inf
    for b in range(B):
        for i in range(T):
            row = S[b, i]
            n = i + 1 if causal else K
            top = row[0]
            for j in range(1, n):
                top = max(top, row[j])
            for j in range(n):
                row[j] = (row[j] - top) * scale


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def softmax_normalise(E: np.ndarray, causal: bool, one: float) -> None:
    """E (B, T, K) ← each row divided by its sum (of the keys 0 … i only when causal; the
    rest are 0 already), in place. one: 1 in E's dtype."""
    B, T, K = E.shape
    for b in range(B):
        for i in range(T):
            row = E[b, i]
            n = i + 1 if causal else K
            total = row[0]
            for j in range(1, n):
                total += row[j]
            inverse = one / total
            for j in range(n):
                row[j] *= inverse


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def softmax_backward(dP: np.ndarray, P: np.ndarray, causal: bool, scale: float) -> None:
    """dP (B, T, K) ← scale·dS, dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place: the gradient
    with respect to S of P = softmax(scale·S); causal rows as in ``softmax_shift`` (P is 0
    past the diagonal, so dS is too)."""
    B, T, K = dP.shape
    for b in range(B):
        for i in range(T):
            d, p = dP[b, i], P[b, i]
            n = i + 1 if causal else K
            dot = d[0] * p[0]
            for j in range(1, n):
                dot += d[j] * p[j]
            for j in range(n):
                d[j] = scale * p[j] * (d[j] - dot)
            for j in range(n, K):
                d[j] = 0


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def gelu_erf_forward(Z: np.ndarray, A: np.ndarray, Phi: np.ndarray, half: float,
                     scale: float) -> None:
    """Phi ← Φ(Z) = ½·(1 + erf(Z·scale)), scale = 1/√2, and A ← Z·Φ(Z), flat arrays of one
    size (constants in Z's dtype: a Python number would make numba compute in float64)."""
    one = half + half
    for i in range(Z.size):
        z = Z[i]
        p = half * (one + math.erf(z * scale))
        Phi[i] = p
        A[i] = z * p


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def gelu_tanh_argument(Z: np.ndarray, U: np.ndarray, scale: float, cubic: float) -> None:
    """U ← scale·(Z + cubic·Z³) = Z·(scale + scale·cubic·Z²), tanh's argument in GELU's tanh
    form (scale = √(2/π), cubic = 0.044715), flat arrays of one size: one pass where NumPy
    makes four, and no temporary array."""
    scale_cubic = scale * cubic
    for i in range(Z.size):
        z = Z[i]
        U[i] = z * (scale + scale_cubic * (z * z))


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def gelu_tanh_forward(Z: np.ndarray, U: np.ndarray, A: np.ndarray, half: float) -> None:
    """U ← Φ̃(Z) = ½·(1 + U), U holding u = tanh(√(2/π)·(Z + 0.044715·Z³)) (NumPy's
    vectorised tanh made it), and A ← Z·Φ̃(Z): flat arrays of one size."""
    for i in range(Z.size):
        p = half + half * U[i]
        U[i] = p
        A[i] = Z[i] * p


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def gelu_backward(dA: np.ndarray, Z: np.ndarray, Phi: np.ndarray, dZ: np.ndarray,
                  tanh_form: bool, half: float, scale: float, cubic: float,
                  density: float) -> None:
    """dZ ← dA·(Φ(Z) + Z·φ(Z)), flat arrays; φ from Φ for the tanh form (u = 2Φ − 1 =
    tanh(...), φ = ½·(1 − u²)·scale·(1 + 3·cubic·Z²)), and density·e^(−Z²/2) (density =
    1/√(2π)) for the erf form."""
    one = half + half
    three = one + one + one
    for i in range(Z.size):
        z, p = Z[i], Phi[i]
        if tanh_form:
            u = p + p - one
            slope = half * scale * (one - u * u) * (one + three * cubic * z * z)
        else:
            slope = density * np.exp(-half * z * z)
        dZ[i] = dA[i] * (p + z * slope)
