"""Multi-head self-attention over sequences (d_model, T, m), its backward written out.

Shapes, for a batch X of m sequences of T vectors of d = d_model features, h heads of
d_h = d/h features each (the example axis last outside, first inside, where every
(example, head) pair is one matrix product in a stack):

    X                   (d, T, m)
    Q = Wq·X + bq       (d, T, m)     K, V likewise; Wq, Wk, Wv, Wo (d, d), bq..bo (d, 1)
    q, k, v             (m, h, T, d_h)        head i: rows i·d_h … (i+1)·d_h − 1 of Q
    S = q·kᵀ/√d_h       (m, h, T, T)          S[.., i, j]: query i against key j
    S += mask           −∞ where key j may not be seen (after i: causal; padding)
    P = softmax(S)      (m, h, T, T)          over the keys (the last axis): rows sum to 1
    P̃ = dropout(P)                           in training, with ``dropout`` > 0
    O = P̃·v             (m, h, T, d_h)  →  heads merged back: (d, T, m)
    Y = Wo·O + bo       (d, T, m)

Backward, from dY (d, T, m), each line the chain rule through one line above:

    dWo = Σ_(t,m) dY·Oᵀ      dbo = Σ_(t,m) dY      dO = Woᵀ·dY  →  split into heads
    dv = P̃ᵀ·dO               dP̃ = dO·vᵀ             dP = dropout's backward of dP̃
    dS = P ⊙ (dP − rowsum(dP ⊙ P))                  (softmax: each row's Jacobian
                                                      diag(p) − p·pᵀ applied to dP's row)
    dq = dS·k/√d_h           dk = dSᵀ·q/√d_h         (masked entries have P = 0, so dS = 0)
    merge dq, dk, dv into dQ, dK, dV (d, T, m)
    dWq = Σ dQ·Xᵀ, dbq = Σ dQ (K, V alike)          dX = Wqᵀ·dQ + Wkᵀ·dK + Wvᵀ·dV

PyTorch: ``torch.nn.MultiheadAttention(d, h, batch_first=True)`` computes the same with
``in_proj_weight`` = [Wq; Wk; Wv] (3d, d), ``in_proj_bias`` = [bq; bk; bv] and ``out_proj``
= (Wo, bo), on (m, T, d) = ``X.transpose(2, 1, 0)``.
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from .._backend import load_kernels
from ..validation import check_positive_int, describe_shape
from .base import Layer, Shape
from .dropout import Dropout


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product self-attention, (d_model, T, m) → (d_model, T, m);
    the shapes and the backward are in the module text.

    causal: query t sees keys 1 … t only (a language model must not read the future).
    dropout: rate of inverted dropout on the attention weights P in training, as PyTorch's.
    Key padding: ``forward(X, training, lengths=...)`` with the true length of each sequence
    (m,), or ``key_mask=`` a boolean (T, m) array, True where a key may be attended (a real
    token). PyTorch's ``key_padding_mask`` is the opposite (True = ignore): pass
    ``key_mask=~key_padding_mask.T``. Padded queries still get an output (from the real keys),
    as in PyTorch; the loss should not count them.

    Initial weights as PyTorch's: Wq, Wk, Wv ~ U(±√(6/(4d))) (Glorot over the stacked
    (3d, d) matrix), Wo ~ U(±1/√d), biases 0.

    Facts: ``attention_entropy()`` gives each head's mean entropy −Σ_j P_ij·log P_ij (nats)
    over the queries of the last forward pass; the Monitor reports it per head and warns
    when a head collapses onto one key.
    """

    #: "auto": the numba softmax kernels when numba is installed, else the NumPy reference
    backend = "auto"

    def __init__(self, d_model: int, num_heads: int, causal: bool = False,
                 dropout: float = 0.0, seed: int | None = None):
        super().__init__()
        self.d_model = check_positive_int(d_model, "MultiHeadAttention d_model")
        self.num_heads = check_positive_int(num_heads, "MultiHeadAttention num_heads")
        if self.d_model % self.num_heads:
            raise ValueError(f"MultiHeadAttention d_model ({self.d_model}) must be a multiple "
                             f"of num_heads ({self.num_heads}): each head takes d_model / "
                             f"num_heads consecutive features")
        if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
            raise ValueError(f"MultiHeadAttention dropout must be a number in [0, 1), got "
                             f"{dropout!r}")
        self.causal, self.dropout, self.seed = bool(causal), float(dropout), seed
        self.d_head = self.d_model // self.num_heads
        self.input_shape = (self.d_model, None)
        self.params = {name: np.zeros(shape) for name, shape in
                       self.parameter_shapes(self.d_model, self.num_heads).items()}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.attention_dropout = Dropout(self.dropout)
        self.initialize(np.random.default_rng(seed))
        self.P: np.ndarray | None = None

    @classmethod
    def parameter_shapes(cls, d_model: int, num_heads: int, causal: bool = False,
                         dropout: float = 0.0,
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        d = check_positive_int(d_model, "MultiHeadAttention d_model")
        return {**{f"W{x}": (d, d) for x in "qkvo"}, **{f"b{x}": (d, 1) for x in "qkvo"}}

    def initialize(self, rng: np.random.Generator) -> None:
        d = self.d_model
        for x in "qkv":
            self.params[f"W{x}"][...] = rng.uniform(-1, 1, (d, d)) * math.sqrt(6 / (4 * d))
        self.params["Wo"][...] = rng.uniform(-1, 1, (d, d)) / math.sqrt(d)
        for x in "qkvo":
            self.params[f"b{x}"][...] = 0

    def set_rng(self, rng: np.random.Generator) -> None:
        self.attention_dropout.set_rng(rng)

    def keep_random_draws(self) -> bool:
        return self.attention_dropout.keep_random_draws() if self.dropout else False

    def draw_afresh(self) -> None:
        self.attention_dropout.draw_afresh()

    # ---- forward and backward ------------------------------------------------------------

    def forward(self, X: np.ndarray, training: bool = False,
                lengths: np.ndarray | None = None,
                key_mask: np.ndarray | None = None) -> np.ndarray:
        X = self._check_input(X)
        d, T, m = X.shape
        self.X = X.reshape(d, T * m)
        self.W_in = np.concatenate([self.params[f"W{x}"] for x in "qkv"])   # (3d, d)
        b_in = np.concatenate([self.params[f"b{x}"] for x in "qkv"])
        # One row per token, (T·m, 3d) = (Wq·X; Wk·X; Wv·X)ᵀ: every (example, head) block
        # of q, k, v is then a (T, d_h) matrix with unit stride along d_h, which the matrix
        # products below read in place (no transposed copies into a head layout).
        self.QKV = self.X.T @ self.W_in.T
        self.QKV += b_in.T
        q, k, v = self.heads(self.QKV, T, m, 3)           # (m, h, T, d_h) views each
        self.blocks = self._query_blocks(T, self._kernels(self.QKV) is not None)
        S = np.empty((m, self.num_heads, T, T), X.dtype)   # the softmax scales it
        for a, b in self.blocks:                           # queries a … b−1 see keys < b
            np.matmul(q[..., a:b, :], k[..., :b, :].swapaxes(-1, -2), out=S[..., a:b, :b])
        self.P = self._softmax(S, T, m, lengths, key_mask)
        self.P_dropped = self.attention_dropout.forward(self.P, training)
        self.O = np.empty((T * m, d), X.dtype)             # one row per token, like QKV
        (O,) = self.heads(self.O, T, m)
        for a, b in self.blocks:
            np.matmul(self.P_dropped[..., a:b, :b], v[..., :b, :], out=O[..., a:b, :])
        Y = self.params["Wo"] @ self.O.T                   # (d, T·m)
        Y += self.params["bo"]
        return Y.reshape(d, T, m)

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        d, T, m = dY.shape
        dY = dY.reshape(d, T * m)
        np.matmul(dY, self.O, out=self.grads["Wo"])
        np.sum(dY, axis=1, keepdims=True, out=self.grads["bo"])
        dO = dY.T @ self.params["Wo"]                      # (T·m, d) = (Woᵀ·dY)ᵀ
        (dO,) = self.heads(dO, T, m)
        q, k, v = self.heads(self.QKV, T, m, 3)
        dQKV = np.empty_like(self.QKV)                     # (T·m, 3d), rows as QKV's
        dq, dk, dv = self.heads(dQKV, T, m, 3)
        P, dP = self.P_dropped, np.empty_like(self.P_dropped)  # dP: dJ/dP̃ (m, h, T, T)
        for a, b in self.blocks:                           # keys a … b−1 seen by queries ≥ a
            np.matmul(P[..., a:, a:b].swapaxes(-1, -2), dO[..., a:, :], out=dv[..., a:b, :])
            np.matmul(dO[..., a:b, :], v[..., :b, :].swapaxes(-1, -2), out=dP[..., a:b, :b])
        dS = self._softmax_backward(self.attention_dropout.backward(dP))  # 1/√d_h in it
        for a, b in self.blocks:
            np.matmul(dS[..., a:b, :b], k[..., :b, :], out=dq[..., a:b, :])
            np.matmul(dS[..., a:, a:b].swapaxes(-1, -2), q[..., a:, :], out=dk[..., a:b, :])
        dW_in = dQKV.T @ self.X.T                          # [dWq; dWk; dWv] (3d, d): one
        db_in = dQKV.sum(axis=0)                           # product beats three on slices
        for j, x in enumerate("qkv"):
            self.grads[f"W{x}"][...] = dW_in[j * d:(j + 1) * d]
            self.grads[f"b{x}"][:, 0] = db_in[j * d:(j + 1) * d]
        if not self.needs_input_grad:
            return None
        return (self.W_in.T @ dQKV.T).reshape(d, T, m)     # Wqᵀ·dQ + Wkᵀ·dK + Wvᵀ·dV

    def _query_blocks(self, T: int, compiled: bool) -> list[tuple[int, int]]:
        """The blocks [a, b) of queries whose products with keys 0 … b−1 make all that the
        (T, T) products need: all queries at once, or with a causal mask two halves, the
        first against the first half of the keys alone, so that a quarter of each (T, T)
        product is never made. Those entries stay unset: only the compiled kernels never
        read them (the NumPy reference adds −∞ to every score), and only without attention
        dropout, whose backward would multiply them."""
        if self.causal and compiled and not self.dropout and T > 1:
            return [(0, (T + 1) // 2), ((T + 1) // 2, T)]
        return [(0, T)]

    def heads(self, rows: np.ndarray, T: int, m: int, parts: int = 1) -> np.ndarray:
        """Views (m, h, T, d_h) of the ``parts`` blocks of d columns of ``rows`` (T·m,
        parts·d), one row per token (t, n): head i of block j is columns j·d + i·d_h …"""
        h, d_h = self.num_heads, self.d_head
        return rows.reshape(T, m, parts, h, d_h).transpose(2, 1, 3, 0, 4)

    def _softmax(self, S: np.ndarray, T: int, m: int, lengths: np.ndarray | None,
                 key_mask: np.ndarray | None) -> np.ndarray:
        """P = softmax(S/√d_h + mask) over the keys, in place in S = q·kᵀ (m, h, T, T).
        The compiled kernels scale S in the pass that subtracts each row's max (no pass of
        its own for the scale) and handle the causal mask by skipping the keys after each
        query; the NumPy reference adds −∞ there."""
        scale = S.dtype.type(1 / math.sqrt(self.d_head))
        kernels = self._kernels(S)
        bias = self._mask_bias(T, m, S.dtype, lengths, key_mask,
                               causal=self.causal and kernels is None)
        if bias is not None:
            S += bias
        if kernels is not None:
            rows = S.reshape(-1, T, T)
            kernels.softmax_shift(rows, self.causal, scale)
            np.exp(S, out=S)
            kernels.softmax_normalise(rows, self.causal, S.dtype.type(1))
            return S
        S *= scale
        S -= S.max(axis=-1, keepdims=True)
        np.exp(S, out=S)
        S /= S.sum(axis=-1, keepdims=True)
        return S

    def _softmax_backward(self, dP: np.ndarray) -> np.ndarray:
        """dJ/d(q·kᵀ) = dS/√d_h, dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place in dP (m, h, T, T)
        (the kernel scales in the same pass)."""
        P = cast(np.ndarray, self.P)  # set by forward
        scale = dP.dtype.type(1 / math.sqrt(self.d_head))
        kernels = self._kernels(dP, P)
        if kernels is not None:
            T = P.shape[-1]
            kernels.softmax_backward(dP.reshape(-1, T, T), P.reshape(-1, T, T), self.causal,
                                     scale)
            return dP
        dP -= np.einsum("mhij,mhij->mhi", dP, P)[..., None]
        dP *= P
        dP *= scale
        return dP

    def _kernels(self, *arrays: np.ndarray) -> Any:
        """The compiled kernels for contiguous float arrays of one dtype when the backend
        allows them, else None (the NumPy reference)."""
        dtype = arrays[0].dtype
        if dtype not in (np.float32, np.float64) or not all(
                a.flags.c_contiguous and a.dtype == dtype for a in arrays):
            return None
        return load_kernels("layers._attention_kernels", self.backend)

    def _mask_bias(self, T: int, m: int, dtype: np.dtype, lengths: np.ndarray | None,
                   key_mask: np.ndarray | None, causal: bool) -> np.ndarray | None:
        """0 where query i may attend to key j, −∞ where not (after i when ``causal``, at
        padded keys): (T, T), (m, 1, 1, T) or (m, 1, T, T) to add to S (m, h, T, T); None
        when nothing is masked."""
        keep = self._key_mask(T, m, lengths, key_mask)
        bias = None
        if causal:
            bias = np.triu(np.full((T, T), -np.inf, dtype), k=1)
        if keep is not None:
            keys = np.where(keep.T, dtype.type(0), dtype.type(-np.inf))[:, None, None, :]
            bias = keys if bias is None else bias + keys
        return bias

    def _key_mask(self, T: int, m: int, lengths: np.ndarray | None,
                  key_mask: np.ndarray | None) -> np.ndarray | None:
        """The boolean (T, m) mask of keys that may be attended, from ``lengths`` or
        ``key_mask``, checked; None for no padding."""
        if lengths is not None and key_mask is not None:
            raise ValueError("MultiHeadAttention takes lengths or key_mask, not both")
        if lengths is not None:
            lengths = np.asarray(lengths)
            if lengths.shape != (m,) or lengths.dtype.kind not in "iu":
                raise ValueError(f"MultiHeadAttention lengths must be integers of shape "
                                 f"(m,) = ({m},), one per sequence, got {lengths.dtype} of "
                                 f"shape {lengths.shape}")
            if lengths.min() < 1 or lengths.max() > T:
                raise ValueError(f"MultiHeadAttention lengths must be in [1, T] = [1, {T}], "
                                 f"got values from {lengths.min()} to {lengths.max()}")
            return np.arange(T)[:, None] < lengths[None, :]
        if key_mask is None:
            return None
        key_mask = np.asarray(key_mask)
        if key_mask.shape != (T, m) or key_mask.dtype != bool:
            raise ValueError(f"MultiHeadAttention key_mask must be a boolean array of shape "
                             f"(T, m) = ({T}, {m}), True where a key may be attended, got "
                             f"{key_mask.dtype} of shape {key_mask.shape}")
        if not key_mask.any(axis=0).all():
            raise ValueError("MultiHeadAttention key_mask masks every key of sequence "
                             f"{int(np.argmin(key_mask.any(axis=0)))}: its softmax would be "
                             "over nothing (0/0)")
        return key_mask

    def _check_input(self, X: np.ndarray) -> np.ndarray:
        if not isinstance(X, np.ndarray) or X.dtype.kind != "f":
            raise TypeError(f"{self!r} takes a float NumPy array (d_model, T, m), got "
                            f"{getattr(X, 'dtype', type(X).__name__)}")
        if X.ndim != 3 or X.shape[0] != self.d_model:
            raise ValueError(f"{self!r} takes sequences (d_model, T, m) = ({self.d_model}, T, "
                             f"m), got shape {X.shape}")
        return np.ascontiguousarray(X)

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != 2 or shape[0] != self.d_model:
            raise ValueError(f"{self!r} takes sequences (d_model, T, m) = ({self.d_model}, T, "
                             f"m), but the layer before it gives {describe_shape(shape)}")
        return shape

    def attention_entropy(self) -> np.ndarray:
        """Each head's entropy −Σ_j P_ij·log P_ij (nats) averaged over the queries i and the
        examples of the last forward pass, (num_heads,): log T for uniform attention, 0 when
        every query attends to a single key."""
        if self.P is None:
            raise RuntimeError(f"{self!r} has not run forward yet")
        P = self.P.astype(np.float64)
        plogp = P * np.log(np.where(P > 0, P, 1.0))
        return -plogp.sum(axis=-1).mean(axis=(0, 2))

    def get_config(self) -> dict[str, Any]:
        return {"d_model": self.d_model, "num_heads": self.num_heads, "causal": self.causal,
                "dropout": self.dropout}
