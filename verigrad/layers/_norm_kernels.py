"""Optional numba kernels for ``LayerNorm`` (``pip install verigrad[fast]``): each column of
X (n, N) — one time step of one example — standardised over its n features, and the
backward, in three passes over memory where the NumPy reference in ``normalization.py``
makes about ten. The rows run in the outer loop so that the inner one walks contiguous
memory. Constants arrive in the arrays' dtype (a Python number would make numba compute in
float64); ``fastmath`` allows only the reassociation of sums, so that they vectorise.
The tests check both equal.
"""
import numba
import numpy as np

_FLAGS = {"reassoc", "nsz", "contract"}


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def layer_norm_forward(X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float,
                       one: float, Y: np.ndarray, xhat: np.ndarray,
                       inv_std: np.ndarray) -> None:
    """μ, σ² per column of X (n, N); inv_std (N,) ← 1/√(σ² + eps), xhat ← (X − μ)·inv_std,
    Y ← γ·xhat + β (γ, β (n,))."""
    n, N = X.shape
    inv_n = one / n
    mean = np.zeros(N, X.dtype)
    var = np.zeros(N, X.dtype)
    for i in range(n):
        for j in range(N):
            mean[j] += X[i, j]
    for j in range(N):
        mean[j] *= inv_n
    for i in range(n):
        for j in range(N):
            c = X[i, j] - mean[j]
            var[j] += c * c
    for j in range(N):
        inv_std[j] = one / np.sqrt(var[j] * inv_n + eps)
    # two loops per row, one store each: with two stores in one loop LLVM does not
    # vectorise it (too many pairs of arrays that might overlap to check at run time)
    for i in range(n):
        for j in range(N):
            xhat[i, j] = (X[i, j] - mean[j]) * inv_std[j]
        g, b = gamma[i], beta[i]
        for j in range(N):
            Y[i, j] = xhat[i, j] * g + b


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=_FLAGS)
def layer_norm_backward(dY: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray,
                        gamma: np.ndarray, one: float, dX: np.ndarray, dgamma: np.ndarray,
                        dbeta: np.ndarray) -> None:
    """dγ ← Σ_columns dY·xhat, dβ ← Σ_columns dY (n,), and
    dX ← inv_std·(dx̂ − mean(dx̂) − xhat·mean(dx̂·xhat)), dx̂ = γ·dY, means over each column."""
    n, N = dY.shape
    inv_n = one / n
    mean_d = np.zeros(N, dY.dtype)
    mean_dx = np.zeros(N, dY.dtype)
    for i in range(n):
        g = gamma[i]
        dg = one - one
        db = one - one
        for j in range(N):
            dy, x = dY[i, j], xhat[i, j]
            mean_d[j] += dy * g
            mean_dx[j] += dy * g * x
            dg += dy * x
            db += dy
        dgamma[i] = dg
        dbeta[i] = db
    for j in range(N):
        mean_d[j] *= inv_n
        mean_dx[j] *= inv_n
    for i in range(n):
        g = gamma[i]
        for j in range(N):
            dX[i, j] = inv_std[j] * (dY[i, j] * g - mean_d[j] - xhat[i, j] * mean_dx[j])
