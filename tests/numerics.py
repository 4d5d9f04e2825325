"""Central differences shared by the tests (float64 throughout)."""
import numpy as np


def numeric_gradient(f, x, eps=1e-6):
    """dF/dx by central differences, (f(x + eps) − f(x − eps)) / 2eps entry by entry.
    ``x`` is perturbed in place and restored."""
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        plus = f()
        x[idx] = old - eps
        minus = f()
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """‖a − b‖ / (‖a‖ + ‖b‖), 0 when both are zero."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)
