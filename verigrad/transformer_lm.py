"""A character- or token-level GPT by name: ``vg.gpt(vocab_size)``.

    model = vg.gpt(65, d_model=128, num_heads=4, num_layers=4, block_size=128)
    model.fit(X, Y, optimizer=vg.AdamW(1e-3, weight_decay=0.1, clip_norm=1.0))   # X: ids (T, m)
"""
from __future__ import annotations

from numpy.typing import DTypeLike

from .layers import Dense, Embedding, LayerNorm, PositionalEncoding, TransformerBlock
from .losses import SequenceSoftmaxCrossEntropy
from .model import Sequential
from .validation import check_positive_int


def gpt(vocab_size: int, d_model: int = 128, num_heads: int = 4, num_layers: int = 4,
        block_size: int = 128, d_ff: int | None = None, dropout: float = 0.0,
        approximate: str = "tanh", learned_positions: bool = False, l2: float = 0.0,
        dtype: DTypeLike = "float32", seed: int | None = 0) -> Sequential:
    """A decoder-only transformer language model over token ids (T, m), T ≤ block_size:

        Embedding (d_model, T, m) → PositionalEncoding → num_layers × TransformerBlock
        (causal, pre-norm, d_ff = 4·d_model by default) → LayerNorm → Dense (vocab_size, T, m)

    trained with ``SequenceSoftmaxCrossEntropy`` (the loss per token). The positions are the
    sinusoidal table, or a trained one with learned_positions=True (GPT-2's). approximate:
    GELU's form, "tanh" by default as GPT-2 (the erf form, "none", is PyTorch's default and
    slower in NumPy). The defaults give 0.8M parameters for 65 characters."""
    vocab_size = check_positive_int(vocab_size, "gpt vocab_size")
    d_model = check_positive_int(d_model, "gpt d_model")
    num_layers = check_positive_int(num_layers, "gpt num_layers")
    d_ff = 4 * d_model if d_ff is None else check_positive_int(d_ff, "gpt d_ff")
    layers = [Embedding(vocab_size, d_model),
              PositionalEncoding(d_model, block_size, learned=learned_positions)]
    layers += [TransformerBlock(d_model, num_heads, d_ff, causal=True, dropout=dropout,
                                approximate=approximate) for _ in range(num_layers)]
    layers += [LayerNorm(d_model), Dense(d_model, vocab_size, init="uniform")]
    return Sequential(layers, loss=SequenceSoftmaxCrossEntropy(), l2=l2, dtype=dtype, seed=seed)
