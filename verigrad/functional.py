"""Activation functions and their derivatives, as pure functions of arrays.

The layers, the losses, the Monitor and the guard all compute activations here, so each
formula is written once. Derivatives take what the backward pass has at hand: the
pre-activation ``Z`` for the piecewise-linear ones, the output ``A`` where it is cheaper.
"""
import numpy as np


def relu(Z):
    """max(0, Z)."""
    return np.maximum(Z, 0)


def relu_derivative(Z):
    """1 where Z > 0, else 0 (0 at the kink Z = 0, as PyTorch takes it)."""
    return (Z > 0).astype(Z.dtype, copy=False)


def leaky_relu(Z, alpha=0.01):
    """Z where Z > 0, else alpha·Z."""
    return np.where(Z > 0, Z, Z * Z.dtype.type(alpha))


def leaky_relu_derivative(Z, alpha=0.01):
    """1 where Z > 0, else alpha."""
    return np.where(Z > 0, 1, alpha).astype(Z.dtype, copy=False)


def sigmoid(Z):
    """σ(Z) = 1 / (1 + e^(−Z)), computed without overflow for any Z.

    For Z ≥ 0 it uses 1/(1 + e^(−Z)); for Z < 0 the equal e^Z/(1 + e^Z). Both exponents are
    then ≤ 0, so ``exp`` never overflows and tiny values keep their relative precision."""
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1, e) / (1 + e)


def sigmoid_by_tanh(Z, out=None):
    """σ(Z) as ½·tanh(Z/2) + ½: the same function in three passes of NumPy's vectorised tanh
    (several times faster than ``sigmoid``), in place when ``out`` is Z. Its error is at
    most an ulp of ½, so a value below about 1e-8 in float32 (1e-17 in float64) comes out
    as 0: fine for gates, whose tiny values multiply other terms, not for log σ."""
    out = np.multiply(Z, Z.dtype.type(0.5), out=out)
    np.tanh(out, out=out)
    out *= Z.dtype.type(0.5)
    out += Z.dtype.type(0.5)
    return out


def sigmoid_derivative(A, out=None):
    """σ'(z) from A = σ(z): A·(1 − A)   (not σ(z)·σ(1 − z)); into ``out`` if given,
    which must not be A itself."""
    if out is None:
        return A * (1 - A)
    np.subtract(1, A, out=out)
    return np.multiply(out, A, out=out)


def softplus(Z):
    """log(1 + e^Z), computed as max(Z, 0) + log(1 + e^(−|Z|)): no overflow for any Z."""
    return np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))


def tanh(Z, out=None):
    """tanh(Z) (into ``out`` if given)."""
    return np.tanh(Z, out=out)


def tanh_derivative(A, out=None):
    """tanh'(z) from A = tanh(z): 1 − A²   (from the output, not the pre-activation); into
    ``out`` if given."""
    if out is None:
        return 1 - A * A
    np.multiply(A, A, out=out)
    return np.subtract(1, out, out=out)


def softmax(Z, axis=0):
    """Softmax along ``axis`` (the class axis, rows by default): exp(Z − max) / Σ exp(Z − max)."""
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def softmax_backward(dA, A, axis=0):
    """Jacobian-vector product of softmax: dZ = A ⊙ (dA − Σ_classes(dA ⊙ A))."""
    return A * (dA - np.sum(dA * A, axis=axis, keepdims=True))


def log_softmax(Z, axis=0):
    """log softmax(Z) = Z − max − log Σ exp(Z − max): finite for any finite Z."""
    shifted = Z - Z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
