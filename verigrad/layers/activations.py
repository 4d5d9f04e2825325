"""Elementwise activations: A = g(Z), dZ = dA ⊙ g'(Z), and softmax.

Each declares its facts (see ``verigrad.layers.base``): where its derivative has a kink,
where it saturates and the range of Z where it still learns. The maths is in
``verigrad.functional``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from .._backend import load_kernels
from .base import Layer


class ReLU(Layer):
    """A = max(0, Z);  dZ = dA · step(Z), where step(Z) = 1 if Z > 0 else 0.

    At the kink Z = 0 the derivative is taken as 0 (as PyTorch does)."""

    elementwise = True
    kinks = (0.0,)
    useful_limit = 1e3
    zero_gradient_below = 0.0

    def activation(self, Z: np.ndarray) -> np.ndarray:
        return F.relu(Z)

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.Z = Z
        return F.relu(Z)

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * (self.Z > 0)


class LeakyReLU(Layer):
    """A = Z if Z > 0 else alpha·Z;  dZ = dA · (1 if Z > 0 else alpha)."""

    elementwise = True
    kinks = (0.0,)
    useful_limit = 1e3

    def __init__(self, alpha: float = 0.01):
        super().__init__()
        if not 0 <= alpha < 1:
            raise ValueError(f"LeakyReLU alpha must be in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def activation(self, Z: np.ndarray) -> np.ndarray:
        return F.leaky_relu(Z, self.alpha)

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.Z = Z
        return F.leaky_relu(Z, self.alpha)

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * F.leaky_relu_derivative(self.Z, self.alpha).astype(dA.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Sigmoid(Layer):
    """A = σ(Z);  dZ = dA · A · (1 − A)   (σ'(z) = σ(z)(1 − σ(z)), not σ(z)·σ(1 − z))."""

    elementwise = True
    #: σ'(4.6) is 1% of σ'(0); σ'(30) < 1e-13.
    saturation_limit = 4.6
    useful_limit = 30.0

    def activation(self, Z: np.ndarray) -> np.ndarray:
        return F.sigmoid(Z)

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.A = F.sigmoid(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * F.sigmoid_derivative(self.A)


class Tanh(Layer):
    """A = tanh(Z);  dZ = dA · (1 − A²)."""

    elementwise = True
    #: tanh'(2.65) is 1% of tanh'(0); tanh'(30) < 1e-13.
    saturation_limit = 2.65
    useful_limit = 30.0

    def activation(self, Z: np.ndarray) -> np.ndarray:
        return F.tanh(Z)

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.A = F.tanh(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * F.tanh_derivative(self.A)


class Softmax(Layer):
    """Softmax over the class axis (rows), for inference or for a custom loss.

    For training, end the model with logits and use ``SoftmaxCrossEntropy``: it fuses the two
    and its gradient is simply (A − Y)/m. This layer's own Jacobian-vector product is
    dZ = A ⊙ (dA − Σ_rows(dA ⊙ A))."""

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.A = F.softmax(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return F.softmax_backward(dA, self.A)


class GELU(Layer):
    """A = GELU(Z) = Z·Φ(Z), Φ the standard normal CDF (Hendrycks & Gimpel, 2016), the
    activation of BERT's and GPT's feed-forward layers;  dZ = dA · (Φ(Z) + Z·φ(Z)).

    approximate="none" (default) uses Φ(z) = ½·(1 + erf(z/√2)), as ``torch.nn.GELU()``;
    "tanh" the form GPT-2 was trained with, Φ(z) ≈ ½·(1 + tanh(√(2/π)·(z + 0.044715·z³))),
    as ``torch.nn.GELU(approximate="tanh")`` (cheaper: NumPy has a vectorised tanh, not erf).
    Smooth everywhere, so no kinks; for z below about −3 the gradient is under 1% of its peak,
    but GELU is linear for large z, so it does not saturate the way tanh does."""

    elementwise = True
    useful_limit = 1e3
    APPROXIMATIONS = ("none", "tanh")
    #: "auto": the numba kernels when numba is installed, else the NumPy reference
    backend = "auto"

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in self.APPROXIMATIONS:
            raise ValueError(f"GELU approximate must be one of {self.APPROXIMATIONS}, got "
                             f"{approximate!r}")
        self.approximate = approximate

    def activation(self, Z: np.ndarray) -> np.ndarray:
        return F.gelu(Z, self.approximate)

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.Z = Z
        kernels = self._kernels(Z)
        if kernels is None:
            self.cdf = F.gelu_cdf(Z, self.approximate)
            return Z * self.cdf
        A = np.empty_like(Z)
        _, half, scale, cubic, _ = self._constants(Z.dtype)
        self.cdf = np.empty_like(Z)
        if self.approximate == "tanh":
            # numba's tanh is a scalar call, NumPy's is vectorised: a kernel pass makes
            # tanh's argument, NumPy u = tanh(argument) in place, one kernel pass the rest
            u = self.cdf.reshape(-1)
            kernels.gelu_tanh_argument(Z.reshape(-1), u, scale, cubic)
            np.tanh(u, out=u)
            kernels.gelu_tanh_forward(Z.reshape(-1), u, A.reshape(-1), half)
        else:
            kernels.gelu_erf_forward(Z.reshape(-1), A.reshape(-1), self.cdf.reshape(-1), half,
                                     scale)
        return A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        kernels = self._kernels(dA, self.Z)
        if kernels is None:
            dZ = F.gelu_derivative(self.Z, self.approximate, self.cdf)
            dZ *= dA
            return dZ
        dZ = np.empty_like(self.Z)
        kernels.gelu_backward(dA.reshape(-1), self.Z.reshape(-1), self.cdf.reshape(-1),
                              dZ.reshape(-1), *self._constants(dZ.dtype))
        return dZ

    def _kernels(self, *arrays: np.ndarray) -> Any:
        """The compiled kernels (one pass over memory, ``_attention_kernels``) when the
        backend allows them and the arrays are contiguous floats of one dtype; else None
        for the NumPy reference in ``functional``."""
        dtype = arrays[0].dtype
        if dtype not in (np.float32, np.float64) or not all(
                a.flags.c_contiguous and a.dtype == dtype for a in arrays):
            return None
        return load_kernels("layers._attention_kernels", self.backend)

    def _constants(self, dtype: np.dtype) -> tuple[Any, ...]:
        """(tanh form?, ½, scale, cubic, 1/√(2π)) in ``dtype``, as the kernels take them."""
        c = np.dtype(dtype).type
        tanh = self.approximate == "tanh"
        scale = F.TANH_GELU_SCALE if tanh else 1 / math.sqrt(2)
        return tanh, c(0.5), c(scale), c(0.044715), c(1 / math.sqrt(2 * math.pi))

    def get_config(self) -> dict[str, Any]:
        return {"approximate": self.approximate}
