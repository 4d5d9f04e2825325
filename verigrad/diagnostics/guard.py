"""The NaN/inf guard of ``fit`` and the warnings that come before a divergence.

A network that is about to blow up usually shows it early: inputs far from unit scale,
weights drawn from ``np.random.rand`` (all positive, in [0, 1)), or pre-activations far
outside the range where the activation still has a gradient. ``Guard`` looks for these on
a few steps (the first, then steps 2, 4, 8, ... and the first step of every epoch) and
issues a ``TrainingWarning`` naming the layer. It also catches the first non-finite value:
``fit`` checks every step's cost (one ``math.isfinite``) and the parameters after every
epoch, and ``Guard.diverged`` then finds where the NaN or inf came from.
"""
import warnings

import numpy as np

from ..layers import Dense, LeakyReLU, ReLU, Sigmoid, Tanh

#: |Z| beyond which sigmoid and tanh are flat (σ'(30) ≈ 1e-13): their units no longer learn.
SATURATING_LIMIT = 30.0
#: |Z| beyond which a ReLU or linear pre-activation is far from any useful range.
LINEAR_LIMIT = 1e3
#: Root mean square of the inputs above which they count as not scaled (scaled data: ≈ 1).
INPUT_RMS_LIMIT = 3.0
_SAMPLE = 256


class TrainingWarning(UserWarning):
    """A sign, seen during training, that the network is unlikely to learn or about to diverge."""


class TrainingDiverged(RuntimeError):
    """Training produced NaN or inf. ``layer`` names the layer (or loss) whose output was the
    first non-finite value, ``step`` the training step that produced it (counted from 1) and
    ``max_abs_preactivation`` the largest finite |Z| of a Dense layer on that step's batch."""

    def __init__(self, message, layer=None, step=None, max_abs_preactivation=None):
        super().__init__(message)
        self.layer, self.step, self.max_abs_preactivation = layer, step, max_abs_preactivation


def layer_name(model, i):
    return f"layer {i} ({model.layers[i]!r})"


def _limit(model, i):
    """(|Z| limit, what follows) for the output of Dense layer i. The last layer's logits
    go to a fused loss, which has a gradient at any |Z|: only huge values count there, and
    none for a regression output, whose range is the targets'. Nor is there a limit before a
    normalization layer, which takes the scale out of Z in training."""
    follower = model.layers[i + 1] if i + 1 < len(model.layers) else None
    if follower is not None and follower.normalizes:
        return None, None
    if isinstance(follower, Sigmoid):
        return SATURATING_LIMIT, "sigmoid"
    if isinstance(follower, Tanh):
        return SATURATING_LIMIT, "tanh"
    if isinstance(follower, (ReLU, LeakyReLU)):
        return LINEAR_LIMIT, type(follower).__name__
    if follower is None and not model.loss.classifier:
        return None, None
    return LINEAR_LIMIT, "logits" if follower is None else type(follower).__name__


def looks_like_rand(W):
    """True for weights with the signature of ``np.random.rand``: all in [0, 1), mean ≈ ½."""
    return W.size >= 4 and W.min() >= 0 and W.max() < 1 and W.mean() > 0.25


class Guard:
    """Watches one ``fit`` call: precursor warnings, then the diagnosis of a divergence."""

    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.findings = set()  # "inputs", "rand": causes to suggest if training diverges
        self.warned = set()

    def due(self, step, first_of_epoch):
        """Whether to look for precursors before ``step``: cheap, so only on a few steps."""
        return first_of_epoch or step & (step - 1) == 0

    def check(self, X, step):
        """Look for precursors on (up to 256 columns of) the batch X before the step runs;
        each kind of warning is issued once per layer and ``fit`` call. Parameters that are
        not finite before the first step are an error."""
        X = X[..., :_SAMPLE]
        bad = self._nonfinite_parameter() if step == 1 else None
        if bad is not None:
            raise ValueError(f"{bad} of {layer_name(self.model, self._layer_of(bad))} holds NaN "
                             f"or inf before training: give it finite values")
        found = [*self._inputs(X), *self._weights()] if step == 1 else []
        A = X
        for i, layer in enumerate(self.model.layers):
            A = layer.forward(A, False)
            limit, kind = _limit(self.model, i) if isinstance(layer, Dense) else (None, None)
            if limit is not None and A.size:
                largest = float(np.abs(A).max())
                if largest > limit:
                    found.append((("preactivation", i), self._preactivation_message(
                        i, step, largest, limit, kind)))
        for key, message in found:
            if key not in self.warned:
                self.warned.add(key)
                warnings.warn(message, TrainingWarning, stacklevel=3)

    def _inputs(self, X):
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

    def _weights(self):
        for name, W in self.model.params.items():
            if name[0] == "W" and looks_like_rand(W):
                self.findings.add("rand")
                yield ("rand", name), (f"{name} holds only values in [0, 1) (mean "
                                       f"{float(W.mean()):.2f}): the signature of "
                                       f"np.random.rand. Weights must be centred on 0 and "
                                       f"scaled by 1/√n_in: keep the layer's init ('he' for "
                                       f"ReLU, 'xavier' for sigmoid/tanh)")

    def _preactivation_message(self, i, step, largest, limit, kind):
        if limit == SATURATING_LIMIT:
            effect = (f"the {kind} is flat there (its gradient is below 1e-13), so these "
                      f"units stop learning and a naive exp would overflow")
        else:
            effect = "values this large grow into overflow (inf) within a few steps"
        return (f"{layer_name(self.model, i)}: pre-activations reach |Z| = {largest:.3g} at "
                f"step {step}, far outside the useful range of its {kind} (|Z| ≤ {limit:g}); "
                f"{effect}. Likely cause: {self.cause()}")

    def cause(self):
        """The likely cause of large values, from what the guard has seen."""
        causes = []
        if "inputs" in self.findings:
            causes.append("inputs not scaled (divide pixels by 255 or standardise features)")
        if "rand" in self.findings:
            causes.append("weights initialised uniform in [0, 1) like np.random.rand "
                          "(use init='he' or 'xavier')")
        causes.append(f"a learning rate too large (lr = {self.optimizer.lr:g}: try 10× smaller)")
        return "; ".join(causes)

    def diverged(self, X, step, cost=None):
        """The ``TrainingDiverged`` for a non-finite value seen on ``step`` (batch X): the
        step's cost if ``cost`` is given, else the parameters after its update."""
        model = self.model
        bad = self._nonfinite_parameter()
        if bad is not None:
            # The forward pass does not change parameters: the last update made them so.
            step = step - 1 if cost is not None else step
            layer, largest = layer_name(model, self._layer_of(bad)), None
            where = f"the update of step {step} made {bad} of {layer} non-finite"
        else:
            layer, largest = self._first_nonfinite(X)
            where = f"the cost is {cost}; the first non-finite values come from {layer}"
        size = "" if largest is None else f", after pre-activations reached |Z| = {largest:.3g}"
        return TrainingDiverged(f"training diverged at step {step}: {where}{size}. "
                                f"Likely cause: {self.cause()}",
                                layer=layer, step=step, max_abs_preactivation=largest)

    def _nonfinite_parameter(self):
        return next((name for name, p in self.model.params.items() if not np.isfinite(p).all()),
                    None)

    def _layer_of(self, param):
        """Index of the layer holding the parameter named ``param`` (W1, b1, W2, ...)."""
        owners = [i for i, layer in enumerate(self.model.layers) if layer.params]
        return next(i for k, i in enumerate(owners, 1)
                    if any(param == f"{name}{k}" for name in self.model.layers[i].params))

    def _first_nonfinite(self, X):
        A, largest = X, 0.0
        for i, layer in enumerate(self.model.layers):
            A = layer.forward(A, False)
            finite = np.isfinite(A)
            if isinstance(layer, Dense) and finite.any():
                largest = max(largest, float(np.abs(A[finite]).max()))
            if not finite.all():
                return layer_name(self.model, i), largest
        return (f"the loss ({self.model.loss!r}) of the output of "
                f"{layer_name(self.model, len(self.model.layers) - 1)}"), largest
