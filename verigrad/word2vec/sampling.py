"""Negative sampling: drawing noise words (Walker's alias table) and the loss and gradient
of a batch of CBOW examples against them."""
from __future__ import annotations

import numpy as np

from .. import functional as F


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of a distribution over n outcomes: (prob, alias), float64 (n,)
    and int64 (n,). To draw, take i uniform in [0, n), keep it with probability prob[i],
    else take alias[i]: O(1) per draw (the numba trainer draws its noise words so)."""
    n = len(probabilities)
    prob = np.asarray(probabilities, dtype=np.float64) * n
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g
        prob[g] -= 1.0 - prob[s]
        (small if prob[g] < 1.0 else large).append(g)
    prob[small + large] = 1.0
    return prob, alias


def negative_sampling_gradients(w_in: np.ndarray, w_out: np.ndarray, context: np.ndarray,
                                mask: np.ndarray, rows: np.ndarray
                                ) -> tuple[float, tuple[np.ndarray, np.ndarray],
                                           tuple[np.ndarray, np.ndarray]]:
    """Loss of a batch of CBOW examples under negative sampling, and its gradient.

    context (B, C) rows of w_in with mask (B, C) marking the real context words;
    rows (B, K+1): the centre word's row of w_out, then K noise rows (a noise row equal
    to the centre row is ignored, as in word2vec).  With h = mean of the context
    vectors (B, N), s = h . w_out[rows] (B, K+1) and labels (1, 0, ..., 0)::

        loss    = -sum log sigmoid(s[:, 0]) - sum log sigmoid(-s[:, 1:])
        dL/ds   = sigmoid(s) - labels
        dL/dw_out[rows[b, k]] += dL/ds[b, k] h[b]
        dL/dw_in[context[b, c]] += sum_k dL/ds[b, k] w_out[rows[b, k]] / count[b]

    Returns ``loss, (in_rows, in_grads), (out_rows, out_grads)``: the gradient as rows
    and values to add up (rows repeat).
    """
    count = mask.sum(axis=1)
    if not count.all():
        raise ValueError("mask: every example needs at least one context word")
    example, slot = np.nonzero(mask)               # grouped by example, in order
    in_rows = context[example, slot]
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    h = np.add.reduceat(w_in[in_rows], first, axis=0) / count[:, None].astype(w_in.dtype)
    out = w_out[rows]                                                   # (B, K+1, N)
    score = np.einsum("bn,bkn->bk", h, out)
    labels = np.zeros(rows.shape[1], dtype=score.dtype)
    labels[0] = 1
    used = np.ones(rows.shape, dtype=bool)
    used[:, 1:] = rows[:, 1:] != rows[:, :1]
    # −log σ(s) = softplus(−s) for the centre word, −log(1 − σ(s)) = softplus(s) for noise
    loss = np.sum(F.softplus(np.where(labels == 1, -score, score))[used])
    d_score = (F.sigmoid(score) - labels) * used
    d_h = np.einsum("bk,bkn->bn", d_score, out)
    in_grads = d_h[example] / count[example, None].astype(w_in.dtype)
    out_grads = (d_score[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1])
    return float(loss), (in_rows, in_grads), (rows.ravel(), out_grads)
