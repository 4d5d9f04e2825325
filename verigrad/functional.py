"""Activation functions and their derivatives, as pure functions of arrays.

The layers, the losses, the Monitor and the guard all compute activations here, so each
formula is written once. Derivatives take what the backward pass has at hand: the
pre-activation ``Z`` for the piecewise-linear ones, the output ``A`` where it is cheaper.
"""
from __future__ import annotations

import math

import numpy as np


def relu(Z: np.ndarray) -> np.ndarray:
    """max(0, Z)."""
    return np.maximum(Z, 0)


def relu_derivative(Z: np.ndarray) -> np.ndarray:
    """1 where Z > 0, else 0 (0 at the kink Z = 0, as PyTorch takes it)."""
    return (Z > 0).astype(Z.dtype, copy=False)


def leaky_relu(Z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Z where Z > 0, else alpha·Z."""
    return np.where(Z > 0, Z, Z * Z.dtype.type(alpha))


def leaky_relu_derivative(Z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """1 where Z > 0, else alpha."""
    return np.where(Z > 0, 1, alpha).astype(Z.dtype, copy=False)


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """σ(Z) = 1 / (1 + e^(−Z)), computed without overflow for any Z.

    For Z ≥ 0 it uses 1/(1 + e^(−Z)); for Z < 0 the equal e^Z/(1 + e^Z). Both exponents are
    then ≤ 0, so ``exp`` never overflows and tiny values keep their relative precision."""
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1, e) / (1 + e)


def sigmoid_by_tanh(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(Z) as ½·tanh(Z/2) + ½: the same function in three passes of NumPy's vectorised tanh
    (several times faster than ``sigmoid``), in place when ``out`` is Z. Its error is at
    most an ulp of ½, so a value below about 1e-8 in float32 (1e-17 in float64) comes out
    as 0: fine for gates, whose tiny values multiply other terms, not for log σ."""
    out = np.multiply(Z, Z.dtype.type(0.5), out=out)
    np.tanh(out, out=out)
    out *= Z.dtype.type(0.5)
    out += Z.dtype.type(0.5)
    return out


def sigmoid_derivative(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ'(z) from A = σ(z): A·(1 − A)   (not σ(z)·σ(1 − z)); into ``out`` if given,
    which must not be A itself."""
    if out is None:
        return A * (1 - A)
    np.subtract(1, A, out=out)
    return np.multiply(out, A, out=out)


def softplus(Z: np.ndarray) -> np.ndarray:
    """log(1 + e^Z), computed as max(Z, 0) + log(1 + e^(−|Z|)): no overflow for any Z."""
    return np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))


def tanh(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """tanh(Z) (into ``out`` if given)."""
    return np.tanh(Z, out=out)


def tanh_derivative(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """tanh'(z) from A = tanh(z): 1 − A²   (from the output, not the pre-activation); into
    ``out`` if given."""
    if out is None:
        return 1 - A * A
    np.multiply(A, A, out=out)
    return np.subtract(1, out, out=out)


def softmax(Z: np.ndarray, axis: int = 0) -> np.ndarray:
    """Softmax along ``axis`` (the class axis, rows by default): exp(Z − max) / Σ exp(Z − max)."""
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def softmax_backward(dA: np.ndarray, A: np.ndarray, axis: int = 0) -> np.ndarray:
    """Jacobian-vector product of softmax: dZ = A ⊙ (dA − Σ_classes(dA ⊙ A))."""
    return A * (dA - np.sum(dA * A, axis=axis, keepdims=True))


def log_softmax(Z: np.ndarray, axis: int = 0) -> np.ndarray:
    """log softmax(Z) = Z − max − log Σ exp(Z − max): finite for any finite Z."""
    shifted = Z - Z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def erf(Z: np.ndarray) -> np.ndarray:
    """The error function erf(Z) = (2/√π)·∫₀^Z e^(−t²) dt, entry by entry.

    NumPy has no erf: SciPy's compiled one is used when SciPy is installed (it comes with
    scikit-learn), otherwise the standard library's ``math.erf`` is applied entry by entry —
    exact to the last bit too, only slower."""
    try:
        from scipy.special import erf as compiled
    except ImportError:
        return np.frompyfunc(math.erf, 1, 1)(Z).astype(Z.dtype)
    return compiled(Z)


#: √(2/π), the constant of GELU's tanh form
TANH_GELU_SCALE = math.sqrt(2 / math.pi)


def gelu(Z: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU(Z) = Z·Φ(Z), Φ the standard normal CDF: Φ(z) = ½·(1 + erf(z/√2)).

    approximate="tanh": Φ(z) ≈ ½·(1 + tanh(√(2/π)·(z + 0.044715·z³))), the form GPT-2 used
    (``torch.nn.GELU(approximate="tanh")``)."""
    return Z * gelu_cdf(Z, approximate)


def gelu_cdf(Z: np.ndarray, approximate: str = "none") -> np.ndarray:
    """Φ(Z), or its tanh form: GELU(Z) = Z·gelu_cdf(Z)."""
    if approximate == "tanh":
        inner = gelu_tanh(Z)
    else:
        inner = erf(Z * Z.dtype.type(1 / math.sqrt(2)))
    inner += 1
    inner *= Z.dtype.type(0.5)
    return inner


def gelu_tanh(Z: np.ndarray) -> np.ndarray:
    """u = tanh(√(2/π)·(Z + 0.044715·Z³)), the tanh form's Φ̃(Z) = ½·(1 + u), as a new array
    (the constants folded: Z·(√(2/π) + √(2/π)·0.044715·Z²), four passes and NumPy's tanh)."""
    c = Z.dtype.type
    inner = Z * Z
    inner *= c(TANH_GELU_SCALE * 0.044715)
    inner += c(TANH_GELU_SCALE)
    inner *= Z
    return np.tanh(inner, out=inner)


def gelu_derivative(Z: np.ndarray, approximate: str = "none",
                    cdf: np.ndarray | None = None) -> np.ndarray:
    """GELU'(Z) = Φ(Z) + Z·φ(Z), φ(z) = e^(−z²/2)/√(2π) the normal density; for the tanh form
    Φ̃(Z) + Z·½·(1 − u²)·√(2/π)·(1 + 3·0.044715·Z²), u = tanh(√(2/π)·(Z + 0.044715·Z³)).
    ``cdf``: Φ(Z) (or Φ̃) already computed by the forward pass."""
    c = Z.dtype.type
    Phi = gelu_cdf(Z, approximate) if cdf is None else cdf
    Z2 = Z * Z
    if approximate == "tanh":
        u = 2 * Phi - 1                                   # tanh(...), from Φ̃ = (1 + u)/2
        slope = Z2 * c(3 * 0.044715)
        slope += 1
        slope *= c(0.5 * TANH_GELU_SCALE)
        slope *= 1 - u * u
    else:
        slope = np.exp(Z2 * c(-0.5))
        slope *= c(1 / math.sqrt(2 * math.pi))
    slope *= Z
    slope += Phi
    return slope
