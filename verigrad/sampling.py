"""Drawing sequences from a trained sequence model, one token at a time."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .functional import softmax
from .layers.recurrent import Recurrent

if TYPE_CHECKING:
    from .model import Sequential


def sample_ids(model: Sequential, start_ids: ArrayLike, length: int, temperature: float = 1.0,
               seed: int | None = None) -> np.ndarray:
    """``length`` token ids drawn from ``model`` (token ids (T, m) in, logits (V, T, m) out:
    Embedding → recurrent layers → Dense, or a transformer, ``vg.gpt``), each one fed back
    in as the next input.

    ``start_ids`` (at least one id) are read first, to set the recurrent states; every
    recurrent layer then carries its state a⟨t⟩ (and c⟨t⟩) from one step to the next, so a
    step costs one time step, not a pass over everything drawn so far. A model without
    recurrent layers has no state: it reads the whole context at every step, the last
    ``max_len`` ids where a layer declares one (a positional encoding). Each id is drawn
    from softmax(z / temperature) of the last logits z: temperature < 1 sharpens the
    distribution (safer, more repetitive text), > 1 flattens it."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    x = np.asarray(start_ids, dtype=np.int64).reshape(-1, 1)
    if x.size == 0:
        raise ValueError("start_ids must hold at least one token id")
    rng = np.random.default_rng(seed)
    states: dict[int, np.ndarray | tuple[np.ndarray, ...] | None] = {}
    drawn: list[int] = []
    stateless = not any(isinstance(layer, Recurrent) for layer in model.layers)
    context = min([getattr(layer, "max_len", x.shape[0] + length) for layer in model.layers])
    history = x[:, 0].tolist()
    for _ in range(length):
        A = np.array(history[-context:])[:, None] if stateless else x
        for i, layer in enumerate(model.layers):
            if isinstance(layer, Recurrent):
                A = layer.forward(A, initial_state=states.get(i))
                states[i] = layer.final_state
            else:
                A = layer.forward(A)
        z = (A[:, -1, 0] if A.ndim == 3 else A[:, 0]).astype(np.float64)
        p = softmax(z / temperature)
        drawn.append(int(rng.choice(p.size, p=p)))
        history.append(drawn[-1])
        x = np.array([[drawn[-1]]])
    return np.array(drawn, dtype=np.int64)
