"""Optional numba kernel for CBOW with negative sampling (``pip install verigrad[fast]``).

It does what ``trainers._NumpyNegativeSampling`` does, one example at a time as
word2vec.c does, compiled with ``nogil=True`` so that several Python threads train on
different chunks of sentences at once, sharing the weights without locks (Hogwild).
Random numbers come from word2vec.c's linear congruential generator, one stream per
chunk.
"""
from __future__ import annotations

import numba
import numpy as np

_LCG_MULTIPLIER = np.uint64(25214903917)
_LCG_INCREMENT = np.uint64(11)
_MAX_EXP = 6.0          # beyond |score| > 6 the sigmoid is taken as exactly 0 or 1


@numba.njit(nogil=True, fastmath=True, cache=True)
def train_negative_chunk(tokens: np.ndarray, starts: np.ndarray, remap: np.ndarray,
                         keep: np.ndarray, w_in: np.ndarray, w_out: np.ndarray,
                         alias_prob: np.ndarray, alias_index: np.ndarray, window: int,
                         negative: int, alpha_start: float, alpha_end: float, seed: int,
                         kept: np.ndarray, hidden: np.ndarray, error: np.ndarray) -> int:
    """Train on the sentences ``tokens[starts[s]:starts[s+1]]``; return the words trained.

    tokens: corpus ids; remap[id] is the vocabulary row or -1 (dropped word); keep[row]
    is the probability of keeping a word (frequent-word subsampling).  For each kept
    word: hidden = mean of the input vectors of up to `window` words each side (the
    window shrinks at random, as in word2vec), then for the centre word (label 1) and
    `negative` words drawn from the alias table (label 0):
    g = alpha (label - sigmoid(hidden . w_out[row])), error += g w_out[row],
    w_out[row] += g hidden; finally every context row of w_in gets + error.
    kept, hidden, error are scratch buffers (longest sentence, N, N).
    """
    rng = np.uint64(seed)
    n_vocab = alias_prob.shape[0]
    dim = w_in.shape[1]
    total = starts[-1] - starts[0]
    trained = 0
    for s in range(starts.shape[0] - 1):
        length = 0
        for p in range(starts[s], starts[s + 1]):
            row = remap[tokens[p]]
            if row < 0:
                continue
            rng = rng * _LCG_MULTIPLIER + _LCG_INCREMENT
            if keep[row] < ((rng >> np.uint64(16)) & np.uint64(0xFFFF)) / 65536.0:
                continue
            kept[length] = row
            length += 1
        progress = (starts[s] - starts[0]) / max(total, 1)
        alpha = np.float32(alpha_start + (alpha_end - alpha_start) * progress)
        for i in range(length):
            rng = rng * _LCG_MULTIPLIER + _LCG_INCREMENT
            shrink = int(((rng >> np.uint64(32)) * np.uint64(window)) >> np.uint64(32))
            lo = max(0, i - window + shrink)
            hi = min(length, i + window + 1 - shrink)
            count = hi - lo - 1
            if count <= 0:
                continue
            hidden[:] = 0.0
            error[:] = 0.0
            for j in range(lo, hi):
                if j != i:
                    vec = w_in[kept[j]]
                    for d in range(dim):
                        hidden[d] += vec[d]
            inv = np.float32(1.0 / count)
            for d in range(dim):
                hidden[d] *= inv
            centre = kept[i]
            for k in range(negative + 1):
                if k == 0:
                    target = centre
                    label = np.float32(1.0)
                else:
                    rng = rng * _LCG_MULTIPLIER + _LCG_INCREMENT
                    target = np.int64(((rng >> np.uint64(32)) * np.uint64(n_vocab))
                                      >> np.uint64(32))
                    rng = rng * _LCG_MULTIPLIER + _LCG_INCREMENT
                    if ((rng >> np.uint64(40)) / 16777216.0) >= alias_prob[target]:
                        target = alias_index[target]
                    if target == centre:
                        continue
                    label = np.float32(0.0)
                out = w_out[target]
                score = np.float32(0.0)
                for d in range(dim):
                    score += hidden[d] * out[d]
                if score > _MAX_EXP:
                    g = (label - np.float32(1.0)) * alpha
                elif score < -_MAX_EXP:
                    g = label * alpha
                else:
                    g = (label - np.float32(1.0) / (np.float32(1.0) + np.exp(-score))) * alpha
                for d in range(dim):
                    error[d] += g * out[d]
                for d in range(dim):
                    out[d] += g * hidden[d]
            for j in range(lo, hi):
                if j != i:
                    vec = w_in[kept[j]]
                    for d in range(dim):
                        vec[d] += error[d]
        trained += length
    return trained
