"""The NaN/inf guard of ``fit`` and the warnings that come before a divergence.

A network that is about to blow up usually shows it early: inputs far from unit scale,
weights drawn from ``np.random.rand`` (all positive, in [0, 1)), or pre-activations far
outside the range where the activation still has a gradient. ``Guard`` is the callback
every ``fit`` runs first (unless ``guard=False``). It looks for these on a few steps (the
first, then steps 2, 4, 8, ... and the first step of every epoch), right after backprop,
in the step's own forward pass (``model.activations``), and issues a ``TrainingWarning``
naming the layer. It also catches the first non-finite value: every step's cost (one
``math.isfinite``) and the parameters after every epoch; ``Guard.diverged`` then finds
where the NaN or inf came from.

Each layer's limit is the ``useful_limit`` that the elementwise activation after it
declares (sigmoid, tanh: 30), so a learner's own activation is watched like a built-in.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from ..callbacks import Callback
from ..validation import looks_like_rand

if TYPE_CHECKING:
    from ..callbacks import History
    from ..model import Sequential

#: |Z| beyond which a pre-activation with no declared limit (a ReLU, a linear layer, the
#: logits) is far from any useful range: values this large overflow within a few steps.
LINEAR_LIMIT = 1e3
#: Root mean square of the inputs above which they count as not scaled (scaled data: ≈ 1).
INPUT_RMS_LIMIT = 3.0


class TrainingWarning(UserWarning):
    """A sign, seen during training, that the network is unlikely to learn or about to diverge."""


class TrainingDiverged(RuntimeError):
    """Training produced NaN or inf. ``layer`` names the layer (or loss) whose output was the
    first non-finite value, ``step`` the training step that produced it (counted from 1) and
    ``max_abs_preactivation`` the largest finite output of a parameterised layer on that
    step's batch.

    Nothing learnt is lost: ``fit`` sets ``history`` (the ``History`` of the epochs that
    finished, and the cost of every step up to the divergence), ``weights`` (copies of the
    parameters at the end of the last finished epoch, or before training) and ``state``
    (the layers' state arrays, batch norm's running statistics, of the same moment), and
    puts both back into the model."""

    def __init__(self, message: str, layer: str | None = None, step: int | None = None,
                 max_abs_preactivation: float | None = None):
        super().__init__(message)
        self.layer, self.step, self.max_abs_preactivation = layer, step, max_abs_preactivation
        self.history: History | None = None
        self.weights: dict[str, np.ndarray] | None = None
        self.state: dict[str, np.ndarray] | None = None


def _limit(model: Sequential, i: int) -> tuple[float | None, str | None]:
    """(|Z| limit, what follows) for the output of parameterised layer i: the useful range
    its elementwise activation declares, else LINEAR_LIMIT. The last layer's logits go to
    a fused loss, which has a gradient at any |Z|: only huge values count there, and none
    for a regression output, whose range is the targets'. Nor is there a limit before a
    normalization layer, which takes the scale out of Z in training."""
    follower = model.layers[i + 1] if i + 1 < len(model.layers) else None
    if follower is not None and follower.normalizes:
        return None, None
    if follower is None:
        classifier = model.loss is not None and model.loss.classifier  # fit requires a loss
        return (LINEAR_LIMIT, "logits") if classifier else (None, None)
    limit = follower.useful_limit if follower.elementwise else None
    return (LINEAR_LIMIT if limit is None else limit), type(follower).__name__


class Guard(Callback):
    """Watches one ``fit`` call: precursor warnings, then the diagnosis of a divergence."""

    def on_train_begin(self, model: Sequential, history: History) -> None:
        self.model = model
        self.findings: set[str] = set()  # "inputs", "rand": causes to suggest if it diverges
        self.warned: set[Hashable] = set()
        self.first_of_epoch, self.step = False, 0
        bad = self._nonfinite_parameter()
        if bad is not None:
            raise ValueError(f"{bad} of {model.layer_label(model.locate(bad)[0])} holds NaN "
                             f"or inf before training: give it finite values")

    def on_epoch_begin(self, model: Sequential, epoch: int) -> None:
        self.first_of_epoch = True

    def on_backward_end(self, model: Sequential, step: int, cost: float) -> None:
        self.step = step
        if self.first_of_epoch or step & (step - 1) == 0:  # steps 1, 2, 4, 8, ...
            self.check(step)
        self.first_of_epoch = False
        if not math.isfinite(cost):
            raise self.diverged(step, cost)

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        # a layer's state (running statistics) can overflow while the weights stay finite
        if self._nonfinite_parameter() is not None or self._nonfinite_state() is not None:
            raise self.diverged(self.step)

    def check(self, step: int) -> None:
        """Warn about precursors in the forward pass of ``step``; each kind of warning is
        issued once per layer and ``fit`` call."""
        model, A = self.model, self.model.activations
        found = [*self._inputs(A[0]), *self._weights()] if step == 1 else []
        for i in model.parameterised:
            limit, kind = _limit(model, i)
            Z = A[i + 1]
            if limit is not None and Z.size:
                largest = float(np.abs(Z).max())
                if largest > limit:
                    found.append((("preactivation", i), self._preactivation_message(
                        i, step, largest, limit, kind)))
        for key, message in found:
            if key not in self.warned:
                self.warned.add(key)
                warnings.warn(message, TrainingWarning, stacklevel=4)

    def _inputs(self, X: np.ndarray) -> Iterator[tuple[Hashable, str]]:
        if self.model.layers[0].input_kind == "index":  # token ids have no scale to check
            return
        rms = float(np.sqrt(np.mean(np.square(X, dtype=np.float64))))
        if rms > INPUT_RMS_LIMIT:
            self.findings.add("inputs")
            yield "inputs", (f"the inputs are not scaled: their root mean square is {rms:.3g} "
                             f"and |X| reaches {float(np.abs(X).max()):.3g}. Large inputs make "
                             f"large pre-activations and gradients; scale them to about unit "
                             f"size (divide pixels by 255, or standardise each feature: "
                             f"(X − mean) / std)")

    def _weights(self) -> Iterator[tuple[Hashable, str]]:
        for name, W in self.model.params.items():
            if name[0] == "W" and looks_like_rand(W):
                self.findings.add("rand")
                yield ("rand", name), (f"{name} holds only values in [0, 1) (mean "
                                       f"{float(W.mean()):.2f}): the signature of "
                                       f"np.random.rand. Weights must be centred on 0 and "
                                       f"scaled by 1/√n_in: keep the layer's init ('he' for "
                                       f"ReLU, 'xavier' for sigmoid/tanh)")

    def _preactivation_message(self, i: int, step: int, largest: float, limit: float,
                               kind: str | None) -> str:
        follower = self.model.layers[i + 1] if i + 1 < len(self.model.layers) else None
        if follower is not None and follower.saturation_limit is not None:
            effect = (f"the {kind} is flat there (its gradient is nearly 0), so these units "
                      f"stop learning and a naive exp would overflow")
        else:
            effect = "values this large grow into overflow (inf) within a few steps"
        return (f"{self.model.layer_label(i)}: pre-activations reach |Z| = {largest:.3g} at "
                f"step {step}, far outside the useful range of its {kind} (|Z| ≤ {limit:g}); "
                f"{effect}. Likely cause: {self.cause()}")

    def cause(self) -> str:
        """The likely cause of large values, from what the guard has seen."""
        causes = []
        if "inputs" in self.findings:
            causes.append("inputs not scaled (divide pixels by 255 or standardise features)")
        if "rand" in self.findings:
            causes.append("weights initialised uniform in [0, 1) like np.random.rand "
                          "(use init='he' or 'xavier')")
        causes.append(f"a learning rate too large (lr = {self.model.optimizer.lr:g}: try 10× "
                      f"smaller)")
        return "; ".join(causes)

    def diverged(self, step: int, cost: float | None = None) -> TrainingDiverged:
        """The ``TrainingDiverged`` for a non-finite value seen on ``step``: the step's cost
        if ``cost`` is given, else the parameters after its update."""
        model = self.model
        bad = self._nonfinite_parameter()
        if bad is not None:
            # The forward pass does not change parameters: the last update made them so.
            step = step - 1 if cost is not None else step
            layer, largest = model.layer_label(model.locate(bad)[0]), None
            where = f"the update of step {step} made {bad} of {layer} non-finite"
        elif cost is None and self._nonfinite_state() is not None:
            layer, largest = None, None
            where = (f"the layer state {self._nonfinite_state()} (a running statistic) is "
                     f"non-finite at the end of the epoch")
        else:
            layer, largest = self._first_nonfinite()
            where = f"the cost is {cost}; the first non-finite values come from {layer}"
        size = "" if largest is None else f", after pre-activations reached |Z| = {largest:.3g}"
        return TrainingDiverged(f"training diverged at step {step}: {where}{size}. "
                                f"Likely cause: {self.cause()}",
                                layer=layer, step=step, max_abs_preactivation=largest)

    def _nonfinite_parameter(self) -> str | None:
        return next((name for name, p in self.model.params.items() if not np.isfinite(p).all()),
                    None)

    def _nonfinite_state(self) -> str | None:
        return next((name for name, s in self.model.state.items() if not np.isfinite(s).all()),
                    None)

    def _first_nonfinite(self) -> tuple[str, float]:
        """The first layer whose output in the step's forward pass holds NaN or inf (or the
        loss), and the largest finite |Z| of the parameterised layers up to there."""
        model, largest = self.model, 0.0
        parameterised = set(model.parameterised)
        for i, A in enumerate(model.activations[1:]):
            finite = np.isfinite(A)
            if i in parameterised and finite.any():
                largest = max(largest, float(np.abs(A[finite]).max()))
            if not finite.all():
                return model.layer_label(i), largest
        return (f"the loss ({model.loss!r}) of the output of "
                f"{model.layer_label(len(model.layers) - 1)}"), largest
