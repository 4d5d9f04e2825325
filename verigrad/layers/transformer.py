"""The pre-norm transformer block: attention and a feed-forward network, each inside a
residual connection, as one layer (so that a ``Sequential`` stays a plain stack)."""
from __future__ import annotations

from typing import Any, cast

import numpy as np

from ..validation import check_positive_int
from .activations import GELU
from .attention import MultiHeadAttention
from .base import Layer, Shape
from .dense import Dense
from .dropout import Dropout
from .normalization import LayerNorm


class TransformerBlock(Layer):
    """x ← x + MHA(LN₁(x));  x ← x + FFN(LN₂(x)),  FFN(z) = W_down·GELU(W_up·z + b_up) + b_down,
    on sequences (d_model, T, m) → (d_model, T, m) (the GPT-2 / "pre-norm" arrangement:
    each branch reads a normalised copy, the residual stream itself is never normalised).

    Shapes through the block, d = d_model, f = d_ff:

        x (d, T, m) → LN₁ (d, T, m) → MHA (d, T, m) → [dropout] → + x  = x₁ (d, T, m)
        x₁ → LN₂ (d, T, m) → W_up (f, T, m) → GELU → [dropout] → W_down (d, T, m) → [dropout]
           → + x₁ = output (d, T, m)

    Backward: a residual connection y = x + F(x) passes dy on unchanged and adds F's
    backward of dy, dx = dy + F'(x)ᵀ·dy: the two paths of the sum are added.

    Parameters, named by the part they belong to (a model numbers them, ``Wq3``, ``Wup3``):

        gamma_attn, beta_attn (d, 1)   LN₁               PyTorch: norm1.weight, norm1.bias
        Wq, Wk, Wv, Wo (d, d)          attention         self_attn.in_proj_weight = [Wq; Wk; Wv]
        bq, bk, bv, bo (d, 1)                            in_proj_bias = [bq; bk; bv],
                                                         out_proj.weight = Wo, .bias = bo
        gamma_ffn, beta_ffn (d, 1)     LN₂               norm2.weight, norm2.bias
        Wup (f, d), bup (f, 1)         FFN, first layer  linear1.weight, linear1.bias
        Wdown (d, f), bdown (d, 1)     FFN, second       linear2.weight, linear2.bias

    With these, the block equals ``torch.nn.TransformerEncoderLayer(d_model, num_heads, d_ff,
    dropout=0, activation="gelu", batch_first=True, norm_first=True)`` called with a causal
    mask (``is_causal=True``) when ``causal``, on (m, T, d) = ``X.transpose(2, 1, 0)``.
    dropout: the rate of PyTorch's four dropouts, at the same places (the attention weights,
    the attention branch, after GELU, the FFN branch). approximate: GELU's form, "none" (erf,
    PyTorch's activation="gelu") or "tanh". Padding: ``forward(X, training, lengths=...)`` or
    ``key_mask=`` as for ``MultiHeadAttention``.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, causal: bool = True,
                 dropout: float = 0.0, approximate: str = "none", seed: int | None = None):
        super().__init__()
        self.d_model = check_positive_int(d_model, "TransformerBlock d_model")
        self.d_ff = check_positive_int(d_ff, "TransformerBlock d_ff")
        self.attention = MultiHeadAttention(d_model, num_heads, causal, dropout)
        self.num_heads, self.causal = self.attention.num_heads, self.attention.causal
        self.dropout, self.seed = self.attention.dropout, seed
        self.norm_attn, self.norm_ffn = LayerNorm(d_model), LayerNorm(d_model)
        self.up, self.down = Dense(d_model, d_ff, "uniform"), Dense(d_ff, d_model, "uniform")
        self.gelu = GELU(approximate)
        self.approximate = approximate
        self.dropouts = [Dropout(self.dropout) for _ in range(3)]
        #: each part with parameters, and its names in the block: {its name: block's name}
        self.parts = [(self.norm_attn, {"gamma": "gamma_attn", "beta": "beta_attn"}),
                      (self.attention, {name: name for name in self.attention.params}),
                      (self.norm_ffn, {"gamma": "gamma_ffn", "beta": "beta_ffn"}),
                      (self.up, {"W": "Wup", "b": "bup"}),
                      (self.down, {"W": "Wdown", "b": "bdown"})]
        self.params = {ours: part.params[theirs] for part, names in self.parts
                       for theirs, ours in names.items()}
        self.grads = {ours: part.grads[theirs] for part, names in self.parts
                      for theirs, ours in names.items()}
        self.input_shape = (self.d_model, None)
        self.initialize(np.random.default_rng(seed))

    def _bind(self) -> None:
        """Point every part at the block's arrays. A model may replace the block's arrays (a
        cast to float32, say); the parts then compute with the new ones."""
        for part, names in self.parts:
            part.params = {theirs: self.params[ours] for theirs, ours in names.items()}
            part.grads = {theirs: self.grads[ours] for theirs, ours in names.items()}

    def initialize(self, rng: np.random.Generator) -> None:
        """Each part's own initialisation (PyTorch's: LayerNorm γ = 1, β = 0; attention as
        ``MultiHeadAttention``; the FFN's weights U(±1/√n_in)); biases 0."""
        self._bind()
        for part, _ in self.parts:
            part.initialize(rng)
        for name in ("gamma_attn", "gamma_ffn"):
            self.params[name][...] = 1
        for name in ("beta_attn", "beta_ffn"):
            self.params[name][...] = 0

    def set_rng(self, rng: np.random.Generator) -> None:
        self.attention.set_rng(rng)
        for dropout in self.dropouts:
            dropout.set_rng(rng)

    def keep_random_draws(self) -> bool:
        if not self.dropout:
            return False
        for layer in (self.attention, *self.dropouts):
            layer.keep_random_draws()
        return True

    def draw_afresh(self) -> None:
        for layer in (self.attention, *self.dropouts):
            layer.draw_afresh()

    def forward(self, X: np.ndarray, training: bool = False,
                lengths: np.ndarray | None = None,
                key_mask: np.ndarray | None = None) -> np.ndarray:
        self._bind()
        drop_attn, drop_hidden, drop_ffn = self.dropouts
        A = self.attention.forward(self.norm_attn.forward(X, training), training,
                                   lengths=lengths, key_mask=key_mask)
        X1 = drop_attn.forward(A, training)
        X1 += X                                            # the first residual
        F = self.up.forward(self.norm_ffn.forward(X1, training), training)
        F = drop_hidden.forward(self.gelu.forward(F, training), training)
        Y = drop_ffn.forward(self.down.forward(F, training), training)
        Y += X1                                            # the second residual
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        self._bind()
        drop_attn, drop_hidden, drop_ffn = self.dropouts
        # the parts inside the block always return their input's gradient
        dF = cast(np.ndarray, self.down.backward(drop_ffn.backward(dY)))
        dF = cast(np.ndarray, self.up.backward(self.gelu.backward(drop_hidden.backward(dF))))
        dX1 = cast(np.ndarray, self.norm_ffn.backward(dF))
        dX1 += dY                                          # the residual path
        self.norm_attn.needs_input_grad = self.needs_input_grad
        dA = cast(np.ndarray, self.attention.backward(drop_attn.backward(dX1)))
        dX = self.norm_attn.backward(dA)
        if dX is None:
            return None
        dX += dX1
        return dX

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.attention.output_shape(input_shape)

    def attention_entropy(self) -> np.ndarray:
        """Each head's mean attention entropy in the last forward pass (see
        ``MultiHeadAttention.attention_entropy``)."""
        return self.attention.attention_entropy()

    @classmethod
    def parameter_shapes(cls, d_model: int, num_heads: int, d_ff: int, causal: bool = True,
                         dropout: float = 0.0, approximate: str = "none",
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        d = check_positive_int(d_model, "TransformerBlock d_model")
        f = check_positive_int(d_ff, "TransformerBlock d_ff")
        return {"gamma_attn": (d, 1), "beta_attn": (d, 1),
                **MultiHeadAttention.parameter_shapes(d, num_heads),
                "gamma_ffn": (d, 1), "beta_ffn": (d, 1),
                "Wup": (f, d), "bup": (f, 1), "Wdown": (d, f), "bdown": (d, 1)}

    def get_config(self) -> dict[str, Any]:
        return {"d_model": self.d_model, "num_heads": self.num_heads, "d_ff": self.d_ff,
                "causal": self.causal, "dropout": self.dropout,
                "approximate": self.approximate}
