"""Training steps on several threads: ``fit(threads=N)`` splits each mini-batch.

The cost is a mean over the batch, so its gradient is the mean of the examples' gradients,
and a batch of m examples cut into slices of m_1, …, m_N columns gives

    J = Σ_k (m_k/m)·J_k,   dW = Σ_k (m_k/m)·dW_k

where J_k and dW_k are the mean loss and its gradient over slice k alone (the L2 term,
which belongs to the whole batch, is added once afterwards). A loss whose mean runs over
other terms than the examples (the tokens of padded sequences) weighs the slices by its
``count`` of them instead. Each slice runs forward and
backward on its own thread, on a replica of the model that shares the parameter arrays
but keeps its own caches and gradients; the calling thread computes the first slice on the
model itself. While the slices run, the matrix products use one BLAS thread each: the
threads take the place of BLAS's own (PyTorch runs a batch's work on its threads alike).
NumPy and the numba kernels release the GIL in their loops, so the slices run at once.

The result equals the one-thread step up to rounding (sums taken in another order).
Layers that need the whole batch at once (``per_example`` False: batch norm, stateful
recurrent layers) cannot be split.
"""
from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from .validation import check_positive_int

if TYPE_CHECKING:
    from .model import Sequential


def batch_slices(m: int, threads: int) -> list[slice]:
    """The slices of a batch of m examples, one per thread (fewer when m < threads), as
    even as can be: consecutive ranges whose sizes differ by at most one."""
    edges = np.linspace(0, m, min(threads, m) + 1).astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


class SlicedSteps:
    """Computes a training step's cost and gradients on ``threads`` slices of the batch at
    once (threads=1: the whole batch on the calling thread); use it in a ``with`` block,
    which ends its threads."""

    def __init__(self, model: Sequential, threads: int, rng: np.random.Generator):
        self.model, self.threads = model, check_positive_int(threads, "threads")
        self.replicas: list[Sequential] = []
        self._pool: ThreadPoolExecutor | None = None
        if threads == 1:
            return
        for i, layer in enumerate(model.layers):
            if not layer.per_example:
                raise ValueError(
                    f"fit(threads={threads}) computes each batch in {threads} slices, but "
                    f"layer {i} ({layer!r}) needs the whole batch at once (its per_example "
                    f"is False): train it with threads=1")
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            raise ImportError(f"fit(threads={threads}) needs threadpoolctl to keep BLAS to "
                              f"one thread per slice: pip install 'verigrad[fast]'") from None
        self.replicas = [model.replica() for _ in range(threads - 1)]
        for replica, child in zip(self.replicas, rng.spawn(len(self.replicas))):
            replica.set_rng(child)
        self._blas = ThreadpoolController()
        self._pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="verigrad-slice")

    def __enter__(self) -> SlicedSteps:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def cost_and_backward(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """(J, Z) for the batch (X, Y), training on: the cost with its L2 term and the
        logits of all m examples; the model's layers hold the batch's gradients."""
        if self._pool is None:  # threads=1: no replicas
            return self.model.cost_and_backward(X, Y)
        m = X.shape[-1]
        parts = batch_slices(m, self.threads)
        with self._blas.limit(limits=1, user_api="blas"):
            # each thread runs in a copy of this one's context: np.errstate holds there too
            futures = [self._pool.submit(contextvars.copy_context().run,
                                         replica.loss_and_backward, X[..., part], Y[..., part],
                                         True)
                       for replica, part in zip(self.replicas, parts[1:])]
            try:
                first = self.model.loss_and_backward(X[..., parts[0]], Y[..., parts[0]], True)
            finally:  # no slice may still run when this step ends, even on an error
                rest = [future.result() for future in futures]
        results = [first, *rest]
        # each slice's mean loss weighs the share of the batch's terms it averages: m_k/m,
        # or N_k/N for a sequence loss whose padding counts for nothing
        counts = [self.model.require_loss().count(Y[..., part]) for part in parts]
        weights = [count / max(sum(counts), 1) for count in counts]
        loss = sum(weight * part_loss for weight, (part_loss, _) in zip(weights, results))
        # each layer of the model beside its copies in the replicas (zip with the weights
        # leaves out a replica that had no slice)
        for layer, *copies in zip(self.model.layers, *(r.layers for r in self.replicas)):
            for name, grad in layer.grads.items():
                grad *= grad.dtype.type(weights[0])
                for weight, copy in zip(weights[1:], copies):
                    grad += grad.dtype.type(weight) * copy.grads[name]
        self.model.add_l2_grads(m)
        Z = np.concatenate([Z for _, Z in results], axis=-1)
        return loss + self.model.l2_penalty(m), Z
