"""Layers: each concept one class, its backward beside its forward.

Shapes follow the course: a batch is ``A`` of shape (n, m), one column per example.
``forward(A_prev, training)`` returns the layer's output and keeps what ``backward`` needs;
``backward(dA)`` takes dJ/d(output) and returns dJ/d(input), filling ``self.grads`` with the
gradient of every parameter (same names and shapes as ``self.params``).

Backward never writes into the array it is given: a derivative computed in place on the
caller's data is one of the classic backprop bugs.
"""
import math
from abc import ABC, abstractmethod

import numpy as np

from .validation import check_positive_int

_LAYER_TYPES = {}


class Layer(ABC):
    """Base class of every layer; subclass it to write your own.

    A subclass sets ``self.params`` (name -> array) and ``self.grads`` (name -> array of the
    same shape, filled by ``backward``), and implements ``forward`` and ``backward``.
    Override ``output_size`` if the layer changes the number of rows, ``get_config`` if its
    constructor takes arguments (so that ``save``/``load`` can rebuild it), and ``set_rng`` if it
    draws random numbers (so that ``fit(seed=...)`` controls them).
    """

    def __init__(self):
        self.params = {}
        self.grads = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _LAYER_TYPES[cls.__name__] = cls

    @abstractmethod
    def forward(self, A_prev, training=False):
        """Output of the layer for input ``A_prev`` (n_in, m)."""

    @abstractmethod
    def backward(self, dA):
        """Given dJ/dA (the output's gradient), fill ``self.grads`` and return dJ/dA_prev."""

    def output_size(self, n_in):
        """Rows of the output for ``n_in`` input rows; raise ValueError if n_in does not fit."""
        return n_in

    def get_config(self):
        """Constructor arguments, as JSON-serialisable values, that rebuild this layer."""
        return {}

    def set_rng(self, rng):
        """Receive the ``numpy.random.Generator`` this layer draws from (stochastic layers)."""

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def layer_from_config(name, config):
    """Rebuild a layer saved by ``Sequential.save`` from its class name and config."""
    if name not in _LAYER_TYPES:
        raise ValueError(f"unknown layer type {name!r}: import the module that defines it "
                         f"before loading (known: {sorted(_LAYER_TYPES)})")
    return _LAYER_TYPES[name](**config)


class Dense(Layer):
    """Fully connected layer: Z = W · A_prev + b.

    W has shape (n_out, n_in) and b shape (n_out, 1). With dZ = dJ/dZ of shape (n_out, m):

        dW = dZ · A_prevᵀ          (n_out, n_in)
        db = Σ_columns dZ          (n_out, 1)    -- summed over the examples (axis=1)
        dA_prev = Wᵀ · dZ          (n_in, m)

    The 1/m of the mean cost is already inside dZ (the loss puts it there).

    init: "he" (N(0, 2/n_in), for ReLU), "xavier" (N(0, 1/n_in), Glorot/LeCun-style for
    tanh/sigmoid), "normal" (N(0, 0.01²), the course's ``randn * 0.01``) or "uniform"
    (U(-1/√n_in, 1/√n_in)). Biases start at zero.

    seed fixes the initial weights. Without it the initial weights come from the seed of the
    ``Sequential`` the layer is placed in, so a whole model is reproducible from one number;
    to set weights by hand, build the model first, then write into ``model.params``.
    """

    INITS = ("he", "xavier", "normal", "uniform")

    def __init__(self, n_in, n_out, init="he", seed=None):
        super().__init__()
        n_in, n_out = check_positive_int(n_in, "Dense n_in"), check_positive_int(n_out, "Dense n_out")
        if init not in self.INITS:
            raise ValueError(f"Dense init must be one of {self.INITS}, got {init!r}")
        self.n_in, self.n_out, self.init, self.seed = int(n_in), int(n_out), init, seed
        # float64 on its own; a Sequential casts its layers to the model's dtype.
        self.params = {"W": np.empty((self.n_out, self.n_in)), "b": np.zeros((self.n_out, 1))}
        self.grads = {"W": np.zeros_like(self.params["W"]), "b": np.zeros_like(self.params["b"])}
        self.initialize(np.random.default_rng(seed))
        self.A_prev = None

    def initialize(self, rng):
        """Draw W afresh from ``rng`` by the layer's init rule and zero b (in place)."""
        W, n_in = self.params["W"], self.n_in
        if self.init == "uniform":
            limit = 1.0 / np.sqrt(n_in)
            W[...] = rng.uniform(-limit, limit, size=W.shape)
        else:
            std = {"he": np.sqrt(2.0 / n_in), "xavier": np.sqrt(1.0 / n_in), "normal": 0.01}
            W[...] = rng.standard_normal(W.shape) * std[self.init]
        self.params["b"][...] = 0

    def forward(self, A_prev, training=False):
        self.A_prev = A_prev
        Z = self.params["W"] @ A_prev
        Z += self.params["b"]
        return Z

    def backward(self, dZ, input_grad=True):
        """``input_grad=False`` skips dA_prev (the first layer's input needs no gradient)."""
        np.matmul(dZ, self.A_prev.T, out=self.grads["W"])
        np.sum(dZ, axis=1, keepdims=True, out=self.grads["b"])
        return self.params["W"].T @ dZ if input_grad else None

    def output_size(self, n_in):
        if n_in != self.n_in:
            raise ValueError(f"{self!r} expects n_in={self.n_in} rows of input, "
                             f"but the layer before it gives {n_in}")
        return self.n_out

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "init": self.init}


class ReLU(Layer):
    """A = max(0, Z);  dZ = dA · step(Z), where step(Z) = 1 if Z > 0 else 0.

    At the kink Z = 0 the derivative is taken as 0 (as PyTorch does)."""

    def forward(self, Z, training=False):
        self.Z = Z
        return np.maximum(Z, 0)

    def backward(self, dA):
        return dA * (self.Z > 0)


class LeakyReLU(Layer):
    """A = Z if Z > 0 else alpha·Z;  dZ = dA · (1 if Z > 0 else alpha)."""

    def __init__(self, alpha=0.01):
        super().__init__()
        if not 0 <= alpha < 1:
            raise ValueError(f"LeakyReLU alpha must be in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, Z, training=False):
        self.Z = Z
        return np.where(Z > 0, Z, Z * Z.dtype.type(self.alpha))

    def backward(self, dA):
        return dA * np.where(self.Z > 0, 1, self.alpha).astype(dA.dtype, copy=False)

    def get_config(self):
        return {"alpha": self.alpha}


def sigmoid(Z):
    """σ(Z) = 1 / (1 + e^(−Z)), computed without overflow for any Z.

    For Z ≥ 0 it uses 1/(1 + e^(−Z)); for Z < 0 the equal e^Z/(1 + e^Z). Both exponents are
    then ≤ 0, so ``exp`` never overflows and tiny values keep their relative precision."""
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1, e) / (1 + e)


class Sigmoid(Layer):
    """A = σ(Z);  dZ = dA · A · (1 − A)   (σ'(z) = σ(z)(1 − σ(z)), not σ(z)·σ(1 − z))."""

    def forward(self, Z, training=False):
        self.A = sigmoid(Z)
        return self.A

    def backward(self, dA):
        return dA * self.A * (1 - self.A)


class Tanh(Layer):
    """A = tanh(Z);  dZ = dA · (1 − A²)."""

    def forward(self, Z, training=False):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dA):
        return dA * (1 - self.A * self.A)


def softmax(Z):
    """Column-wise softmax: A[:, j] = exp(Z[:, j] − max) / Σ exp(Z[:, j] − max)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


class Softmax(Layer):
    """Column-wise softmax, for inference or for a custom loss.

    For training, end the model with logits and use ``SoftmaxCrossEntropy``: it fuses the two
    and its gradient is simply (A − Y)/m. This layer's own Jacobian-vector product is
    dZ = A ⊙ (dA − Σ_rows(dA ⊙ A))."""

    def forward(self, Z, training=False):
        self.A = softmax(Z)
        return self.A

    def backward(self, dA):
        return self.A * (dA - np.sum(dA * self.A, axis=0, keepdims=True))


class Dropout(Layer):
    """Inverted dropout: in training, A = X ⊙ mask, mask = (u ≥ rate)/(1 − rate), u ~ U[0, 1).

    Each unit is kept with probability 1 − rate and scaled by 1/(1 − rate), so the expected
    activation is unchanged and evaluation is the identity. dX = dA ⊙ mask (the same mask).

    ``freeze()`` keeps the current mask for every later training forward pass of the same
    shape (gradient checks need the cost to be a deterministic function of the parameters);
    ``unfreeze()`` draws fresh masks again.
    """

    def __init__(self, rate=0.5):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng = np.random.default_rng()
        self.mask = None
        self.active = False
        self.frozen = False

    def set_rng(self, rng):
        self.rng = rng

    def freeze(self):
        self.frozen = True

    def unfreeze(self):
        self.frozen = False

    def forward(self, X, training=False):
        self.active = training and self.rate > 0
        if not self.active:
            return X
        if not (self.frozen and self.mask is not None and self.mask.shape == X.shape):
            self.mask = np.multiply(self._keep(X.shape), 1 / (1 - self.rate), dtype=X.dtype)
        return X * self.mask

    def _keep(self, shape):
        """Boolean keep-mask, True with probability 1 − rate.

        u ≥ rate for u ~ U[0, 1) is drawn as bits ≥ rate·2³² for 32 uniform random bits: the
        same event (to 2⁻³²), and raw bits come about twice as fast as floats."""
        size = math.prod(shape)
        bits = self.rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
        threshold = min(math.ceil(self.rate * 2**32), 2**32 - 1)
        return (bits >= np.uint32(threshold)).reshape(shape)

    def backward(self, dA):
        return dA * self.mask if self.active else dA

    def get_config(self):
        return {"rate": self.rate}
