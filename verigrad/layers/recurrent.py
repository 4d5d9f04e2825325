"""Recurrent layers over whole sequences: ``RNN``, ``LSTM`` and ``GRU``, trained by
backpropagation through time (BPTT).

A batch of sequences is (n_x, T, m), the example axis last, so the slice ``X[:, t, :]`` at one
time step is an ordinary dense batch (n_x, m). From the course's (n_x, m, T_x) layout:
``X.transpose(0, 2, 1)``; from PyTorch's batch-first (m, T, n_x): ``X.transpose(2, 1, 0)``.
The hidden state a⟨t⟩ is (n_a, m); with ``return_sequences=True`` a layer outputs every
a⟨t⟩ as (n_a, T, m), otherwise only the last one, (n_a, m).

Each layer runs over the whole sequence in ``forward`` and back through it in ``backward``.
Three things every layer does the same way:

* The input's share of every pre-activation, W_x·x⟨t⟩ + b, does not depend on the previous
  state, so it is computed for all T steps in one call before the loop; only
  W_a·a⟨t−1⟩ is computed step by step.
* Backward walks t = T … 1. The gradient reaching a⟨t⟩ has two paths, from the output at t
  (dA[:, t]) and from step t + 1 (da_next), and they are added. Each step's gradient
  dG⟨t⟩ with respect to the stacked pre-activations is kept; the weight gradients are the
  sums over t of dG⟨t⟩·a⟨t−1⟩ᵀ and dG⟨t⟩·x⟨t⟩ᵀ, taken after the loop as one product each
  (the same sums, in one call instead of T). dX = W_xᵀ·dG for all steps likewise.
* Inside, the per-step arrays (pre-activations, states, their gradients) are time-major,
  (T, ·, m), so each step works on contiguous (·, m) blocks; a slice [:, t] of an (n, T, m)
  array has rows T·m apart, and the per-step element-wise work measured markedly slower
  on it (docs/benchmarks.md). The layer's inputs and outputs keep the (n, T, m) layout.

Initial state: zeros, or ``forward(X, initial_state=...)`` (a0, or (a0, c0) for the LSTM).
Truncated BPTT: with ``stateful=True`` the final state of each training batch becomes the
initial state of the next one of the same size (detached: gradients stop at the batch
boundary), so a long text can be fed as consecutive chunks; ``reset_state()`` forgets it.
Evaluation (``training=False``) neither uses nor changes the carried state.
After ``forward``, ``final_state`` holds a⟨T⟩ (and c⟨T⟩); ``backward(dA, d_final_state=...)``
also takes the gradient of that final state when the cost uses it; after ``backward``,
``d_initial_state`` holds dJ/da⟨0⟩ (and dJ/dc⟨0⟩), and ``state_gradient_norms()`` gives
‖dJ/da⟨t⟩‖ for every t: how the gradient fades or grows on its way back through time.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Any, Union

import numpy as np

from ..functional import sigmoid_by_tanh, sigmoid_derivative, tanh, tanh_derivative
from ..validation import check_positive_int, describe_shape
from .base import Layer, Shape

#: a recurrent layer's initial state: a⟨0⟩, or (a⟨0⟩, c⟨0⟩) for an LSTM
InitialState = Union[np.ndarray, tuple[np.ndarray, ...]]


class Recurrent(Layer):
    """What RNN, LSTM and GRU share: shapes, checks, state handling, initialisation, and the
    products before and after the time loop. A subclass stacks its weight blocks into
    W_a (G·n_a, n_a) and W_x (G·n_a, n_x) and writes the time loops."""

    INITS = ("xavier", "uniform")
    #: names of the states the layer carries: ("a",) or ("a", "c")
    STATES: tuple[str, ...] = ("a",)

    def __init__(self, n_x: int, n_a: int, return_sequences: bool = True, stateful: bool = False,
                 init: str = "xavier", seed: int | None = None):
        super().__init__()
        kind = type(self).__name__
        self.n_x = check_positive_int(n_x, f"{kind} n_x")
        self.n_a = check_positive_int(n_a, f"{kind} n_a")
        if init not in self.INITS:
            raise ValueError(f"{kind} init must be one of {self.INITS}, got {init!r}")
        self.return_sequences, self.stateful = bool(return_sequences), bool(stateful)
        self.init, self.seed = init, seed
        self.input_shape = (self.n_x, None)
        self.params = {name: (np.empty if name[0] == "W" else np.zeros)(shape)
                       for name, shape in self._shapes(self.n_x, self.n_a).items()}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.initialize(np.random.default_rng(seed))
        self.carried: tuple[np.ndarray, ...] | None = None
        self.held = False  # hold_state: every pass starts from the same carried state
        self.final_state: np.ndarray | tuple[np.ndarray, ...] | None = None
        self.d_initial_state: np.ndarray | tuple[np.ndarray, ...] | None = None
        self._dH: np.ndarray | None = None

    def initialize(self, rng: np.random.Generator) -> None:
        """Weights: "xavier" draws N(0, 1/(n_a + n_x)) (each block acts on [a⟨t−1⟩; x⟨t⟩]),
        "uniform" draws U(−1/√n_a, 1/√n_a) as PyTorch does. Biases start at zero."""
        for name, p in self.params.items():
            if name[0] != "W":
                p[...] = 0
            elif self.init == "uniform":
                limit = 1.0 / np.sqrt(self.n_a)
                p[...] = rng.uniform(-limit, limit, size=p.shape)
            else:
                p[...] = rng.standard_normal(p.shape) / np.sqrt(self.n_a + self.n_x)

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != 2 or shape[0] != self.n_x:
            raise ValueError(f"{self!r} takes sequences (n_x, T, m) = ({self.n_x}, T, m), but "
                             f"the layer before it gives {describe_shape(shape)}")
        return (self.n_a, shape[1]) if self.return_sequences else (self.n_a,)

    @property
    def per_example(self) -> bool:  # type: ignore[override]  # a class attribute on Layer
        # a stateful layer's carried state belongs to the whole batch's columns
        return not self.stateful

    @property
    def continues_batches(self) -> bool:  # type: ignore[override]
        return self.stateful

    def hold_state(self) -> None:
        self.held = True

    def reset_state(self) -> None:
        """Forget the state carried from the last training batch (``stateful`` layers)."""
        self.carried = None

    def state_gradient_norms(self) -> np.ndarray:
        """‖dJ/da⟨t⟩‖ (Frobenius over units and examples) for t = 1 … T, from the last
        backward: the total gradient reaching each hidden state, both paths added."""
        if self._dH is None:
            raise RuntimeError(f"{self!r} has not run backward yet")
        return np.sqrt(np.einsum("tam,tam->t", self._dH, self._dH))

    def get_config(self) -> dict[str, Any]:
        return {"n_x": self.n_x, "n_a": self.n_a, "return_sequences": self.return_sequences,
                "stateful": self.stateful, "init": self.init}

    # ---- forward and backward shared by the three cells --------------------------------

    def forward(self, A_prev: np.ndarray, training: bool = False,
                initial_state: InitialState | None = None) -> np.ndarray:
        X = self._check_sequence(A_prev)
        _, T, m = X.shape
        states = self._initial_states(initial_state, m, X.dtype, training)
        W_a, W_x, b = self._stacked()
        # W_x·x⟨t⟩ + b for every t at once, time-major: (T, G·n_a, m)
        Zx = W_x @ X.transpose(1, 0, 2)
        Zx += b
        H = np.empty((T + 1, self.n_a, m), X.dtype)  # a⟨0⟩ … a⟨T⟩, time-major
        H[0] = states[0]
        final = self._run_forward(Zx, W_a, H, states)
        self.final_state = final[0] if len(final) == 1 else final
        if self.stateful and training and not self.held:
            self.carried = tuple(s.copy() for s in final)
        self._X, self._H, self._W_a, self._W_x = X, H, W_a, W_x
        if self.return_sequences:
            return np.ascontiguousarray(H[1:].transpose(1, 0, 2))
        return H[T].copy()

    def backward(self, dA: np.ndarray,
                 d_final_state: InitialState | None = None) -> np.ndarray | None:
        """Back through time from dA, the gradient of the outputs. d_final_state: the
        gradient of the final state as well, dJ/da⟨T⟩ (or (dJ/da⟨T⟩, dJ/dc⟨T⟩) for an
        LSTM), when the cost uses ``final_state`` beyond the outputs (one step of a cell
        whose c⟨t⟩ goes on to the next); None: zero."""
        X, H = self._X, self._H
        n_a, T, m = self.n_a, X.shape[1], X.shape[2]
        # dH[t] collects dJ/da⟨t+1⟩ (time-major); it starts as the gradient from the outputs
        if self.return_sequences:
            dH = np.array(dA.transpose(1, 0, 2), dtype=X.dtype, order="C")
        else:
            dH = np.zeros((T, n_a, m), X.dtype)
            dH[-1] = dA
        carried: tuple[np.ndarray, ...] = ()
        if d_final_state is not None:
            d_final = self._states(d_final_state, m, X.dtype, "d_final_state", "T")
            dH[-1] += d_final[0]
            carried = d_final[1:]
        dG_x, dG_a, d_initial = self._run_backward(dH, *carried)
        self._dH = dH
        self.d_initial_state = d_initial[0] if len(d_initial) == 1 else d_initial
        # back to (G·n_a, T·m) and (n_a, T·m), so each sum over t is one product
        dGx2 = dG_x.transpose(1, 0, 2).reshape(-1, T * m)
        dGa2 = dGx2 if dG_a is dG_x else dG_a.transpose(1, 0, 2).reshape(-1, T * m)
        dW_a = dGa2 @ H[:-1].transpose(1, 0, 2).reshape(n_a, T * m).T   # Σ_t dG⟨t⟩·a⟨t−1⟩ᵀ
        dW_x = dGx2 @ X.reshape(self.n_x, T * m).T                      # Σ_t dG⟨t⟩·x⟨t⟩ᵀ
        db = dGx2.sum(axis=1, keepdims=True)
        self._store_grads(dW_a, dW_x, db, dGa2)
        if not self.needs_input_grad:
            return None
        return (self._W_x.T @ dGx2).reshape(self.n_x, T, m)

    # ---- checks ------------------------------------------------------------------------

    def _check_sequence(self, X: np.ndarray) -> np.ndarray:
        kind = type(self).__name__
        want = f"(n_x, T, m) = ({self.n_x}, T, m)"
        if not isinstance(X, np.ndarray):
            raise TypeError(f"{kind} input must be a NumPy array of shape {want}, got "
                            f"{type(X).__name__}")
        if X.ndim != 3:
            hint = (": one sequence still needs the example axis, add [..., None]"
                    if X.ndim == 2 and X.shape[0] == self.n_x else "")
            raise ValueError(f"{kind} input must be 3-D {want}, got shape {X.shape}{hint}")
        if X.shape[0] != self.n_x:
            hint = (": it looks batch-first (m, T, n_x); pass X.transpose(2, 1, 0)"
                    if X.shape[2] == self.n_x else "")
            raise ValueError(f"{kind} input must have shape {want}, the features first and "
                             f"the examples last, got {X.shape}{hint}")
        if X.shape[1] == 0:
            raise ValueError(f"{kind} input has T = 0 time steps (shape {X.shape}); a "
                             f"sequence needs at least one")
        if X.dtype.kind != "f":
            raise TypeError(f"{kind} input has dtype {X.dtype}; it takes floating values "
                            f"(token ids go through an Embedding first)")
        return X

    def _initial_states(self, given: InitialState | None, m: int, dtype: np.dtype,
                        training: bool) -> tuple[np.ndarray, ...]:
        if given is None:
            if (self.stateful and training and self.carried is not None
                    and self.carried[0].shape[1] == m):
                return self.carried
            return tuple(np.zeros((self.n_a, m), dtype) for _ in self.STATES)
        return self._states(given, m, dtype, "initial_state", "0")

    def _states(self, given: InitialState, m: int, dtype: np.dtype, argument: str,
                step: str) -> tuple[np.ndarray, ...]:
        """``given`` (a, or (a, c)) as a tuple of (n_a, m) arrays of ``dtype``, or a
        ValueError naming ``argument`` and the state at ``step`` ("0", "T")."""
        kind, n = type(self).__name__, len(self.STATES)
        states = (given,) if n == 1 else tuple(given)
        names = ", ".join(f"{s}{step}" for s in self.STATES)
        if len(states) != n:
            raise ValueError(f"{kind} {argument} must be ({names}), got {len(states)} arrays")
        for name, s in zip(self.STATES, states):
            if not isinstance(s, np.ndarray) or s.shape != (self.n_a, m):
                got = s.shape if isinstance(s, np.ndarray) else type(s).__name__
                raise ValueError(f"{kind} {argument}: {name}{step} must have shape (n_a, m) = "
                                 f"({self.n_a}, {m}), got {got}")
        return tuple(s.astype(dtype, copy=False) for s in states)

    # ---- the parts each cell provides --------------------------------------------------

    @classmethod
    def parameter_shapes(cls, n_x: int, n_a: int, return_sequences: bool = True,
                         stateful: bool = False, init: str = "xavier",
                         seed: int | None = None) -> dict[str, tuple[int, ...]]:
        kind = cls.__name__
        return cls._shapes(check_positive_int(n_x, f"{kind} n_x"),
                           check_positive_int(n_a, f"{kind} n_a"))

    @classmethod
    @abstractmethod
    def _shapes(cls, n_x: int, n_a: int) -> dict[str, tuple[int, ...]]:
        """The parameters' shapes by name for input size n_x and state size n_a."""

    @abstractmethod
    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W_a (G·n_a, n_a), W_x (G·n_a, n_x), b (G·n_a, 1)): the weight blocks that act on
        a⟨t−1⟩ and on x⟨t⟩, and the biases added to the input's share, stacked by block."""

    @abstractmethod
    def _run_forward(self, Zx: np.ndarray, W_a: np.ndarray, H: np.ndarray,
                     states: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Fill H[1:] step by step (Zx[t] holds W_x·x⟨t⟩ + b); return the final states."""

    @abstractmethod
    def _run_backward(
            self, dH: np.ndarray, *d_final: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        """Walk back through time (dH[t] is dJ/da⟨t+1⟩; d_final: the gradients of the final
        states after a⟨T⟩, c⟨T⟩ for an LSTM); return dJ/d(input share)
        (T, G·n_a, m), dJ/d(W_a·a⟨t−1⟩ share) (the same array where the two coincide) and
        dJ/d(initial states)."""

    @abstractmethod
    def _store_grads(self, dW_a: np.ndarray, dW_x: np.ndarray, db: np.ndarray,
                     dG_a: np.ndarray) -> None:
        """Write the stacked weight gradients into ``self.grads`` by block (dG_a is
        (G·n_a, T·m))."""


def _concat_blocks(W: np.ndarray, n_a: int) -> tuple[np.ndarray, np.ndarray]:
    """Split a block acting on [a⟨t−1⟩; x⟨t⟩] into (hidden part, input part)."""
    return W[:, :n_a], W[:, n_a:]


class _Gated(Recurrent):
    """LSTM and GRU: blocks W· (n_a, n_a + n_x) acting on [a⟨t−1⟩; x⟨t⟩] and biases b·, one
    per letter of ``GATES`` (the course's order), stacked in the order of ``ORDER``."""

    GATES: tuple[str, ...] = ()
    ORDER: tuple[str, ...] = ()

    @classmethod
    def _shapes(cls, n_x: int, n_a: int) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {f"W{g}": (n_a, n_a + n_x) for g in cls.GATES}
        shapes.update({f"b{g}": (n_a, 1) for g in cls.GATES})
        return shapes

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        W = np.concatenate([p[f"W{g}"] for g in self.ORDER])
        b = np.concatenate([p[f"b{g}"] for g in self.ORDER])
        W_a, W_x = _concat_blocks(W, self.n_a)
        return np.ascontiguousarray(W_a), np.ascontiguousarray(W_x), b

    def _store_grads(self, dW_a: np.ndarray, dW_x: np.ndarray, db: np.ndarray,
                     dG_a: np.ndarray) -> None:
        n_a = self.n_a
        for k, g in enumerate(self.ORDER):
            rows = slice(k * n_a, (k + 1) * n_a)
            dW_hidden, dW_input = _concat_blocks(self.grads[f"W{g}"], n_a)
            dW_hidden[...], dW_input[...] = dW_a[rows], dW_x[rows]
            self.grads[f"b{g}"][...] = db[rows]


class RNN(Recurrent):
    """A plain (Elman) recurrent layer with tanh:

        a⟨t⟩ = tanh(Waa·a⟨t−1⟩ + Wax·x⟨t⟩ + ba)

    Waa (n_a, n_a), Wax (n_a, n_x), ba (n_a, 1); in a model Waal, Waxl, bal. Backward, with
    da⟨t⟩ = dA[:, t] + da_next (from the output at t and from step t + 1):

        dz⟨t⟩ = da⟨t⟩ ⊙ (1 − a⟨t⟩²)          tanh' from the output a⟨t⟩
        da_next = Waaᵀ·dz⟨t⟩                  the gradient reaching a⟨t−1⟩ through step t
        dWaa = Σ_t dz⟨t⟩·a⟨t−1⟩ᵀ    dWax = Σ_t dz⟨t⟩·x⟨t⟩ᵀ    dba = Σ_t Σ_examples dz⟨t⟩
        dx⟨t⟩ = Waxᵀ·dz⟨t⟩

    Equal to ``torch.nn.RNN(nonlinearity="tanh")`` with Waa = weight_hh, Wax = weight_ih,
    ba = bias_ih + bias_hh.
    """

    @classmethod
    def _shapes(cls, n_x: int, n_a: int) -> dict[str, tuple[int, ...]]:
        return {"Waa": (n_a, n_a), "Wax": (n_a, n_x), "ba": (n_a, 1)}

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.params["Waa"], self.params["Wax"], self.params["ba"]

    def _run_forward(self, Zx: np.ndarray, W_a: np.ndarray, H: np.ndarray,
                     states: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        for t in range(Zx.shape[0]):
            Z = Zx[t]
            Z += W_a @ H[t]
            tanh(Z, out=H[t + 1])
        return (H[-1].copy(),)

    def _run_backward(
            self, dH: np.ndarray, *d_final: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        H, W_a = self._H, self._W_a
        dZ = np.empty_like(dH)
        da_next = np.zeros_like(dH[0])
        for t in range(dH.shape[0] - 1, -1, -1):
            da = dH[t]
            da += da_next
            np.multiply(da, tanh_derivative(H[t + 1]), out=dZ[t])
            da_next = W_a.T @ dZ[t]
        return dZ, dZ, (da_next,)

    def _store_grads(self, dW_a: np.ndarray, dW_x: np.ndarray, db: np.ndarray,
                     dG_a: np.ndarray) -> None:
        self.grads["Waa"][...] = dW_a
        self.grads["Wax"][...] = dW_x
        self.grads["ba"][...] = db


class LSTM(_Gated):
    """Long short-term memory, in the course's notation. With the concatenation
    [a⟨t−1⟩; x⟨t⟩] (n_a + n_x, m) and Wf, Wi, Wc, Wo each (n_a, n_a + n_x), bf … bo (n_a, 1):

        Γf = σ(Wf·[a⟨t−1⟩; x⟨t⟩] + bf)          forget gate
        Γi = σ(Wi·[a⟨t−1⟩; x⟨t⟩] + bi)          update (input) gate
        c̃⟨t⟩ = tanh(Wc·[a⟨t−1⟩; x⟨t⟩] + bc)      candidate
        Γo = σ(Wo·[a⟨t−1⟩; x⟨t⟩] + bo)          output gate
        c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γi ⊙ c̃⟨t⟩
        a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩)

    In a model: Wfl, Wil, Wcl, Wol, bfl, bil, bcl, bol. Backward, with
    da⟨t⟩ = dA[:, t] + da_next and dc⟨t⟩ = dc_next + da⟨t⟩ ⊙ Γo ⊙ (1 − tanh²(c⟨t⟩)):

        dZo = da⟨t⟩ ⊙ tanh(c⟨t⟩) ⊙ Γo(1 − Γo)
        dZc = dc⟨t⟩ ⊙ Γi ⊙ (1 − c̃⟨t⟩²)
        dZi = dc⟨t⟩ ⊙ c̃⟨t⟩ ⊙ Γi(1 − Γi)
        dZf = dc⟨t⟩ ⊙ c⟨t−1⟩ ⊙ Γf(1 − Γf)
        dc_next = dc⟨t⟩ ⊙ Γf
        da_next = Σ_gates W·[:, :n_a]ᵀ·dZ·       only the hidden-state block of each W
        dW· = Σ_t dZ·⟨t⟩·[a⟨t−1⟩; x⟨t⟩]ᵀ    db· = Σ_t Σ_examples dZ·⟨t⟩
        dx⟨t⟩ = Σ_gates W·[:, n_a:]ᵀ·dZ·         only the input block

    Equal to ``torch.nn.LSTM``, whose packed weight_ih, weight_hh hold the blocks in the
    order i, f, g (= c̃), o: Wf = [weight_hh_f, weight_ih_f], bf = bias_ih_f + bias_hh_f, …
    """

    STATES = ("a", "c")
    GATES = ("f", "i", "c", "o")
    #: order of the blocks in the stacked matrices: the three sigmoid gates, then c̃
    ORDER = ("f", "i", "o", "c")

    def _run_forward(self, Zx: np.ndarray, W_a: np.ndarray, H: np.ndarray,
                     states: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        C = np.empty_like(H)  # c⟨0⟩ … c⟨T⟩
        C[0] = states[1]
        tanh_C = np.empty_like(H[1:])
        for t in range(Zx.shape[0]):
            G = Zx[t]
            G += W_a @ H[t]
            _lstm_activate(G, C[t], C[t + 1], tanh_C[t], H[t + 1])
        self._gates, self._C, self._tanh_C = Zx, C, tanh_C
        return H[-1].copy(), C[-1].copy()

    def _run_backward(
            self, dH: np.ndarray, *d_final: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        W_a, gates, C, tanh_C = self._W_a, self._gates, self._C, self._tanh_C
        dG = np.empty_like(gates)
        da_next = np.zeros_like(dH[0])
        # dJ/dc⟨T⟩ from beyond the sequence, or none
        dc_next = d_final[0].copy() if d_final else np.zeros_like(da_next)
        for t in range(dH.shape[0] - 1, -1, -1):
            _lstm_gate_grads(dH[t], da_next, dc_next, gates[t], C[t], tanh_C[t], dG[t])
            da_next = W_a.T @ dG[t]
        return dG, dG, (da_next, dc_next)


def _lstm_activate(G: np.ndarray, c_prev: np.ndarray, c: np.ndarray, tanh_c: np.ndarray,
                   a: np.ndarray) -> None:
    """One LSTM step after the products: G (4n_a, m) holds the pre-activations of
    [Γf; Γi; Γo; c̃] and is overwritten by their values; c, tanh_c and a are written."""
    n_a = c.shape[0]
    sigmoid_by_tanh(G[:3 * n_a], out=G[:3 * n_a])
    tanh(G[3 * n_a:], out=G[3 * n_a:])
    f, i, o, cc = G[:n_a], G[n_a:2 * n_a], G[2 * n_a:3 * n_a], G[3 * n_a:]
    np.multiply(f, c_prev, out=c)
    c += i * cc
    tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=a)


def _lstm_gate_grads(da: np.ndarray, da_next: np.ndarray, dc_next: np.ndarray, G: np.ndarray,
                     c_prev: np.ndarray, tanh_c: np.ndarray, dZ: np.ndarray) -> None:
    """One step back: ``da`` (the gradient from the output) gains ``da_next`` (the one from
    step t + 1); dZ (4n_a, m) receives [dZf; dZi; dZo; dZc]; dc_next becomes dc·Γf.
    Each block of dZ starts as its gate's derivative and is multiplied in place."""
    n_a = da.shape[0]
    f, i, o, cc = G[:n_a], G[n_a:2 * n_a], G[2 * n_a:3 * n_a], G[3 * n_a:]
    dZf, dZi, dZo, dZc = dZ[:n_a], dZ[n_a:2 * n_a], dZ[2 * n_a:3 * n_a], dZ[3 * n_a:]
    da += da_next
    dc = tanh_derivative(tanh_c)
    dc *= o
    dc *= da
    dc += dc_next                                  # dc_next + da ⊙ Γo ⊙ (1 − tanh²c)
    sigmoid_derivative(G[:3 * n_a], out=dZ[:3 * n_a])  # Γ(1 − Γ) of f, i, o at once
    tanh_derivative(cc, out=dZc)
    dZf *= c_prev
    dZf *= dc
    dZi *= cc
    dZi *= dc
    dZo *= tanh_c
    dZo *= da
    dZc *= i
    dZc *= dc
    np.multiply(dc, f, out=dc_next)


class GRU(_Gated):
    """Gated recurrent unit, in PyTorch's formulation (the reset gate acts on the hidden
    state's share *after* its matrix product, plus a bias of its own inside):

        Γu = σ(Wu·[a⟨t−1⟩; x⟨t⟩] + bu)                              update gate
        Γr = σ(Wr·[a⟨t−1⟩; x⟨t⟩] + br)                              reset gate
        c̃⟨t⟩ = tanh(Wcx·x⟨t⟩ + bc + Γr ⊙ (Wca·a⟨t−1⟩ + bca))        candidate
        a⟨t⟩ = Γu ⊙ c̃⟨t⟩ + (1 − Γu) ⊙ a⟨t−1⟩

    Wu, Wr, Wc each (n_a, n_a + n_x) acting on [a⟨t−1⟩; x⟨t⟩], with Wc = [Wca, Wcx] split
    into its hidden and input blocks; bu, br, bc, bca (n_a, 1). The update gate weighs the
    candidate as in the course (Γu = 1 means "replace the state"); the course's GRU resets
    before the product, c̃ = tanh(Wc·[Γr ⊙ a⟨t−1⟩; x⟨t⟩] + bc), which is a different function.
    Backward, with da⟨t⟩ = dA[:, t] + da_next and h⟨t⟩ = Wca·a⟨t−1⟩ + bca:

        dZu = da⟨t⟩ ⊙ (c̃⟨t⟩ − a⟨t−1⟩) ⊙ Γu(1 − Γu)
        dZc = da⟨t⟩ ⊙ Γu ⊙ (1 − c̃⟨t⟩²)                gradient of the candidate's argument
        dZr = dZc ⊙ h⟨t⟩ ⊙ Γr(1 − Γr)
        dh⟨t⟩ = dZc ⊙ Γr                              what reaches Wca·a⟨t−1⟩ + bca
        da_next = da⟨t⟩ ⊙ (1 − Γu) + Wu[:, :n_a]ᵀ·dZu + Wr[:, :n_a]ᵀ·dZr + Wcaᵀ·dh⟨t⟩
        dWu = Σ_t dZu·[a⟨t−1⟩; x⟨t⟩]ᵀ (Wr likewise)   dWca = Σ_t dh·a⟨t−1⟩ᵀ   dWcx = Σ_t dZc·x⟨t⟩ᵀ
        dbu, dbr, dbc, dbca = Σ_t Σ_examples of dZu, dZr, dZc, dh

    Equal to ``torch.nn.GRU`` (blocks r, z, n in its packed weights; its z weighs the old
    state, so Γu = 1 − z): Wr = [weight_hh_r, weight_ih_r], br = bias_ih_r + bias_hh_r;
    Wu = −[weight_hh_z, weight_ih_z], bu = −(bias_ih_z + bias_hh_z); Wca = weight_hh_n,
    Wcx = weight_ih_n, bc = bias_ih_n, bca = bias_hh_n.
    """

    GATES = ORDER = ("u", "r", "c")

    @classmethod
    def _shapes(cls, n_x: int, n_a: int) -> dict[str, tuple[int, ...]]:
        return {**super()._shapes(n_x, n_a), "bca": (n_a, 1)}

    def _run_forward(self, Zx: np.ndarray, W_a: np.ndarray, H: np.ndarray,
                     states: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        n_a, T = self.n_a, Zx.shape[0]
        bca = self.params["bca"]
        Hc = np.empty_like(H[1:])  # h⟨t⟩ = Wca·a⟨t−1⟩ + bca
        for t in range(T):
            G = Zx[t]
            share = W_a @ H[t]
            G[:2 * n_a] += share[:2 * n_a]
            sigmoid_by_tanh(G[:2 * n_a], out=G[:2 * n_a])
            Hc[t] = share[2 * n_a:] + bca
            u, r = G[:n_a], G[n_a:2 * n_a]
            # G becomes the gate values: Γu, Γr, then c̃
            G[2 * n_a:] = tanh(G[2 * n_a:] + r * Hc[t])
            H[t + 1] = u * G[2 * n_a:] + (1 - u) * H[t]
        self._gates, self._Hc = Zx, Hc
        return (H[-1].copy(),)

    def _run_backward(
            self, dH: np.ndarray, *d_final: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        n_a, H, W_a = self.n_a, self._H, self._W_a
        gates, Hc = self._gates, self._Hc
        dG_x, dG_a = np.empty_like(gates), np.empty_like(gates)
        da_next = np.zeros_like(dH[0])
        for t in range(dH.shape[0] - 1, -1, -1):
            G, dZ = gates[t], dG_x[t]
            u, r, cc = G[:n_a], G[n_a:2 * n_a], G[2 * n_a:]
            da = dH[t]
            da += da_next
            dZ[:n_a] = da * (cc - H[t]) * sigmoid_derivative(u)
            dZ[2 * n_a:] = da * u * tanh_derivative(cc)
            dZ[n_a:2 * n_a] = dZ[2 * n_a:] * Hc[t] * sigmoid_derivative(r)
            dZa = dG_a[t]
            dZa[:2 * n_a] = dZ[:2 * n_a]
            dZa[2 * n_a:] = dZ[2 * n_a:] * r
            da_next = da * (1 - u) + W_a.T @ dZa
        return dG_x, dG_a, (da_next,)

    def _store_grads(self, dW_a: np.ndarray, dW_x: np.ndarray, db: np.ndarray,
                     dG_a: np.ndarray) -> None:
        super()._store_grads(dW_a, dW_x, db, dG_a)
        n_a = self.n_a
        self.grads["bca"][...] = dG_a[2 * n_a:].sum(axis=1, keepdims=True)
