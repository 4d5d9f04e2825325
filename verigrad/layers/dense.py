"""The fully connected layer."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_positive_int, describe_shape
from .base import Layer, Shape
from .init import INITS, check_init, draw_weights


class Dense(Layer):
    """Fully connected layer: Z = W · A_prev + b.

    W has shape (n_out, n_in) and b shape (n_out, 1). With dZ = dJ/dZ of shape (n_out, m):

        dW = dZ · A_prevᵀ          (n_out, n_in)
        db = Σ_columns dZ          (n_out, 1)    -- summed over the examples (axis=1)
        dA_prev = Wᵀ · dZ          (n_in, m)

    The 1/m of the mean cost is already inside dZ (the loss puts it there).

    On a sequence (n_in, T, m) the layer acts on every time step with the same W and b
    (a "time-distributed" Dense): the T·m columns are one batch, Z is (n_out, T, m), and the
    sums above run over the time steps as well as the examples.

    init: "he" (N(0, 2/n_in), for ReLU), "xavier" (N(0, 1/n_in), Glorot/LeCun-style for
    tanh/sigmoid), "normal" (N(0, 0.01²), the course's ``randn * 0.01``) or "uniform"
    (U(-1/√n_in, 1/√n_in)). Biases start at zero.

    seed fixes the initial weights. Without it the initial weights come from the seed of the
    ``Sequential`` the layer is placed in, so a whole model is reproducible from one number;
    to set weights by hand, build the model first, then write into ``model.params``.
    """

    INITS = INITS
    #: the last forward pass's input, one column per example, kept for backward
    A_prev: np.ndarray

    def __init__(self, n_in: int, n_out: int, init: str = "he", seed: int | None = None):
        super().__init__()
        n_in = check_positive_int(n_in, "Dense n_in")
        n_out = check_positive_int(n_out, "Dense n_out")
        self.n_in, self.n_out, self.seed = int(n_in), int(n_out), seed
        self.init = check_init(init, "Dense")
        self.input_shape = (self.n_in,)
        # float64 on its own; a Sequential casts its layers to the model's dtype.
        self.params = {"W": np.empty((self.n_out, self.n_in)), "b": np.zeros((self.n_out, 1))}
        self.grads = {"W": np.zeros_like(self.params["W"]), "b": np.zeros_like(self.params["b"])}
        self.initialize(np.random.default_rng(seed))

    def initialize(self, rng: np.random.Generator) -> None:
        """Draw W afresh from ``rng`` by the layer's init rule and zero b (in place)."""
        draw_weights(self.params["W"], self.n_in, self.init, rng)
        self.params["b"][...] = 0

    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        self.A_prev = A_prev.reshape(self.n_in, -1)  # sequences: time steps join the columns
        Z = self.params["W"] @ self.A_prev
        Z += self.params["b"]
        return Z.reshape(self.n_out, *A_prev.shape[1:])

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        shape = dZ.shape[1:]
        dZ = dZ.reshape(self.n_out, -1)
        np.matmul(dZ, self.A_prev.T, out=self.grads["W"])
        np.sum(dZ, axis=1, keepdims=True, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        return (self.params["W"].T @ dZ).reshape(self.n_in, *shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) == 2 and input_shape[0] == self.n_in:  # a sequence (n_in, T)
            return (self.n_out, input_shape[1])
        if tuple(input_shape) != self.input_shape:
            given = (input_shape[0] if len(input_shape) == 1 else
                     f"shape {describe_shape(input_shape)}: put a Flatten() before it")
            raise ValueError(f"{self!r} expects n_in={self.n_in} rows of input, but the layer "
                             f"before it gives {given}")
        return (self.n_out,)

    @classmethod
    def parameter_shapes(cls, n_in: int, n_out: int, init: str = "he",
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        n_in = check_positive_int(n_in, "Dense n_in")
        n_out = check_positive_int(n_out, "Dense n_out")
        return {"W": (n_out, n_in), "b": (n_out, 1)}

    def get_config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_out": self.n_out, "init": self.init}
